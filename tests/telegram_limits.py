"""What Telegram accepts, checked alike by every screen test: HTML with the tags it knows, each
closed, and no bare &; a message's length in UTF-16 units; a keyboard's button labels and data."""
from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                 "span", "blockquote"}
_BARE_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"tag <{tag}> Telegram does not know")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing open")


def html_problems(text: str) -> list[str]:
    """Why Telegram would refuse `text` with parse_mode=HTML ([] if it would not)."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    problems = parser.problems + [f"<{t}> left open" for t in parser.stack]
    if _BARE_AMP.search(text):
        problems.append("a bare & (not an entity)")
    return problems


def valid_html(text: str) -> bool:
    return not html_problems(text)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fits(text: str, limit: int = MAX_TEXT) -> bool:
    """Not empty and within Telegram's length for a message (4096) or a caption (1024)."""
    return 0 < units(text) <= limit


def keyboard_problems(markup) -> list[str]:
    """Buttons Telegram would refuse: an empty label, callback data outside 1-64 bytes."""
    problems = []
    for row in (markup.inline_keyboard if markup is not None else ()):
        for b in row:
            if not (b.text or "").strip():
                problems.append(f"a button without a label ({b.callback_data!r})")
            if b.callback_data is not None and not 1 <= len(b.callback_data.encode()) <= 64:
                problems.append(f"callback data of {len(b.callback_data.encode())} bytes: {b.text!r}")
    return problems
