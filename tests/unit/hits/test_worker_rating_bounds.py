"""worker_rating is requesters' average stars, 1 to 5: a requirement outside that is refused with a
reason (it would hide the HIT from everyone while its escrow stays locked); a worker nobody rated yet
has no rating, so "not exists" is meetable."""
from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.hits.spec import parse_spec
from tests import factories as f

BOUNDS = "worker rating is a number of stars from 1 to 5"


@pytest.mark.parametrize("req, why", [
    ({"name": "worker_rating", "comparator": ">", "value": 5}, "no worker can have a worker rating above 5"),
    ({"name": "worker_rating", "comparator": ">=", "value": 6}, BOUNDS),
    ({"name": "worker_rating", "comparator": ">=", "value": 0}, BOUNDS),
    ({"name": "worker_rating", "comparator": "=", "value": -1}, BOUNDS),
    ({"name": "worker_rating", "comparator": "in", "value": [4, 50]}, BOUNDS),
    ({"name": "worker_rating", "comparator": ">=", "value": "great"}, BOUNDS),
    ({"name": "worker rating", "comparator": "<", "value": 1}, "no worker can have a worker rating below 1"),
])
def test_unmeetable_worker_ratings_are_refused(req, why):
    with pytest.raises(ValidationFailed) as err:
        parse_spec(f.spec(qualifications=[req]))
    assert f"qualifications.0: {why}" in err.value.message or f"qualifications.0.value: {why}" in err.value.message


def test_worker_ratings_from_1_to_5_and_not_exists_pass():
    reqs = [{"name": "worker_rating", "comparator": ">=", "value": 1},
            {"name": "worker_rating", "comparator": "<=", "value": "5"},
            {"name": "worker_rating", "comparator": ">", "value": 4},
            {"name": "worker_rating", "comparator": "not exists"}]
    spec = parse_spec(f.spec(qualifications=reqs))
    assert [q.value for q in spec.qualifications] == [1, 5, 4, None]
