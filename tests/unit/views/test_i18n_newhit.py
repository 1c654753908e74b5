"""/newhit and /batch in every language (issue 20): every prompt, preview, reply and toast of the HIT-creation
screens renders under Telegram's limits in each language hitbot speaks, the longest spec still shows its cost,
the modules hold no English literal, and a Russian requester reads Russian (their own title stays theirs)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from bot import catalogs, i18n
from bot.i18n import FSI, LANGUAGES, PDI, use
from bot.views import common, newhit as views
from core.hits import publishing
from core.hits.drafts import STEPS
from core.hits.spec import MAX_QUESTIONS, parse_spec
from core.hits.spec_files import BatchPlan
from tests.telegram_limits import MAX_TOAST, assert_screen_ok, assert_screens_ok

MODULES = ["bot/views/newhit.py", "bot/handlers/newhit.py", "bot/handlers/batch.py", "bot/batch_publish.py"]
DRAFT_ID = 2_147_483_647  # the widest id a button carries
KINDS = list(views.KIND_LABELS)
LONG_REQS = [{"name": f"my_long_qualification_name_{i:02d}_" + "x" * 34, "comparator": "in",
              "value": [f"&{j:02d}<x>" for j in range(30)]} for i in range(10)]
SHORT_REQS = [{"name": "approval_rate", "comparator": ">=", "value": 95},
              {"name": "country", "comparator": "in", "value": ["DE", "AT"]}]


def draft(step: str, *, questions: int = 0, work: dict | None = None, reqs: list | None = None,
          title: str | None = "Label the bird") -> SimpleNamespace:
    data = {"title": title, "questions": [{"kind": "text"}] * questions, "qualifications": reqs or []}
    return SimpleNamespace(id=DRAFT_ID, user_id=1, step=step, status="editing", data=data, work=work or {})


def every_prompt() -> list[SimpleNamespace]:
    drafts = [draft(s) for s in STEPS if s not in ("preview", "q_prompt", "q_bounds", "q_more", "quals")]
    drafts += [draft("q_prompt", work={"question": {"kind": k}}) for k in KINDS]
    drafts += [draft("q_bounds", work={"question": {"kind": k}}) for k in ("number", "text")]
    drafts += [draft("q_more", questions=n) for n in (1, MAX_QUESTIONS - 3, MAX_QUESTIONS)]
    drafts += [draft("quals"), draft("quals", reqs=SHORT_REQS), draft("quals", reqs=LONG_REQS)]
    return drafts


def spec(**overrides):
    data = {"title": "Label the bird", "description": "Look at the photo and say which bird it is.",
            "reward": "0.25", "assignments": 4, "duration": "10m", "lifetime": "3d",
            "questions": [{"id": "bird", "kind": "choice", "prompt": "Which bird is it?",
                           "options": ["sparrow", "robin", "blackbird"]},
                          {"id": "count", "kind": "number", "prompt": "How many birds?", "min": 0, "max": 50,
                           "required": False},
                          {"id": "note", "kind": "text", "prompt": "Any comment?", "required": False}],
            "qualifications": SHORT_REQS, "attachment": "photo:bird-photo"}
    return parse_spec({**data, **overrides})


def longest_spec():
    """Every field of the requester's at its bound, written in characters that grow when escaped."""
    return spec(title="&" * 128, description="<&>" * 666,
                questions=[{"id": f"q{i}", "kind": "choice", "prompt": "&" * 500, "options": [f"{j}" + "&" * 59
                                                                                           for j in range(10)]}
                           for i in range(MAX_QUESTIONS)],
                qualifications=[{"name": f"custom_{i}_" + "x" * 55, "comparator": "in",
                                 "value": list(range(100_000, 100_030))} for i in range(10)],
                attachment="https://example.com/" + "&" * 1900)


def plan(hits: int, assignments: int = 2, reward_cents: int = 12) -> BatchPlan:
    cost = publishing.Cost(reward_cents=reward_cents, fee_cents=3, assignments=assignments)
    return BatchPlan(specs=[], costs=[cost] * hits)


def render_everything(locale: str) -> tuple[list[str], list, list[str]]:
    """Every screen of the two flows in `locale`: (texts, keyboards, toasts)."""
    texts, markups = [], []
    with use(locale):
        for d in every_prompt():
            text, markup = views.ask(d)
            texts.append(text)
            markups.append(markup)
            for row in markup.inline_keyboard:  # each preset, once pressed
                for b in row:
                    parts = b.callback_data.split(":")
                    if parts[1] == "nv":
                        step = STEPS[int(parts[3])]
                        texts.append(views.chosen(text, step, views.PRESETS[step][int(parts[4])]))
        for s, balance in ((spec(), 100_00), (spec(), 50), (longest_spec(), 0), (spec(description=""), 100_00)):
            text, markup = views.preview(draft("preview"), s, publishing.cost_of(s), balance, 86400)
            texts.append(text)
            markups += [markup, views.edit_menu(draft("preview"))]
        for title in ("Restart-proof", "&" * 128, None):
            text, markup = views.resume(draft("title", title=title))
            texts.append(text)
            markups.append(markup)
        texts += [views.published(DRAFT_ID, "&" * 128), views.cancelled(), views.started_over(),
                  views.no_file_expected(), views.spec_too_big(256 * 1024), views.preview_out_of_date(),
                  views.draft_closed(), views.short_of_funds("Your balance is too low for this.")]
        for hits in (1, 2, 5, 21, 1000):
            text, markup = views.batch_summary(hits, plan(hits), 10)
            texts.append(text)
            markups.append(markup)
            texts.append(views.batch_done(DRAFT_ID, hits, 1234_56))
        texts += [views.batch_summary(3, plan(3), 100_00)[0], views.batch_start(), views.batch_need(True),
                  views.batch_need(False), views.batch_csv_too_big(5 * 1024 * 1024), views.batch_wrong_file(),
                  views.batch_progress(0, 1), views.batch_progress(500, 1000), views.batch_background(),
                  views.batch_files_gone()]
        long_problems = "\n".join(f"row {n}: " + "&<>" * 200 for n in range(2, 40))
        texts += [views.batch_bad_rows(long_problems, 38), views.batch_bad_rows("3 bad row(s): row 2: x", 3)]
        toasts = [views.requirement_removed(), views.cancelled_toast(), views.published_toast(),
                  views.not_enough_toast(), views.what_to_change(), views.batch_background_toast(),
                  views.batch_cancelled()]
    return texts, markups, toasts


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_newhit_and_batch_screen_fits_telegram_in_every_language(locale):
    texts, markups, toasts = render_everything(locale)
    assert_screens_ok(texts, markups=markups, braces=("${column}",))  # the batch help names a CSV placeholder
    assert_screens_ok(plain=toasts, limit=MAX_TOAST)  # answerCallbackQuery's limit


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_the_longest_spec_still_shows_its_cost_and_says_what_it_left_out(locale):
    s = longest_spec()
    cost = publishing.cost_of(s)
    with use(locale):
        text, _ = views.preview(draft("preview"), s, cost, 0, 86400)
        total, missing = common.money(cost.total_cents), common.money(cost.total_cents)
        left_out = [q for q in range(1, MAX_QUESTIONS + 1) if f"\n{q}. " not in text]
    assert_screen_ok(text)
    assert total in text and missing in text  # what it costs and what the balance lacks, never cut off
    assert left_out and re.search(rf"{i18n.number(len(left_out))}\D", text.split("❓")[-1])  # "…and 17 more"


def test_translated_screens_differ_from_the_english_ones():
    with use("en"):
        english = render_everything("en")
    for locale in LANGUAGES:
        if locale == i18n.DEFAULT:
            continue
        texts, _, toasts = render_everything(locale)
        same = [t for t, e in zip(texts + toasts, english[0] + english[2]) if t == e]
        # what may stay equal: a batch progress bar (no words) and a refusal passed through from core
        assert all("▓" in t or "░" in t or t.startswith("💳 Your balance") for t in same), (locale, same)


def test_a_russian_requester_reads_russian_and_their_own_title_stays_theirs():
    s = spec()
    with use("ru"):
        prompt, buttons = views.ask(draft("reward"))
        text, markup = views.preview(draft("preview"), s, publishing.cost_of(s), 50, 86400)
        done = views.batch_done(7, 5, 1234_56)
    assert "💰 <b>Оплата</b> за одно место в USD, например 0,25 (от 0,01\xa0$ до 1\xa0000,00\xa0$)." in prompt
    assert [b.text for b in buttons.inline_keyboard[0]] == ["0,05\xa0$", "0,10\xa0$", "0,25\xa0$"]
    assert text.startswith("👀 <b>Предпросмотр</b> — так задание увидят исполнители:")
    assert "<b>Label the bird</b>" in text and "1. Which bird is it? — выбор (один вариант): sparrow / robin" in text
    assert "2. How many birds? — число (от 0 до 50) (необязательный)" in text
    assert "💳 <b>Стоимость</b>: 4 × 0,25\xa0$ = 1,00\xa0$ + комиссия 0,20\xa0$ = <b>1,20\xa0$</b> в эскроу" in text
    assert "Ваш баланс: 0,50\xa0$ — <b>не хватает 0,70\xa0$</b>" in text
    assert [b.text for b in markup.inline_keyboard[0]] == ["🚀 Опубликовать", "✏️ Изменить", "✖️ Отмена"]
    assert done.startswith("✅ Опубликовано 5 заданий (пакет № 7); 1\xa0234,56\xa0$ в эскроу.")
    # Beyond the requester's own words, the syntax they type and the amounts, it is Cyrillic.
    ours = re.sub(r"<[^>]+>|/\w+|Label the bird|Look at the photo and say which bird it is\.|Which bird is it\?|"
                  r"How many birds\?|Any comment\?|sparrow|robin|blackbird|approval rate|country in DE, AT|USD",
                  "", text + prompt)
    assert re.findall(r"[A-Za-z]{3,}", ours) == []
    assert len(re.findall(r"[А-яЁё]", ours)) > 150


def test_the_hit_creation_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)


def test_an_arabic_preview_keeps_the_latin_questions_and_amounts_apart_from_the_right_to_left_words():
    s = spec()
    with use("ar"):
        text, _ = views.preview(draft("preview"), s, publishing.cost_of(s), 50, 86400)
        total = common.money(120)
    assert f"\n1. {FSI}Which bird is it?{PDI} — اختيار (واحد فقط): {FSI}sparrow / robin / blackbird{PDI}\n" in text
    assert f"\n2. {FSI}How many birds?{PDI} — رقم (من {FSI}0{PDI} إلى {FSI}50{PDI}) (اختياري)\n" in text
    assert f"= <b>{FSI}{total}{PDI}</b> في الضمان" in text
    with use("en"):
        english, _ = views.preview(draft("preview"), s, publishing.cost_of(s), 50, 86400)
    assert FSI not in english and PDI not in english  # left-to-right text carries no marks
