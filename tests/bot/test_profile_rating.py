"""A worker sees the stars requesters gave them on /profile (issue 18, ratings both ways): what HITs
requiring a worker rating compare against, averaged over every requester, naming none of them; a
changed rating shows at once."""
from __future__ import annotations

from tests import factories as f
from tests.bot.test_ratings_both_ways import card_of, person, submit


def _profile(calls) -> str:
    (shown,) = [c.text for c in calls if c.method == "sendMessage"]
    return shown


async def test_profile_shows_the_workers_rating_from_all_requesters(bot):
    rita, mal = await person(bot, "Rita", cents=20_00), await person(bot, "Mallory", cents=20_00)
    wes = await person(bot, "Wes")
    assert "Your rating from requesters: none yet" in _profile(await bot.text(wes, "/profile"))

    a = submit(f.hit(rita.id), wes)
    await card_of(bot, rita, a.id)
    await bot.press(rita, f"rw:s:{a.id}:5")
    assert "Your rating from requesters: ★5.0 from 1 rating" in _profile(await bot.text(wes, "/profile"))

    b = submit(f.hit(mal.id), wes)
    await card_of(bot, mal, b.id)
    await bot.press(mal, f"rw:s:{b.id}:4")
    shown = _profile(await bot.text(wes, "/profile"))
    assert "Your rating from requesters: ★4.5 from 2 ratings" in shown
    assert "Rita" not in shown and "Mallory" not in shown

    await bot.press(mal, f"rw:s:{b.id}:2")  # changed within the 7 days
    assert "★3.5 from 2 ratings" in _profile(await bot.text(wes, "/profile"))
