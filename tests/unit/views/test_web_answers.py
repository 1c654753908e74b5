"""A web task's answer on the requester's card (issue 16), in every language: the form as "name: value"
lines with crowd elements read as a person would, escaped and within Telegram's limits however hostile
the page; and a bounding-box answer drawn as a picture of bounded size with the boxes at their scaled
places (checked by pixel)."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from PIL import Image

from bot import catalogs, i18n
from bot.i18n import LANGUAGES, use
from bot.views import review, web_answers as wa
from core.models import AssignmentStatus as S
from core.webtasks import answers as web
from tests.conftest import NOW
from tests.unit.views.test_i18n import _valid_html

MODULES = ["bot/views/web_answers.py", "bot/views/review.py", "bot/handlers/review.py"]
BOX = {"height": 80, "label": "Car", "left": 40, "top": 20, "width": 100}
CROWD = {"sign": "STOP", "day": {"on": False}, "blurry": {"on": True}, "weather": {"label": "Rainy"},
         "kinds": {"labels": ["cat", "dog"]},
         "boxes": {"boundingBoxes": [BOX], "inputImageProperties": {"height": 160, "width": 320}}}


def crowd(obj: dict) -> list[list[str]]:
    return [["taskAnswers", json.dumps([obj])]]


def _card_sub(form: object, status: str = S.SUBMITTED) -> SimpleNamespace:
    assignment = SimpleNamespace(id=4321, status=status, auto_approve_at=NOW + timedelta(days=2), auto_approved=False,
                                 feedback=None, work_s=125, decided_at=NOW - timedelta(days=1))
    return SimpleNamespace(assignment=assignment, hit=SimpleNamespace(id=77, title="Boxes", reward_cents=50,
                                                                         duration_s=600),
                           worker=SimpleNamespace(approval_rate_pct=90), worker_alias="Worker #A1",
                           items=[(SimpleNamespace(position=0, prompt="The task page", kind="web"), form)],
                           bonuses_cents=0, worker_blocked=False, speed_flag=None, skill_pct=None,
                           revision=None, revisions_left=0)


def _buttons(markup) -> list:
    return [b for row in markup.inline_keyboard for b in row]


HOSTILE = [
    crowd(CROWD),
    [[f"<b>name{i}</b>", "<i>" + "v&" * 5000] for i in range(200)],  # the most fields a page may send
    crowd({f"k{i}": {"label": "<script>" * 3} for i in range(600)}),
    crowd({"boxes": {"boundingBoxes": [{**BOX, "label": f"L{i % 9} <b>"} for i in range(3000)],
                     "inputImageProperties": {"height": 10**9, "width": 10**9}}}),
    [["taskAnswers", "[not json <b>"]],
    [],
]


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_web_answer_card_and_box_caption_fits_telegram_in_every_language(locale):
    with use(locale):
        cards = [review.render_card(_card_sub(form, status), now=NOW)
                 for form in HOSTILE for status in (S.SUBMITTED, S.APPROVED)]
        captions = [caption for form in HOSTILE[:4] for _png, caption in wa.pictures(4321, _card_sub(form).items)]
    assert len(captions) == 2  # the two forms with boxes
    assert "L0 &lt;b&gt;" in captions[1] and "<b>" not in captions[1]  # the page's labels, escaped
    for text, markup, _files in cards:
        assert 0 < len(text.encode("utf-16-le")) // 2 <= 4096 and _valid_html(text), text
        assert "<script>" not in text and "<b>name" not in text and not re.search(r"\{\w*\}", text)
        for b in _buttons(markup):
            assert 1 <= len(b.callback_data.encode()) <= 64 and b.text.strip()
    for caption in captions:
        assert 0 < len(caption.encode("utf-16-le")) // 2 <= 1024 and _valid_html(caption)
        assert not re.search(r"\{\w*\}", caption)
    if locale != i18n.DEFAULT:  # translated, not English left in place
        with use("en"):
            english = [c for form in HOSTILE[:4] for _png, c in wa.pictures(4321, _card_sub(form).items)]
            english_boxes = _buttons(review.render_card(_card_sub(HOSTILE[0]), now=NOW)[1])[-1].text
        assert [c for c, e in zip(captions, english) if c == e] == []
        assert _buttons(cards[0][1])[-1].text != english_boxes


def test_a_crowd_form_reads_as_a_person_would_in_english():
    with use("en"):
        text, markup, _ = review.render_card(_card_sub(crowd(CROWD) + [["tag", "a"], ["tag", "<b>"]]), now=NOW)
    assert "→ the task page's form:" in text
    for line in ("sign: <b>STOP</b>", "day: <b>✗</b>", "blurry: <b>✓</b>", "weather: <b>Rainy</b>",
                 "kinds: <b>cat, dog</b>", "boxes: <b>1 box (Car)</b>", "tag: <b>a</b>", "tag: <b>&lt;b&gt;</b>"):
        assert f"\n   {line}" in text, line
    assert _buttons(markup)[-1].text == "🖼 Boxes" and _buttons(markup)[-1].callback_data == "r:box:4321"


def test_a_box_summary_counts_labels_and_the_card_in_russian_uses_russian_plurals():
    answer = web.box_answer("boxes", {"boundingBoxes": [{**BOX, "label": lab} for lab in
                                                         ("Car", "Car", "Person", "", "Car")]})
    with use("en"):
        assert wa.box_summary(answer) == "5 boxes (Car ×3, Person)"
    with use("ru"):
        text, _, _ = review.render_card(_card_sub(crowd({"b": {"boundingBoxes": [BOX] * 3}})), now=NOW)
        assert "b: <b>3 рамки (Car ×3)</b>" in text
        assert wa.box_summary(web.box_answer("b", {"boundingBoxes": [BOX] * 5})) == "5 рамок (Car ×5)"


def test_a_page_sending_200_long_fields_gets_a_card_that_counts_the_rest():
    with use("en"):
        text, _, _ = review.render_card(_card_sub(HOSTILE[1]), now=NOW)
    shown = len(re.findall(r"^   &lt;b&gt;name\d+", text, re.MULTILINE))
    assert 0 < shown < 200 and f"… and {200 - shown} more fields (all in the results file)" in text
    assert len(text.encode("utf-16-le")) // 2 <= 4096 and text.endswith("⏳ Waiting for your review · auto-approves in 2d")


def test_no_boxes_button_without_a_box():
    for form in (crowd({"boxes": {"boundingBoxes": []}}), [["boxes", "1"]], [], crowd({"w": {"label": "x"}})):
        _, markup, _ = review.render_card(_card_sub(form), now=NOW)
        assert all(b.callback_data != "r:box:4321" for b in _buttons(markup))
        assert wa.pictures(4321, _card_sub(form).items) == []


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_the_picture_draws_each_box_at_its_scaled_place():
    (png, _caption), = wa.pictures(4321, _card_sub(crowd(CROWD)).items)
    img = _image(png)
    assert img.size == (640, 320)  # 320×160 drawn twice as large, so labels read
    red = wa.PALETTE[0]
    # the box spans x 40..140, y 20..100 of the image: 80..280 and 40..200 on the picture
    for edge in ((80, 120), (279, 120), (180, 40), (180, 199), (81, 60), (278, 190)):
        assert img.getpixel(edge) == red, edge
    for inside_or_out in ((180, 120), (90, 120), (270, 120), (76, 120), (284, 120), (180, 204), (500, 250)):
        assert img.getpixel(inside_or_out) == wa.IMAGE_AREA, inside_or_out
    assert any(img.getpixel((x, y)) == red for x in range(80, 120) for y in range(20, 40))  # the "Car" tag above
    with use("en"):
        assert wa.pictures(4321, _card_sub(crowd(CROWD)).items)[0][1] == (
            "🖼 Submission #4321, boxes: 1 box (Car)\nDrawn on a plain background at the image size the page reported "
            "(320×160 px): hitbot does not open the task's image.")


def test_a_huge_reported_image_draws_at_most_1280_px_with_the_box_where_it_belongs():
    answer = web.box_answer("b", {"boundingBoxes": [{"left": 5e8, "top": 2.5e8, "width": 2.5e8, "height": 2.5e8,
                                                     "label": ""}],
                                  "inputImageProperties": {"width": 10**9, "height": 10**9}})
    img = _image(wa.picture(answer))
    assert img.size == (1280, 1280)
    assert img.getpixel((640, 400)) == wa.PALETTE[0] and img.getpixel((959, 400)) == wa.PALETTE[0]
    assert img.getpixel((800, 400)) == wa.IMAGE_AREA and img.getpixel((600, 400)) == wa.IMAGE_AREA
    with use("en"):
        assert "(1,000,000,000×1,000,000,000 px)" in wa.caption(1, answer)


def test_a_long_thin_image_is_padded_to_what_telegram_takes_and_boxes_off_the_image_stay_on_the_canvas():
    answer = web.box_answer("b", {"boundingBoxes": [{"left": -5e8, "top": -5, "width": 1e9, "height": 1e9}],
                                  "inputImageProperties": {"width": 10**9, "height": 1}})
    img = _image(wa.picture(answer))
    assert img.size == (1280, 64)  # 20:1, Telegram's most
    assert img.getpixel((638, 32)) == wa.PALETTE[0]  # its right edge; the others lie off the canvas, clipped
    assert img.getpixel((600, 32)) == img.getpixel((700, 32)) == wa.PADDING and img.getpixel((700, 0)) == wa.IMAGE_AREA


def test_without_a_reported_size_the_picture_is_as_large_as_the_boxes_reach_and_says_so():
    answer = web.box_answer("b", {"boundingBoxes": [BOX], "inputImageProperties": {"width": "wide", "height": -3}})
    assert _image(wa.picture(answer)).size == (640, 457)  # 140×100 → the longest side 640
    with use("en"):
        assert "the page reported no image size" in wa.caption(1, answer)


def test_many_boxes_are_counted_all_but_only_200_drawn_and_the_caption_says_so():
    answer = web.box_answer("b", {"boundingBoxes": [BOX] * 10_000 + ["junk", {"left": "x"}]})
    assert answer.total == 10_002 and len(answer.boxes) == web.MAX_BOXES
    with use("en"):
        assert wa.box_summary(answer).startswith("10,002 boxes")
        assert "Only the first 200 boxes are drawn; the results file has them all." in wa.caption(1, answer)
    assert _image(wa.picture(answer)).size == (640, 457)


def test_the_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)
