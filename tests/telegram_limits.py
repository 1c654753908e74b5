"""What Telegram accepts, checked alike by every screen test: HTML with the tags it knows, each closed,
and no bare &; a message's length in UTF-16 units; a keyboard's labels and callback data; and no
placeholder left unfilled."""
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


MAX_TEXT = 4096  # a message's length in UTF-16 code units, as Telegram counts
MAX_CAPTION = 1024
MAX_TOAST = 200  # answerCallbackQuery's text
_PLAIN_MARKUP = re.compile(rf"</?(?:{'|'.join(map(re.escape, TELEGRAM_TAGS))})\b[^>]*>|&(?:lt|gt|amp|quot);")
_PLACEHOLDER = re.compile(r"\{\w*\}?")


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def keyboard_problems(markup, *, links: bool = False) -> list[str]:
    """Buttons Telegram would refuse: a blank label, callback data outside 1-64 bytes. With `links`, a button
    may open a URL or web app instead of carrying callback data."""
    problems = []
    rows = markup.inline_keyboard if hasattr(markup, "inline_keyboard") else (markup or ())
    for row in rows:
        for b in row:
            if not (b.text or "").strip():
                problems.append(f"a button without a label ({b.callback_data!r})")
            if b.callback_data is None and links and (b.url or b.web_app):
                continue
            size = len((b.callback_data or "").encode())
            if not 1 <= size <= 64:
                problems.append(f"callback data of {size} bytes (1-64): {b.text!r}")
    return problems


def screen_problems(text: str, markup=None, *, html: bool = True, limit: int = MAX_TEXT, braces: tuple[str, ...] = (),
                    links: bool = False) -> list[str]:
    """Why Telegram would refuse, or a reader would see a fault in, a screen ([] if neither): its length
    (1 to `limit` UTF-16 units), its HTML (or, sent as plain text, no markup that would show as tags), a
    placeholder left unfilled (a brace outside the `braces` texts that legitimately hold one), its buttons."""
    problems = []
    n = units(text)
    if not 0 < n <= limit:
        problems.append(f"{n} UTF-16 units (1-{limit})")
    if html:
        problems += html_problems(text)
    elif _PLAIN_MARKUP.search(text):
        problems.append(f"markup in a plain text: {_PLAIN_MARKUP.search(text).group()}")
    bare = text
    for allowed in braces:
        bare = bare.replace(allowed, "")
    if _PLACEHOLDER.search(bare):
        problems.append(f"a placeholder left unfilled: {_PLACEHOLDER.search(bare).group()}")
    return problems + keyboard_problems(markup, links=links)


def assert_screen_ok(text: str, markup=None, **limits) -> None:
    problems = screen_problems(text, markup, **limits)
    assert problems == [], (problems, text[:300])


def assert_screens_ok(html=(), plain=(), markups=(), **limits) -> None:
    """Every text sent as HTML, every text sent as plain text and every keyboard within Telegram's limits; all
    the faults are listed at once."""
    problems = [(p, text[:200]) for text in html for p in screen_problems(text, **limits)]
    problems += [(p, text[:200]) for text in plain for p in screen_problems(text, html=False, **limits)]
    problems += [(p, None) for m in markups for p in keyboard_problems(m, links=limits.get("links", False))]
    assert problems == [], problems


class Screens:
    """What a screen test renders, sorted as Telegram gets it: texts sent as HTML, texts sent as plain text
    (refusals, toasts, replies without markup) and keyboards."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.plain: list[str] = []
        self.markups: list = []

    def add(self, rendered) -> None:
        """A view's (text, markup)."""
        text, markup = rendered
        self.texts.append(text)
        if markup is not None:
            self.markups.append(markup)

    def lists(self) -> tuple[list[str], list[str], list]:
        return self.texts, self.plain, self.markups


def unchanged_labels(english_markups, markups) -> list[str]:
    """The button labels a translated keyboard shows just as the English one does (a text missing from a
    catalog shows its English)."""
    return [e.text for em, tm in zip(english_markups, markups)
            for er, tr in zip(em.inline_keyboard, tm.inline_keyboard) for e, t in zip(er, tr) if e.text == t.text]
