"""MaxResults and NextToken, as every List... operation reads and answers them."""
from __future__ import annotations

from dataclasses import dataclass

from api import ids
from api.ops import Ctx
from api.params import Params

DEFAULT_PAGE = 10


@dataclass(frozen=True)
class Page:
    """Where one listing's page starts (`cursor`, None on the first page) and how long it is.
    `kind` names the listing, so a NextToken of another listing (or requester) is refused."""

    requester_id: int
    kind: str
    cursor: int | None
    limit: int

    @classmethod
    def of(cls, ctx: Ctx, p: Params, kind: str) -> Page:
        cursor = ids.parse_page_token(ctx.requester_id, kind, p.string("NextToken", max_len=ids.MAX_TOKEN))
        return cls(ctx.requester_id, kind, cursor, p.integer("MaxResults", low=1, high=100) or DEFAULT_PAGE)

    def answer(self, field: str, shaped: list, next_cursor: int | None) -> dict:
        """NumResults, the page's items under `field`, and a NextToken when `next_cursor` (the
        page's last row, given only when more rows follow) says there is more."""
        out: dict = {"NumResults": len(shaped), field: shaped}
        if next_cursor is not None:
            out["NextToken"] = ids.page_token(self.requester_id, self.kind, next_cursor)
        return out
