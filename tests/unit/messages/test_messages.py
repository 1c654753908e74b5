"""Messages between a worker and a requester (issue 18): who may write to whom, the daily caps,
the text bound, unread counts, and forged thread presses changing nothing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.errors import NotAllowed, ValidationFailed, WorkerBlocked
from core.messages import commands as msgs, queries
from core.models import Message, OutboxEvent
from core.review import commands as review
from tests import factories as f
from tests.conftest import NOW
from tests.settings_env import settings_env

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def caps(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_MESSAGES_PER_DAY_WORKER="3", HITBOT_MESSAGES_PER_DAY_REQUESTER="2")


def notices() -> list[OutboxEvent]:
    return list(OutboxEvent.select().where(OutboxEvent.kind == "message.received").order_by(OutboxEvent.id))


def test_a_worker_asks_and_the_requester_replies_without_learning_who_it_is():
    r = f.requester()
    h = f.hit(r.id)
    w = f.user("Wes", username="wes_secret")
    msgs.ask(worker_id=w.id, hit_id=h.id, text="  Is a kitten a cat?  ", now=NOW)
    (asked,) = notices()
    assert asked.user_id == r.id
    assert asked.payload["text"] == "Is a kitten a cat?" and asked.payload["title"] == "Label the photo"
    alias = asked.payload["sender"]
    assert alias.startswith("Worker #A") and "Wes" not in alias and "wes_secret" not in alias
    assert str(w.id) not in str(asked.payload)
    (row,) = queries.threads(user_id=r.id)
    assert (row.counterpart, row.unread) == (alias, 1)

    msgs.reply(user_id=r.id, thread_id=row.thread_id, text="Yes.", now=NOW + timedelta(minutes=1))
    msgs.reply(user_id=w.id, thread_id=row.thread_id, text="Thanks!", now=NOW + timedelta(minutes=2))
    assert [e.user_id for e in notices()] == [r.id, w.id, r.id]
    assert queries.threads(user_id=w.id)[0].unread == 1 and queries.threads(user_id=r.id)[0].unread == 2

    view = msgs.open_thread(user_id=r.id, thread_id=row.thread_id, now=NOW)
    assert [(s, t) for s, t, _, _ in view.messages] == [("w", "Is a kitten a cat?"), ("r", "Yes."), ("w", "Thanks!")]
    assert view.messages[0][3] == "Label the photo" and view.counterpart == alias
    assert queries.threads(user_id=r.id)[0].unread == 0 and queries.threads(user_id=w.id)[0].unread == 1


def test_an_opened_thread_shows_the_last_ten():
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    for i in range(12):
        msgs.ask(worker_id=w.id, hit_id=h.id, text=f"m{i}", now=NOW + timedelta(seconds=i))
    (row,) = queries.threads(user_id=w.id)
    view = msgs.open_thread(user_id=w.id, thread_id=row.thread_id, now=NOW)
    assert [t for _, t, _, _ in view.messages] == [f"m{i}" for i in range(2, 12)]


def test_a_requester_cannot_message_a_worker_who_never_worked_for_them():
    r, stranger = f.requester(), f.user()
    with pytest.raises(NotAllowed, match="only message workers who worked"):
        msgs.write_to_worker(requester_id=r.id, worker_id=stranger.id, text="Hi", now=NOW)
    assert not notices() and Message.select().count() == 0


def test_a_requester_messages_the_worker_of_their_submission_but_not_someone_elses():
    r, other = f.requester(), f.requester(name="Otto")
    (a,) = f.submitted(r.id, 1, NOW)
    with pytest.raises(NotAllowed):
        msgs.message_worker(requester_id=other.id, assignment_id=a.id, text="Hi", now=NOW)
    msgs.message_worker(requester_id=r.id, assignment_id=a.id, text="Nice work", now=NOW)
    (e,) = notices()
    assert e.user_id == a.worker_id and e.payload["sender"] == "Rita"
    msgs.write_to_worker(requester_id=r.id, worker_id=a.worker_id, text="Again", now=NOW)
    assert len(notices()) == 2


def test_a_forged_thread_press_changes_nothing():
    r, w, intruder = f.requester(), f.user(), f.user()
    msgs.ask(worker_id=w.id, hit_id=f.hit(r.id).id, text="Hello", now=NOW)
    (row,) = queries.threads(user_id=r.id)
    for thread_id in (row.thread_id, row.thread_id + 999):
        with pytest.raises(NotAllowed):
            msgs.reply(user_id=intruder.id, thread_id=thread_id, text="I'm in", now=NOW)
        with pytest.raises(NotAllowed):
            msgs.open_thread(user_id=intruder.id, thread_id=thread_id, now=NOW)
    assert Message.select().count() == 1 and len(notices()) == 1
    assert queries.threads(user_id=r.id)[0].unread == 1


def test_daily_caps_per_side(caps):
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    for i in range(3):
        msgs.ask(worker_id=w.id, hit_id=h.id, text=f"q{i}", now=NOW + timedelta(minutes=i))
    with pytest.raises(msgs.CapReached, match="3 messages in the last 24 hours"):
        msgs.ask(worker_id=w.id, hit_id=h.id, text="one more", now=NOW + timedelta(hours=1))
    (row,) = queries.threads(user_id=r.id)
    with pytest.raises(msgs.CapReached):  # replies count too
        msgs.reply(user_id=w.id, thread_id=row.thread_id, text="one more", now=NOW + timedelta(hours=1))
    # the requester's own cap is separate
    msgs.reply(user_id=r.id, thread_id=row.thread_id, text="a1", now=NOW + timedelta(hours=1))
    msgs.reply(user_id=r.id, thread_id=row.thread_id, text="a2", now=NOW + timedelta(hours=1))
    with pytest.raises(msgs.CapReached, match="2 messages"):
        msgs.reply(user_id=r.id, thread_id=row.thread_id, text="a3", now=NOW + timedelta(hours=1))
    assert Message.select().count() == 5
    # a day after the first question, one slot is free again
    msgs.ask(worker_id=w.id, hit_id=h.id, text="next day", now=NOW + timedelta(days=1, seconds=1))


def test_text_is_bounded():
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    for text in ("", "   ", "x" * 4097):
        with pytest.raises(ValidationFailed, match="1 to 4096 characters"):
            msgs.ask(worker_id=w.id, hit_id=h.id, text=text, now=NOW)
    msgs.ask(worker_id=w.id, hit_id=h.id, text="x" * 4096, now=NOW)
    assert Message.select().count() == 1


def test_a_blocked_worker_cannot_write_to_the_requester():
    r = f.requester()
    (a,) = f.submitted(r.id, 1, NOW)
    review.block_worker(requester_id=r.id, worker_id=a.worker_id, reason="spam", now=NOW)
    with pytest.raises(WorkerBlocked):
        msgs.ask(worker_id=a.worker_id, hit_id=a.hit_id, text="Why?", now=NOW)
    assert Message.select().count() == 0


def test_an_export_has_the_thread_and_a_deleted_account_takes_its_own_words_only():
    from core.users import privacy

    r, w = f.requester(), f.user("Wes", username="wes_secret")
    msgs.ask(worker_id=w.id, hit_id=f.hit(r.id).id, text="My question", now=NOW)
    (row,) = queries.threads(user_id=r.id)
    msgs.reply(user_id=r.id, thread_id=row.thread_id, text="My answer", now=NOW)
    exported = privacy.export(user_id=r.id, now=NOW)["messages"]
    assert [(m["from_me"], m["text"], m["with"]) for m in exported] == [
        (False, "My question", row.counterpart), (True, "My answer", row.counterpart)]
    privacy.delete_account(user_id=w.id, now=NOW)
    view = msgs.open_thread(user_id=r.id, thread_id=row.thread_id, now=NOW)
    assert [t for _, t, _, _ in view.messages] == ["", "My answer"]


def test_the_notice_carries_a_long_message_whole_and_never_cuts_inside_an_entity():
    from bot.notices import render

    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    plain = "word " * 780 + "end."
    msgs.ask(worker_id=w.id, hit_id=h.id, text=plain, now=NOW)
    msgs.ask(worker_id=w.id, hit_id=h.id, text="<&>" * 1365, now=NOW)
    whole, cut = (render(e).text for e in notices())
    assert whole.endswith(plain.strip()) and len(whole) <= 4096
    assert len(cut) <= 4096 and re.search(r"(&lt;|&amp;|&gt;)…\Z", cut) and "&lt;&amp;&gt;" in cut
