"""Group messages (issue 18): one text to a HIT's, a batch's or a qualification's workers, each a
message in their own thread (reply works), muted and blocked threads skipped, capped per day,
a forged target refused, and the progress card asked to move as deliveries finish."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import outbox
from core.config import get_settings
from core.errors import NotAllowed, ValidationFailed
from core.messages import commands as msgs, groups, queries, safety
from core.models import ChatCard, Message, OutboxEvent
from core.quals import commands as quals
from tests import factories as f
from tests.conftest import NOW
from tests.settings_env import settings_env

pytestmark = pytest.mark.usefixtures("database")


def notices() -> list[OutboxEvent]:
    return list(OutboxEvent.select().where(OutboxEvent.kind == "message.received").order_by(OutboxEvent.id))


def refreshes() -> int:
    return OutboxEvent.select().where(OutboxEvent.kind == "cards.refresh").count()


@pytest.fixture
def caps(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_GROUP_MESSAGES_PER_DAY="2", HITBOT_GROUP_RECIPIENTS_PER_DAY="5")


def test_each_worker_gets_it_in_their_own_thread_and_can_reply():
    r = f.requester()
    a1, a2, a3 = f.submitted(r.id, 3, NOW)
    seen = groups.audience(requester_id=r.id, target="hit", target_id=a1.hit_id, now=NOW)
    assert (seen.recipients, seen.skipped, seen.name) == (3, 0, "Label the photo")
    p = groups.send(requester_id=r.id, target="hit", target_id=a1.hit_id, text=" Thanks, all! ", now=NOW,
                    chat_id=r.id, message_id=77)
    assert (p.total, p.done) == (3, 0)
    sent = notices()
    assert sorted(e.user_id for e in sent) == sorted([a1.worker_id, a2.worker_id, a3.worker_id])
    for e in sent:  # nobody learns who else got it
        others = {a1.worker_id, a2.worker_id, a3.worker_id} - {e.user_id}
        assert not any(str(o) in str(e.payload) for o in others) and e.payload["text"] == "Thanks, all!"
    assert ChatCard.get(ChatCard.message_id == 77).card_kind == "group"
    (row,) = queries.threads(user_id=a2.worker_id)
    assert row.unread == 1
    msgs.reply(user_id=a2.worker_id, thread_id=row.thread_id, text="You're welcome", now=NOW)
    assert notices()[-1].user_id == r.id


def test_progress_moves_as_deliveries_finish():
    r = f.requester()
    (a1, a2) = f.submitted(r.id, 2, NOW)
    p = groups.send(requester_id=r.id, target="hit", target_id=a1.hit_id, text="Hello", now=NOW, chat_id=r.id,
                    message_id=5)
    first, second = notices()
    outbox.finish(first.id, now=NOW)
    assert groups.delivered(event_id=first.id, now=NOW) and refreshes() == 1
    assert groups.delivered(event_id=first.id, now=NOW) is False  # a second report of the same step
    assert groups.progress(group_id=p.group_id).done == 1
    outbox.finish(second.id, now=NOW)
    assert groups.delivered(event_id=second.id, now=NOW) and refreshes() == 2
    assert groups.progress(group_id=p.group_id).finished
    other = f.hit(r.id)
    assert groups.delivered(event_id=other.id + 10_000, now=NOW) is False  # not a group copy


def test_muted_and_blocked_threads_are_skipped():
    r = f.requester()
    a1, a2, a3 = f.submitted(r.id, 3, NOW)
    msgs.write_to_worker(requester_id=r.id, worker_id=a1.worker_id, text="hi", now=NOW)
    msgs.write_to_worker(requester_id=r.id, worker_id=a2.worker_id, text="hi", now=NOW)
    t1 = next(t for t in queries.threads(user_id=a1.worker_id))
    t2 = next(t for t in queries.threads(user_id=a2.worker_id))
    safety.set_muted(user_id=a1.worker_id, thread_id=t1.thread_id, muted=True)
    safety.block_requester(worker_id=a2.worker_id, thread_id=t2.thread_id, now=NOW)
    before = len(notices())
    p = groups.send(requester_id=r.id, target="hit", target_id=a1.hit_id, text="All", now=NOW, chat_id=r.id,
                    message_id=9)
    assert (p.total, p.skipped) == (1, 2)
    assert [e.user_id for e in notices()[before:]] == [a3.worker_id]


def test_a_qualifications_holders_and_forged_targets():
    r, other = f.requester(), f.requester(name="Olga")
    q = quals.create_type(owner_id=r.id, name="Trusted", now=NOW)
    w1, w2 = f.user(), f.user()
    for w in (w1, w2):
        quals.grant(owner_id=r.id, qtype_id=q.id, worker_id=w.id, value=1, now=NOW)
    p = groups.send(requester_id=r.id, target="qual", target_id=q.id, text="New work soon", now=NOW, chat_id=r.id,
                    message_id=3)
    assert p.total == 2 and {e.user_id for e in notices()} == {w1.id, w2.id}
    h = f.hit(r.id)
    count = Message.select().count()
    for target, target_id in (("qual", q.id), ("hit", h.id), ("batch", 1), ("nope", 1)):
        with pytest.raises(NotAllowed):
            groups.send(requester_id=other.id, target=target, target_id=target_id, text="x", now=NOW,
                        chat_id=other.id, message_id=4)
    with pytest.raises(ValidationFailed):  # nobody worked on it yet
        groups.audience(requester_id=r.id, target="hit", target_id=h.id, now=NOW)
    for text in ("", "   ", "x" * 4097):
        with pytest.raises(ValidationFailed):
            groups.send(requester_id=r.id, target="qual", target_id=q.id, text=text, now=NOW, chat_id=r.id,
                        message_id=6)
    assert Message.select().count() == count


def test_daily_caps_on_sends_and_recipients(caps):
    r = f.requester()
    a = f.submitted(r.id, 3, NOW)
    groups.send(requester_id=r.id, target="hit", target_id=a[0].hit_id, text="one", now=NOW, chat_id=r.id,
                message_id=1)
    with pytest.raises(groups.GroupCapReached):  # 3 + 3 > 5 recipients
        groups.send(requester_id=r.id, target="hit", target_id=a[0].hit_id, text="two", now=NOW, chat_id=r.id,
                    message_id=2)
    b = f.submitted(r.id, 1, NOW)
    groups.send(requester_id=r.id, target="hit", target_id=b[0].hit_id, text="two", now=NOW, chat_id=r.id,
                message_id=3)
    with pytest.raises(groups.GroupCapReached):  # two sends a day
        groups.audience(requester_id=r.id, target="hit", target_id=b[0].hit_id, now=NOW)
    later = NOW + timedelta(days=1, minutes=1)
    assert groups.send(requester_id=r.id, target="hit", target_id=a[0].hit_id, text="next day", now=later,
                       chat_id=r.id, message_id=4).total == 3


def test_group_copies_do_not_use_up_the_requesters_own_messages(monkeypatch):
    monkeypatch.setenv("HITBOT_MESSAGES_PER_DAY_REQUESTER", "2")
    get_settings.cache_clear()
    try:
        r = f.requester()
        a = f.submitted(r.id, 3, NOW)
        groups.send(requester_id=r.id, target="hit", target_id=a[0].hit_id, text="all", now=NOW, chat_id=r.id,
                    message_id=1)
        msgs.write_to_worker(requester_id=r.id, worker_id=a[0].worker_id, text="one", now=NOW)
        msgs.write_to_worker(requester_id=r.id, worker_id=a[1].worker_id, text="two", now=NOW)
        with pytest.raises(msgs.CapReached):
            msgs.write_to_worker(requester_id=r.id, worker_id=a[2].worker_id, text="three", now=NOW)
    finally:
        get_settings.cache_clear()


def test_a_batchs_workers_across_its_hits():
    from core.hits import publishing
    from core.work import commands as work

    r = f.requester()
    batch = publishing.publish_batch(requester_id=r.id, title="Birds", template=f.spec(assignments=1),
                                     rows=[{"x": "1"}, {"x": "2"}], now=NOW)
    w1, w2, outsider = f.user(), f.user(), f.user()
    for w, h in zip((w1, w2), batch.hits):
        work.accept(worker_id=w.id, hit_id=h.id, now=NOW)
    f.hit(r.id)  # another HIT of hers, which the outsider works on
    other = f.hit(r.id, title="Other")
    work.accept(worker_id=outsider.id, hit_id=other.id, now=NOW)
    seen = groups.audience(requester_id=r.id, target="batch", target_id=batch.id, now=NOW)
    assert (seen.name, seen.recipients) == ("Birds", 2)
    groups.send(requester_id=r.id, target="batch", target_id=batch.id, text="Batch done, thanks", now=NOW,
                chat_id=r.id, message_id=8)
    assert {e.user_id for e in notices()} == {w1.id, w2.id}
