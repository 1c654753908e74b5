"""GetAccountBalance: the requester's available money and what is held in escrow for open work."""
from __future__ import annotations

from api.ops import Ctx
from api.params import Params
from api.shapes import money
from core.payments import accounts


def get_account_balance(ctx: Ctx, p: Params) -> dict:
    b = accounts.balances(user_id=ctx.requester_id)
    return {"AvailableBalance": money(b.available_cents), "OnHoldBalance": money(b.escrow_cents)}
