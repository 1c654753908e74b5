"""Review and results screens in every language (issue 20): the submission card in each state with every
kind of answer, its buttons, prompts, toasts and refusals, /review and approve-all, the results ZIP's
offer, progress, captions, outcome and MISSING.txt, all within Telegram's limits; plurals per language;
a Latin title kept whole in Arabic; and no English left in the modules."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from bot import catalogs, i18n
from bot.i18n import FSI, LANGUAGES, PDI, use
from bot.views import common, results, review
from core.hits.export import FileAnswer
from core.models import AssignmentStatus as S
from tests.conftest import NOW
from tests.telegram_limits import assert_screen_ok, assert_screens_ok

MODULES = ["bot/views/review.py", "bot/handlers/review.py", "bot/views/results.py", "bot/results_zip.py",
           "bot/handlers/results.py", "bot/views/messages.py", "bot/handlers/messages.py"]
TITLE = "Label 10 photos (cats & dogs)"
SAME_WORD = {"💵 Bonus", "✉️ Message"}  # buttons some languages spell as English does (id, tr, de; fr)
ANSWERS = [  # (kind, value): every kind of answer a card shows
    ("text", "a <b>big</b> dog " * 100), ("choice", None), ("photo", {"file_id": "ph-1"}),
    ("document", {"file_id": "doc-1", "file_name": "Receipt <1>.pdf"}), ("voice", {"file_id": "vo-1"}),
    ("location", {"latitude": 52.52, "longitude": 13.405}), ("rating", 4), ("multi", ["a", "b"]),
    ("web", [[f"field{i}", "v" * 300] for i in range(45)]), ("web", []),
]


def _submission(status: str, *, auto: bool = False, feedback: str | None = None, blocked: bool = False,
                title: str = TITLE, rate: int | None = 87, skill: int | None = 75,
                answers: list | None = None, prompt: str = "p" * 250) -> SimpleNamespace:
    assignment = SimpleNamespace(id=4321, status=status, auto_approve_at=NOW + timedelta(days=2, hours=23),
                                 auto_approved=auto, feedback=feedback, work_s=125, decided_at=NOW - timedelta(days=1))
    hit = SimpleNamespace(id=77, title=title, reward_cents=1234_50, duration_s=600)
    items = [(SimpleNamespace(position=i, prompt=f"Question {i} " + prompt, kind=kind), value)
             for i, (kind, value) in enumerate(ANSWERS if answers is None else answers)]
    return SimpleNamespace(assignment=assignment, hit=hit, worker=SimpleNamespace(approval_rate_pct=rate),
                           items=items, bonuses_cents=50, worker_blocked=blocked, speed_flag="⚡ fast",
                           skill_pct=skill, worker_alias="Worker #A1B2C3", revision=None, revisions_left=0)


def _pending(n: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(hit=SimpleNamespace(id=100 + i, title="T" * 200), count=i + 1, last_id=9000 + i,
                            oldest_at=NOW - timedelta(hours=i + 1)) for i in range(n)]


def _missing(n: int) -> list[tuple[FileAnswer, str]]:
    reasons = ["too_big", "gone", "part", "failed", "other"]
    return [(FileAnswer(hit_id=77, assignment_id=4000 + i, question="q" * 60, kind=("photo", "voice", "document")[i % 3],
                        file_id="AgAC" + "x" * 80, ext=".jpg", size=None), reasons[i % 5])
            for i in range(n)]


def _screens() -> tuple[list[str], list]:
    """Every text and keyboard the review and results modules render, in the active language."""
    texts, markups = [], []
    cards = [_submission(S.SUBMITTED), _submission(S.APPROVED, auto=True, feedback="f" * 500),
             _submission(S.APPROVED), _submission(S.REJECTED, feedback="r" * 500, blocked=True, rate=None, skill=None),
             _submission(S.RETURNED), _submission(S.EXPIRED), _submission(S.ACCEPTED)]
    for sub in cards:
        for queue in (False, True):
            text, markup, files = review.render_card(sub, now=NOW, queue=queue)
            texts.append(text)
            markups.append(markup)
            texts += [f.caption for f in files]
    markups.append(review.block_confirm(cards[0]))
    text, markup = review.confirm_bonus(4321, 500_00, 100_00, "thanks " * 40)
    texts.append(text)
    markups += [markup, review.cancel_input(4321)]
    for total, hits in ((0, []), (1, _pending(1)), (55, _pending(10))):
        for mode in ("immediate", "digest"):
            text, markup = review.queue_summary(total, hits, mode, NOW)
            texts.append(text)
            markups.append(markup)
    text, markup = review.approve_all_confirm("T" * 200, 77, 12, 9000, 1234_50)
    texts.append(text)
    markups.append(markup)
    texts += [review.approve_all_done(0, 0, TITLE), review.approve_all_done(3, 3 * 1234_50, TITLE),
              review.approved_toast(), review.ask_reason(4321), review.rejected_reply(), review.bonus_not_submitted(),
              review.ask_bonus_amount(4321, 20), review.bonus_too_big(100_00), review.ask_bonus_reason(50),
              review.bonus_reason_bounds(500), *review.bonus_sent(50, 10), review.input_cancelled(),
              review.already_blocked(), review.block_question(), review.blocked_toast(True), review.blocked_toast(False),
              review.last_one(), review.no_rejections(), review.review_mode_toast("digest"),
              review.review_mode_toast("immediate"), review.approve_all_cancelled(), review.nothing_waiting_on_hit(),
              review.approve_all_toast(0), review.approve_all_toast(2)]
    texts += [review.already_decided(s) for s in (S.APPROVED, S.REJECTED, S.RETURNED, S.EXPIRED, S.ACCEPTED)]
    for n_files, size in ((1, 0), (6, 3_000), (250, 3_500_000_000)):
        text, markup = results.zip_offer(n_files, size, "zipb", 123456789)
        texts.append(text)
        markups.append(markup)
    texts += [results.zip_progress(3, 6), results.zip_progress(0, 250, background=True), results.zip_nothing(),
              results.part_caption(1, last=True, parts=1, n_files=1, name="hit-77-results"),
              results.part_caption(3, last=True, parts=3, n_files=90, name="batch-12-results"),
              results.part_caption(1, last=False, parts=2, n_files=40, name="hit-77-results"),
              results.zip_done(6, 1, []), results.zip_done(1, 2, _missing(1)), results.zip_done(40, 3, _missing(25))]
    return texts, markups


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_review_and_results_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts, markups = _screens()
        missing_file = results.missing_txt(_missing(25)).decode()
    assert_screens_ok(texts, markups=markups)
    assert missing_file.count("\n") == 25 + 2 and "AgAC" in missing_file
    if locale != i18n.DEFAULT:  # translated, not English left in place
        with use("en"):
            english, english_markups = _screens()
        same = [t for t, e in zip(texts, english) if t == e]
        assert same == [], same
        labels = [b.text for m in markups for row in m.inline_keyboard for b in row]
        english_labels = [b.text for m in english_markups for row in m.inline_keyboard for b in row]
        assert {a for a, b in zip(labels, english_labels) if a == b} <= SAME_WORD


def test_the_card_and_queue_in_russian_read_russian_with_russian_plurals_and_amounts():
    with use("ru"):
        card, markup, files = review.render_card(_submission(S.APPROVED), now=NOW)
        heads = [review.queue_summary(n, [], "immediate", NOW)[0].split("\n")[0] for n in (1, 3, 5, 21)]
        done = review.approve_all_done(5, 5 * 1234_50, TITLE)
        zip_done = results.zip_done(5, 2, [])
    assert "📥 <b>Работа #4321</b> — «Label 10 photos (cats &amp; dogs)» (задание #77)" in card
    assert "✅ Принято; выплачено 1\xa0234,50\xa0$" in card and "принято 87%" in card
    assert [b.text for row in markup.inline_keyboard for b in row] == ["💵 Бонус", "🚫 Заблокировать", "✉️ Написать",
                                                                         "➕ Предложить ещё работу", "Дальше ▶"]
    assert files[0].caption.startswith("#4321, вопрос 3: Question 2")
    assert heads == ["📥 <b>1 работа</b> ждёт вашей проверки, сначала самые старые:",
                     "📥 <b>3 работы</b> ждут вашей проверки, сначала самые старые:",
                     "📥 <b>5 работ</b> ждут вашей проверки, сначала самые старые:",
                     "📥 <b>21 работа</b> ждёт вашей проверки, сначала самые старые:"]
    assert done == "✅ Принято 5 работ по «Label 10 photos (cats &amp; dogs)»; исполнителям выплачено 6\xa0172,50\xa0$."
    assert zip_done == "✅ ZIP готов: 5 файлов (2 части)."


def test_english_stays_as_the_existing_screens_wrote_it():
    with use("en"):
        small = [("text", "a <b>big</b> dog"), *ANSWERS[1:8], ("web", [[f"f{i}", "v"] for i in range(45)])]
        card, _, _ = review.render_card(_submission(S.SUBMITTED, answers=small, prompt="?"), now=NOW)
        summary, _ = review.queue_summary(1, _pending(1), "digest", NOW)
    assert "📥 <b>Submission #4321</b> for “Label 10 photos (cats &amp; dogs)” (HIT #77)" in card
    assert "👷 Worker #A1B2C3 · 87% approved · control answers 75% right" in card
    assert "⏳ Waiting for your review · auto-approves in 2d 23h" in card and "⏱ Worked 2m of 10m" in card
    assert "1. Question 0 ?\n   → <b>a &lt;b&gt;big&lt;/b&gt; dog</b>" in card and "2. Question 1 ?\n   → <i>skipped</i>" in card
    assert "📷 photo (sent below)" in card and "📄 Receipt &lt;1&gt;.pdf (sent below)" in card
    assert "📍 52.52000, 13.40500" in card and "★★★★ (4/5)" in card and "<b>a, b</b>" in card
    assert "… and 15 more fields (all in the results file)" in card
    assert "<b>1 submission(s)</b> await your review" in summary and "New submissions reach you in a daily digest." in summary


def test_arabic_keeps_a_latin_title_and_the_amounts_in_their_own_direction():
    with use("ar"):
        done = review.approve_all_done(3, 300, TITLE)
        amount = common.money(300)
    assert f"«{FSI}Label 10 photos (cats &amp; dogs){PDI}»" in done and f"{FSI}{amount}{PDI}" in done
    assert re.match("✅ [\u0600-\u06ff]", done)


def test_the_missing_files_list_is_in_the_requesters_language_and_keeps_the_machine_parts():
    with use("de"):
        text = results.missing_txt(_missing(2)).decode()
    assert text.startswith("Diese Dateiantworten konnten nicht ins ZIP.")
    assert "Aufgabe 77, Bearbeitung 4000, Frage „" + "q" * 60 + "“ (Foto): größer als die 20 MB" in text
    assert "(Datei-ID AgAC" in text and results.MISSING_FILE == "MISSING.txt"


def test_review_and_results_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)


def test_a_card_whose_answers_are_too_long_for_one_message_shortens_them_and_counts_the_rest():
    many = [("text", "long answer " * 60)] * 80
    with use("en"):
        fits, _, _ = review.render_card(_submission(S.SUBMITTED, answers=many[:6], prompt="?"), now=NOW)
        shortened, _, _ = review.render_card(_submission(S.SUBMITTED, answers=many[:12], prompt="?"), now=NOW)
        counted, _, _ = review.render_card(_submission(S.SUBMITTED, answers=many), now=NOW)
    assert ("long answer " * 49).strip() in fits  # room enough: answers up to 600 characters
    assert "6. Question 5" in fits and "… and" not in fits
    assert "12. Question 11" in shortened and ("long answer " * 49).strip() not in shortened
    assert re.search(r"… and (\d+) more answers \(all in the results file\)", counted)
    shown = len(re.findall(r"^\d+\. Question", counted, re.MULTILINE))
    assert int(re.search(r"… and (\d+) more", counted).group(1)) == 80 - shown and shown > 10
    for card in (fits, shortened, counted):  # whole, valid, and the decision still shows at the end
        assert_screen_ok(card)
        assert card.endswith("💵 Bonus paid: $0.50") and "⏳ Waiting for your review" in card
