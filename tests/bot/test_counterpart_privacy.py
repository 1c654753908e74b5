"""No counterpart's Telegram identity in any notice (issue 18's must-show): a requester and a worker
who both have Telegram usernames go through every flow that tells one side about the other (a
submission, a question and its answers, a message from the review card, revisions resubmitted and
lapsed, approval, bonus, rejection, appeal, qualification request, grant and revoke, NotifyWorkers,
follow-up work, a group message, a completed HIT, the review digest, the quality rule's rejection and
block and its undo). Every notice either of them gets is rendered as delivered, in every
language, and neither the other side's Telegram id nor username shows in its text, buttons or button
data; the worker is "Worker #<WorkerId>" to the requester, never his name, and the requester is her
first name only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import LANGUAGES, use
from bot.notices import render
from core.hits import followup
from core.messages import commands as msgs, groups
from core.models import OutboxEvent, Question, Revision, WorkerBlock
from core.mturk import workers as mturk_workers
from core.mturk.ids import worker_alias, worker_ref
from core.payments import accounts
from core.quals import commands as quals, requests as qual_requests
from core.review import appeals, commands as review, digests, quality, revisions
from core.users import commands as users
from core.work import commands as work
from tests import factories as f
from tests.conftest import ADMIN_ID, NOW

pytestmark = pytest.mark.usefixtures("database")

# Ten digits, as Telegram's ids are: no amount, count or object id on a screen contains them by chance.
RITA, WES = 5_318_204_771, 6_402_913_587
RITA_USERNAME, WES_USERNAME = "rita_birdwatch", "wesley_ringer"

# Every kind that goes to one side about the other: the test fails if a flow stops emitting one.
TO_REQUESTER = {"submission.received", "message.received", "qualification.requested", "appeal.received",
                "quality.rejected", "quality.blocked", "hit.completed", "review.digest"}
TO_WORKER = {"submission.confirmed", "message.received", "revision.requested", "revision.lapsed",
             "assignment.approved", "assignment.rejected", "bonus.paid", "appeal.decided",
             "qualification.request_decided", "qualification.granted", "qualification.revoked",
             "requester.message", "followup.offered", "worker.blocked", "worker.unblocked"}


def _submit(hit, at):
    a = work.accept(worker_id=WES, hit_id=hit.id, now=at)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=WES, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    return work.submit(worker_id=WES, assignment_id=a.id, now=at + timedelta(minutes=1))


def _flows() -> None:
    t = NOW
    users.register(user_id=RITA, first_name="Rita", username=RITA_USERNAME, now=t)
    users.register(user_id=WES, first_name="Wesley", username=WES_USERNAME, now=t)
    users.register(user_id=ADMIN_ID, first_name="Admin", now=t)
    accounts.credit(admin_id=ADMIN_ID, user_id=RITA, amount_cents=100_00, reason="test funds", now=t, key="privacy")

    # A question from the preview, answered; a submission; a message from the review card.
    hit = f.hit(RITA, assignments=3)
    asked = msgs.ask(worker_id=WES, hit_id=hit.id, text="Is a kitten a cat?", now=t)
    msgs.reply(user_id=RITA, thread_id=asked.thread_id, text="Yes, it is.", now=t)
    a = _submit(hit, t)
    msgs.message_worker(requester_id=RITA, assignment_id=a.id, text="Thanks, one more look please.", now=t)

    # A revision resubmitted, then approved with a bonus and stars.
    revisions.request_revision(requester_id=RITA, assignment_id=a.id, note="Look at the tail again.", now=t)
    revisions.resubmit(worker_id=WES, assignment_id=a.id, now=t + timedelta(minutes=5))
    review.approve(requester_id=RITA, assignment_id=a.id, now=t + timedelta(minutes=6), feedback="Good eye.")
    review.bonus(requester_id=RITA, assignment_id=a.id, amount_cents=25, reason="Extra care", now=t, key="b1")

    # A revision left to lapse; a rejection, appealed and decided.
    b = _submit(f.hit(RITA, title="Count the birds"), t)
    rev = revisions.request_revision(requester_id=RITA, assignment_id=b.id, note="Count again.", now=t)
    revisions.lapse(revision_id=rev.id, now=Revision.get_by_id(rev.id).window_ends_at + timedelta(seconds=1))
    review.reject(requester_id=RITA, assignment_id=b.id, feedback="Wrong count.", now=t + timedelta(days=2))
    appeal = appeals.appeal(worker_id=WES, assignment_id=b.id, message="I counted twice.", now=t + timedelta(days=2))
    appeals.decide(requester_id=RITA, appeal_id=appeal.id, approve=True, now=t + timedelta(days=2))

    # A qualification requested and granted from the preview's 🙋, another granted and revoked.
    expert = quals.create_type(owner_id=RITA, name="Cat expert", now=t)
    gated = f.hit(RITA, title="Which cat breed?", qualifications=[{"name": "Cat expert", "comparator": "exists"}])
    qual_requests.ask(worker_id=WES, hit_id=gated.id, qtype_id=expert.id, message="I breed cats.", now=t)
    (req,) = qual_requests.waiting_page(requester_id=RITA, qtype_id=expert.id, after_id=None, limit=5)[0]
    qual_requests.decide(requester_id=RITA, request_id=req.id, grant=True, now=t)
    other = quals.create_type(owner_id=RITA, name="Dog expert", now=t)
    quals.grant(owner_id=RITA, qtype_id=other.id, worker_id=WES, value=3, now=t)
    quals.revoke(owner_id=RITA, qtype_id=other.id, worker_id=WES, now=t)

    # NotifyWorkers, follow-up work, and a group message to everyone who worked on the HIT.
    assert mturk_workers.notify(requester_id=RITA, refs=[worker_ref(RITA, WES)], subject="News",
                                text="New HITs tomorrow.", now=t) == []
    offer = followup.start(requester_id=RITA, assignment_id=a.id, now=t)
    followup.give(requester_id=RITA, offer_id=offer.offer_id, text="1.00")
    followup.publish(requester_id=RITA, offer_id=offer.offer_id, now=t + timedelta(hours=1))
    groups.send(requester_id=RITA, target="hit", target_id=hit.id, text="Thank you all!", now=t, chat_id=RITA,
                message_id=1)

    # A HIT's only slot approved (completed), another submission left waiting (the review digest).
    done = _submit(f.hit(RITA, title="One photo", assignments=1), t)
    review.approve(requester_id=RITA, assignment_id=done.id, now=t + timedelta(minutes=2))
    _submit(f.hit(RITA, title="Waiting photo"), t)
    assert digests.review_digest(now=t + timedelta(hours=2), every_s=3600) == 1

    # Last (it blocks him): her quality rule rejects and blocks on a wrong control answer; she undoes the block.
    quality.set_policy(requester_id=RITA, min_accuracy=60, min_gold=1, action="block")
    later = t + timedelta(days=3)
    checked = f.hit(RITA, now=later, title="Which animal, checked?", assignments=1, questions=[
        {"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"], "gold": "dog"}])
    _submit(checked, later)
    block = WorkerBlock.get((WorkerBlock.requester == RITA) & (WorkerBlock.worker == WES))
    quality.undo_block(requester_id=RITA, block_id=block.id, now=later + timedelta(minutes=5))


def _shown(notice) -> str:
    parts = [notice.text]
    for row in (notice.reply_markup.inline_keyboard if notice.reply_markup else ()):
        parts += [x for b in row for x in (b.text, b.callback_data or "", b.url or "")]
    return "\n".join(parts)


def test_no_notice_names_the_counterparts_telegram_identity():
    _flows()
    events = list(OutboxEvent.select().where(OutboxEvent.user_id.in_([RITA, WES])).order_by(OutboxEvent.id))
    kinds = {(e.user_id, e.kind) for e in events}
    assert {(RITA, k) for k in TO_REQUESTER} <= kinds
    assert {(WES, k) for k in TO_WORKER} <= kinds
    alias = worker_alias(RITA, WES)
    rendered = 0
    for lang in LANGUAGES:
        with use(lang):
            for e in events:
                notice = render(e)
                if notice is None:
                    continue
                rendered += 1
                shown = _shown(notice).lower()
                if e.user_id == RITA:
                    hidden = (str(WES), WES_USERNAME, "wesley")
                else:
                    hidden = (str(RITA), RITA_USERNAME)
                for leak in hidden:
                    assert leak not in shown, (lang, e.kind, leak, notice.text)
                if lang == "en" and e.user_id == RITA and e.kind in ("message.received", "qualification.requested",
                                                                     "appeal.received"):
                    assert alias in notice.text, (e.kind, notice.text)  # the worker, as the requester knows him
    assert rendered >= len(LANGUAGES) * (len(TO_REQUESTER) + len(TO_WORKER))
