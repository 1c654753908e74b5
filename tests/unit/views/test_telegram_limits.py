"""The checker every screen test shares fails a screen Telegram would refuse or a reader would see broken, and
passes one it would send."""
from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton as Button, InlineKeyboardMarkup as Markup

from tests.telegram_limits import MAX_TOAST, assert_screen_ok, assert_screens_ok, screen_problems

OK = Markup([[Button("✅ Approve", callback_data="r:apv:456"), Button("Page", url="https://example.org")]])


def test_a_screen_telegram_would_send_passes():
    assert screen_problems("✅ <b>Approved</b> &amp; paid", Markup([[Button("✅ Approve", callback_data="r:apv:456")]])) == []
    assert screen_problems("🐱" * 2048) == []  # 4096 UTF-16 units: just fits
    assert_screens_ok(["<i>a</i>"], ["Saved."], [OK], links=True)


@pytest.mark.parametrize("text, markup, limits, problem", [
    ("x" * 5000, None, {}, "5000 UTF-16 units (1-4096)"),
    ("🐱" * 2049, None, {}, "4098 UTF-16 units (1-4096)"),
    ("", None, {}, "0 UTF-16 units (1-4096)"),
    ("x" * 201, None, {"limit": MAX_TOAST, "html": False}, "201 UTF-16 units (1-200)"),
    ("<b>broken</i>", None, {}, "</i> closes nothing open"),
    ("<b>open", None, {}, "<b> left open"),
    ("<div>x</div>", None, {}, "tag <div> Telegram does not know"),
    ("Tom & Jerry", None, {}, "a bare & (not an entity)"),
    ("Sent as <b>plain</b>", None, {"html": False}, "markup in a plain text: <b>"),
    ("1 &lt; 2", None, {"html": False}, "markup in a plain text: &lt;"),
    ("Hello {name}", None, {}, "a placeholder left unfilled: {name}"),
    ("ok", Markup([[Button("Go", callback_data="x" * 65)]]), {}, "callback data of 65 bytes (1-64): 'Go'"),
    ("ok", Markup([[Button("Go", callback_data="é" * 33)]]), {}, "callback data of 66 bytes (1-64): 'Go'"),
    ("ok", Markup([[Button("  ", callback_data="a:acc:1")]]), {}, "a button without a label ('a:acc:1')"),
    ("ok", OK, {}, "callback data of 0 bytes (1-64): 'Page'"),  # a link only where the screen allows links
])
def test_a_screen_past_a_limit_fails(text, markup, limits, problem):
    assert problem in screen_problems(text, markup, **limits)
    with pytest.raises(AssertionError):
        assert_screen_ok(text, markup, **limits)
    with pytest.raises(AssertionError):
        assert_screens_ok(*(([], [text]) if limits.get("html") is False else ([text],)),
                          markups=[markup] if markup else [], **{k: v for k, v in limits.items() if k != "html"})


def test_a_screen_may_hold_the_braces_it_shows_on_purpose():
    assert screen_problems('Send {"a": 1} as JSON', braces=('{"a": 1}',)) == []
    assert screen_problems('Send {"a": 1} as JSON, {n} times', braces=('{"a": 1}',)) != []


def test_every_fault_of_a_set_of_screens_is_listed():
    with pytest.raises(AssertionError) as caught:
        assert_screens_ok(["x" * 5000, "<b>"], ["<i>shown</i>"], [Markup([[Button("Go", callback_data="y" * 65)]])])
    listed = str(caught.value)
    assert all(p in listed for p in ("5000 UTF-16 units", "<b> left open", "markup in a plain text", "65 bytes"))
