"""Formatting as Telegram parses it, and the safe HTML the web chat shows (no script can
ride in on a bot message)."""
from __future__ import annotations

import pytest

from sandbox.markup import ApiError, check_markup, parse_html, parse_markdown_v2, render, utf16_len


def test_html_plain_text_and_safe_html():
    plain, safe = parse_html('<b>Hi</b> &lt;you&gt; <a href="https://x.org/?a=1&amp;b=2">link</a> <code>x&amp;y</code>')
    assert plain == "Hi <you> link x&y"
    assert safe == '<b>Hi</b> &lt;you&gt; <a href="https://x.org/?a=1&amp;b=2" target="_blank" rel="noopener">link</a> ' \
                   '<code>x&amp;y</code>'


@pytest.mark.parametrize("text", ['<a href="javascript:alert(1)">x</a>', '<a href="data:text/html,hi">x</a>'])
def test_unsafe_links_are_neutralised(text):
    _, safe = parse_html(text)
    assert 'href="#"' in safe and "javascript" not in safe and "data:" not in safe


def test_attributes_other_than_href_are_dropped():
    _, safe = parse_html('<b onclick="steal()">x</b><span class="tg-spoiler" onmouseover="y()">s</span>')
    assert safe == '<b>x</b><span class="spoiler">s</span>'


@pytest.mark.parametrize("text, fragment", [
    ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
    ("<br/>", 'Unsupported start tag "br"'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("</b>", "Unexpected end tag"),
    ("fish & chips", "Can't find end of the entity"),
    ("1 < 2", "Unsupported start tag"),
])
def test_html_errors_have_telegrams_words(text, fragment):
    with pytest.raises(ApiError) as info:
        parse_html(text)
    assert info.value.code == 400 and info.value.description.startswith("Bad Request: can't parse entities")
    assert fragment in info.value.description


def test_markdown_v2_entities_escapes_and_links():
    plain, safe = parse_markdown_v2(r"*b* _i_ __u__ ~s~ ||sp|| `c\`d` [a\]b](https://x.org/p\)q) 2\+2\=4")
    assert plain == "b i u s sp c`d a]b 2+2=4"
    assert "<b>b</b>" in safe and "<u>u</u>" in safe and '<span class="spoiler">sp</span>' in safe
    assert 'href="https://x.org/p)q"' in safe


@pytest.mark.parametrize("text, fragment", [
    ("1.5", "Character '.' is reserved"),
    ("a-b", "Character '-' is reserved"),
    ("*open", "Can't find end of Bold entity at byte offset 0"),
    ("x _it", "Can't find end of Italic entity at byte offset 2"),
    ("`code", "Can't find end of Code entity"),
    ("[label]", "Character '[' is reserved"),
])
def test_markdown_v2_errors(text, fragment):
    with pytest.raises(ApiError) as info:
        parse_markdown_v2(text)
    assert fragment in info.value.description


def test_render_without_parse_mode_escapes_everything_and_unknown_mode_fails():
    assert render("<b>&</b>", None) == ("<b>&</b>", "&lt;b&gt;&amp;&lt;/b&gt;")
    with pytest.raises(ApiError):
        render("x", "BBCode")


def test_utf16_length_counts_surrogate_pairs():
    assert utf16_len("abc") == 3 and utf16_len("😀") == 2 and utf16_len("é") == 1


@pytest.mark.parametrize("markup, error", [
    ({"inline_keyboard": [[{"text": "x"}]]}, "exactly one optional field"),
    ({"inline_keyboard": [[{"text": "", "callback_data": "a"}]]}, "Text buttons are unallowed"),
    ({"inline_keyboard": [[{"text": "x", "url": "ftp://x"}]]}, "BUTTON_URL_INVALID"),
    ({"inline_keyboard": [{"text": "x"}]}, "Array of Arrays"),
    ({"nonsense": True}, "can't parse reply keyboard markup"),
])
def test_bad_keyboards(markup, error):
    with pytest.raises(ApiError) as info:
        check_markup(markup)
    assert error in info.value.description


def test_good_keyboards_pass_unchanged():
    for markup in ({"inline_keyboard": [[{"text": "Go", "callback_data": "x"}, {"text": "Web", "url": "https://a.b"}]]},
                   {"keyboard": [["Yes", {"text": "Where?", "request_location": True}]], "one_time_keyboard": True},
                   {"remove_keyboard": True}, {"force_reply": True}):
        assert check_markup(markup) == markup


def test_sandbox_imports_nothing_from_hitbot():
    """sandbox/ speaks HTTP only: the dependency arrows point at it, never out of it."""
    import ast
    from pathlib import Path

    import sandbox

    for path in Path(sandbox.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name.split(".")[0] not in {"core", "bot", "jobs", "hitbot"}, f"{path.name} imports {name}"
