"""Notifications and cards in every language (issue 20): every notice kind and every card kind renders
in each of bot.i18n.LANGUAGES within Telegram's limits (4096 UTF-16 units, valid HTML, 1..64-byte
callback data, non-empty button texts), translated rather than left in English, with amounts in the
reader's format; the notice modules hold no English literal."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from bot import catalogs, i18n
from bot.i18n import FSI, LANGUAGES, PDI, use
from bot.views import auto_decisions, cards, materials, notify
from core.notices import AppealCard, CardContent, NoticeContext
from core.review import appeals, commands as review
from core.review.queries import pending_by_hit, submission
from tests import factories as f
from tests.conftest import NOW
from tests.telegram_limits import assert_screen_ok, screen_problems
from tests.unit.views.test_notify import _submit

MODULES = ["bot/views/notify.py", "bot/views/auto_decisions.py", "bot/views/cards.py", "bot/views/notice_parts.py",
           "bot/views/materials.py", "bot/materials.py", "bot/notices.py"]
# What requesters and workers write, at its longest and full of what HTML must escape.
TITLE = ("Label <cats> & dogs " * 7)[:128]  # the longest title a spec allows
LONG = "Wrong label <b>&</b> 🐱 " * 200
KINDS_OF_OTHERS = {"message.received", "payout.destination_added", "tax.details_needed", "topup.refunded",
                   "review.digest"}  # rendered by views other sessions convert (messages, payout, topup, digest)
THEIR_CARDS = ("card submission", "card queue", "card appeal", "submission.received")  # review.py's, quals.py's


def _event(kind: str, payload: dict, *, event_id: int = 7, user_id: int = 42):
    return SimpleNamespace(id=event_id, kind=kind, payload=payload, user_id=user_id, created_at=NOW)


def _synthetic() -> list[tuple[object, NoticeContext]]:
    """Every notice kind, each branch of its text (automatic, reversed, refunded, with and without
    the optional parts), with the longest values a payload can carry."""
    deadline = (NOW + timedelta(minutes=20)).isoformat()
    gold = {"accuracy_pct": 40, "seen": 5, "min_accuracy": 60, "min_gold": 3}
    e, ctx = _event, NoticeContext
    titled = {"title": TITLE, "hit_id": 9, "assignment_id": 11}
    out = [
        (e("submission.confirmed", {**titled, "auto_approve_s": 3 * 86400}), ctx()),
        (e("submission.confirmed", {"hit_id": 9}), ctx(hit_title=None, hit_id=9)),
        (e("assignment.approved", {**titled, "amount_cents": 123_456, "feedback": LONG}), ctx()),
        (e("assignment.approved", {**titled, "amount_cents": 200, "auto": True}), ctx(rated=True)),
        (e("assignment.approved", {**titled, "amount_cents": 200, "reversed": True}), ctx()),
        (e("assignment.rejected", {**titled, "feedback": LONG}), ctx(can_appeal=True)),
        (e("assignment.rejected", {**titled, "feedback": "", "auto": True}), ctx(appealed=True, rated=True)),
        (e("assignment.reminder", {**titled, "deadline": deadline}), ctx(timezone="Europe/Berlin")),
        (e("assignment.reminder", {**titled, "deadline": "never"}), ctx()),
        (e("assignment.expired", titled), ctx()),
        (e("bonus.paid", {**titled, "amount_cents": 50, "reason": LONG}), ctx()),
        (e("requester.message", {"subject": LONG, "requester_name": LONG, "text": LONG * 3}), ctx()),
        (e("requester.message", {"subject": "", "text": "<" * 5000}), ctx()),
        # messages.py's own budget counts characters, not UTF-16 units: emoji there are its owner's to bound
        (e("message.received", {"sender": "Worker #A1", "title": TITLE, "text": LONG.replace("🐱", "cat"),
                                "thread_id": 3}), ctx()),
        (e("balance.credited", {"amount_cents": 500, "reason": LONG}), ctx()),
        (e("balance.low", {"available_cents": 480}), ctx()),
        (e("balance.low", {}), ctx()),
        (e("payout.requested", {"payout_id": 5, "amount_cents": 200}), ctx()),
        (e("payout.paid", {"payout_id": 5, "amount_cents": 200}), ctx()),
        (e("payout.failed", {"payout_id": 5, "amount_cents": 200, "reason": LONG}), ctx()),
        (e("payout.destination_added", {"destination_id": 4, "masked": "DE89 **** 3000",
                                        "hold_until": (NOW + timedelta(days=1)).isoformat()}), ctx()),
        (e("tax.details_needed", {"paid_cents": 800, "threshold_cents": 1000}), ctx()),
        (e("topup.refunded", {"amount_cents": 300}), ctx()),
        (e("qualification.granted", {"name": TITLE, "value": 87}), ctx()),
        (e("qualification.granted", {"name": "Cat expert"}), ctx()),
        (e("qualification.revoked", {"name": TITLE, "reason": LONG}), ctx()),
        (e("qualification.revoked", {"name": "Cat expert"}), ctx()),
        (e("appeal.decided", {**titled, "approved": True}), ctx()),
        (e("appeal.decided", {**titled, "approved": False}), ctx()),
        (e("alert.hit", {"hit_id": 9, "title": TITLE, "reward_cents": 130, "duration_s": 5400, "hourly_cents": 1250,
                         "alert_id": 2}), ctx()),
        (e("alert.hit", {"hit_id": 9, "reward_cents": 130, "duration_s": 60}), ctx()),
        (e("hit.completed", titled), ctx()),
        (e("hit.expired", {**titled, "refund_cents": 240}), ctx()),
        (e("hit.expired", {**titled, "early": True, "refund_cents": 240}), ctx()),
        (e("hit.expired", {**titled, "early": True}), ctx()),
        (e("hit.expired", titled), ctx()),
        (e("quality.rejected", {**titled, "worker_id": 3, **gold}), ctx(worker_name="Worker #A1B2", still_rejected=True)),
        (e("quality.rejected", {**titled, "worker_id": 3, **gold}), ctx()),
        (e("quality.blocked", {"worker_id": 3, "block_id": 8, **gold}), ctx(worker_name="Worker #A1B2",
                                                                             block_active=True)),
        (e("quality.blocked", {"worker_id": 3, "block_id": 8, **gold, "seen": 1}), ctx()),
        (e("worker.blocked", {**titled, **gold}), ctx()),
        (e("worker.unblocked", {}), ctx()),
        (e("review.digest", {"pending": 5, "hits": 2, "oldest_at": (NOW - timedelta(hours=3)).isoformat()}), ctx()),
    ]
    missed = tuple(out[i] for i in (2, 5, 9, 14, 17, 18, 19) * 3)
    out.append((e("notices.missed", {"event_ids": list(range(1, 40)), "count": 45}), ctx(missed=missed)))
    out.append((e("notices.missed", {"event_ids": [1], "count": 1}), ctx(missed=missed[:1])))
    return out


@pytest.fixture
def scene(database):
    """A submission waiting for review, one rejected and appealed: what the requester's cards show."""
    rita = f.requester(100_00, name="Rita")
    wes, ann = f.user("Wes"), f.user("Ann")
    hit = f.hit(rita.id, title=TITLE, reward="2.00", assignments=3)
    waiting = _submit(hit, wes.id)
    rejected = _submit(hit, ann.id)
    review.reject(requester_id=rita.id, assignment_id=rejected.id, feedback=LONG[:1000], now=NOW)
    appeal = appeals.appeal(worker_id=ann.id, assignment_id=rejected.id, message="It is a cat <really>!", now=NOW)
    return SimpleNamespace(
        rita=rita, sub=submission(assignment_id=waiting.id), rejected=submission(assignment_id=rejected.id),
        appeal=appeal, appeal_card=AppealCard(appeal, hit.title, "Worker #A1B2", rejected.feedback),
        pending=pending_by_hit(requester_id=rita.id))


def _card(kind: str, ref: int | None = None):
    return SimpleNamespace(card_kind=kind, ref=ref)


def _renders(scene) -> list[tuple[str, tuple]]:
    """(what, (text, markup)) for every notice and card, in the active locale."""
    out = []
    for event, ctx in _synthetic():
        n = notify.render(event, ctx)
        assert n is not None, event.kind
        out.append((event.kind, (n.text, n.reply_markup)))
    received = _event("submission.received", {"assignment_id": scene.sub.assignment.id})
    out.append(("submission.received", notify.RENDERERS["submission.received"](received, NoticeContext(
        submission=scene.sub))))
    appealed = _event("appeal.received", {"assignment_id": scene.rejected.assignment.id, "appeal_id": scene.appeal.id})
    out.append(("appeal.received", notify.RENDERERS["appeal.received"](appealed, NoticeContext(
        appeal=scene.appeal_card))))
    rejection = _synthetic()[5]
    contents = {
        "submission": CardContent(submission=scene.sub), "submission_queue": CardContent(submission=scene.rejected),
        "submission_notice": CardContent(submission=scene.sub), "queue": CardContent(pending=scene.pending),
        "appeal": CardContent(appeal=scene.appeal_card), "notice": CardContent(notice=rejection),
    }
    for kind, content in contents.items():
        out.append((f"card {kind}", cards.render(_card(kind), content, NOW)))
    out.append(("card question (expired)", cards.render(_card("question"), CardContent(expired_title=TITLE), NOW)))
    out.append(("card question (page)", cards.render(_card("question"), CardContent(submitted_title=TITLE), NOW)))
    hit = SimpleNamespace(title=TITLE, description="See https://x.test/a.png and https://x.test/b.jpg",
                          attachment="document:FILEID")
    items = materials.of(hit) + [materials.Material("photo", "P1"), materials.Material("photo", "P2"),
                                 materials.Material("link", "https://example.org/" + "x" * 300)]
    out.append(("materials", (materials.instructions(hit, items), None)))
    out.append(("materials caption", (materials.caption(hit), None)))
    out.append(("materials (none)", (materials.instructions(SimpleNamespace(title=TITLE, description="",
                                                                            attachment=""), []), None)))
    undone = SimpleNamespace(worker_name="Worker #A1B2", hit_title=TITLE, amount_cents=200)
    out.append(("undone rejection", (auto_decisions.undone_rejection(undone), None)))
    out += [("undone block", (text, None)) for text in auto_decisions.undone_block(undone)]
    out.append(("undone toast", (auto_decisions.undone_rejection_toast(), None)))
    out.append(("rated", (notify.rated_text(4), None)))
    return out


def test_every_notice_and_card_in_every_language_fits_telegram(scene):
    with use("en"):
        english = dict(_renders(scene))
    for locale in LANGUAGES:
        with use(locale):
            rendered = _renders(scene)
        for what, (text, markup) in rendered:
            assert screen_problems(text, markup, braces=("{{",)) == [], (locale, what, text[:300])
            own = what not in KINDS_OF_OTHERS and not what.startswith(THEIR_CARDS)
            if locale != i18n.DEFAULT and own:
                assert text != english[what], (locale, what)  # translated, not the English left in place


def test_the_shared_buttons_follow_the_readers_language():
    """They were built once at import, in English; now each render builds them in its reader's words."""
    expired = _event("assignment.expired", {"title": "Cats", "hit_id": 9})
    labels = {}
    for locale in ("ru", "de", "ar", "en"):
        with use(locale):
            n = notify.render(expired, NoticeContext())
        labels[locale] = [b.text for row in n.reply_markup.inline_keyboard for b in row]
    assert labels == {"ru": ["🔎 Найти задания"], "de": ["🔎 Aufgaben ansehen"], "ar": ["🔎 تصفح المهام"],
                      "en": ["🔎 Browse HITs"]}


def test_a_russian_approval_reads_russian_with_a_russian_amount():
    approved = _event("assignment.approved", {"title": "Label 10 photos", "amount_cents": 123_450, "assignment_id": 3})
    with use("ru"):
        n = notify.render(approved, NoticeContext())
    assert n.text.split("\n") == ["✅ Ваша работа по заданию «Label 10 photos» принята: <b>+1\xa0234,50\xa0$</b>.",
                                  "Как вам этот заказчик? Оцените его:"]
    assert [b.text for b in n.reply_markup.inline_keyboard[-1]] == ["💰 Баланс"]
    with use("ar"):  # the Latin title and the amount each keep their own direction inside the Arabic sentence
        text = notify.render(approved, NoticeContext(rated=True)).text
    assert text.startswith("✅ قُبل عملك على ") and f"«{FSI}Label 10 photos{PDI}»" in text


def test_counts_follow_each_languages_plural_rules():
    def notice(seen: int) -> str:
        return notify.render(_event("quality.blocked", {"worker_id": 3, "block_id": 8, "accuracy_pct": 40,
                                                        "seen": seen, "min_accuracy": 60, "min_gold": 3}),
                             NoticeContext(worker_name="Worker #A1")).text

    with use("ru"):
        assert "на 1 вашем контрольном вопросе" in notice(1) and "на 5 ваших контрольных вопросах" in notice(5)
    with use("en"):
        assert "their accuracy is 40% on 5 of your control questions (your rule needs 60% once 3 are answered)" \
            in notice(5)
    photos = [materials.Material("photo", "P1")]
    with use("de"):
        assert materials.lines(photos) == ["📷 Das Foto des Auftraggebers findest du unten."]
        assert materials.lines(photos * 2) == ["📷 Die Fotos des Auftraggebers findest du unten."]


def test_the_notice_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)


def test_a_message_full_of_html_or_emoji_is_cut_whole_within_the_limit():
    for text in ("<" * 5000, "🐱" * 5000, "a&b " * 2000):
        out, _ = notify.RENDERERS["requester.message"](_event("requester.message", {"subject": "s", "text": text}),
                                                       NoticeContext())
        assert_screen_ok(out)
        assert out.endswith("…")
        assert not out.rstrip("…").endswith(("&", "&l", "&lt", "&a", "&am", "&amp"))


def test_a_card_of_an_expired_assignment_is_told_in_the_readers_words():
    with use("es"):
        text, markup = cards.render(_card("question"), CardContent(expired_title="Cats"), NOW)
    assert text.startswith("⌛ Se acabó el tiempo para «Cats»") and markup is None
