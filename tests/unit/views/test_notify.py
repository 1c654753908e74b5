"""Issue 4: every event kind core emits renders to a short message with valid buttons."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot import callbacks
from bot.notices import render
from bot.views import notify
from bot.views.notify import Notice
from core import sweeps
from core.alerts.commands import match_new_hits, subscribe
from core.config import get_settings
from core.hits import followup, manage, publishing
from core.messages import commands as msgs
from core.models import OutboxEvent, Question, TopUp, WorkerBlock
from core.mturk import workers as mturk_workers
from core.mturk.commands import worker_ref
from core.payments import accounts, destinations, tax, topups
from core.quals import commands as quals, requests as qual_requests
from core.review import appeals, commands as review, quality, revisions
from core.users import commands as users
from core.work import commands as work
from core.work.browse import Filters
from tests import factories as f
from tests.conftest import ADMIN_ID, NOW

ROOT = Path(__file__).resolve().parents[3]
# emit("kind", ...), or a ledger posting's event=("kind", ...) (core.ledger.post emits it)
_EMIT = re.compile(r"""(?:\bemit(?:_many)?\(|\bevent=\()\s*(?:["']([a-z_.]+)["']|([A-Z_]+)\s*,)""")
_CONST = re.compile(r"""^([A-Z_]+)\s*=\s*["']([a-z_.]+)["']""", re.M)


def emitted_kinds() -> set[str]:
    """Every event kind any core module emits, read from the source (a literal, or a
    module constant such as KIND = "review.digest")."""
    kinds = set()
    for path in (ROOT / "core").rglob("*.py"):
        source = path.read_text()
        consts = dict(_CONST.findall(source))
        for literal, name in _EMIT.findall(source):
            kinds.add(literal or consts.get(name, f"<unresolved {name} in {path.name}>"))
    return kinds


def test_every_kind_core_emits_has_a_renderer():
    """notify.RENDERERS is the one table: no view module needs importing for it to be complete."""
    kinds = emitted_kinds()
    assert {"assignment.approved", "submission.received", "payout.paid", "alert.hit"} <= kinds  # the grep works
    assert kinds - set(notify.RENDERERS) == set()


def _check(n: Notice) -> None:
    assert 0 < len(n.text) < 4096
    for row in (n.reply_markup.inline_keyboard if n.reply_markup else ()):
        for b in row:
            assert b.callback_data and len(b.callback_data.encode()) <= 64
            assert callbacks.parse(b.callback_data) is not None, b.callback_data


def _claimed_patterns() -> list:
    """The callback patterns the bot's features register."""
    from telegram.ext import CallbackQueryHandler

    from bot.app import build_application
    from core.config import load_settings

    app = build_application(load_settings(telegram_bot_token="123:TEST", telegram_api_url="http://fake.invalid"),
                            rate_limit=False)
    return [h.pattern for group in app.handlers.values() for h in group
            if isinstance(h, CallbackQueryHandler) and h.pattern is not None]


def _submit(hit, worker_id, at=NOW):
    a = work.accept(worker_id=worker_id, hit_id=hit.id, now=at)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    return work.submit(worker_id=worker_id, assignment_id=a.id, now=at + timedelta(minutes=1))


def test_real_events_of_every_kind_render(database, monkeypatch):
    """Drive the real services so each kind is emitted with its real payload, then render all."""
    rita = f.requester(100_00, name="Rita")
    wes, ann = f.user("Wes"), f.user("Ann")
    subscribe(user_id=ann.id, filters=Filters(), now=NOW)
    hit = f.hit(rita.id, title="Label <the> photo", reward="2.00", assignments=2)
    match_new_hits(now=NOW)  # alert.hit to Ann
    a = _submit(hit, wes.id)  # submission.received + submission.confirmed
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=3), feedback="great")
    review.bonus(requester_id=rita.id, assignment_id=a.id, amount_cents=50, reason="extra care", now=NOW, key="b1")
    b = _submit(hit, ann.id)
    review.reject(requester_id=rita.id, assignment_id=b.id, feedback="Not a cat & not a dog", now=NOW)
    rejected = render(OutboxEvent.get(OutboxEvent.kind == "assignment.rejected"))  # before the appeal
    rej_buttons = [b.callback_data for row in rejected.reply_markup.inline_keyboard for b in row]
    assert f"q:apl:{b.id}" in rej_buttons and f"rt:s:{b.id}:5" in rej_buttons
    appeal = appeals.appeal(worker_id=ann.id, assignment_id=b.id, message="It is a cat!", now=NOW)
    appeals.decide(requester_id=rita.id, appeal_id=appeal.id, approve=True, now=NOW)  # + hit.completed
    h2 = f.hit(rita.id, title="Second", assignments=1, duration="10m")
    late = work.accept(worker_id=wes.id, hit_id=h2.id, now=NOW)
    sweeps.remind(now=late.deadline - timedelta(minutes=1))
    work.expire_assignment(assignment_id=late.id, now=late.deadline + timedelta(seconds=1))
    manage.close_hit(requester_id=rita.id, hit_id=h2.id, now=NOW + timedelta(minutes=20))
    mturk_workers.notify(requester_id=rita.id, refs=[worker_ref(rita.id, wes.id)], subject="Next <batch>",
                         text="Soon & paid more", now=NOW)  # NotifyWorkers (MTurk API): requester.message
    accounts.credit(admin_id=ADMIN_ID, user_id=wes.id, amount_cents=500, reason="welcome", now=NOW, key="c1")
    lou = f.requester(6_00, name="Lou")
    f.hit(lou.id, reward="1.00", assignments=1)  # 1.20 escrowed -> 4.80 left: below $5.00
    pam = f.user("Pam")
    accounts.topup(user_id=pam.id, amount_cents=300, charge_id="walk-charge", now=NOW)  # then refunded by an admin
    topups.start_refund(admin_id=ADMIN_ID, topup_id=TopUp.get(TopUp.charge_id == "walk-charge").id, now=NOW)
    p1 = accounts.withdraw(worker_id=wes.id, now=NOW, key="w1", amount_cents=200)
    accounts.settle_payout(payout_id=p1.id, now=NOW, provider_ref="r1")
    p2 = accounts.withdraw(worker_id=wes.id, now=NOW, key="w2", amount_cents=150)
    accounts.fail_payout(payout_id=p2.id, now=NOW, reason="bank said no")
    monkeypatch.setenv("HITBOT_PAYOUT_METHODS", "sepa")  # payout.destination_added, the hold notice
    get_settings.cache_clear()
    try:
        dest = destinations.add_destination(user_id=wes.id, method="sepa", parts=["DE89370400440532013000"], now=NOW)
        monkeypatch.setenv("HITBOT_TAX_THRESHOLD_CENTS", "1000")
        get_settings.cache_clear()
        tax.ask_for_tax_details(worker_id=wes.id, paid_cents=8_00, now=NOW)  # tax.details_needed
    finally:
        monkeypatch.delenv("HITBOT_PAYOUT_METHODS")
        monkeypatch.delenv("HITBOT_TAX_THRESHOLD_CENTS")
        get_settings.cache_clear()
    qtype = quals.create_type(owner_id=rita.id, name="Cat expert", description="knows cats", now=NOW)
    quals.grant(owner_id=rita.id, worker_id=wes.id, qtype_id=qtype.id, value=90, now=NOW)
    quals.revoke(owner_id=rita.id, worker_id=wes.id, qtype_id=qtype.id, now=NOW)
    gus = f.requester(20_00, name="Gus")  # a quality rule that rejects and blocks, then is undone
    quality.set_policy(requester_id=gus.id, min_accuracy=60, min_gold=1, action="block")
    gold = publishing.publish_batch(requester_id=gus.id, title="gold", template=f.spec(title="Gold", assignments=1),
                                    rows=[{"_gold_animal": "dog"}], now=NOW)
    failed = _submit(gold.hits[0], wes.id)  # "cat": wrong
    block = quality.undo_block(requester_id=gus.id, block_id=WorkerBlock.get(WorkerBlock.requester == gus.id).id,
                               now=NOW)
    users.mark_unreachable(user_id=ann.id)  # Ann had blocked the bot when her alert went out (403)...
    OutboxEvent.update(done_at=NOW, last_error="forbidden: bot was blocked by the user").where(
        OutboxEvent.kind == "alert.hit").execute()
    users.came_back(user_id=ann.id, now=NOW)  # ...and is back: notices.missed
    msgs.ask(worker_id=wes.id, hit_id=a.hit_id, text="Is a <kitten> a cat?", now=NOW)  # message.received
    bird = quals.create_type(owner_id=rita.id, name="Bird expert", now=NOW)  # a qualification request, granted
    bird_hit = f.hit(rita.id, title="Birds", assignments=1, qualifications=[{"name": "Bird expert", "comparator": "exists"}])
    asked = qual_requests.ask(worker_id=wes.id, hit_id=bird_hit.id, qtype_id=bird.id, message="I <know> birds", now=NOW)
    qual_requests.decide(requester_id=rita.id, request_id=asked.request.id, grant=True, now=NOW)
    sent_back = _submit(f.hit(rita.id, title="Revise me", assignments=1), ann.id)  # a revision, then its lapse
    revisions.request_revision(requester_id=rita.id, assignment_id=sent_back.id, note="Look <again>", now=NOW)
    revisions.lapse(revision_id=revisions.due(now=NOW + timedelta(days=2), limit=1)[0], now=NOW + timedelta(days=2))
    offer = followup.start(requester_id=rita.id, assignment_id=a.id, now=NOW)  # followup.offered to Wes
    followup.give(requester_id=rita.id, offer_id=offer.offer_id, text="0.75")
    followup.publish(requester_id=rita.id, offer_id=offer.offer_id, now=NOW)
    seen, every = {}, []
    claimed = _claimed_patterns()
    for e in OutboxEvent.select().order_by(OutboxEvent.id):
        n = render(e)
        if n is not None:
            _check(n)
            for row in (n.reply_markup.inline_keyboard if n.reply_markup else ()):
                for button in row:  # some feature answers it (not the "no longer valid" catch-all)
                    assert any(p.match(button.callback_data) for p in claimed), (e.kind, button.callback_data)
            seen.setdefault(e.kind, n)
            every.append(n)
    by = {k: n.text for k, n in seen.items()}
    assert "was approved" in by["assignment.approved"] and "+$2.00" in by["assignment.approved"]
    assert "Feedback: great" in by["assignment.approved"]
    assert "Reason: Not a cat &amp; not a dog" in by["assignment.rejected"]
    rej_buttons = [b.callback_data for row in seen["assignment.rejected"].reply_markup.inline_keyboard for b in row]
    assert f"q:apl:{b.id}" not in rej_buttons and f"rt:s:{b.id}:5" in rej_buttons  # appealed since: no Appeal
    assert "+$0.50" in by["bonus.paid"] and "extra care" in by["bonus.paid"]
    assert "Label &lt;the&gt; photo" in by["alert.hit"] and seen["alert.hit"].chat_id == ann.id
    assert f"Submission #{a.id}" in by["submission.received"] and seen["submission.received"].chat_id == rita.id
    assert "Submitted" in by["submission.confirmed"]
    assert "Look &lt;again&gt;" in by["revision.requested"] and "Your answers:" in by["revision.requested"]
    assert "time to revise “Revise me” has passed" in by["revision.lapsed"]
    assert "appealed" in by["appeal.received"] and "accepted" in by["appeal.decided"]
    assert "All assignments" in by["hit.completed"]
    assert "Don't forget" in by["assignment.reminder"] and "Time ran out" in by["assignment.expired"]
    assert "Don't forget “Second”: submit it by 12:10 UTC (1m left)" in by["assignment.reminder"]
    assert [b.callback_data for row in seen["assignment.reminder"].reply_markup.inline_keyboard for b in row] == \
        [f"w:go:{late.id}", "m:mywork"]
    credits = [n for n in every if n.chat_id == wes.id and "added to your balance" in n.text]
    assert [n.text for n in credits] == ["💰 <b>+$5.00</b> added to your balance (welcome)."]
    assert "<b>$2.00</b> is on its way" in by["payout.paid"] and "bank said no" in by["payout.failed"]
    assert "Payout #" in by["payout.requested"]
    assert "DE89 **** **** **** 3000" in by["payout.destination_added"] and "If this wasn't you" in by[
        "payout.destination_added"] and "on hold for 1d" in by["payout.destination_added"]
    assert seen["payout.destination_added"].chat_id == wes.id and "0532" not in by["payout.destination_added"]
    assert seen["payout.destination_added"].reply_markup.inline_keyboard[0][0].callback_data == f"po:ok:{dest.id}"
    assert by["topup.refunded"].startswith("↩️ Your top-up of $3.00 was refunded to your original payment")
    assert seen["topup.refunded"].chat_id == pam.id
    assert "paid $8.00 this year. Payouts past $10.00 a year need your tax details" in by["tax.details_needed"]
    assert "Your balance is low: <b>$4.80</b> left" in by["balance.low"] and seen["balance.low"].chat_id == lou.id
    assert "Cat expert" in by["qualification.granted"] and "taken away" in by["qualification.revoked"]
    # The requester sees the worker as their WorkerId, never by Telegram name.
    assert by["quality.rejected"].startswith(f"🤖 Your quality rule rejected Worker #{worker_ref(gus.id, wes.id)}'s "
                                             "work on “Gold”") and "Wes" not in by["quality.rejected"]
    assert seen["quality.rejected"].chat_id == gus.id and "accuracy is 0%" in by["quality.rejected"]
    assert [b.callback_data for row in seen["quality.rejected"].reply_markup.inline_keyboard for b in row] == \
        [f"r:und:{failed.id}"]
    assert by["quality.blocked"].startswith(f"🤖 Your quality rule blocked Worker #{worker_ref(gus.id, wes.id)} from your HITs")
    assert seen["quality.blocked"].reply_markup is None  # rendered after the undo: nothing left to undo
    assert seen["worker.blocked"].chat_id == wes.id and "“Gold”" in by["worker.blocked"]
    assert f"q:apl:{failed.id}" in [b.callback_data for row in seen["worker.blocked"].reply_markup.inline_keyboard
                                    for b in row]
    assert "can take their HITs again" in by["worker.unblocked"] and block.worker_name == f"Worker #{worker_ref(gus.id, wes.id)}"
    auto = [n for n in every if n.chat_id == wes.id and "rejected automatically by the requester's quality rule" in n.text]
    assert len(auto) == 1 and "accuracy is 0%" in auto[0].text
    assert by["hit.expired"].startswith("⌛ “Second” was ended early")
    assert by["assignment.expired"].startswith("⌛ Time ran out on “Second”")
    assert by["assignment.approved"].startswith("✅ Your work on “Label &lt;the&gt; photo” was approved")
    assert by["bonus.paid"].startswith("🎁 Bonus <b>+$0.50</b> for your work on “Label &lt;the&gt; photo”")
    assert "appeal on “Label &lt;the&gt; photo” was accepted" in by["appeal.decided"]
    assert by["hit.completed"].startswith("🏁 All assignments of “Label &lt;the&gt; photo”")
    assert by["submission.confirmed"].startswith("📨 Submitted: “Label &lt;the&gt; photo”")
    assert by["requester.message"].startswith("✉️ <b>Next &lt;batch&gt;</b>\nFrom Rita, a requester you worked for")
    assert "Soon &amp; paid more" in by["requester.message"] and seen["requester.message"].chat_id == wes.id
    assert by["message.received"].startswith(f"<b>✉️ Message from Worker #{worker_ref(rita.id, wes.id)}</b>\n")
    assert "Is a &lt;kitten&gt; a cat?" in by["message.received"] and "Wes" not in by["message.received"]
    assert seen["message.received"].chat_id == rita.id
    assert by["qualification.requested"].startswith(f"🙋 <b>Worker #{worker_ref(rita.id, wes.id)}</b> asks for your "
                                                    "qualification “Bird expert”")
    assert "I &lt;know&gt; birds" in by["qualification.requested"] and "Wes" not in by["qualification.requested"]
    assert seen["qualification.requested"].chat_id == rita.id and seen["qualification.request_decided"].chat_id == wes.id
    assert "you now hold “Bird expert” (value 1)" in by["qualification.request_decided"]
    assert by["followup.offered"].startswith("➕ <b>Rita</b> offers you follow-up work: “Label &lt;the&gt; photo”")
    assert seen["followup.offered"].chat_id == wes.id and "$0.75" in by["followup.offered"]
    assert "New HIT for your alert" in by["notices.missed"] and seen["notices.missed"].chat_id == ann.id
    # Every kind core emits was exercised here, except what is only emitted for batches and by other sweeps,
    # and cards.refresh: it sends no message, it edits cards (tests/bot/test_cards.py, tests/jobs/test_cards.py);
    # batch.requested and export.requested go to their actors (tests/jobs/test_batch_actor.py, ..._zip_actor.py),
    # mturk.event to the MTurk API's notification actor (tests/api/test_notifications.py).
    assert emitted_kinds() - set(seen) <= {"hits.published", "review.digest", "cards.refresh", "batch.requested",
                                           "export.requested", "mturk.event"}


def test_unknown_kind_is_none_and_logged(database, caplog):
    e = OutboxEvent.create(kind="mystery.kind", user_id=5, payload={}, created_at=NOW)
    assert render(e) is None
    assert "mystery.kind" in caplog.text


@pytest.mark.parametrize("kind", sorted(notify.RENDERERS))
def test_missing_rows_and_huge_payloads_still_fit(database, kind):
    """A deleted HIT or a 10,000-character reason must not break or overflow a message."""
    huge = "x" * 10_000
    payload = {"hit_id": 987654, "assignment_id": None, "amount_cents": 123, "reason": huge, "feedback": huge,
               "title": huge, "name": huge, "payout_id": 5, "refund_cents": 10, "hit_ids": [1, 2, 3],
               "requester_id": 77, "deadline": NOW.isoformat(), "reward_cents": 1, "duration_s": 60,
               "hourly_cents": 6, "approved": False,
               "destination_id": 3, "masked": huge, "hold_until": NOW.isoformat()}
    e = OutboxEvent.create(kind=kind, user_id=77, payload=payload, created_at=NOW)
    n = render(e)
    if kind in ("submission.received", "appeal.received"):
        assert n is None  # the card needs its row; gone means nothing to send (and it is logged)
    elif kind == "alert.hit" or kind.startswith(("payout.", "balance.", "bonus.", "qualification.")):
        assert n is not None  # these carry what they need in the payload
    if n is not None:
        _check(n)


def test_digest_mode_requesters_get_no_message_per_submission(database):
    from core.users.commands import set_pref

    rita = f.requester(100_00, name="Rita")
    wes = f.user("Wes")
    hit = f.hit(rita.id)
    set_pref(user_id=rita.id, key="review_mode", value="digest")
    _submit(hit, wes.id)
    received = OutboxEvent.get(OutboxEvent.kind == "submission.received")
    assert render(received) is None
    set_pref(user_id=rita.id, key="review_mode", value="immediate")
    assert render(received).chat_id == rita.id
    # The worker's own confirmation is not affected by the requester's choice.
    assert render(OutboxEvent.get(OutboxEvent.kind == "submission.confirmed")).chat_id == wes.id


def test_publish_events_send_nothing_more(database):
    """The requester saw "Published" in the chat; workers hear through alert.hit."""
    rita = f.requester(100_00, name="Rita")
    f.hit(rita.id)
    e = OutboxEvent.get(OutboxEvent.kind == "hits.published")
    assert "hits.published" in notify.RENDERERS and render(e) is None
