"""Text formatting and reply markup as Telegram checks them: HTML and MarkdownV2 parsing
(with Telegram's error texts), UTF-16 lengths, and keyboard limits."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_BUTTONS = 100
MAX_CALLBACK_DATA = 64


class ApiError(Exception):
    """A Bot API error: turned into {ok: false, error_code, description[, parameters]}."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# HTML -----------------------------------------------------------------------------------
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
              "pre", "blockquote", "tg-emoji"}
_SAFE_HREF = re.compile(r"^(https?://|tg://|mailto:)", re.I)


class _Html(HTMLParser):
    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=True)
        self.raw = raw
        self.plain: list[str] = []
        self.safe: list[str] = []  # re-emitted HTML with only allowed tags and attributes
        self.stack: list[str] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.raw.split("\n")
        return len("\n".join(lines[:line - 1]).encode()) + (1 if line > 1 else 0) + len(lines[line - 1][:col].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self._offset()}')
        self.stack.append(tag)
        if tag == "a":
            href = dict(attrs).get("href") or ""
            safe = html.escape(href, quote=True) if _SAFE_HREF.match(href) else "#"
            self.safe.append(f'<a href="{safe}" target="_blank" rel="noopener">')
        elif tag in ("span", "tg-spoiler"):
            self.safe.append('<span class="spoiler">')
        else:
            self.safe.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise bad_request(f'can\'t parse entities: Unexpected end tag at byte offset {self._offset()}')
        self.stack.pop()
        self.safe.append("</span>" if tag in ("span", "tg-spoiler") else f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.plain.append(data)
        self.safe.append(html.escape(data, quote=False))


def parse_html(text: str) -> tuple[str, str]:
    """(plain text, safe HTML) or ApiError with Telegram's "can't parse entities" text."""
    # Telegram wants a bare "<" or "&" escaped; the stdlib parser would silently keep them.
    for m in re.finditer(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        raise bad_request(f"can't parse entities: Can't find end of the entity starting at byte offset "
                          f"{len(text[:m.start()].encode())}")
    for m in re.finditer(r"<(?![a-zA-Z/])", text):
        raise bad_request(f"can't parse entities: Unsupported start tag \"\" at byte offset "
                          f"{len(text[:m.start()].encode())}")
    parser = _Html(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise bad_request(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"')
    return "".join(parser.plain), "".join(parser.safe)


# MarkdownV2 -------------------------------------------------------------------------------
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_TOGGLES = [("||", "Spoiler", "span class=\"spoiler\""), ("__", "Underline", "u"), ("*", "Bold", "b"),
               ("_", "Italic", "i"), ("~", "Strikethrough", "s")]


def parse_markdown_v2(text: str) -> tuple[str, str]:
    """(plain text, safe HTML) for MarkdownV2, refusing unescaped reserved characters as Telegram does."""
    plain: list[str] = []
    safe: list[str] = []
    open_: list[tuple[str, str, str, int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        offset = len(text[:i].encode())
        if ch == "\\":
            if i + 1 >= len(text):
                raise bad_request("can't parse entities: Character '\\' is reserved and must be escaped "
                                  "with the preceding '\\'")
            plain.append(text[i + 1])
            safe.append(html.escape(text[i + 1]))
            i += 2
            continue
        if ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = i + len(fence)
            while end < len(text) and not text.startswith(fence, end):
                end += 2 if text[end] == "\\" else 1  # an escaped ` or \ stays inside the code
            if end >= len(text):
                raise bad_request(f"can't parse entities: Can't find end of {'Pre' if fence == '```' else 'Code'} "
                                  f"entity at byte offset {offset}")
            body = text[i + len(fence):end].replace("\\`", "`").replace("\\\\", "\\")
            plain.append(body)
            tag = "pre" if fence == "```" else "code"
            safe.append(f"<{tag}>{html.escape(body)}</{tag}>")
            i = end + len(fence)
            continue
        if ch == "[":
            m = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(((?:\\.|[^)\\])*)\)").match(text, i)
            if not m:
                raise bad_request("can't parse entities: Character '[' is reserved and must be escaped with "
                                  "the preceding '\\'")
            label_plain, label_safe = parse_markdown_v2(m.group(1))
            url = re.sub(r"\\(.)", r"\1", m.group(2))
            href = html.escape(url, quote=True) if _SAFE_HREF.match(url) else "#"
            plain.append(label_plain)
            safe.append(f'<a href="{href}" target="_blank" rel="noopener">{label_safe}</a>')
            i = m.end()
            continue
        for token, name, tag in _MD_TOGGLES:
            if text.startswith(token, i):
                if open_ and open_[-1][0] == token:
                    safe.append(f"</{open_.pop()[2].split()[0]}>")
                else:
                    open_.append((token, name, tag, offset))
                    safe.append(f"<{tag}>")
                i += len(token)
                break
        else:
            if ch in _MD_RESERVED:
                raise bad_request(f"can't parse entities: Character '{ch}' is reserved and must be escaped with "
                                  f"the preceding '\\'")
            plain.append(ch)
            safe.append(html.escape(ch))
            i += 1
    if open_:
        _, name, _, offset = open_[-1]
        raise bad_request(f"can't parse entities: Can't find end of {name} entity at byte offset {offset}")
    return "".join(plain), "".join(safe)


def render(text: str, parse_mode: str | None) -> tuple[str, str]:
    """(plain text, safe HTML) of a message text or caption in the given parse mode."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":  # legacy: only a light check, as Telegram is lenient there too
        plain = re.sub(r"[*_`]", "", text)
        return plain, html.escape(plain)
    if mode:
        raise bad_request("unsupported parse_mode")
    return text, html.escape(text)


# Reply markup ----------------------------------------------------------------------------
def check_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validate inline/reply keyboards the way Telegram does; returns the markup unchanged."""
    if not markup:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
        buttons = [b for r in rows for b in r]
        if len(buttons) > MAX_BUTTONS:
            raise bad_request("reply markup is too long")
        for b in buttons:
            if not isinstance(b, dict) or not b.get("text"):
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the "
                                  "inline keyboard")
            if "callback_data" in b:
                size = len(str(b["callback_data"]).encode())
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif not any(k in b for k in ("url", "web_app", "login_url", "switch_inline_query",
                                           "switch_inline_query_current_chat", "pay", "copy_text")):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must have "
                                  "exactly one optional field")
            if "url" in b and not re.match(r"^(https?|tg)://", str(b["url"])):
                raise bad_request("BUTTON_URL_INVALID")
            if "web_app" in b:  # Telegram takes https only; the emulator also takes this machine's http
                url = str(b["web_app"].get("url", "")) if isinstance(b["web_app"], dict) else ""
                if not re.match(r"^(https://|http://(127\.0\.0\.1|localhost)[:/])", url):
                    raise bad_request("BUTTON_URL_INVALID")
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array of Arrays")
        if sum(len(r) for r in rows) > MAX_BUTTONS * 3:
            raise bad_request("reply markup is too long")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def inline_buttons(markup: dict[str, Any] | None) -> list[list[dict[str, str]]]:
    """The inline keyboard as the chat view shows it: rows of {text, callback_data | url | web_app}."""
    if not markup or "inline_keyboard" not in markup:
        return []
    rows = []
    for row in markup["inline_keyboard"]:
        out = []
        for b in row:
            item = {"text": b["text"]}
            for key in ("callback_data", "url"):
                if key in b:
                    item[key] = b[key]
            if isinstance(b.get("web_app"), dict):
                item["web_app"] = {"url": str(b["web_app"].get("url", ""))}
            out.append(item)
        rows.append(out)
    return rows
