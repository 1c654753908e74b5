"""What Telegram accepts as HTML, checked alike by every screen test: the tags it knows, each closed,
and no bare &."""
from __future__ import annotations

import re
from html.parser import HTMLParser

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
