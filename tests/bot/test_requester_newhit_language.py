"""Issue 20: a requester whose Telegram speaks Russian creates a HIT and a batch in Russian, over the fake
Telegram: prompts, preset buttons, the preview with Russian amounts, refusals, toasts; their own title as written."""
from __future__ import annotations

import json

from bot import i18n
from core.models import Hit
from tests import factories as f
from tests.bot.chat import last_text
from tests.bot.test_requester_batch import TEMPLATE
from tests.bot.test_requester_newhit import add_question
from tests.fakes.telegram import TgUser, answers


async def russian_requester(bot, cents: int = 100_00) -> TgUser:
    r = f.requester(cents, name="Рита")
    user = TgUser(r.id, "Рита", language_code="ru")
    await bot.text(user, "/start")
    return user


async def test_the_wizard_speaks_russian_from_the_title_to_the_published_hit(bot):
    rita = await russian_requester(bot)
    await bot.text(rita, "/newhit")
    assert "Какое <b>название</b> увидят исполнители? (до 128 символов)" in last_text(bot, rita)
    await bot.document(rita, "doc-x", "notes.pdf")  # a file where a title is expected
    assert last_text(bot, rita) == "Здесь я не ждал файла. Ответьте на вопрос выше или нажмите «Отмена»."
    await bot.text(rita, "Label the bird")
    await bot.press_label(rita, "Пропустить")
    assert "💰 <b>Оплата</b> за одно место в USD" in last_text(bot, rita)
    assert "0,25\xa0$" in [label for label, _ in bot.tg.last_message(rita.id).buttons]
    await bot.text(rita, "0,25")  # typed as the prompt's example shows it, with a decimal comma
    await bot.text(rita, "2")
    await bot.press_label(rita, "10 мин")
    await bot.press_label(rita, "3 д.")
    assert "(по умолчанию)" in " ".join(label for label, _ in bot.tg.last_message(rita.id).buttons)
    await bot.press_label(rita, "1 д.")
    await add_question(bot, rita, "Выбор (один вариант)", "Which bird is it?", "sparrow\nrobin", "Обязательный")
    assert "✅ Вопрос 1 добавлен." in last_text(bot, rita)
    await bot.press_label(rita, "Готово")
    await bot.press_label(rita, "Без требований")
    await bot.press_label(rita, "Пропустить")
    preview = bot.tg.last_message(rita.id)
    assert preview.text.startswith("👀 <b>Предпросмотр</b>")
    assert "<b>Label the bird</b>" in preview.text  # the requester's own words, untranslated
    assert "1. Which bird is it? — выбор (один вариант): sparrow / robin" in preview.text
    assert "2 × 0,25\xa0$ = 0,50\xa0$ + комиссия 0,10\xa0$ = <b>0,60\xa0$</b> в эскроу" in preview.text
    calls = await bot.press_label(rita, "Опубликовать", preview.message_id)
    assert answers(calls)[0].params["text"] == "Опубликовано!"
    hit = Hit.get()
    assert bot.tg.chats[rita.id][preview.message_id].text.startswith(
        f"🚀 Задание «Label the bird» опубликовано (№ {hit.id}).")


async def test_a_russian_batch_is_summed_up_and_cancelled_in_russian(bot):
    rita = await russian_requester(bot)
    await bot.text(rita, "/batch")
    assert last_text(bot, rita).startswith("📦 <b>Пакет</b>: одно задание на каждую строку CSV.")
    await bot.document(rita, "pic", "cat.png", "image/png", b"\x89PNG")
    assert last_text(bot, rita) == "Отправьте описание задания файлом .yaml или .json, строки — файлом .csv, а HTML-шаблон MTurk — файлом .html."
    await bot.document(rita, "spec-b", "spec.json", "application/json", json.dumps(TEMPLATE).encode())
    assert last_text(bot, rita) == "✔️ Файл описания получен. Теперь отправьте CSV: одна строка — одно задание."
    rows = "name,url,price\n" + "".join(f"a{i},https://ex.com/{i}.jpg,0.10\n" for i in range(5))
    await bot.document(rita, "csv-b", "rows.csv", "text/csv", rows.encode())
    summary = last_text(bot, rita)
    assert summary.startswith("📦 Готово: <b>5 заданий</b>, всего 10 мест.")
    calls = await bot.press_label(rita, "Отмена")
    assert answers(calls)[0].params["text"] == "Отменено."
    assert last_text(bot, rita) == "Отменено. Ничего не опубликовано."
    assert Hit.select().count() == 0


async def test_a_big_batch_published_by_the_jobs_worker_is_reported_in_the_requesters_language(bot, monkeypatch):
    from core.config import get_settings
    from jobs.batches import run_large_batch
    from tests.jobs.test_batch_actor import requests

    monkeypatch.setenv("HITBOT_BATCH_BACKGROUND_ROWS", "3")
    get_settings.cache_clear()
    try:
        rita = await russian_requester(bot)
        await bot.text(rita, "/batch")
        await bot.document(rita, "spec-b", "spec.json", "application/json", json.dumps(TEMPLATE).encode())
        rows = "name,url,price\n" + "".join(f"a{i},https://ex.com/{i}.jpg,0.10\n" for i in range(5))
        await bot.document(rita, "csv-b", "rows.csv", "text/csv", rows.encode())
        summary = bot.tg.last_message(rita.id)
        calls = await bot.press_label(rita, "Опубликовать", summary.message_id)
        assert answers(calls)[0].params["text"] == "Публикуем в фоновом режиме."
        (job,) = requests()
        with i18n.use("en"):  # the worker runs in no one's update: its own context is English
            outcome = await run_large_batch(bot.app.bot, **job)
        assert outcome == "Опубликовано!"
        assert bot.tg.chats[rita.id][summary.message_id].text.startswith("✅ Опубликовано 5 заданий (пакет № ")
        assert Hit.select().count() == 5
    finally:
        monkeypatch.delenv("HITBOT_BATCH_BACKGROUND_ROWS")
        get_settings.cache_clear()
