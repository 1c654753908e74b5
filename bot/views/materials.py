"""What a worker needs to look at for a HIT: its attachment (a link, or a photo or document
sent in the chat) and the image links in its description (a batch's `${image_url}`).

Shown in the preview, again on Accept, and one tap away ("📄 Instructions") while answering."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.i18n import _, _n
from bot.views.common import clip, esc, esc_clip, fit

if TYPE_CHECKING:
    from core.models import Hit

MAX_MEDIA = 3  # photos/documents sent per showing, so a long description cannot flood the chat
MAX_CAPTION = 1024
_URL = re.compile(r"https?://[^\s<>\"']+", re.ASCII)
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp)$", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True)
class Material:
    kind: str  # "photo" / "document": a Telegram file id; "image": a URL to send as a photo; "link"
    ref: str

    @property
    def media(self) -> bool:
        return self.kind in ("photo", "document", "image")


def _urls(text: str) -> list[str]:
    return [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text)]


def is_image_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and bool(_IMAGE_PATH.search(parts.path))


def of(hit: Hit) -> list[Material]:
    """The HIT's materials: its attachment first, then image links in its description."""
    found: list[Material] = []
    attachment = (hit.attachment or "").strip()
    if attachment:
        kind, _, ref = attachment.partition(":")
        if kind in ("photo", "document") and ref:
            found.append(Material(kind, ref))
        elif is_image_url(attachment):
            found.append(Material("image", attachment))
        else:
            found.append(Material("link", attachment))
    seen = {m.ref for m in found}
    for url in _urls(hit.description or ""):
        if url not in seen and is_image_url(url):
            found.append(Material("image", url))
            seen.add(url)
    return found


def _link(url: str) -> str:
    parts = urlsplit(url)
    label = clip(parts.netloc + parts.path, 60)
    return f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>'


def lines(items: list[Material]) -> list[str]:
    """One line per material for a text message (media follow as their own messages)."""
    out = []
    for m in items:
        if m.kind == "link":
            out.append(_("📎 Material: {link}", link=_link(m.ref)))
        elif m.kind == "image":
            out.append(_("🖼 Image: {link}", link=_link(m.ref)))
    photos = sum(1 for m in items if m.kind == "photo")
    files = sum(1 for m in items if m.kind == "document")
    if photos:
        out.append(_n("📷 The requester's photo is below.", "📷 The requester's photos are below.", photos))
    if files:
        out.append(_n("📄 The requester's file is below.", "📄 The requester's files are below.", files))
    return out


def media(items: list[Material]) -> list[Material]:
    return [m for m in items if m.media][:MAX_MEDIA]


def caption(hit: Hit) -> str:
    return _("📎 For “{title}”", title=esc(clip(hit.title, 80)))


def instructions(hit: Hit, items: list[Material]) -> str:
    """The full instructions while answering: the description and every material."""
    text = [_("📄 <b>Instructions: {title}</b>", title=esc(clip(hit.title, 80)))]
    if hit.description:
        text.append(esc_clip(hit.description, 3000))
    text += lines(items)
    if len(text) == 1:
        text.append(_("This HIT has no instructions beyond its questions."))
    return fit("\n".join(text))


def has_instructions(hit: Hit) -> bool:
    return bool((hit.description or "").strip() or (hit.attachment or "").strip())
