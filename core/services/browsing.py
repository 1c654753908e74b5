"""A worker's browse session: the remembered filter and the page cursors of the list
they are paging through, both kept in the user's prefs (so any bot replica, or the
same one after a restart, continues where the worker was)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import StaleAction
from core.services.browse import Filters, Page, list_open_hits
from core.services.users import get_user, set_pref

PREF = "browse"
PAGE_SIZE = 8
MAX_PAGES = 25  # deeper than this, a narrower filter serves better (and prefs stay small)


@dataclass
class BrowsePage:
    filters: Filters
    page: Page
    number: int  # 0-based

    @property
    def has_prev(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.page.next_cursor is not None and self.number + 1 < MAX_PAGES


def _session(user_id: int) -> tuple[Filters, list[str]]:
    data = (get_user(user_id).prefs or {}).get(PREF) or {}
    cursors = data.get("c") if isinstance(data.get("c"), list) else []
    return Filters.from_dict(data.get("f")), [c for c in cursors if isinstance(c, str)][:MAX_PAGES]


def current_filters(*, worker_id: int) -> Filters:
    return _session(worker_id)[0]


def set_filters(*, worker_id: int, filters: Filters) -> Filters:
    """Remember a new filter; paging starts again from the first page."""
    set_pref(user_id=worker_id, key=PREF, value={"f": filters.as_dict(), "c": []})
    return filters


def browse_page(*, worker_id: int, number: int, now: datetime, limit: int = PAGE_SIZE) -> BrowsePage:
    """Page `number` of the open HITs under the worker's remembered filter.

    Pages are reached one step at a time (Next records where the next page starts),
    so a page never seen, or one from a filter since changed, is a stale button."""
    filters, cursors = _session(worker_id)
    if not 0 <= number < MAX_PAGES or number > len(cursors):
        raise StaleAction()
    after = cursors[number - 1] if number else None
    page = list_open_hits(worker_id=worker_id, filters=filters, now=now, after=after, limit=limit)
    kept = cursors[:number] + ([page.next_cursor] if page.next_cursor else [])
    if kept != cursors:
        set_pref(user_id=worker_id, key=PREF, value={"f": filters.as_dict(), "c": kept})
    return BrowsePage(filters, page, number)
