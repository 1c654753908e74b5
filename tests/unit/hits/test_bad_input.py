"""Bad input gets the named error with a message that says what to fix, and leaves the
database exactly as it was (every row of every table compared before and after)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import (
    BatchInvalid,
    DeadlinePassed,
    IncompleteAnswers,
    InsufficientFunds,
    NotAllowed,
    PayoutTooSmall,
    StaleAction,
    ValidationFailed,
)
from core.hits import manage, publishing
from core.models import Hit, Question
from core.payments import accounts
from core.review import commands as review
from core.users import commands as users
from core.work import commands as work
from tests import factories as f
from tests.conftest import ADMIN_ID
from tests.dbstate import unchanged

pytestmark = pytest.mark.usefixtures("database")

LONG = "x" * 10_000

ALL_KINDS = [
    {"id": "choice", "kind": "choice", "prompt": "Pick", "options": ["cat", "dog"]},
    {"id": "multi", "kind": "multi", "prompt": "Pick any", "options": ["red", "green", "blue"]},
    {"id": "text", "kind": "text", "prompt": "Say", "min": 2, "max_length": 50},
    {"id": "number", "kind": "number", "prompt": "Count", "min": 0, "max": 10},
    {"id": "rating", "kind": "rating", "prompt": "Stars"},
    {"id": "photo", "kind": "photo", "prompt": "Snap"},
    {"id": "document", "kind": "document", "prompt": "File"},
    {"id": "voice", "kind": "voice", "prompt": "Speak"},
    {"id": "location", "kind": "location", "prompt": "Where"},
]


def _question(**kw) -> dict:
    return {"id": "q", "kind": "text", "prompt": "Say something", **kw}


# (spec overrides, text the message must contain)
BAD_SPECS = [
    ({"reward": "-1"}, "more than zero"),
    ({"reward": "0"}, "more than zero"),
    ({"reward": "-0.01"}, "more than zero"),
    ({"reward": "1000000"}, "reward must be between"),
    ({"reward": "1e9"}, "reward must be between"),
    ({"reward": "9" * 30}, "too long"),
    ({"reward": "0.505"}, "at most 2 decimal places"),
    ({"reward": "0.001"}, "at most 2 decimal places"),
    ({"reward": "lots"}, "must be a number"),
    ({"reward": "NaN"}, "must be a number"),
    ({"reward": "Infinity"}, "must be a number"),
    ({"reward": True}, "reward"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": LONG}, "title"),
    ({"description": LONG}, "description"),
    ({"keywords": ["k" * 33]}, "keyword"),
    ({"keywords": [f"k{i}" for i in range(11)]}, "keywords"),
    ({"assignments": 0}, "assignments"),
    ({"assignments": -3}, "assignments"),
    ({"assignments": 1_000_000}, "assignments must be between"),
    ({"duration": "0s"}, "duration must be between"),
    ({"duration": "99d"}, "duration must be between"),
    ({"duration": "forever"}, "duration: use a duration"),
    ({"lifetime": "5s"}, "lifetime must be between"),
    ({"lifetime": "365d"}, "lifetime must be between"),
    ({"auto_approve": "90d"}, "auto_approve must be between"),
    ({"bounty": "0.50"}, "bounty: unknown key"),
    ({"questions": []}, "questions"),
    ({"questions": [_question(id=f"q{i}") for i in range(21)]}, "questions"),
    ({"questions": [_question(kind="essay")]}, "questions.0.kind"),
    ({"questions": [_question(colour="red")]}, "questions.0.colour: unknown key"),
    ({"questions": [_question(prompt="")]}, "questions.0.prompt"),
    ({"questions": [_question(prompt=LONG)]}, "questions.0.prompt"),
    ({"questions": [_question(id="has space")]}, "questions.0.id"),
    ({"questions": [_question(), _question()]}, "question ids must be unique"),
    ({"questions": [_question(kind="choice", options=["only"])]}, "needs 2 to 10 options"),
    ({"questions": [_question(kind="choice", options=[str(i) for i in range(11)])]}, "needs 2 to 10 options"),
    ({"questions": [_question(kind="choice", options=["Cat", "cat "])]}, "options must be different"),
    ({"questions": [_question(kind="choice", options=["a", LONG])]}, "each option needs"),
    ({"questions": [_question(kind="number", min=5, max=1)]}, "min must not be above max"),
    ({"questions": [_question(kind="number", max=1e15)]}, "within"),
    ({"questions": [_question(kind="rating", options=["a", "b"])]}, "takes no options"),
    ({"questions": [_question(kind="photo", min=1)]}, "takes no min/max"),
    ({"questions": [_question(max_length=LONG)]}, "max_length"),
    ({"questions": [_question(max_length=10_000)]}, "max_length"),
    ({"qualifications": [{"name": "approval_rate", "comparator": "~", "value": 90}]}, "comparator must be one of"),
    ({"qualifications": [{"name": "karma", "comparator": ">=", "value": 1}]}, "qualification 'karma' is unknown"),
    ({"qualifications": [{"name": "approval_rate", "comparator": ">=", "value": 90, "guard": "always"}]},
     "guard must be one of"),
    ({"qualifications": [{"name": "approval_rate", "comparator": ">="}]}, "needs a value"),
]


# The cases share one database (a refused call changes nothing, which each one checks);
# subtests report every failing case on its own.
def test_bad_hit_spec_is_refused_with_a_message_naming_the_problem(now, subtests):
    r = f.requester(1_000_00)
    for overrides, message in BAD_SPECS:
        with subtests.test(message, overrides=str(overrides)[:60]):
            with unchanged(), pytest.raises(ValidationFailed) as err:
                f.hit(r.id, **overrides)
            assert message.lower() in err.value.message.lower()


def test_a_spec_that_is_not_a_mapping_is_refused(now):
    r = f.requester()
    for junk in (None, "title: x", ["title"], 42):
        with unchanged(), pytest.raises(ValidationFailed, match="mapping"):
            publishing.publish_hit(requester_id=r.id, spec=junk, now=now)


def test_short_balance_is_refused_and_nothing_moves(now):
    r = f.requester(1_00)
    with unchanged(), pytest.raises(InsufficientFunds, match=r"needs \$1\.80 but your balance is \$1\.00"):
        f.hit(r.id, reward="0.50", assignments=3)


def test_a_batch_with_one_bad_row_publishes_nothing(now):
    r = f.requester()
    template = f.spec(title="Label ${name}", reward="${pay}")
    rows = [{"name": "a", "pay": "0.10"}, {"name": "b", "pay": "-1"}, {"name": "c", "pay": "0.1234"}]
    with unchanged(), pytest.raises(BatchInvalid) as err:
        publishing.publish_batch(requester_id=r.id, title="b", template=template, rows=rows, now=now)
    assert [n for n, _ in err.value.problems] == [2, 3]
    assert "row 2: The reward must be more than zero" in err.value.message


# --- answers ----------------------------------------------------------------------------

WRONG_ANSWERS = [
    ("choice", 5), ("choice", -1), ("choice", "zebra"), ("choice", ["cat"]), ("choice", None), ("choice", True),
    ("multi", "red"), ("multi", []), ("multi", ["red", "red"]), ("multi", ["purple"]), ("multi", None),
    ("text", 42), ("text", ""), ("text", "   "), ("text", "x"), ("text", LONG), ("text", None), ("text", ["hi"]),
    ("number", "abc"), ("number", "nan"), ("number", "inf"), ("number", True), ("number", {"n": 1}),
    ("number", -1), ("number", 11), ("number", "10.5"), ("number", "1e400"), ("number", None), ("number", LONG),
    ("rating", 0), ("rating", 6), ("rating", 3.5), ("rating", "five"), ("rating", None),
    ("photo", "a photo"), ("photo", {}), ("photo", {"file_id": ""}), ("photo", {"file_id": LONG}),
    ("photo", {"file_id": 5}), ("photo", None),
    ("document", "a file"), ("document", {"file_name": "a.pdf"}),
    ("voice", 12), ("voice", {"file_id": None}),
    ("location", "here"), ("location", {}), ("location", {"latitude": 91, "longitude": 0}),
    ("location", {"latitude": 0, "longitude": 181}), ("location", {"latitude": "north", "longitude": 0}),
    ("location", {"latitude": float("nan"), "longitude": 0}), ("location", [52.5, 13.4]),
]


@pytest.fixture
def form(now):
    """An accepted assignment on a HIT with one question of every kind."""
    r, w = f.requester(), f.user()
    hit = f.hit(r.id, questions=ALL_KINDS, assignments=1)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    questions = {q.key: q for q in Question.select().where(Question.hit == hit.id)}
    return r, w, hit, a, questions


def test_answer_of_the_wrong_type_is_refused(now, form, subtests):
    _, w, _, a, questions = form
    for kind, value in WRONG_ANSWERS:
        with subtests.test(kind, value=str(value)[:30]):
            with unchanged(), pytest.raises(ValidationFailed):
                work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=questions[kind].id, value=value,
                                 now=now)


GOOD_ANSWERS = {
    "choice": ("DOG", "dog"), "multi": (["blue", "red"], ["red", "blue"]), "text": ("  ok  ", "ok"),
    "number": ("7,5", 7.5), "rating": (4, 4),
    "photo": ({"file_id": "AgAD", "width": 90}, {"file_id": "AgAD"}),
    "document": ({"file_id": "BQAD", "file_name": "a.pdf"}, {"file_id": "BQAD", "file_name": "a.pdf"}),
    "voice": ({"file_id": "AwAD", "duration": 3}, {"file_id": "AwAD", "duration": 3}),
    "location": ({"latitude": 52.5, "longitude": 13.4}, {"latitude": 52.5, "longitude": 13.4}),
}


def test_right_answers_of_every_kind_are_stored_normalised_and_submit(now, form):
    """The other side of the wrong-type cases: the same form accepts sensible answers."""
    _, w, _, a, questions = form
    for kind, (given, stored) in GOOD_ANSWERS.items():
        saved = work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=questions[kind].id, value=given,
                                 now=now)
        assert saved.value == stored, kind
    assert work.submit(worker_id=w.id, assignment_id=a.id, now=now).status == "submitted"


def test_answer_to_a_question_of_another_hit_is_not_allowed(now, form):
    r, w, _, a, _ = form
    other_hit = f.hit(r.id)
    foreign_q = Question.select().where(Question.hit == other_hit.id).first()
    with unchanged(), pytest.raises(NotAllowed):
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=foreign_q.id, value="cat", now=now)


# --- someone else's HIT or assignment ------------------------------------------------------

@pytest.fixture
def submitted(now):
    r, w = f.requester(), f.user()
    hit = f.hit(r.id, assignments=2)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="cat", now=now)
    work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    mine = work.accept(worker_id=f.user().id, hit_id=hit.id, now=now)  # an accepted one too
    return r, w, hit, a, mine


def _foreign_calls(stranger: int, hit: Hit, a, mine, q_id: int):
    return {
        "approve": lambda now: review.approve(requester_id=stranger, assignment_id=a.id, now=now),
        "reject": lambda now: review.reject(requester_id=stranger, assignment_id=a.id, feedback="no", now=now),
        "bonus": lambda now: review.bonus(requester_id=stranger, assignment_id=a.id, amount_cents=10,
                                          reason="hi", now=now, key="b1"),
        "block": lambda now: review.block_worker(requester_id=stranger, worker_id=a.worker_id, reason="", now=now),
        "close": lambda now: manage.close_hit(requester_id=stranger, hit_id=hit.id, now=now),
        "extend": lambda now: manage.extend_hit(requester_id=stranger, hit_id=hit.id, extra_s=3600, now=now),
        "add": lambda now: manage.add_assignments(requester_id=stranger, hit_id=hit.id, count=1, now=now, key="a1"),
        "answer": lambda now: work.save_answer(worker_id=stranger, assignment_id=mine.id, question_id=q_id,
                                               value="cat", now=now),
        "skip": lambda now: work.skip_question(worker_id=stranger, assignment_id=mine.id, question_id=q_id,
                                               now=now),
        "submit": lambda now: work.submit(worker_id=stranger, assignment_id=mine.id, now=now),
        "return": lambda now: work.return_assignment(worker_id=stranger, assignment_id=mine.id, now=now),
        "rate": lambda now: review.rate_requester(worker_id=stranger, assignment_id=a.id, stars=5, now=now),
    }


def test_acting_on_someone_elses_hit_or_assignment_is_not_allowed(now, submitted, subtests):
    r, w, hit, a, mine = submitted
    stranger = f.requester().id  # has money and a balance, but not this HIT
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    for action, call in _foreign_calls(stranger, hit, a, mine, q.id).items():
        with subtests.test(action):
            with unchanged(), pytest.raises(NotAllowed):
                call(now)


def test_a_worker_cannot_take_their_own_hit_and_forged_ids_are_refused(now, submitted):
    r, w, hit, a, _ = submitted
    with unchanged(), pytest.raises(NotAllowed):
        work.accept(worker_id=r.id, hit_id=hit.id, now=now)
    with unchanged(), pytest.raises(NotAllowed):
        review.approve(requester_id=r.id, assignment_id=10**9, now=now)
    with unchanged(), pytest.raises(NotAllowed):
        manage.close_hit(requester_id=r.id, hit_id=10**9, now=now)
    with unchanged(), pytest.raises(NotAllowed, match="Only admins"):
        accounts.credit(admin_id=w.id, user_id=w.id, amount_cents=100, reason="free money", now=now, key="x")


# --- duplicate idempotency keys -----------------------------------------------------------

def test_duplicate_publish_key_makes_one_hit(now):
    r = f.requester()
    publishing.publish_hit(requester_id=r.id, spec=f.spec(), now=now, key="draft-7")
    with unchanged(), pytest.raises(StaleAction, match="already published"):
        publishing.publish_hit(requester_id=r.id, spec=f.spec(), now=now, key="draft-7")
    assert Hit.select().count() == 1


def test_duplicate_batch_key_publishes_once(now):
    r = f.requester()
    rows = [{"name": "a"}, {"name": "b"}]
    kwargs = dict(requester_id=r.id, title="b", template=f.spec(title="Label ${name}"), rows=rows, now=now, key="csv1")
    publishing.publish_batch(**kwargs)
    with unchanged(), pytest.raises(StaleAction, match="already published"):
        publishing.publish_batch(**kwargs)


def test_duplicate_bonus_withdraw_and_add_keys_move_money_once(now, submitted):
    r, w, hit, a, _ = submitted
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=200, reason="Great", now=now, key="tip1")
    with unchanged(), pytest.raises(StaleAction, match="already paid"):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=200, reason="Great", now=now, key="tip1")
    accounts.withdraw(worker_id=w.id, now=now, key="w1")
    with unchanged(), pytest.raises(StaleAction, match="already requested"):
        accounts.withdraw(worker_id=w.id, now=now, key="w1")
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="more1")
    with unchanged(), pytest.raises(StaleAction, match="already added"):
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=1, now=now, key="more1")


def test_duplicate_credit_and_payment_ids_credit_once(now):
    u = f.user()
    users.register(user_id=ADMIN_ID, first_name="Admin", now=now)
    assert accounts.credit(admin_id=ADMIN_ID, user_id=u.id, amount_cents=500, reason="card", now=now, key="c1")
    assert accounts.topup(user_id=u.id, amount_cents=700, charge_id="tg-charge-1", now=now)
    with unchanged():
        assert not accounts.credit(admin_id=ADMIN_ID, user_id=u.id, amount_cents=500, reason="card", now=now,
                                   key="c1")
        assert not accounts.topup(user_id=u.id, amount_cents=700, charge_id="tg-charge-1", now=now)
    assert accounts.balances(user_id=u.id).available_cents == 12_00


# --- other bounds ----------------------------------------------------------------------------

def test_review_texts_and_amounts_are_bounded(now, submitted):
    r, w, hit, a, _ = submitted
    bad = [
        (ValidationFailed, lambda: review.reject(requester_id=r.id, assignment_id=a.id, feedback="  ", now=now)),
        (ValidationFailed, lambda: review.reject(requester_id=r.id, assignment_id=a.id, feedback=LONG, now=now)),
        (ValidationFailed, lambda: review.approve(requester_id=r.id, assignment_id=a.id, feedback=LONG, now=now)),
        (ValidationFailed, lambda: review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=0, reason="x",
                                                now=now, key="k")),
        (ValidationFailed, lambda: review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=-5, reason="x",
                                                now=now, key="k")),
        (ValidationFailed, lambda: review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=10**12,
                                                reason="x", now=now, key="k")),
        (ValidationFailed, lambda: review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=10, reason="",
                                                now=now, key="k")),
        (ValidationFailed, lambda: review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=10, reason=LONG,
                                                now=now, key="k")),
        (InsufficientFunds, lambda: review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=99_000,
                                                 reason="x", now=now, key="k")),
        (ValidationFailed, lambda: review.rate_requester(worker_id=w.id, assignment_id=a.id, stars=6, now=now)),
        (ValidationFailed, lambda: manage.extend_hit(requester_id=r.id, hit_id=hit.id, extra_s=0, now=now)),
        (ValidationFailed, lambda: manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=0, now=now,
                                                          key="k")),
        (ValidationFailed, lambda: manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=10**6, now=now,
                                                          key="k")),
    ]
    for error, call in bad:
        with unchanged(), pytest.raises(error):
            call()


def test_money_requests_are_bounded(now):
    w = f.requester(5_00)
    users.register(user_id=ADMIN_ID, first_name="Admin", now=now)
    bad = [
        (PayoutTooSmall, lambda: accounts.withdraw(worker_id=w.id, now=now, key="k", amount_cents=99)),
        (PayoutTooSmall, lambda: accounts.withdraw(worker_id=w.id, now=now, key="k", amount_cents=-500)),
        (ValidationFailed, lambda: accounts.withdraw(worker_id=w.id, now=now, key="k", amount_cents=5_01)),
        (ValidationFailed, lambda: accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=0, reason="r",
                                                   now=now, key="k")),
        (ValidationFailed, lambda: accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=-100, reason="r",
                                                   now=now, key="k")),
        (ValidationFailed, lambda: accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=10**15,
                                                   reason="r", now=now, key="k")),
        (ValidationFailed, lambda: accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=100, reason=" ",
                                                   now=now, key="k")),
        (ValidationFailed, lambda: accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=100, reason=LONG,
                                                   now=now, key="k")),
        (ValidationFailed, lambda: accounts.topup(user_id=w.id, amount_cents=-1, charge_id="c", now=now)),
        (ValidationFailed, lambda: accounts.topup(user_id=w.id, amount_cents=100, charge_id="", now=now)),
        (ValidationFailed, lambda: users.register(user_id=0, first_name="x", now=now)),
        (ValidationFailed, lambda: users.register(user_id=-5, first_name="x", now=now)),
        (ValidationFailed, lambda: users.set_country(user_id=w.id, country="Germany")),
        (ValidationFailed, lambda: users.set_timezone(user_id=w.id, tz_name="Mars/Olympus_Mons")),
        (ValidationFailed, lambda: users.set_pref(user_id=w.id, key="filter", value=LONG)),
    ]
    for error, call in bad:
        with unchanged(), pytest.raises(error):
            call()


def test_late_and_incomplete_work_is_refused_without_trace(now):
    r, w = f.requester(), f.user()
    hit = f.hit(r.id, assignments=1)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    with unchanged(), pytest.raises(ValidationFailed):
        work.skip_question(worker_id=w.id, assignment_id=a.id,
                           question_id=Question.get((Question.hit == hit.id) & (Question.key == "animal")).id, now=now)
    with unchanged(), pytest.raises(IncompleteAnswers, match="question 1"):
        work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    with unchanged(), pytest.raises(DeadlinePassed):
        work.submit(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=10))
