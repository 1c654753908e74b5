"""Views are pure (issue 14): a renderer takes data and never opens the database. What a
message needs comes in the event's payload or from one core query at delivery
(core.notices), so a view can be rendered, and tested, with plain data."""
from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import types
from datetime import timedelta
from pathlib import Path

import peewee
import pytest

from bot.views import cards, notify
from core.models import Appeal, Assignment, AssignmentStatus as S, ChatCard, Hit, OutboxEvent, Question, User
from core.notices import AppealCard, CardContent, NoticeContext
from core.review.queries import Submission
from tests.conftest import NOW

VIEWS = Path(__file__).resolve().parents[3] / "bot" / "views"
QUERY_METHODS = {"select", "get_or_none", "get_by_id", "get_or_create", "insert_many", "delete_by_id",
                 "delete_instance", "save", "execute", "exists", "scalar", "for_update", "atomic"}
MODEL_METHODS = {"get", "create", "insert", "update", "delete", "raw"}  # on a class (Hit.get), not on a dict
FORBIDDEN_MODULES = ("peewee", "core.db")


def _view_modules() -> list[str]:
    return sorted(p.stem for p in VIEWS.glob("*.py") if p.stem != "__init__")


def _runtime_nodes(tree: ast.AST):
    """Every node outside `if TYPE_CHECKING:` blocks (type names only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            continue
        yield node
        yield from _runtime_nodes(node)


def query_calls(tree: ast.AST) -> list[str]:
    """Calls that read or write the database: Model.select(), .get_or_none(), .exists(),
    Hit.get(...), tx()..."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        on_class = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id[:1].isupper() \
            and not f.value.id.isupper()  # CamelCase: a model; ALL_CAPS is a constant table
        if isinstance(f, ast.Attribute) and (f.attr in QUERY_METHODS or f.attr in MODEL_METHODS and on_class):
            found.append(ast.unparse(node)[:80])
        elif isinstance(f, ast.Name) and f.id in ("tx", "for_update"):
            found.append(ast.unparse(node)[:80])
    return found


def _imports_database(module: types.ModuleType) -> bool:
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(n == m or n.startswith(m + ".") for n in names for m in FORBIDDEN_MODULES):
            return True
    return False


@pytest.mark.parametrize("name", _view_modules())
def test_a_view_module_neither_imports_the_database_nor_queries(name):
    tree = ast.parse((VIEWS / f"{name}.py").read_text())
    imported = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            imported += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    assert [m for m in imported if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_MODULES)] == []
    assert query_calls(tree) == []


@pytest.mark.parametrize("name", _view_modules())
def test_what_a_view_takes_from_core_cannot_reach_the_database(name):
    """No table classes at run time (they are imported for type names only), and every core
    function, class or module a view uses runs no query of its own."""
    module = importlib.import_module(f"bot.views.{name}")
    bad = []
    for attr, value in vars(module).items():
        origin = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        if isinstance(value, peewee.Database | peewee.DatabaseProxy):
            bad.append(attr)
        elif isinstance(value, type) and issubclass(value, peewee.Model):
            bad.append(attr)
        elif not str(origin).startswith("core"):
            continue
        elif isinstance(value, types.ModuleType):
            if _imports_database(value):
                bad.append(attr)
        elif inspect.isfunction(value) or inspect.isclass(value):
            try:
                source = textwrap.dedent(inspect.getsource(value))
            except (OSError, TypeError):
                continue
            if query_calls(ast.parse(source)):
                bad.append(attr)
    assert bad == [], f"bot/views/{name}.py can reach the database through {bad}"


def test_the_check_catches_a_query():
    """The checks above must be able to fail."""
    assert query_calls(ast.parse("Hit.get_or_none(Hit.id == 1)\nA.select().where(x).exists()\nHit.get(1)\n"
                                 "with tx():\n    pass")) != []
    assert len(query_calls(ast.parse("Hit.get(1)\ntx()"))) == 2
    assert query_calls(ast.parse("p.get('title')\nRENDERERS.get(k)\nrow.insert(0, b)\nrender(e, ctx)")) == []
    from core.payments import accounts

    assert _imports_database(accounts)


# Rendering from plain data, with the database out of reach ---------------------------------------

@pytest.fixture
def no_database(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a view opened the database")

    monkeypatch.setattr(peewee.Database, "execute_sql", refuse)
    monkeypatch.setattr(peewee.Database, "connect", refuse)


def event(kind: str, **payload) -> OutboxEvent:
    return OutboxEvent(id=9, kind=kind, user_id=42, payload=payload, created_at=NOW)


def test_approved_notice_from_its_payload_with_stars_until_rated(no_database):
    e = event("assignment.approved", assignment_id=7, hit_id=3, title="Label the photo", amount_cents=50,
              feedback="Neat work", auto=False, reversed=False)
    n = notify.render(e, NoticeContext(rated=False))
    assert n.chat_id == 42
    assert n.text.startswith("✅ Your work on “Label the photo” was approved: <b>+$0.50</b>.\nFeedback: Neat work")
    assert [b.callback_data for b in n.reply_markup.inline_keyboard[0]] == [f"rt:s:7:{i}" for i in range(1, 6)]
    rated = notify.render(e, NoticeContext(rated=True))
    assert "Rate them" not in rated.text and all(not str(b.callback_data).startswith("rt:")
                                                 for row in rated.reply_markup.inline_keyboard for b in row)


def test_an_older_payload_takes_the_title_and_feedback_core_read(no_database):
    e = event("assignment.approved", assignment_id=7, hit_id=3, amount_cents=50, auto=True, reversed=False)
    n = notify.render(e, NoticeContext(hit_title="Count the birds", feedback="ok", rated=True))
    assert n.text == ("✅ Your work on “Count the birds” was approved (approved automatically): <b>+$0.50</b>.\n"
                      "Feedback: ok")
    gone = notify.render(e, NoticeContext(hit_title=None, rated=True))
    assert gone.text.startswith("✅ Your work on HIT #3 was approved")


def test_rejection_offers_appeal_while_open_then_says_it_was_sent(no_database):
    e = event("assignment.rejected", assignment_id=7, hit_id=3, title="Label", feedback="Wrong <animal>", auto=False)
    open_ = notify.render(e, NoticeContext(can_appeal=True, rated=True))
    assert "Reason: Wrong &lt;animal&gt;" in open_.text and "You can appeal" in open_.text
    assert [b.callback_data for row in open_.reply_markup.inline_keyboard for b in row] == ["q:apl:7"]
    sent = notify.render(e, NoticeContext(can_appeal=False, appealed=True, rated=True))
    assert notify.APPEALED in sent.text and sent.reply_markup.inline_keyboard == ()


def test_reminder_in_the_readers_time_zone(no_database):
    e = event("assignment.reminder", assignment_id=7, hit_id=3, title="Label",
              deadline=(NOW + timedelta(hours=2)).isoformat())
    berlin = notify.render(e, NoticeContext(timezone="Europe/Berlin")).text
    utc = notify.render(e, NoticeContext(timezone=None)).text
    assert "by 15:00 CET (2h left)" in berlin and "by 14:00 UTC (2h left)" in utc


def test_submission_notice_and_its_card_from_the_read_model(no_database):
    hit = Hit(id=3, title="Label the photo", reward_cents=50, duration_s=600, requester=1)
    a = Assignment(id=7, hit=3, worker=2, status=S.SUBMITTED, accepted_at=NOW - timedelta(minutes=2), submitted_at=NOW,
                   auto_approve_at=NOW + timedelta(days=3))
    q = Question(id=1, hit=3, position=0, kind="text", prompt="Which animal?")
    sub = Submission(assignment=a, hit=hit, worker=User(id=2, first_name="Wes", approved_n=0, rejected_n=0),
                     items=[(q, "cat")], bonuses_cents=0, worker_blocked=False, speed_flag=None, skill_pct=None)
    n = notify.render(event("submission.received", assignment_id=7, hit_id=3), NoticeContext(submission=sub))
    assert "Submission #7</b> for “Label the photo”" in n.text and "→ <b>cat</b>" in n.text
    assert notify.render(event("submission.received", assignment_id=7), NoticeContext(review_mode="digest")) is None
    assert notify.render(event("submission.received", assignment_id=7), NoticeContext(submission=None)) is None
    text, markup = cards.render(ChatCard(card_kind="submission", object_id=7), CardContent(submission=sub), NOW)
    assert "⏳ Waiting for your review" in text and markup is not None


def test_appeal_and_expired_question_cards(no_database):
    c = AppealCard(Appeal(id=5, assignment=7, message="It was a cat", outcome=None), "Label", "Wes", "Wrong")
    text, markup = cards.render(ChatCard(card_kind="appeal", object_id=7, ref=5), CardContent(appeal=c), NOW)
    assert "from Wes on “Label”" in text and "Their message: It was a cat" in text
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["q:apy:5", "q:apn:5"]
    question = ChatCard(card_kind="question", object_id=7)
    assert cards.render(question, CardContent(), NOW) is None  # not expired: leave it
    assert cards.render(question, CardContent(expired_title="Label"), NOW)[0].startswith("⌛ Time ran out on “Label”")


def test_missed_notices_render_each_with_its_own_context(no_database):
    approved = event("assignment.approved", assignment_id=7, hit_id=3, title="A", amount_cents=50)
    expired = event("assignment.expired", assignment_id=8, hit_id=4, title="B")
    summary = notify.render(event("notices.missed", event_ids=[1, 2], count=2),
                            NoticeContext(missed=((approved, NoticeContext(rated=True)), (expired, NoticeContext()))))
    assert summary.text.startswith("📬 While you had blocked the bot")
    assert summary.text.index("“A”") < summary.text.index("“B”")
