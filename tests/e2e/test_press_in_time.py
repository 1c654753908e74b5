"""End to end over HTTP: while the database is slow, a worker's Accept is answered within
HITBOT_ANSWER_WITHIN_MS (the button's spinner stops), the question follows when the work is done, and a
refusal that comes after the answer is said in the chat; in a burst of presses every one is answered at
once, well before its bound."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.models import Assignment
from core.work import groups
from bot.processor import BUSY_PRESSES
from tests.e2e.walks import SPEC, publish_spec, started, topup

pytestmark = [pytest.mark.slow, pytest.mark.answer_within_ms(100)]

RITA, WES, ANN = 531, 631, 632
SLOW_S = 1.5  # how long accept's core call is held (the bound is 0.1 s)


def test_a_slow_accept_is_answered_in_time_and_its_refusal_said_in_the_chat(stack, monkeypatch):
    rita, wes, ann = started(stack, (RITA, "Rita"), (WES, "Wes"), (ANN, "Ann"))
    topup(rita, "5")
    hit = publish_spec(rita, {**SPEC, "assignments": 1}, "bird.json")  # one slot
    ann.send(f"/start hit_{hit.id}")  # Ann looks first; Wes will take the slot before she presses
    ann.wait_for(SPEC["title"], "Accept")
    held = threading.Event()
    real_accept = groups.accept

    def slow_accept(**kwargs):
        held.wait(SLOW_S)  # the database is busy: the core call takes its time
        return real_accept(**kwargs)

    monkeypatch.setattr(groups, "accept", slow_accept)
    wes.send(f"/start hit_{hit.id}")
    wes.wait_for(SPEC["title"], "Accept")
    answer = wes.press("Accept")
    # Answered long before the accept was done: no toast, the spinner stopped.
    assert answer["text"] is None and answer["answered_ms"] < SLOW_S * 1000
    assert not Assignment.select().where(Assignment.worker == WES).exists()
    wes.wait_for("Which bird is it?")  # the work went through; its question came after
    assert Assignment.get(Assignment.worker == WES).hit_id == hit.id

    # Wes holds the one slot: Ann's slow Accept is refused after its answer went, and the refusal
    # reaches her in the chat (the alert's place is gone).
    answer = ann.press("Accept")
    assert answer["text"] is None
    ann.wait_for("just filled up")
    assert not Assignment.select().where(Assignment.worker == ANN).exists()


@pytest.mark.answer_within_ms(10_000)
def test_in_a_burst_of_accepts_every_press_is_answered_at_once_and_the_late_ones_told_in_the_chat(stack, monkeypatch):
    """More people than the burst count press Accept at once on a HIT with fewer slots, while the database
    holds every accept: all presses are answered long before the 10 s bound (the first ones too, which
    came before it was a burst); then the first takers get the question, the rest "just filled up"."""
    slots, crowd = 4, BUSY_PRESSES + 2
    rita, *workers = started(stack, (RITA, "Rita"), *((700 + n, f"Worker {n}") for n in range(crowd)))
    topup(rita, "5")
    hit = publish_spec(rita, {**SPEC, "title": "Which bird, quickly?", "assignments": slots}, "burst.json")
    for worker in workers:
        worker.send(f"/start hit_{hit.id}")
        worker.wait_for("Which bird, quickly?", "Accept")
    held = threading.Event()
    real_accept = groups.accept

    def held_accept(**kwargs):
        held.wait(30)  # the database is busy until every press has its answer
        return real_accept(**kwargs)

    monkeypatch.setattr(groups, "accept", held_accept)
    try:
        with ThreadPoolExecutor(crowd) as pool:
            answers = list(pool.map(lambda w: w.press("Accept"), workers))
    finally:
        held.set()
    assert [a["text"] for a in answers] == [None] * crowd  # answered empty: the work was still held
    assert max(a["answered_ms"] for a in answers) < 5_000  # none waited out its 10 s bound
    took = [w for w in workers if w.wait_for_any("Which bird is it?", "just filled up") == "Which bird is it?"]
    assert len(took) == slots
    assert Assignment.select().where(Assignment.hit == hit.id).count() == slots
    for worker in workers:
        if worker not in took:
            assert not Assignment.select().where(Assignment.worker == worker.id).exists()
