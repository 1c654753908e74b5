"""Download results as a ZIP: every photo, voice and document answer fetched from Telegram
and stored under files/<hit>/<assignment>/<question>.<ext>, with the CSV and JSON pointing at
those paths, in as many ZIPs as Telegram's 50 MB upload limit needs.

Memory stays bounded: files are downloaded one at a time (at most the 20 MB a bot may
download) and streamed into a ZIP on disk; a part is sent as soon as the next file would
take it over the limit, and the CSV, the JSON and MISSING.txt close the last part. One chat
message shows the progress, edited in place. A file Telegram no longer has (or one over
its download limit) is listed in MISSING.txt and in the chat; the export goes on.

Small exports are built right in the bot's handler; a big one (more than ZIP_INLINE_FILES
files) goes to the jobs worker when one is installed (jobs.exports), exactly like big
batches, so the bot's update loop is not held for minutes of downloads."""
from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from telegram import Bot, InputFile
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

from bot import i18n
from bot.flood import retry_after_s
from bot.runtime import call
from bot.views import results as views
from core.hits import export
from core.users import commands as users

log = logging.getLogger(__name__)

ZIP_PART_LIMIT_BYTES = 50_000_000 - 500_000  # Telegram's 50 MB document upload, less room for the request framing
TELEGRAM_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024  # the Bot API downloads files up to 20 MB
ZIP_INLINE_FILES = 20  # more files than this: built by the jobs worker (requested through the outbox)
PROGRESS_EVERY_S = 1.0  # edit the progress message at most this often (Telegram's per-chat pace)
DOWNLOAD_ATTEMPTS = 3
_END_RECORDS = 22 + 56 + 20  # end of central directory, with its ZIP64 record and locator


def results_name(*, hit_id: int | None, batch_id: int | None) -> str:
    return f"hit-{hit_id}-results" if hit_id is not None else f"batch-{batch_id}-results"


class _Part:
    """One ZIP being written to a temporary file; knows whether one more entry still fits."""

    def __init__(self, when: datetime) -> None:
        self.fh: IO[bytes] = tempfile.TemporaryFile()
        self.zf = zipfile.ZipFile(self.fh, "w", allowZip64=True)
        self.date_time = when.timetuple()[:6]
        self.central_bytes = _END_RECORDS
        self.entries = 0

    @staticmethod
    def _cost(name: str, max_bytes: int) -> tuple[int, int]:
        n = len(name.encode())
        return 30 + n + 20 + max_bytes, 46 + n + 28  # (local header + data, central directory entry)

    @classmethod
    def overhead(cls, name: str) -> int:
        return sum(cls._cost(name, 0))

    def fits(self, name: str, max_bytes: int) -> bool:
        return self.fits_bytes(self.overhead(name) + max_bytes)

    def fits_bytes(self, n_bytes: int) -> bool:
        """Whether entries of n_bytes in all (data and both headers) still fit in this part."""
        return self.fh.tell() + self.central_bytes + n_bytes <= ZIP_PART_LIMIT_BYTES

    @classmethod
    def fits_alone(cls, name: str, max_bytes: int) -> bool:
        local, central = cls._cost(name, max_bytes)
        return local + _END_RECORDS + central <= ZIP_PART_LIMIT_BYTES

    def add(self, name: str, data: bytes, *, deflate: bool) -> None:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED  # media is compressed already
        info.external_attr = 0o644 << 16
        self.zf.writestr(info, data)
        self.central_bytes += self._cost(name, 0)[1]
        self.entries += 1

    def finish(self) -> IO[bytes]:
        self.zf.close()
        self.fh.seek(0)
        return self.fh


def _deflated_bound(n: int) -> int:
    return n + n // 1000 + 64  # deflate never grows data by more than this


@dataclass
class _Progress:
    bot: Bot
    chat_id: int
    message_id: int
    total: int
    shown_at: float = field(default=-1e9)

    async def show(self, done: int, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.shown_at < PROGRESS_EVERY_S and done < self.total:
            return
        self.shown_at = time.monotonic()
        await self.say(views.zip_progress(done, self.total))

    async def say(self, text: str, *, final: bool = False) -> None:
        for _ in range(3 if final else 1):
            try:
                await self.bot.edit_message_text(text, chat_id=self.chat_id, message_id=self.message_id,
                                                 parse_mode="HTML")
                return
            except RetryAfter as exc:  # a step is skipped (the next one shows it); the outcome waits its turn
                if final:
                    await asyncio.sleep(min(retry_after_s(exc), 30.0))
            except BadRequest as exc:  # "not modified", or the message was deleted: the ZIP still comes
                if "not modified" not in str(exc).lower():
                    log.info("results ZIP: progress message not edited: %s", exc)
                return



async def _download(bot: Bot, f: export.FileAnswer) -> bytes | str:
    """The file's bytes, or why it cannot be had (a key of views.MISSING_REASONS)."""
    if f.size is not None and f.size > TELEGRAM_DOWNLOAD_LIMIT_BYTES:
        return "too_big"
    for attempt in range(DOWNLOAD_ATTEMPTS):
        try:
            tg_file = await bot.get_file(f.file_id)
            if tg_file.file_size is not None and tg_file.file_size > TELEGRAM_DOWNLOAD_LIMIT_BYTES:
                return "too_big"
            return bytes(await tg_file.download_as_bytearray())
        except BadRequest as exc:  # Telegram's answer for this file, not a passing failure
            return "too_big" if "too big" in str(exc).lower() else "gone"
        except InvalidToken:  # the file URL answered 404
            return "gone"
        except RetryAfter as exc:
            await asyncio.sleep(min(retry_after_s(exc), 30.0))
        except NetworkError as exc:
            log.info("results ZIP: download of a file failed (attempt %d): %s", attempt + 1, exc)
            await asyncio.sleep(0.5 * (attempt + 1))
    return "failed"


async def build_and_send(bot: Bot, *, requester_id: int, chat_id: int, message_id: int, now: datetime,
                         hit_id: int | None = None, batch_id: int | None = None, rows: list[dict] | None = None,
                         files: list[export.FileAnswer] | None = None, locale: str | None = None) -> str:
    """Build the results ZIP(s) of one HIT or batch, send them to `chat_id` and show the progress,
    then the outcome, in message `message_id`, in the requester's language (`locale`, else read from
    their row: the jobs worker has no update to take it from). Returns what happened (for the log)."""
    if locale is None:
        locale = i18n.locale_of(await call(users.get_user, user_id=requester_id))
    with i18n.use(locale):
        return await _build_and_send(bot, requester_id=requester_id, chat_id=chat_id, message_id=message_id,
                                     now=now, hit_id=hit_id, batch_id=batch_id, rows=rows, files=files)


async def _build_and_send(bot: Bot, *, requester_id: int, chat_id: int, message_id: int, now: datetime,
                          hit_id: int | None, batch_id: int | None, rows: list[dict] | None,
                          files: list[export.FileAnswer] | None) -> str:
    if rows is None:
        rows = await call(export.results, requester_id=requester_id, hit_id=hit_id, batch_id=batch_id)
    if files is None:
        files = await call(export.file_answers, rows=rows)
    name = results_name(hit_id=hit_id, batch_id=batch_id)
    progress = _Progress(bot, chat_id, message_id, len(files))
    await progress.show(0, force=True)
    paths: dict[tuple[int, str], str] = {}
    missing: list[tuple[export.FileAnswer, str]] = []
    sent = 0
    part = _Part(now)

    async def send(part: _Part, *, last: bool) -> None:
        nonlocal sent
        sent += 1
        parts = sent if last else sent + 1  # a part is sent when the next one is started
        filename = f"{name}.zip" if last and sent == 1 else f"{name}-part{sent}.zip"
        fh = await asyncio.to_thread(part.finish)
        try:
            await bot.send_document(chat_id, document=InputFile(fh, filename=filename), parse_mode="HTML",
                                    caption=views.part_caption(sent, last=last, parts=parts, n_files=len(paths),
                                                               name=name))
        finally:
            fh.close()

    try:
        for done, f in enumerate(files, 1):
            got = await _download(bot, f)
            if isinstance(got, str):
                missing.append((f, got))
            elif not _Part.fits_alone(f.path, len(got)):
                missing.append((f, "part"))
            else:
                if part.entries and not part.fits(f.path, len(got)):
                    await send(part, last=False)
                    part = _Part(now)
                await asyncio.to_thread(part.add, f.path, got, deflate=False)
                paths[(f.assignment_id, f.question)] = f.path
            del got
            await progress.show(done)
        tables = [(f"{name}.csv", await asyncio.to_thread(export.to_csv, rows, paths)),
                  (f"{name}.json", await asyncio.to_thread(export.to_json, rows, paths))]
        if missing:
            tables.append((views.MISSING_FILE, views.missing_txt(missing)))
        together = sum(_Part.overhead(n) + _deflated_bound(len(d)) for n, d in tables)
        if part.entries and not part.fits_bytes(together):  # the tables stay together, at the end
            await send(part, last=False)
            part = _Part(now)
        for filename, data in tables:
            if part.entries and not part.fits(filename, _deflated_bound(len(data))):
                await send(part, last=False)
                part = _Part(now)
            await asyncio.to_thread(part.add, filename, data, deflate=True)
        await send(part, last=True)
    finally:
        part.fh.close()
    await progress.say(views.zip_done(len(paths), sent, missing), final=True)
    # For the log (jobs.exports), in English: a printf line, not a text for a person.
    return "%d file(s) in %d part(s), %d missing" % (len(paths), sent, len(missing))  # noqa: UP031
