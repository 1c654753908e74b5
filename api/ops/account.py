"""GetAccountBalance: the requester's available money and what is held in escrow for open work."""
from __future__ import annotations

from api.ops import Ctx
from api.params import Params
from api.shapes import money
from core.mturk import commands as mturk


def get_account_balance(ctx: Ctx, p: Params) -> dict:
    available_cents, escrow_cents = mturk.balance(requester_id=ctx.requester_id)
    return {"AvailableBalance": money(available_cents), "OnHoldBalance": money(escrow_cents)}
