"""Small builders for tests: users, money and HITs through the real services."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from core import ledger
from core.hits import publishing
from core.models import Question
from core.payments import accounts
from core.users import commands as users
from core.work import commands as work
from tests.conftest import ADMIN_ID, NOW

_ids = itertools.count(1001)
_keys = itertools.count(1)


def user(name: str = "", *, user_id: int | None = None, now: datetime = NOW, **kw):
    uid = user_id or next(_ids)
    return users.register(user_id=uid, first_name=name or f"user{uid}", now=now, **kw)


def requester(cents: int = 100_00, *, now: datetime = NOW, name: str = "Rita"):
    r = user(name, now=now)
    if cents:
        users.register(user_id=ADMIN_ID, first_name="Admin", now=now)
        accounts.credit(admin_id=ADMIN_ID, user_id=r.id, amount_cents=cents, reason="test funds", now=now,
                        key=f"t{next(_keys)}")
    return r


def spec(**overrides) -> dict:
    data = {
        "title": "Label the photo",
        "description": "Say what is in the picture.",
        "keywords": ["images", "labels"],
        "reward": "0.50",
        "assignments": 3,
        "duration": "10m",
        "lifetime": "1d",
        "questions": [
            {"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog", "bird"]},
            {"id": "notes", "kind": "text", "prompt": "Anything else?", "required": False, "max_length": 200},
        ],
    }
    data.update(overrides)
    return data


def hit(requester_id: int, *, now: datetime = NOW, **overrides):
    return publishing.publish_hit(requester_id=requester_id, spec=spec(**overrides), now=now)


def submitted(requester_id: int, workers: int, now: datetime, **hit_fields) -> list:
    """A HIT of the requester's with `workers` new workers' submissions (each answered "cat")."""
    h = hit(requester_id, reward="0.50", assignments=workers, **hit_fields)
    question = Question.get((Question.hit == h.id) & (Question.key == "animal"))
    done = []
    for _ in range(workers):
        w = user()
        a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=question.id, value="cat", now=now)
        done.append(work.submit(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=1)))
    return done


def available(user_id: int) -> int:
    return ledger.balance(ledger.available(user_id))
