"""Issue 4: a worker's /balance (figures and the 30-day chart) and /withdraw (Confirm pays once)."""
from __future__ import annotations

from datetime import timedelta

from core import ledger
from core.models import Payout, Question
from core.payments import accounts
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.conftest import NOW
from tests.fakes.telegram import TgUser, answers
from tests.invariants import check_invariants

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def person(bot, name: str = "Wes", cents: int = 0) -> TgUser:
    u = f.requester(cents, name=name) if cents else f.user(name)
    tg = TgUser(u.id, name)
    await bot.text(tg, "/start")
    return tg


def do_work(hit, worker: TgUser, at=NOW, animal: str = "cat"):
    a = work.accept(worker_id=worker.id, hit_id=hit.id, now=at)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=worker.id, assignment_id=a.id, question_id=q.id, value=animal, now=at)
    return work.submit(worker_id=worker.id, assignment_id=a.id, now=at + timedelta(minutes=1))


def alert(calls) -> str:
    return answers(calls)[0].params["text"]


async def earn(bot, worker: TgUser, rita: TgUser, n: int, reward: str = "2.00", days_ago: int = 0):
    """n approved assignments of `reward` each, approved `days_ago` days before NOW."""
    at = NOW - timedelta(days=days_ago)
    out = []
    for _ in range(n):
        hit = f.hit(rita.id, reward=reward, assignments=1, now=at)
        a = do_work(hit, worker, at)
        review.approve(requester_id=rita.id, assignment_id=a.id, now=at + timedelta(minutes=5))
        out.append(a)
    return out


def capture_uploads(bot) -> list[tuple[str, bytes, str]]:
    """The files the bot uploads (multipart), as (file name, bytes, mime type)."""
    uploads: list[tuple[str, bytes, str]] = []
    real = bot.tg.do_request

    async def recording(url, method, request_data=None, **kw):
        if request_data is not None and request_data.multipart_data:
            uploads.extend(request_data.multipart_data.values())
        return await real(url, method, request_data, **kw)

    bot.tg.do_request = recording
    return uploads


async def test_balance_shows_worker_figures_and_sends_chart_png(bot):
    uploads = capture_uploads(bot)
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 2, "2.00", days_ago=3)
    await earn(bot, wes, rita, 1, "1.50", days_ago=0)
    pending_hit = f.hit(rita.id, reward="0.75", assignments=1)
    do_work(pending_hit, wes)
    rejected = do_work(f.hit(rita.id, reward="0.40", assignments=1), wes)
    review.reject(requester_id=rita.id, assignment_id=rejected.id, feedback="wrong animal", now=NOW + timedelta(minutes=9))
    calls = await bot.text(wes, "/balance")
    text = calls[0].text
    assert "Available: <b>$5.50</b>" in text
    assert "Pending review: $0.75" in text
    assert "Paid out: $0.00" in text and "Lifetime earnings: $5.50" in text
    assert "Approval rate: 75% · 3 approved, 1 rejected, 5 submitted" in text
    assert "As a requester" not in text  # Wes never posted work
    assert calls[0].buttons == [("💸 Withdraw $5.50", "wd:ask"), ("🧾 Recent movements", "bal:st")]
    photo = next(c for c in calls if c.method == "sendPhoto")
    assert "last 30 days: $5.50" in photo.params["caption"]
    (name, png, mime), = uploads
    assert mime == "image/png" and png.startswith(PNG_MAGIC) and len(png) > 1000
    assert png.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")  # a complete PNG, not a truncated one


async def test_requester_balance_shows_escrow_and_spend(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id, reward="1.00", assignments=3)  # 3 x (1.00 + 0.20 fee) = 3.60 in escrow
    a = do_work(hit, wes)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    calls = await bot.text(rita, "/balance")
    text = calls[0].text
    assert "As a requester" in text
    assert "In escrow for open work: $2.40" in text
    assert "Available to post: $16.40" in text
    assert "Spent: $1.20 (of which fees $0.20)" in text
    # No earnings of her own: no chart, a short line instead.
    assert not any(c.method == "sendPhoto" for c in calls)
    assert "No earnings in the last 30 days" in calls[-1].text


async def test_menu_balance_button(bot):
    wes = await person(bot, "Wes")
    calls = await bot.press(wes, "m:balance")
    assert answers(calls) and "Available: <b>$0.00</b>" in calls[0].text
    assert "Payouts start at $1.00." in calls[0].text
    assert calls[0].buttons == [("🧾 Recent movements", "bal:st")]  # nothing to withdraw yet
    empty = await bot.press(wes, "bal:st")
    assert answers(empty) and bot.tg.last_message(wes.id).text == "🧾 No movements yet."


async def test_statement_lists_movements_newest_first(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    (a,) = await earn(bot, wes, rita, 1, "1.25")
    review.bonus(requester_id=rita.id, assignment_id=a.id, amount_cents=40, reason="tidy work",
                 now=NOW + timedelta(minutes=7), key="b1")
    accounts.withdraw(worker_id=wes.id, now=NOW + timedelta(minutes=8), key="w1")
    await bot.text(wes, "/balance")
    await bot.press_label(wes, "Recent movements", bot.tg.last_message(wes.id).message_id - 1)
    lines = bot.tg.last_message(wes.id).text.split("\n")
    assert lines[0] == "🧾 <b>Recent movements</b>"
    assert "<b>−$1.65</b> 💸 payout" in lines[1]
    assert "<b>+$0.40</b> 🎁 bonus · tidy work" in lines[2]
    assert "<b>+$1.25</b> ✅ approved work · HIT" in lines[3] and "05 Jan 12:05 UTC" in lines[3]


async def test_withdraw_below_minimum_is_friendly_and_changes_nothing(bot):
    rita = await person(bot, "Rita", cents=10_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 1, "0.60")
    calls = await bot.text(wes, "/withdraw")
    assert calls[0].text.startswith("💸 The minimum payout is $1.00; you have $0.60 available.")
    assert "Another $0.40" in calls[0].text and calls[0].buttons == []
    assert Payout.select().count() == 0
    forged = await bot.press(wes, "wd:ok:60")
    assert "minimum payout is $1.00" in alert(forged)
    assert Payout.select().count() == 0 and ledger.balance(ledger.available(wes.id)) == 60


async def test_withdraw_confirm_double_tap_pays_once(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 3, "1.00")
    await bot.text(wes, "/balance")
    calls = await bot.press(wes, "wd:ask")  # the balance message's Withdraw button
    assert answers(calls) and "Withdraw <b>$3.00</b>" in calls[0].text
    assert calls[0].buttons == [("✅ Confirm", "wd:ok:300"), ("✖️ Cancel", "wd:no")]
    confirm = bot.tg.last_message(wes.id).message_id
    first = await bot.press(wes, "wd:ok:300", confirm)
    assert alert(first) == "Payout requested."
    payout = Payout.get()
    assert bot.tg.chats[wes.id][confirm].text.startswith(f"✅ Payout #{payout.id} of $3.00 requested.")
    second = await bot.press(wes, "wd:ok:300", confirm)
    assert alert(second) == "This withdrawal was already requested."
    assert Payout.select().count() == 1 and payout.amount_cents == 300
    assert ledger.balance(ledger.available(wes.id)) == 0
    check_invariants()
    # The pending payout is shown with its state.
    again = await bot.text(wes, "/withdraw")
    assert "minimum payout" in again[0].text
    assert f"Payout #{payout.id}: $3.00, 0s ago: ⏳ requested, waiting to be sent" in again[0].text
    accounts.start_payout(payout_id=payout.id, now=NOW)
    assert "🔄 being sent" in (await bot.text(wes, "/withdraw"))[0].text
    accounts.settle_payout(payout_id=payout.id, now=NOW, provider_ref="ref-1")
    assert "✅ sent" in (await bot.text(wes, "/withdraw"))[0].text
    bal = await bot.text(wes, "/balance")
    assert "Paid out: $3.00" in bal[0].text and "Lifetime earnings: $3.00" in bal[0].text


async def test_withdraw_cancel_and_stale_amount(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 2, "1.00")
    await bot.text(wes, "/withdraw")
    cancelled = await bot.press_label(wes, "Cancel")
    assert answers(cancelled) and bot.tg.last_message(wes.id).text == "Cancelled; nothing was withdrawn."
    # A confirmation for more than is available (an old message) is refused with the real figure.
    stale = await bot.press(wes, "wd:ok:900")
    assert alert(stale) == "You can withdraw at most $2.00."
    assert Payout.select().count() == 0


async def test_two_workers_withdraw_at_once_each_their_own(bot):
    rita = await person(bot, "Rita", cents=50_00)
    wes, ann = await person(bot, "Wes"), await person(bot, "Ann")
    await earn(bot, wes, rita, 2, "1.00")
    await earn(bot, ann, rita, 3, "1.00")
    await bot.text(wes, "/withdraw")
    await bot.text(ann, "/withdraw")
    await bot.press_label(ann, "Confirm")
    await bot.press_label(wes, "Confirm")
    assert sorted((p.worker_id, p.amount_cents) for p in Payout.select()) == sorted([(wes.id, 200), (ann.id, 300)])
    check_invariants()


async def test_two_confirmation_messages_cannot_pay_twice(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 2, "1.00")
    await bot.text(wes, "/withdraw")
    first = bot.tg.last_message(wes.id).message_id
    await bot.text(wes, "/withdraw")
    second = bot.tg.last_message(wes.id).message_id
    assert alert(await bot.press(wes, "wd:ok:200", second)) == "Payout requested."
    refused = await bot.press(wes, "wd:ok:200", first)
    assert alert(refused) == "The minimum payout is $1.00; you have $0.00 available."
    assert Payout.select().count() == 1 and ledger.balance(ledger.available(wes.id)) == 0
    check_invariants()
