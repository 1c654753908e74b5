"""Escrow (issue 23): what publishing a HIT or a batch, adding assignments to a live HIT (the
chat's Add and the API's CreateAdditionalAssignmentsForHIT) and ending it move, in cents
written out (a 0.50 reward at the suite's 20 % fee is 60 per assignment), what a refusal
leaves (nothing), and that bystanders' HIT and balances stay as they were."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import DuplicateRequest, HitbotError, InsufficientFunds, NotAllowed, StaleAction, ValidationFailed
from core.hits import manage, publishing
from core.hits.spec import parse_spec
from core.models import Batch, Entry, Hit, HitStatus, LedgerTxn, OutboxEvent, User
from core.mturk import hits as mturk_hits
from core.payments import accounts
from core.work import commands as work
from tests import factories as f
from tests.bystanders import Bystanders
from tests.dbstate import unchanged
from tests.invariants import check_invariants
from tests.settings_env import settings_env

pytestmark = pytest.mark.usefixtures("database")

ENDED = "This HIT has ended; publish it again to get more work."


def escrow(hit_id: int) -> int:
    return ledger.balance(ledger.escrow(hit_id))


def events(kind: str) -> list[OutboxEvent]:
    return list(OutboxEvent.select().where(OutboxEvent.kind == kind).order_by(OutboxEvent.id))


@pytest.fixture
def max_assignments_5(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_MAX_ASSIGNMENTS="5")


# ------------------------------------------------------------------ publish

def test_publishing_escrows_rewards_and_fees_exactly(bystanders: Bystanders, now):
    r = f.requester(10_00)
    before = bystanders.snapshot()

    hit = publishing.publish_hit(requester_id=r.id, spec=f.spec(reward="0.07", assignments=3), now=now, key="d1")

    assert (hit.reward_cents, hit.fee_cents, hit.max_assignments, hit.available) == (7, 1, 3, 3)  # 1.4 -> 1 cent
    assert (f.available(r.id), escrow(hit.id)) == (10_00 - 24, 24)
    assert [e.payload for e in events("hits.published")][-1] == {"hit_ids": [hit.id], "requester_id": r.id}
    bystanders.assert_untouched(before)
    check_invariants()


def test_a_spec_parsed_before_publishing_is_published_as_it_is(now):
    # The API parses its QuestionForm into a spec first, then publishes that.
    r = f.requester(10_00)
    spec = parse_spec(f.spec(reward="0.50", assignments=2))
    hit = publishing.publish_hit(requester_id=r.id, spec=spec, now=now)
    assert (hit.title, hit.max_assignments, escrow(hit.id)) == ("Label the photo", 2, 1_20)


def test_publishing_with_exactly_the_cost_works_and_a_cent_less_is_refused(now):
    short = f.requester(1_79)
    with unchanged(), pytest.raises(InsufficientFunds) as refused:
        publishing.publish_hit(requester_id=short.id, spec=f.spec(reward="0.50", assignments=3), now=now)
    assert refused.value.message == ("This needs $1.80 but your balance is $1.79: $0.01 missing. "
                                     "Top up with /topup.")
    exact = f.requester(1_80)
    hit = publishing.publish_hit(requester_id=exact.id, spec=f.spec(reward="0.50", assignments=3), now=now)
    assert (f.available(exact.id), escrow(hit.id)) == (0, 1_80)


def test_a_suspended_requester_publishes_nothing(now):
    r = f.requester(10_00)
    User.update(banned=True).where(User.id == r.id).execute()
    with unchanged(), pytest.raises(HitbotError) as refused:
        publishing.publish_hit(requester_id=r.id, spec=f.spec(), now=now)
    assert refused.value.message == "Your account is suspended; contact an admin."
    with unchanged(), pytest.raises(HitbotError):
        publishing.publish_batch(requester_id=r.id, title="b", template=f.spec(), rows=[{"a": "1"}], now=now)


def test_one_publish_key_escrows_once_and_no_key_each_time(now):
    r = f.requester(10_00)
    publishing.publish_hit(requester_id=r.id, spec=f.spec(assignments=1), now=now, key="draft-7")
    with unchanged(), pytest.raises(StaleAction) as again:
        publishing.publish_hit(requester_id=r.id, spec=f.spec(assignments=1), now=now, key="draft-7")
    assert again.value.message == "This HIT was already published."
    publishing.publish_hit(requester_id=r.id, spec=f.spec(assignments=1), now=now)
    publishing.publish_hit(requester_id=r.id, spec=f.spec(assignments=1), now=now)
    assert Hit.select().where(Hit.requester == r.id).count() == 3
    assert f.available(r.id) == 10_00 - 3 * 60


def test_publishing_below_the_low_balance_line_warns_once(now):
    r = f.requester(5_60)  # the suite's line is 5.00: 5.60 - 0.60 = 5.00 is not below it
    publishing.publish_hit(requester_id=r.id, spec=f.spec(assignments=1), now=now)
    assert events("balance.low") == []
    publishing.publish_hit(requester_id=r.id, spec=f.spec(assignments=1), now=now)
    assert [(e.user_id, e.payload) for e in events("balance.low")] == [
        (r.id, {"available_cents": 4_40, "threshold_cents": 5_00})]


def test_a_batch_escrows_each_hit_in_one_movement(bystanders: Bystanders, now):
    r = f.requester(10_00)
    before = bystanders.snapshot()
    rows = [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    seen = []

    batch = publishing.publish_batch(requester_id=r.id, title="Three photos", rows=rows, now=now, key="csv1",
                                     template=f.spec(title="Label ${name}", assignments=2),
                                     progress=lambda done, total: seen.append((done, total)))

    hits = list(Hit.select().where(Hit.batch == batch.id).order_by(Hit.id))
    assert [h.title for h in hits] == ["Label a", "Label b", "Label c"]
    assert [escrow(h.id) for h in hits] == [1_20, 1_20, 1_20]
    assert f.available(r.id) == 10_00 - 3_60
    assert (batch.title, batch.rows_n, seen) == ("Three photos", 3, [(3, 3)])
    txn = LedgerTxn.get(LedgerTxn.key == "batch:csv1")
    assert sorted(e.amount_cents for e in Entry.select().where(Entry.txn == txn.id)) == [-3_60, 1_20, 1_20, 1_20]
    assert [e.payload for e in events("hits.published")][-1] == {"hit_ids": [h.id for h in hits],
                                                                 "requester_id": r.id}
    got, escrowed = publishing.published_batch(key="csv1")
    assert (got.id, escrowed) == (batch.id, 3_60)
    assert publishing.published_batch(key="csv2") is None
    bystanders.assert_untouched(before)
    check_invariants()


def test_a_batch_reports_progress_every_50_hits_and_at_the_end(now):
    r = f.requester(100_00)
    seen = []
    publishing.publish_batch(requester_id=r.id, title="", rows=[{"n": str(i)} for i in range(51)], now=now,
                             template=f.spec(title="Photo ${n}", assignments=1, reward="0.01"),
                             progress=lambda done, total: seen.append((done, total)))
    assert seen == [(50, 51), (51, 51)]
    assert Batch.get().title == "batch"  # no title given
    assert f.available(r.id) == 100_00 - 51 * 2  # 1 cent reward, 1 cent minimum fee


def test_a_batch_with_exactly_the_cost_works_and_a_cent_less_is_refused(now):
    rows = [{"name": "a"}, {"name": "b"}]
    template = f.spec(title="Label ${name}", assignments=1)
    short = f.requester(1_19)
    with unchanged(), pytest.raises(InsufficientFunds) as refused:
        publishing.publish_batch(requester_id=short.id, title="b", template=template, rows=rows, now=now)
    assert refused.value.message == ("This needs $1.20 but your balance is $1.19: $0.01 missing. "
                                     "Top up with /topup.")
    exact = f.requester(1_20)
    publishing.publish_batch(requester_id=exact.id, title="b" * 200, template=template, rows=rows, now=now)
    assert f.available(exact.id) == 0
    assert Batch.get().title == "b" * 128


def test_a_repeated_batch_is_a_repeat_even_when_the_balance_is_now_short(now):
    r = f.requester(1_20)  # enough once
    kwargs = {"requester_id": r.id, "title": "b", "template": f.spec(title="Label ${name}", assignments=1),
              "rows": [{"name": "a"}, {"name": "b"}], "now": now, "key": "csv1"}
    publishing.publish_batch(**kwargs)
    with unchanged(), pytest.raises(StaleAction) as again:
        publishing.publish_batch(**kwargs)
    assert again.value.message == "This batch was already published."
    publishing.publish_batch(**{**kwargs, "key": None, "requester_id": f.requester(1_20).id})
    assert Batch.select().count() == 2


# ------------------------------------------------------------------ more assignments on a live HIT

def test_added_assignments_are_escrowed_exactly(bystanders: Bystanders, now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=1)
    before = bystanders.snapshot()

    got = manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=3, now=now, key="k1")

    assert (got.id, got.max_assignments, got.available) == (hit.id, 4, 4)
    assert (f.available(r.id), escrow(hit.id)) == (10_00 - 4 * 60, 4 * 60)
    # New slots are new work: alerts go out again (after the publish's own announcement).
    assert [(e.created_at, e.payload) for e in events("hits.published") if e.payload["hit_ids"] == [hit.id]] == [
        (now, {"hit_ids": [hit.id], "requester_id": r.id})] * 2
    bystanders.assert_untouched(before)
    check_invariants()


def test_ending_a_hit_gives_back_exactly_the_unheld_slots(bystanders: Bystanders, now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=1)
    work.accept(worker_id=f.user().id, hit_id=hit.id, now=now)  # the first slot is held
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k1")
    before = bystanders.snapshot()

    assert manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now + timedelta(minutes=5)) == 2 * 60

    assert (f.available(r.id), escrow(hit.id)) == (10_00 - 60, 60)  # the held slot stays escrowed
    ended = Hit.get_by_id(hit.id)
    assert (ended.status, ended.available, ended.expires_at) == (HitStatus.CLOSED, 0, now + timedelta(minutes=5))
    assert [(e.user_id, e.payload) for e in events("hit.expired")] == [
        (r.id, {"hit_id": hit.id, "title": hit.title, "refund_cents": 1_20, "early": True})]
    with unchanged():
        assert manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now) is None
    bystanders.assert_untouched(before)
    check_invariants()


def test_the_expiry_sweep_ends_a_hit_from_its_expiry_on_not_before(now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=2, lifetime="1h")
    end = now + timedelta(hours=1)
    with unchanged():
        assert manage.close_hit(hit_id=hit.id, now=end - timedelta(seconds=1)) is None
    assert manage.close_hit(hit_id=hit.id, now=end + timedelta(minutes=1)) == 1_20
    assert Hit.get_by_id(hit.id).expires_at == end  # it ended when it expired, not when the sweep came
    assert [e.payload["early"] for e in events("hit.expired")] == [False]
    other = f.hit(r.id, assignments=1, lifetime="1h")
    assert manage.close_hit(hit_id=other.id, now=end) == 60
    assert f.available(r.id) == 10_00


def test_someone_elses_hit_is_not_ended(now):
    r, otto = f.requester(10_00), f.requester(10_00, name="Otto")
    hit = f.hit(r.id, assignments=2)
    with unchanged(), pytest.raises(NotAllowed):
        manage.close_hit(requester_id=otto.id, hit_id=hit.id, now=now)


def test_adding_is_bounded_by_the_most_assignments_a_hit_may_have(max_assignments_5, now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=2)
    for count in (0, 4, -1):
        with unchanged(), pytest.raises(ValidationFailed) as refused:
            manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=count, now=now, key=f"k{count}")
        assert refused.value.message == "You can add 1 to 3 assignments."
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=3, now=now, key="k3")
    assert Hit.get_by_id(hit.id).max_assignments == 5
    with unchanged(), pytest.raises(ValidationFailed):
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="k5")


def test_adding_one_assignment_works(now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=2)
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="k1")
    assert (Hit.get_by_id(hit.id).available, escrow(hit.id)) == (3, 3 * 60)


def test_adding_to_an_ended_expired_or_foreign_hit_is_refused(now):
    r, otto = f.requester(10_00), f.requester(10_00, name="Otto")
    hit = f.hit(r.id, assignments=1, lifetime="1h")
    with unchanged(), pytest.raises(NotAllowed):
        manage.add_assignments(requester_id=otto.id, hit_id=hit.id, count=1, now=now, key="o")
    end = now + timedelta(hours=1)
    with unchanged(), pytest.raises(StaleAction) as refused:
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=end, key="late")
    assert refused.value.message == ENDED
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=end - timedelta(seconds=1), key="ok")
    manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now)
    with unchanged(), pytest.raises(StaleAction) as refused:
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="closed")
    assert refused.value.message == ENDED


def test_adding_beyond_the_balance_adds_no_slot(now):
    r = f.requester(60 + 2 * 60 - 1)  # the first slot, and a cent less than two more
    hit = f.hit(r.id, assignments=1)
    with unchanged(), pytest.raises(InsufficientFunds):
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k1")
    assert (Hit.get_by_id(hit.id).max_assignments, Hit.get_by_id(hit.id).available) == (1, 1)


def test_one_add_key_escrows_once(now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=1)
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k1")
    with unchanged(), pytest.raises(StaleAction) as again:
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k1")
    assert again.value.message == "Those assignments were already added."
    assert (Hit.get_by_id(hit.id).max_assignments, f.available(r.id)) == (3, 10_00 - 3 * 60)


def test_adding_below_the_low_balance_line_warns(now):
    r = f.requester(6_20)
    hit = f.hit(r.id, assignments=1)  # 5.60 left
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="k1")  # 5.00: not below
    assert events("balance.low") == []
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k2")
    assert [(e.user_id, e.payload) for e in events("balance.low")] == [
        (r.id, {"available_cents": 3_80, "threshold_cents": 5_00})]


def test_the_apis_token_adds_once_per_hit(now):
    r = f.requester(10_00)
    one, two = f.hit(r.id, assignments=1), f.hit(r.id, assignments=1)
    mturk_hits.add_assignments(requester_id=r.id, hit_id=one.id, count=2, now=now, token="more-1")
    with unchanged(), pytest.raises(DuplicateRequest) as again:
        mturk_hits.add_assignments(requester_id=r.id, hit_id=one.id, count=2, now=now, token="more-1")
    assert again.value.message == ("Assignments were already added with this UniqueRequestToken; none were "
                                   "added again.")
    mturk_hits.add_assignments(requester_id=r.id, hit_id=two.id, count=1, now=now, token="more-1")  # another HIT
    mturk_hits.add_assignments(requester_id=r.id, hit_id=two.id, count=1, now=now, token=None)
    mturk_hits.add_assignments(requester_id=r.id, hit_id=two.id, count=1, now=now, token=None)
    assert (Hit.get_by_id(one.id).max_assignments, Hit.get_by_id(two.id).max_assignments) == (3, 4)
    assert f.available(r.id) == 10_00 - 7 * 60


def test_the_apis_add_on_an_ended_hit_is_not_a_duplicate(now):
    r, otto = f.requester(10_00), f.requester(10_00, name="Otto")
    hit = f.hit(r.id, assignments=1)
    with unchanged(), pytest.raises(NotAllowed):
        mturk_hits.add_assignments(requester_id=otto.id, hit_id=hit.id, count=1, now=now, token="t")
    manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now)
    with unchanged(), pytest.raises(StaleAction) as refused:
        mturk_hits.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, token="t")
    assert type(refused.value) is StaleAction and refused.value.message == ENDED


def test_two_batches_without_a_key_both_publish(now):
    r = f.requester(10_00)
    kwargs = {"requester_id": r.id, "title": "b", "template": f.spec(title="Label ${name}", assignments=1),
              "rows": [{"name": "a"}], "now": now}
    publishing.publish_batch(**kwargs)
    publishing.publish_batch(**kwargs)
    assert Batch.select().count() == 2
    assert f.available(r.id) == 10_00 - 2 * 60


def test_a_batch_whose_repeat_commits_while_it_is_being_written_publishes_nothing(now):
    # The interleaving a redelivered job can produce: the repeat passes the "already published?"
    # check, then the first copy commits its escrow before the repeat's goes in.
    r = f.requester(10_00)

    def first_copy_commits(done, total):
        LedgerTxn.create(key="batch:csv1", kind="publish", memo="", created_at=now)

    with pytest.raises(StaleAction) as again:
        publishing.publish_batch(requester_id=r.id, title="b", template=f.spec(title="Label ${name}", assignments=1),
                                 rows=[{"name": "a"}, {"name": "b"}], now=now, key="csv1",
                                 progress=first_copy_commits)
    assert again.value.message == "This batch was already published."
    assert (Batch.select().count(), Hit.select().count(), f.available(r.id)) == (0, 0, 10_00)


def test_a_batch_below_the_low_balance_line_warns(now):
    r = f.requester(6_00)  # 1.20 for the batch: 4.80 left, under the suite's 5.00
    publishing.publish_batch(requester_id=r.id, title="b", template=f.spec(title="Label ${name}", assignments=1),
                             rows=[{"name": "a"}, {"name": "b"}], now=now)
    assert [(e.user_id, e.created_at, e.payload) for e in events("balance.low")] == [
        (r.id, now, {"available_cents": 4_80, "threshold_cents": 5_00})]


def test_every_escrow_movement_is_on_the_requesters_statement(now):
    # /balance names each line by its kind ("HIT posted", "refund"); what was refunded is
    # withdrawable again only as a refund.
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=2)
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=3, now=now, key="k1")
    manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now)
    batch = publishing.publish_batch(requester_id=r.id, title="b", template=f.spec(title="Label ${name}",
                                                                                   assignments=1),
                                     rows=[{"name": "a"}, {"name": "b"}], now=now)
    lines = [(s.kind, s.memo, s.amount_cents) for s in accounts.statement(user_id=r.id)]
    assert lines[:4] == [("publish", f"escrow for batch {batch.id}", -1_20),
                         ("refund", f"HIT {hit.id} ended", 5 * 60),
                         ("publish", f"3 more assignments on HIT {hit.id}", -3 * 60),
                         ("publish", f"escrow for HIT {hit.id}", -2 * 60)]


def test_adding_to_a_hit_that_ended_since_it_was_read_adds_nothing(monkeypatch, now):
    # The requester's Add racing the expiry sweep: the HIT was open when read, closed before the update.
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=1)
    seen = Hit.get_by_id(hit.id)
    manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now)
    monkeypatch.setattr(manage, "owned_hit", lambda requester_id, hit_id: seen)
    with unchanged(), pytest.raises(StaleAction) as refused:
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="k1")
    assert refused.value.message == "This HIT has ended."
