"""/newhit, typing a worker_rating requirement: a value no average of 1-5 stars can meet is refused
with the reason and nothing is added; a meetable one is taken."""
from __future__ import annotations

from tests.bot.chat import last_text
from tests.bot.test_requester_newhit import assert_refused, at_requirements


async def test_a_worker_rating_outside_1_to_5_is_refused_and_a_good_one_taken(bot):
    rita = await at_requirements(bot)
    await assert_refused(bot, rita, [("worker_rating >= 6", "Worker rating is a number of stars from 1 to 5"),
                                     ("worker_rating > 5", "No worker can have a worker rating above 5"),
                                     ("worker_rating >= 0", "Worker rating is a number of stars from 1 to 5"),
                                     ("worker_rating < 1", "No worker can have a worker rating below 1")])
    await bot.text(rita, "worker_rating >= 4")
    shown = last_text(bot, rita)
    assert "So far" in shown and "4" in shown.split("So far", 1)[1], shown
