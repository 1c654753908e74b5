"""Download results as a ZIP: the offer, the progress bar, the parts' captions, what went missing."""
from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, fit, keyboard, progress_bar
from core.hits.export import FileAnswer

MISSING_FILE = "MISSING.txt"
ZIP_BACKGROUND = "It is built in the background; the parts arrive here when they are ready."
ZIP_NOTHING = "No file answers here: the CSV and JSON above have everything."
ZIP_BUSY = "This ZIP is being built already."

# Why a file could not go into the ZIP (keys: bot.results_zip).
MISSING_REASONS = {
    "too_big": "larger than the 20 MB Telegram lets bots download",
    "gone": "Telegram no longer has this file",
    "part": "larger than one ZIP part",
    "failed": "could not be downloaded from Telegram",
}


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.1f} MB" if n_bytes >= 100_000 else f"{max(1, round(n_bytes / 1000))} kB"


def zip_offer(n_files: int, known_bytes: int, verb: str, target_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """Below the CSV and JSON when the results hold photo, voice or document answers."""
    size = f", about {_size(known_bytes)}" if known_bytes else ""
    text = (f"📎 {n_files} answer(s) are files (photos, voice notes, documents{size}); in the CSV and JSON above "
            "they are Telegram file ids.\nGet a ZIP with every file, and the CSV and JSON pointing at them:")
    return text, keyboard([[button("📦 ZIP with the files", callbacks.make("r", verb, target_id))]])


def zip_progress(done: int, total: int, *, background: bool = False) -> str:
    text = f"📦 Building the ZIP… {progress_bar(done, total)} files"
    return text + "\n" + ZIP_BACKGROUND if background else text


def part_caption(part: int, *, last: bool, parts: int, n_files: int, name: str) -> str:
    if last and parts == 1:
        return (f"📦 {n_files} file(s), with {name}.csv and {name}.json pointing at them "
                "(files/&lt;HIT&gt;/&lt;assignment&gt;/&lt;question&gt;).")
    if last:
        return (f"📦 Part {part} of {parts}, with {name}.csv and {name}.json. "
                "Unzip all parts into one folder: the paths in the CSV then find every file.")
    return f"📦 Part {part} of the ZIP (more follow; unzip all parts into one folder)."


def _missing_line(f: FileAnswer, reason: str) -> str:
    return (f"HIT {f.hit_id}, assignment {f.assignment_id}, question “{f.question}” ({f.kind}): "
            f"{MISSING_REASONS.get(reason, MISSING_REASONS['failed'])}")


def missing_txt(missing: Sequence[tuple[FileAnswer, str]]) -> bytes:
    lines = ["These file answers could not be put in the ZIP. The CSV and JSON keep their Telegram file id,",
             "so the bot can still forward them in Telegram.", ""]
    lines += [f"{_missing_line(f, reason)} (file id {f.file_id})" for f, reason in missing]
    return ("\n".join(lines) + "\n").encode()


def zip_done(n_files: int, parts: int, missing: Sequence[tuple[FileAnswer, str]]) -> str:
    text = f"✅ ZIP ready: {n_files} file(s) in {parts} part(s)."
    if missing:
        text += (f"\n⚠️ {len(missing)} file(s) could not be added (listed in {MISSING_FILE}):\n"
                 + "\n".join("• " + esc(_missing_line(f, reason)) for f, reason in missing[:20]))
        if len(missing) > 20:
            text += f"\n… and {len(missing) - 20} more."
    return fit(text)
