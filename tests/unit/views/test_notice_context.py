"""Events written before their payload carried the HIT's title (and the approval's feedback,
the submit's auto-approval delay, the appeal decision's HIT) still read the same: core's
delivery query (core.notices.notice_context) fills in what the payload lacks."""
from __future__ import annotations

from datetime import timedelta

from bot.notices import render
from core import sweeps
from core.models import Hit, OutboxEvent, Question
from core.notices import notice_context
from core.review import appeals, commands as review
from core.users import commands as users
from core.work import commands as work
from tests import factories as f
from tests.conftest import NOW

# What each kind's payload gained (the rest of it was there before).
NEW_FIELDS = {"submission.confirmed": ("title", "auto_approve_s"), "assignment.approved": ("title", "feedback"),
              "appeal.decided": ("title", "hit_id")}


def _submit(hit, worker_id, at=NOW):
    a = work.accept(worker_id=worker_id, hit_id=hit.id, now=at)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    return work.submit(worker_id=worker_id, assignment_id=a.id, now=at + timedelta(minutes=1))


def _as_written_before(e: OutboxEvent, *drop: str) -> OutboxEvent:
    payload = {k: v for k, v in e.payload.items() if k not in drop}
    return OutboxEvent.create(kind=e.kind, user_id=e.user_id, payload=payload, created_at=e.created_at)


def test_older_payloads_render_as_the_new_ones(database):
    rita, wes, ann = f.requester(100_00, name="Rita"), f.user("Wes"), f.user("Ann")
    users.set_timezone(user_id=wes.id, tz_name="Europe/Berlin")
    hit = f.hit(rita.id, title="Label <the> photo", assignments=2, duration="10m")
    a = _submit(hit, wes.id)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=3), feedback="great")
    review.bonus(requester_id=rita.id, assignment_id=a.id, amount_cents=50, reason="extra care", now=NOW, key="b1")
    b = _submit(hit, ann.id)
    review.reject(requester_id=rita.id, assignment_id=b.id, feedback="Not a cat", now=NOW)
    appeal = appeals.appeal(worker_id=ann.id, assignment_id=b.id, message="It is a cat!", now=NOW)
    appeals.decide(requester_id=rita.id, appeal_id=appeal.id, approve=False, now=NOW)
    h2 = f.hit(rita.id, title="Second", assignments=1, duration="10m")
    work.accept(worker_id=wes.id, hit_id=h2.id, now=NOW)
    sweeps.remind(now=NOW + timedelta(minutes=9))

    kinds = ["submission.confirmed", "assignment.approved", "bonus.paid", "assignment.rejected", "appeal.decided",
             "assignment.reminder"]
    for kind in kinds:
        new = OutboxEvent.get(OutboxEvent.kind == kind)
        assert "title" in new.payload, kind  # the fact travels with the event now
        old = _as_written_before(new, *NEW_FIELDS.get(kind, ("title",)))
        assert "title" not in old.payload
        now_text, before_text = render(new).text, render(old).text
        assert before_text == now_text, kind
        assert "“Label &lt;the&gt; photo”" in now_text or "“Second”" in now_text, now_text

    texts = {k: render(OutboxEvent.get(OutboxEvent.kind == k)).text for k in kinds}
    assert "approved automatically in 3d" in texts["submission.confirmed"]
    assert "Feedback: great" in texts["assignment.approved"]
    assert "CET" in texts["assignment.reminder"]  # the reader's time zone, read at delivery
    assert texts["appeal.decided"] == ("❌ Your appeal on “Label &lt;the&gt; photo” was turned down; "
                                       "the rejection stands.")


def test_the_title_in_the_payload_outlives_the_hit_row(database):
    """A fact fixed at emission needs no row at delivery; an older payload falls back to the id."""
    rita, wes = f.requester(100_00, name="Rita"), f.user("Wes")
    hit = f.hit(rita.id, title="Gone soon")
    a = _submit(hit, wes.id)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=3))
    new = OutboxEvent.get(OutboxEvent.kind == "assignment.approved")
    old = _as_written_before(new, *NEW_FIELDS["assignment.approved"])
    Hit.update(title="Renamed").where(Hit.id == hit.id).execute()
    assert "“Gone soon”" in render(new).text  # what the worker worked on
    assert notice_context(new).hit_title is None  # nothing read for it
    assert notice_context(old).hit_title == "Renamed" and "“Renamed”" in render(old).text


def test_the_state_is_read_at_delivery(database):
    """Stars until rated, Appeal until appealed: read when the notice is (re)rendered."""
    rita, ann = f.requester(100_00, name="Rita"), f.user("Ann")
    hit = f.hit(rita.id, title="Label")
    b = _submit(hit, ann.id)
    review.reject(requester_id=rita.id, assignment_id=b.id, feedback="No", now=NOW)
    e = OutboxEvent.get(OutboxEvent.kind == "assignment.rejected")
    ctx = notice_context(e)
    assert (ctx.can_appeal, ctx.appealed, ctx.rated) == (True, False, False)
    appeals.appeal(worker_id=ann.id, assignment_id=b.id, message="It is a cat!", now=NOW)
    review.rate_requester(worker_id=ann.id, assignment_id=b.id, stars=4, now=NOW)
    ctx = notice_context(e)
    assert (ctx.can_appeal, ctx.appealed, ctx.rated) == (False, True, True)
    n = render(e)
    assert "You appealed" in n.text and n.reply_markup.inline_keyboard == ()


def test_a_malformed_payload_sends_nothing_and_delivery_goes_on(database, caplog):
    e = OutboxEvent.create(kind="assignment.rejected", user_id=5, payload={"assignment_id": "x"}, created_at=NOW)
    assert render(e) is None
    assert f"event {e.id} (assignment.rejected)" in caplog.text
