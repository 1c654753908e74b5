"""A notice that could not be delivered while the user had blocked the bot reaches them, in one
summary message, when they come back (issue 13)."""
from __future__ import annotations

from core.models import OutboxEvent, User
from core.payments import accounts
from core.users import commands as users
from jobs import relay
from tests import factories
from tests.conftest import ADMIN_ID, NOW
from tests.jobs.conftest import wait_until


def _backlog() -> int:
    return OutboxEvent.select().where(OutboxEvent.done_at.is_null()).count()


def test_notices_missed_while_blocked_are_summarised_when_the_user_comes_back(jobs, botapi, worker):
    factories.user("Admin", user_id=ADMIN_ID)
    wes = factories.user("Wes")
    botapi.blocked.add(wes.id)
    relay.install(jobs)
    try:
        accounts.credit(admin_id=ADMIN_ID, user_id=wes.id, amount_cents=1_00, reason="first", now=NOW, key="m1")
        accounts.credit(admin_id=ADMIN_ID, user_id=wes.id, amount_cents=2_00, reason="second", now=NOW, key="m2")
        assert wait_until(lambda: _backlog() == 0, 15)
        assert User.get_by_id(wes.id).unreachable and botapi.sent == []
        botapi.blocked.discard(wes.id)  # they unblocked the bot and pressed Start
        users.register(user_id=wes.id, first_name="Wes", now=NOW)
        assert wait_until(lambda: _backlog() == 0 and botapi.sent, 15)
        users.register(user_id=wes.id, first_name="Wes", now=NOW)  # a later /start: nothing to tell again
        assert wait_until(lambda: _backlog() == 0, 15)
    finally:
        relay.uninstall()
    (summary,) = [s.text for s in botapi.sent if s.chat_id == wes.id]
    assert "While you had blocked the bot" in summary
    assert "+$1.00" in summary and "(first)" in summary and "+$2.00" in summary and "(second)" in summary
    assert summary.index("first") < summary.index("second")
