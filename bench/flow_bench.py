"""Flow benchmark (issue #17): how many worker taps and bot messages it takes to do N
two-question HITs of one group (a batch of N rows), from /browse to the last Submit, over the
in-process fake Telegram. Not a timing: a count, the same on any machine.

    python -m bench.flow_bench [--hits 10] [--auto] [--write]

The worker does what the chat offers, the fastest way it offers it: after a Submit it presses
"Next in this group" when the message has it, else "Browse more" and the group's (or the next
HIT's) entry, Accept, one button per answer, Submit. --auto switches the worker's auto-next on
(the toggle on the first submit message) when the chat has one.

Counted: worker taps (button presses and sent commands), the bot's messages in the worker's chat
(sends and edits: Telegram's rate limit counts both), and the notices the submits queue for the
chat (outbox events the delivery would send: the worker's confirmation, the requester's card)."""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
REQUESTER_ID = 900_000_101
WORKER_ID = 910_000_101
TEMPLATE = {
    "title": "Label photo ${n}", "description": "Say what is in the picture.", "reward": "0.10",
    "keywords": ["images"], "assignments": 1, "duration": "30m", "lifetime": "7d",
    "questions": [
        {"id": "animal", "kind": "choice", "prompt": "Which animal is in photo ${n}?", "options": ["cat", "dog"]},
        {"id": "light", "kind": "choice", "prompt": "Is the photo bright?", "options": ["yes", "no"]},
    ],
}
# The same script run on the flow before issue #17 (the tree at bd904ed, exported with git archive):
# /browse, the HIT's entry, Accept, two answers, Submit, then Browse more for the next one.
BEFORE = {"taps": 60, "sends": 40, "edits": 50, "notices": 20}
SENDS = ("sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendLocation", "sendMediaGroup")
EDITS = ("editMessageText", "editMessageReplyMarkup", "editMessageCaption", "editMessageMedia")


def seed(hits: int) -> None:
    from core.hits import publishing
    from core.payments import accounts
    from core.users import commands as users

    users.register(user_id=REQUESTER_ID, first_name="Rita", now=NOW)
    users.register(user_id=WORKER_ID, first_name="Wes", now=NOW)
    accounts.topup(user_id=REQUESTER_ID, amount_cents=hits * 20 + 1000, charge_id="bench-flow", now=NOW)
    publishing.publish_batch(requester_id=REQUESTER_ID, title="photos", template=TEMPLATE,
                             rows=[{"n": str(i + 1)} for i in range(hits)], now=NOW)


def _labels(msg) -> list[str]:
    return [t for t, _ in msg.buttons] if msg is not None else []


async def run(hits: int, auto: bool) -> dict:
    from bot.app import build_application
    from core.config import load_settings
    from core.models import Assignment, OutboxEvent
    from tests.fakes.telegram import BotHarness, FakeTelegram, TgUser

    tg = FakeTelegram()
    settings = load_settings(telegram_bot_token="123:BENCH", telegram_api_url="http://fake.invalid")
    clock = [NOW]
    app = build_application(settings, request=tg, rate_limit=False, clock=lambda: clock[0])
    await app.initialize()
    bot, wes = BotHarness(app, tg), TgUser(WORKER_ID, "Wes")
    first_event = OutboxEvent.select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).scalar() or 0
    taps = 0

    async def press(label: str, mid: int | None = None) -> None:
        nonlocal taps
        taps += 1
        clock[0] += timedelta(seconds=20)
        await bot.press_label(wes, label, mid)

    def latest_with(label: str) -> int | None:
        chat = tg.chats[wes.id]
        return next((mid for mid in sorted(chat, reverse=True)
                     if any(label.lower() in t.lower() for t in _labels(chat[mid]))), None)

    async def answer_and_submit() -> None:
        for _ in range(2):  # two choice questions: the first option of each
            chat = tg.chats[wes.id]
            mid = max(chat)
            option = next(t for t, d in chat[mid].buttons if d.startswith("w:ch:"))
            await press(option, mid)
        await press("Submit", latest_with("Submit"))

    def on_question() -> bool:
        chat = tg.chats[wes.id]
        return bool(chat) and any(d.startswith("w:ch:") for _, d in chat[max(chat)].buttons)

    taps += 1
    await bot.text(wes, "/browse")
    for n in range(hits):
        if n and not on_question():  # auto-next shows the next question by itself
            nxt = latest_with("Next in this group")
            await press(*(("Next in this group", nxt) if nxt is not None else ("Browse more", latest_with("Browse"))))
        if not on_question():
            await press("Label photo", latest_with("Label photo"))
            await press("Accept", latest_with("Accept"))
        await answer_and_submit()
        if auto and n == 0 and latest_with("Auto-next") is not None:
            await press("Auto-next", latest_with("Auto-next"))
            taps -= 1  # a setting, once: not part of any HIT's flow
    submitted = Assignment.select().where((Assignment.worker == WORKER_ID) & (Assignment.status == "submitted")).count()
    calls = tg.sent_to(wes.id)
    sends = sum(c.method in SENDS for c in calls)
    edits = sum(c.method in EDITS for c in calls)
    notices = _notices(first_event)
    await app.shutdown()
    return {"hits": hits, "submitted": submitted, "taps": taps, "sends": sends, "edits": edits, "notices": notices}


def _notices(after_id: int) -> dict[str, int]:
    """The chat messages the outbox events of the run would send (the delivery's own renderer)."""
    from bot.views.notify import render
    from core.models import OutboxEvent
    from core.notices import notice_context

    out: dict[str, int] = {}
    for event in OutboxEvent.select().where(OutboxEvent.id > after_id).order_by(OutboxEvent.id):
        if event.user_id is None or event.kind == "cards.refresh":
            continue
        if render(event, notice_context(event)) is not None:
            who = "worker" if event.user_id == WORKER_ID else "requester"
            out[f"{event.kind} ({who})"] = out.get(f"{event.kind} ({who})", 0) + 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flow_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=10)
    parser.add_argument("--auto", action="store_true", help="switch auto-next on after the first submit")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a private database is made on it)")
    parser.add_argument("--write", action="store_true", help="write the figures (Next, and auto-next) to BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.write:
        runs = {way: _measure(args, auto) for way, auto in (("next", False), ("auto", True))}
        _write(args.hits, runs)
        return 0
    r = _measure(args, args.auto)
    chat = r["sends"] + r["edits"]
    notices = sum(r["notices"].values())
    print(f"{r['hits']} HITs of one group, {r['submitted']} submitted{' (auto-next on)' if args.auto else ''}")
    print(f"worker taps: {r['taps']} ({r['taps'] / r['hits']:.1f} per HIT)")
    print(f"bot messages in the worker's chat: {chat} ({r['sends']} sends, {r['edits']} edits; "
          f"{chat / r['hits']:.1f} per HIT)")
    print(f"notices queued by the submits: {notices} ({notices / r['hits']:.1f} per HIT): "
          + (", ".join(f"{k} {v}" for k, v in r["notices"].items()) or "none"))
    print(f"all messages per HIT: {(chat + notices) / r['hits']:.1f}")
    return 0 if r["submitted"] == r["hits"] else 1


def _measure(args, auto: bool) -> dict:
    workdir = tempfile.mkdtemp(prefix="hitbot-flowbench-")
    os.environ.setdefault("HITBOT_DATA_DIR", workdir)
    from bench.bot_bench import logging_off
    from bench.core_bench import open_database

    _, drop = open_database(args.pg, workdir)
    logging_off()
    try:
        seed(args.hits)
        return asyncio.run(run(args.hits, auto))
    finally:
        drop()


def _write(hits: int, runs: dict) -> None:
    from bench import write_section

    def row(label: str, taps: int, sends: int, edits: int, notices: int) -> str:
        chat = sends + edits
        return (f"| {label} | {taps} ({taps / hits:.1f}) | {chat} ({chat / hits:.1f}): {sends} sends, {edits} edits "
                f"| {notices} ({notices / hits:.1f}) | {(chat + notices) / hits:.1f} |")

    b = BEFORE
    lines = [row("before (browse, entry, Accept, answers, Submit; Browse more)", b["taps"], b["sends"], b["edits"],
                 b["notices"])]
    for way, label in (("next", "after: ▶️ Next in this group"), ("auto", "after: auto-next on")):
        r = runs[way]
        assert r["submitted"] == hits, r
        lines.append(row(label, r["taps"], r["sends"], r["edits"], sum(r["notices"].values())))
    auto = runs["auto"]
    body = f"""## Taps and messages per HIT (issue #17)

`python -m bench.flow_bench --write`: a worker does {hits} two-question HITs (two choice questions) of one
group, a {hits}-row batch, from `/browse` to the last Submit, over the in-process fake Telegram; the
fastest way the chat offers. A tap is a button press or a sent command; bot messages are the sends
and edits in the worker's chat (Telegram's limit counts both) plus the notices the submits queue
(outbox rows the delivery sends: before, a "Submitted" confirmation to the worker and the submission
card to the requester; now only the card, and none for a requester in digest review mode). "Before"
is the same script run on the flow before issue #17's groups (the tree at bd904ed).

| flow | worker taps (per HIT) | bot messages in the worker's chat (per HIT) | notices (per HIT) | all messages per HIT |
|---|---|---|---|---|
{chr(10).join(lines)}

With auto-next on, after the first HIT each HIT takes one tap per answer plus one to submit (3), and
three edits of one message (question 1 to 2, 2 to the summary, Submit to the next HIT's question 1):
3 messages in the worker's chat and the requester's card, 4 in all, within issue #17's target of 4
(3 with the requester in digest mode). With ▶️ Next it is one tap and one edit more. The first HIT
costs the /browse list, the preview and Accept (its description and first question as two messages).
Notices of this run: {", ".join(f"{k} {v}" for k, v in auto["notices"].items()) or "none"}.
"""
    write_section("flow", body)
    print(body)


if __name__ == "__main__":
    raise SystemExit(main())
