"""Issue #17's races, settled by the database (SQLite file and PostgreSQL with TEST_DATABASE_URL):
workers taking a group's last HITs at once, by Accept on a preview and by Next in this group."""
from __future__ import annotations

from collections import Counter

import pytest

from core.hits import publishing
from core.models import Assignment, Hit, HitGroup
from core.work import groups as work_groups
from tests import factories as f
from tests.integration.racing import run_threads
from tests.invariants import check_invariants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]


def _batch(requester_id: int, rows: int, now) -> list[Hit]:
    b = publishing.publish_batch(requester_id=requester_id, title="photos", template=f.spec(title="Photo ${n}",
                                 assignments=1), rows=[{"n": str(i)} for i in range(rows)], now=now)
    return list(Hit.select().where(Hit.batch == b.id).order_by(Hit.id))


@pytest.mark.parametrize("rounds", range(5))
def test_two_workers_taking_the_last_hit_of_a_group_at_once_one_gets_it(rounds, now):
    r = f.requester(100_00)
    (last,) = _batch(r.id, 1, now)
    a, b = f.user(), f.user()
    outcomes = run_threads([(work_groups.accept_next, {"worker_id": a.id, "group_id": last.group_id, "now": now}),
                            (work_groups.accept_next, {"worker_id": b.id, "group_id": last.group_id, "now": now})],
                           threads=2)
    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"ok": 1, "GroupEmpty": 1}, outcomes
    (message,) = [m for kind, m in outcomes if kind == "GroupEmpty"]
    assert "No more HITs in this group" in message  # the friendly words the loser reads
    assert Assignment.select().count() == 1 and Hit.get_by_id(last.id).available == 0
    assert HitGroup.get_by_id(last.group_id).available == 0
    check_invariants()


def test_twenty_workers_pressing_accept_on_one_preview_of_a_ten_hit_group_get_ten_hits(now):
    r = f.requester(100_00)
    hits = _batch(r.id, 10, now)
    workers = [f.user() for _ in range(20)]
    # Everyone presses Accept on the same preview (its first HIT): the ones who miss it get the group's next.
    outcomes = run_threads([(work_groups.accept, {"worker_id": w.id, "hit_id": hits[0].id, "now": now})
                            for w in workers], threads=10)
    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds["ok"] == 10 and set(kinds) <= {"ok", "HitUnavailable"}, outcomes
    taken = [h for (h,) in Assignment.select(Assignment.hit).tuples()]
    assert sorted(taken) == [h.id for h in hits]  # each HIT once, none twice
    assert all(h.available == 0 for h in Hit.select().where(Hit.group == hits[0].group_id))
    assert HitGroup.get_by_id(hits[0].group_id).available == 0
    check_invariants()
