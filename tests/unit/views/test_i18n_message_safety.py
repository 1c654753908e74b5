"""Keeping conversations safe (issue 18) in every language: the flagged and file notices, a thread
with Mute / Report / Block in each state, the report prompt, /reports, /blocks and core's refusals
fit Telegram's limits with valid HTML, are translated, and leave no English literal in the modules."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.runtime import error_text
from bot.views import messages as views
from bot.views.common import MAX_TEXT
from core.messages import safety
from core.messages.commands import ThreadView
from core.messages.safety import BlockRow, ReportRow, ReportsPage
from tests.conftest import NOW
from tests.telegram_limits import assert_screen_ok

MODULES = ["bot/views/messages.py", "bot/handlers/messages.py"]
COGNATES = {"💬 Conversation"}  # the same word in French
LONG = "<Rita & Co> " + "x" * 5000


def _event(**payload):
    base = {"thread_id": 7, "sender": "Worker #A1B2C3", "text": LONG, "title": "Label <the> photo", "flagged": True}
    return SimpleNamespace(payload={**base, **payload}, kind="message.received")


def _thread(side: str, *, muted: bool, blocked: bool) -> ThreadView:
    msgs = [("w", LONG, NOW, "A title"), ("r", "", NOW, None), ("r", "see @x_y_z", NOW, None)]
    return ThreadView(7, side, "Rita" if side == "w" else "Worker #A1", msgs, [(None, False), ("p", False), (None, True)],
                      muted, blocked)


def _reports() -> ReportsPage:
    rows = [ReportRow(i, 7, "w" if i % 2 else "r", "Worker #A1", "Rita <&>", 11, 12, LONG, NOW,
                      [("w", LONG, None, True), ("r", "", "d", False), ("r", LONG, "p", False)] * 2)
            for i in range(1, safety.REPORTS_PAGE + 1)]
    return ReportsPage(rows, 1, True, 12, 3)


def screens() -> list[tuple[str, object, int]]:
    out = []
    out.append((*views.received(_event(), None), MAX_TEXT))
    out.append((*views.received(_event(file_kind="p", file_id="AgAC"), None), 1024))
    out.append((*views.received(_event(file_kind="d", file_id="BQAC", text="😀" * 1024), None), 1024))
    out.append((*views.received(_event(text="😀" * 4096), None), MAX_TEXT))
    for side in ("w", "r"):
        for muted in (False, True):
            for blocked in (False, True):
                out.append((*views.thread(_thread(side, muted=muted, blocked=blocked), "Europe/Berlin"), MAX_TEXT))
    out.append((*views.report_prompt(7), MAX_TEXT))
    out.append((*views.reports_page(_reports(), None), MAX_TEXT))
    out.append((*views.reports_page(ReportsPage([], 0, False, 0, 0), None), MAX_TEXT))
    rows = [BlockRow(i, "Rita " * 20, NOW - timedelta(days=i)) for i in range(20)]
    out.append((*views.blocks_list(rows, None), MAX_TEXT))
    out.append((*views.blocks_list([], None), MAX_TEXT))
    for text in [views.reported(), views.ask_prompt(), views.write_prompt(), views.reply_prompt(),
                 views.resolved_toast(True), views.resolved_toast(False), views.unblocked(True), views.unblocked(False),
                 *[views.action_toast(a, c) for a in safety.ACTIONS for c in (True, False)]]:
        out.append((text, None, MAX_TEXT))
    for exc in [safety.RequesterBlockedByYou(), safety.WorkerUnreachable()]:
        out.append((error_text(exc), None, 200))
    for file, match in [({"kind": "x", "file_id": "a"}, None), ({"kind": "p", "file_id": "a", "size": 10**9}, None),
                        ({"kind": "d", "file_id": "a", "mime": "x/y"}, None)]:
        with pytest.raises(safety.ValidationFailed) as caught:
            safety.check_file(file, "")
        out.append((error_text(caught.value), None, 200))
    return out


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_screen_fits_and_is_translated(lang):
    with use(DEFAULT):
        english = [(t, [b.text for row in (m.inline_keyboard if m else []) for b in row]) for t, m, _ in screens()]
    with use(lang):
        shown = screens()
    for (text, markup, limit), (en_text, en_buttons) in zip(shown, english):
        assert_screen_ok(text, markup, limit=limit)
        if lang != DEFAULT:
            assert text != en_text, (lang, en_text[:80])
            labels = [b.text for row in (markup.inline_keyboard if markup else []) for b in row]
            same = [label for label, en in zip(labels, en_buttons) if label == en and label not in COGNATES]
            assert same == [], (lang, same)


def test_the_link_warning_is_in_the_readers_language():
    with use("ru"):
        text, _ = views.received(_event(text="hi"), None)
    assert "ссылка" in text and "hitbot" in text
    with use("ar"):
        assert "رابط" in views.link_warning()


def test_no_english_literal_left_in_the_modules():
    counts = catalogs.literal_counts()
    for module in MODULES:
        assert counts[module] == 0, module
