"""Issue 15: 20 CreateHIT calls with one UniqueRequestToken at once make one HIT and move its
escrow once (threads over real HTTP; SQLite, and PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import threading

from botocore.exceptions import ClientError

from core.models import Hit, LedgerTxn, MturkHit
from tests import factories as f
from tests.api.conftest import create_args, mturk
from tests.invariants import check_invariants

CALLS = 20


def test_twenty_racing_create_hits_with_one_token_make_one(rita, api):
    clients = [mturk(api, rita.key_id, rita.secret) for _ in range(CALLS)]  # one per thread, as boto3 advises
    start = threading.Barrier(CALLS)
    made, refused, other = [], [], []

    def create(client) -> None:
        start.wait()
        try:
            made.append(client.create_hit(**create_args(UniqueRequestToken="race-1"))["HIT"]["HITId"])
        except ClientError as exc:
            (refused if exc.response.get("TurkErrorCode") == "AWS.MechanicalTurk.DuplicateRequest"
             else other).append(exc.response["Error"]["Message"])

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert other == [] and len(made) == 1 and len(refused) == CALLS - 1
    assert all(made[0] in message for message in refused)  # each refusal names the one HIT
    assert Hit.select().count() == 1 and MturkHit.select().count() == 1
    assert LedgerTxn.select().where(LedgerTxn.kind == "publish").count() == 1
    assert f.available(rita.id) == 100_00 - 2 * 60
    check_invariants()
