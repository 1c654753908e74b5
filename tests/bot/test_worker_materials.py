"""Task materials reach the worker: the HIT's attachment (a link, a photo, a document) and a
batch row's image link, in the preview, again on Accept, and one tap away while answering."""
from __future__ import annotations

from core.hits import publishing
from tests import factories as f
from tests.bot.worker_fixtures import (
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW

GUIDE = "https://example.org/guide/labelling.html"


def media(calls, method):
    return [c for c in calls if c.method == method]


async def open_preview(bot, worker, hit_id):
    return await bot.text(worker, f"/start hit_{hit_id}")


async def test_a_link_attachment_is_a_link_in_the_preview_on_accept_and_in_the_instructions(bot):
    rita = await person(bot, "Rita", cents=50_00)
    hit = f.hit(rita.id, attachment=GUIDE, description="Read the guide first.")
    wes = await person(bot, "Wes")
    calls = await open_preview(bot, wes, hit.id)
    preview = bot.tg.last_message(wes.id)
    assert f'<a href="{GUIDE}">example.org/guide/labelling.html</a>' in preview.text
    assert not media(calls, "sendPhoto") and not media(calls, "sendDocument")  # a link is not a photo
    calls = await bot.press_label(wes, "Accept")
    accepted = next(c for c in calls if c.method == "editMessageText")
    assert "Read the guide first." in accepted.text and f'href="{GUIDE}"' in accepted.text
    question = bot.tg.last_message(wes.id)
    assert "Question 1 of 2" in question.text
    assert "📄 Instructions" in [label for label, _ in question.buttons]
    # one tap while answering: the instructions, then the same question again at the bottom
    calls = await bot.press_label(wes, "Instructions")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert "Instructions: Label the photo" in sent[0].text and "Read the guide first." in sent[0].text
    assert f'href="{GUIDE}"' in sent[0].text
    assert "Question 1 of 2" in sent[-1].text and "Which animal?" in sent[-1].text
    dropped = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert dropped and dropped[0].params["message_id"] == question.message_id  # one live question
    # and the question still takes the answer
    await bot.press_label(wes, "dog")
    assert "Question 2 of 2" in bot.tg.last_message(wes.id).text


async def test_a_photo_attachment_is_sent_as_a_photo_in_the_preview_and_again_on_accept(bot):
    rita = await person(bot, "Rita", cents=50_00)
    hit = f.hit(rita.id, attachment="photo:AgACphoto-of-the-bird")
    wes = await person(bot, "Wes")
    calls = await open_preview(bot, wes, hit.id)
    (photo,) = media(calls, "sendPhoto")
    assert photo.params["photo"] == "AgACphoto-of-the-bird" and "Label the photo" in photo.text
    preview = next(c for c in calls if c.method == "sendMessage")
    assert "photo is below" in preview.text
    calls = await bot.press_label(wes, "Accept", message_id=preview_id(bot, wes))
    (again,) = media(calls, "sendPhoto")
    assert again.params["photo"] == "AgACphoto-of-the-bird"
    # the first question comes after the photo, so the worker answers with the photo in view
    assert [c.method for c in calls if c.method.startswith("send")][-1] == "sendMessage"
    assert "Question 1 of 2" in bot.tg.last_message(wes.id).text
    calls = await bot.press_label(wes, "Instructions")
    assert [c.params["photo"] for c in media(calls, "sendPhoto")] == ["AgACphoto-of-the-bird"]


def preview_id(bot, user) -> int:
    """The message with the Accept button (the photo came after it)."""
    return next(m.message_id for m in reversed(bot.tg.chats[user.id].values())
                if any(label.endswith("Accept") for label, _ in m.buttons))


async def test_a_document_attachment_is_sent_as_a_document(bot):
    rita = await person(bot, "Rita", cents=50_00)
    hit = f.hit(rita.id, attachment="document:BQACthe-style-guide")
    wes = await person(bot, "Wes")
    calls = await open_preview(bot, wes, hit.id)
    (doc,) = media(calls, "sendDocument")
    assert doc.params["document"] == "BQACthe-style-guide"
    assert "file is below" in next(c for c in calls if c.method == "sendMessage").text


async def test_each_batch_row_shows_its_own_image_and_a_page_link_stays_a_link(bot):
    rita = await person(bot, "Rita", cents=50_00)
    template = f.spec(title="Which bird? (${n})", assignments=1,
                      description="Look at ${image_url} and compare with ${page}.")
    rows = [{"n": "1", "image_url": "https://img.example.org/birds/1.jpg", "page": "https://example.org/a"},
            {"n": "2", "image_url": "https://img.example.org/birds/2.png?size=large", "page": "https://example.org/b"}]
    batch = publishing.publish_batch(requester_id=rita.id, title="birds", template=template, rows=rows, now=NOW)
    hits = sorted(batch.hits, key=lambda h: h.id)
    wes = await person(bot, "Wes")
    calls = await open_preview(bot, wes, hits[1].id)
    assert [c.params["photo"] for c in media(calls, "sendPhoto")] == ["https://img.example.org/birds/2.png?size=large"]
    assert "https://example.org/b" in next(c for c in calls if c.method == "sendMessage").text
    calls = await open_preview(bot, wes, hits[0].id)
    assert [c.params["photo"] for c in media(calls, "sendPhoto")] == ["https://img.example.org/birds/1.jpg"]


async def test_an_image_telegram_cannot_fetch_is_still_there_as_a_link(bot):
    rita = await person(bot, "Rita", cents=50_00)
    url = "https://intranet.invalid/scan.jpg"
    hit = f.hit(rita.id, attachment=url)
    bot.tg.unreachable_urls.add(url)
    wes = await person(bot, "Wes")
    calls = await open_preview(bot, wes, hit.id)
    preview = next(c for c in calls if c.method == "sendMessage")
    assert f'href="{url}"' in preview.text and "Accept" in str(preview.buttons)
    assert not [c for c in calls if c.method == "sendMessage" and "went wrong" in c.text]
    calls = await bot.press_label(wes, "Accept", message_id=preview.params.get("message_id") or preview_id(bot, wes))
    assert "Question 1 of 2" in bot.tg.last_message(wes.id).text


async def test_no_instructions_button_when_there_is_nothing_to_read(bot):
    rita = await person(bot, "Rita", cents=50_00)
    hit = f.hit(rita.id, description="")
    wes = await person(bot, "Wes")
    calls = await open_preview(bot, wes, hit.id)
    assert not media(calls, "sendPhoto")
    await bot.press_label(wes, "Accept")
    assert "📄 Instructions" not in [label for label, _ in bot.tg.last_message(wes.id).buttons]


async def test_instructions_of_someone_elses_assignment_change_nothing(bot):
    rita = await person(bot, "Rita", cents=50_00)
    hit = f.hit(rita.id, attachment=GUIDE)
    wes, willa = await person(bot, "Wes"), await person(bot, "Willa")
    await open_preview(bot, wes, hit.id)
    await bot.press_label(wes, "Accept")
    data = next(d for label, d in bot.tg.last_message(wes.id).buttons if "Instructions" in label)
    calls = await bot.press(willa, data)
    (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == "This button is no longer valid."
    assert not [c for c in calls if c.method.startswith("send")]
