"""Issue 17 over HTTP: a worker does a HIT in the web chat, the requester approves it from /review,
and the worker's /start opens on the home screen with what they earned today and the week's chart."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.models import Hit
from core.payments import accounts
from core.users import commands as users
from tests import factories as f
from tests.conftest import ADMIN_ID

pytestmark = pytest.mark.slow

RITA, WES = 511, 611


def test_approved_work_shows_on_the_workers_home_screen(stack):
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wes")
    for p in (rita, wes):
        p.send("/start")
        p.wait_for("hitbot is a marketplace")  # both new: the welcome
    now = datetime.now(UTC)
    users.register(user_id=ADMIN_ID, first_name="Admin", now=now)
    accounts.credit(admin_id=ADMIN_ID, user_id=RITA, amount_cents=10_00, reason="e2e funds", now=now, key="e2e-home")
    hit = f.hit(RITA, now=now, title="Count the cars", reward="0.65", assignments=1)
    assert Hit.get_by_id(hit.id).available == 1

    wes.send("/browse")
    listing = wes.wait_for("Count the cars")
    wes.press("Count the cars", listing)
    wes.wait_for("Accept")
    wes.press("Accept")
    wes.wait_for("Which animal?")
    wes.press("cat")
    wes.wait_for("Anything else?")
    wes.send("Two red cars")
    wes.wait_for("Submit")
    wes.press("Submit")
    wes.wait_for("submitted")

    rita.send("/review")
    card = rita.wait_for("Submission #", "Approve")
    assert rita.press("Approve", card)["text"] == "Approved and paid."
    wes.wait_for("was approved", "+$0.65")

    wes.send("/start")
    home = wes.wait_for("Home", "Earned: today $0.65 · this week $0.65 · this month $0.65")
    assert "Approval rate: today 100%" in home["text"]
    chart = wes.wait_for("Your earnings, day by day", fresh=False)
    assert chart.get("photo") or chart.get("caption")
    rita.send("/start")
    rita.wait_for("Home", "0 open", "nothing waiting for your review")
