"""A HIT's language keeps groups apart: the same task in Spanish and in German is two entries."""
from __future__ import annotations

from core.hits import groups
from core.hits.spec import parse_spec
from tests import factories as f
from tests.conftest import NOW


def test_the_same_hit_in_two_languages_is_two_groups_and_without_one_the_key_is_unchanged(database):
    r = f.requester(10_00)
    spanish, german = f.hit(r.id, now=NOW, language="es"), f.hit(r.id, now=NOW, language="de")
    assert spanish.group_id != german.group_id
    assert f.hit(r.id, now=NOW, language="es").group_id == spanish.group_id
    plain = parse_spec(f.spec())
    assert groups.group_key(r.id, plain) == groups.group_key(r.id, parse_spec(f.spec(language=None)))
