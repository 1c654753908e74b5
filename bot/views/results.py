"""Download results as a ZIP: the offer, the progress bar, the parts' captions, what went missing.
The file names and the CSV and JSON inside stay as they are (scripts read them); what a person reads
(the chat, MISSING.txt) is in the requester's language."""
from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n, number
from bot.views.common import button, esc, fit, keyboard, progress_bar
from core.hits.export import FileAnswer

MISSING_FILE = "MISSING.txt"
KINDS = {"photo": N_("photo"), "document": N_("document"), "voice": N_("voice")}
MAX_MISSING_SHOWN = 20

# Why a file could not go into the ZIP (keys: bot.results_zip).
MISSING_REASONS = {
    "too_big": N_("larger than the 20 MB Telegram lets bots download"),
    "gone": N_("Telegram no longer has this file"),
    "part": N_("larger than one ZIP part"),
    "failed": N_("could not be downloaded from Telegram"),
}


def zip_background() -> str:
    return _("It is built in the background; the parts arrive here when they are ready.")


def zip_nothing() -> str:
    return _("No file answers here: the CSV and JSON above have everything.")


def _size(n_bytes: int) -> str:
    if n_bytes >= 100_000:
        return _("{size} MB", size=number(round(n_bytes / 1_000_000, 1)))
    return _("{size} kB", size=number(max(1, round(n_bytes / 1000))))


def zip_offer(n_files: int, known_bytes: int, verb: str, target_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """Below the CSV and JSON when the results hold photo, voice or document answers."""
    if known_bytes:
        first = _n("📎 {n} answer(s) are files (photos, voice notes, documents, about {size}); in the CSV and JSON "
                   "above they are Telegram file ids.",
                   "📎 {n} answer(s) are files (photos, voice notes, documents, about {size}); in the CSV and JSON "
                   "above they are Telegram file ids.", n_files, size=_size(known_bytes))
    else:
        first = _n("📎 {n} answer(s) are files (photos, voice notes, documents); in the CSV and JSON above they are "
                   "Telegram file ids.",
                   "📎 {n} answer(s) are files (photos, voice notes, documents); in the CSV and JSON above they are "
                   "Telegram file ids.", n_files)
    text = first + "\n" + _("Get a ZIP with every file, and the CSV and JSON pointing at them:")
    return text, keyboard([[button(_("📦 ZIP with the files"), callbacks.make("r", verb, target_id))]])


def zip_progress(done: int, total: int, *, background: bool = False) -> str:
    text = _("📦 Building the ZIP… {bar} files", bar=progress_bar(done, total))
    return text + "\n" + zip_background() if background else text


def part_caption(part: int, *, last: bool, parts: int, n_files: int, name: str) -> str:
    if last and parts == 1:
        return _n("📦 {n} file(s), with {name}.csv and {name}.json pointing at them "
                  "(files/&lt;HIT&gt;/&lt;assignment&gt;/&lt;question&gt;).",
                  "📦 {n} file(s), with {name}.csv and {name}.json pointing at them "
                  "(files/&lt;HIT&gt;/&lt;assignment&gt;/&lt;question&gt;).", n_files, name=name)
    if last:
        return _("📦 Part {part} of {parts}, with {name}.csv and {name}.json. Unzip all parts into one folder: "
                 "the paths in the CSV then find every file.", part=part, parts=parts, name=name)
    return _("📦 Part {part} of the ZIP (more follow; unzip all parts into one folder).", part=part)


def _reason(reason: str) -> str:
    return _(MISSING_REASONS.get(reason, MISSING_REASONS["failed"]))


def _missing_line(f: FileAnswer, reason: str) -> str:
    kind = _(KINDS[f.kind]) if f.kind in KINDS else f.kind
    return _("HIT {hit_id}, assignment {assignment_id}, question “{question}” ({kind}): {reason}",
             hit_id=f.hit_id, assignment_id=f.assignment_id, question=f.question, kind=kind, reason=_reason(reason))


def missing_txt(missing: Sequence[tuple[FileAnswer, str]]) -> bytes:
    lines = [_("These file answers could not be put in the ZIP. The CSV and JSON keep their Telegram file id, "
               "so the bot can still forward them in Telegram."), ""]
    lines += [_("{line} (file id {file_id})", line=_missing_line(f, reason), file_id=f.file_id)
              for f, reason in missing]
    return ("\n".join(lines) + "\n").encode()


def zip_done(n_files: int, parts: int, missing: Sequence[tuple[FileAnswer, str]]) -> str:
    text = _("✅ ZIP ready: {files} in {parts}.", files=_n("{n} file(s)", "{n} file(s)", n_files),
             parts=_n("{n} part(s)", "{n} part(s)", parts))
    if missing:
        text += "\n" + _n("⚠️ {n} file(s) could not be added (listed in {file}):",
                          "⚠️ {n} file(s) could not be added (listed in {file}):", len(missing), file=MISSING_FILE)
        text += "".join("\n• " + esc(_missing_line(f, reason)) for f, reason in missing[:MAX_MISSING_SHOWN])
        if len(missing) > MAX_MISSING_SHOWN:
            text += "\n" + _n("… and {n} more.", "… and {n} more.", len(missing) - MAX_MISSING_SHOWN)
    return fit(text)
