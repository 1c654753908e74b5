"""The last guard on a message's length: Telegram counts UTF-16 units and refuses broken HTML."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from bot.views.common import MAX_TEXT, fit, utf16_len
from tests.unit.views.test_i18n import _valid_html

PIECES = st.sampled_from(["<b>", "</b>", "<i>x</i>", "&amp;", "😀", "д", "a", " ", "\n", "<blockquote>",
                          "</blockquote>", '<a href="https://t.me/x?a=1&amp;b=2">link</a>', "&lt;"])


def _balanced(pieces: list[str]) -> str:
    """Random text whose tags are properly nested (as every view renders)."""
    out, stack = [], []
    for p in pieces:
        if p in ("<b>", "<blockquote>"):
            if p[1:-1] in stack:
                continue
            stack.append(p[1:-1])
        elif p in ("</b>", "</blockquote>"):
            if not stack or stack[-1] != p[2:-1]:
                continue
            stack.pop()
        out.append(p)
    return "".join(out) + "".join(f"</{t}>" for t in reversed(stack))


@settings(max_examples=60, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=6000))
def test_a_long_message_is_cut_within_telegrams_limit_as_valid_html(pieces):
    text = _balanced(pieces)
    out = fit(text)
    assert utf16_len(out) <= MAX_TEXT
    assert _valid_html(out), out[-200:]
    if utf16_len(text) <= MAX_TEXT:
        assert out == text
    else:
        assert out.endswith("…")


def test_emoji_count_twice_and_whole_lines_are_kept():
    line = "😀" * 100  # 200 UTF-16 units, 100 characters
    text = "\n".join([line] * 30)  # 3,000 characters but 6,029 units
    out = fit(text)
    assert utf16_len(out) <= MAX_TEXT and out.endswith("\n…")
    assert all(part == line for part in out.split("\n")[:-1])  # no line cut in the middle
