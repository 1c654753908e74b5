"""Walked over HTTP as people would (issue 18, follow-up work and group messages): Rita's bird HIT is
done by Wes and Ann; from Wes's review card Rita offers him follow-up work at a new reward, Wes gets
the notice, previews and accepts it, while Otto, who never worked for Rita, can neither find nor open
it. Then Rita sends one message to both workers of the HIT from /myhits: each gets it in their own
conversation, and her progress message, edited by the jobs worker, ends at "Sent 2/2"."""
from __future__ import annotations

import pytest

from core.models import FollowupOffer, Hit
from core.mturk.commands import worker_ref
from tests.e2e.walks import SPEC, publish_bird_hit, topup, work_bird_hit

pytestmark = pytest.mark.slow

RITA, WES, ANN, OTTO = 551, 651, 652, 653


def test_follow_up_work_and_a_group_message_through_the_sandbox(stack):
    rita, wes, ann, otto = (stack.person(RITA, "Rita"), stack.person(WES, "Wes"), stack.person(ANN, "Ann"),
                            stack.person(OTTO, "Otto"))
    for p in (rita, wes, ann, otto):
        p.send("/start")
        p.wait_for(p.name)
    topup(rita, "10")
    hit = publish_bird_hit(rita)
    work_bird_hit(wes, hit, bird="robin", count="1", notes="Orange breast")
    work_bird_hit(ann, hit, bird="sparrow", count="2", notes="Brown")

    # Follow-up work for Wes, from his review card.
    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Offer follow-up work")
    rita.press("Offer follow-up work", card)
    screen = rita.wait_for("Template:", f"Worker #{worker_ref(RITA, WES)}")
    assert f"Template: {SPEC['title']}" in screen["text"]
    rita.send("1.10")
    confirm = rita.wait_for("Reward: $1.10 for 1 worker", "Publish for")
    wes.mark()
    rita.press("Publish for", confirm)
    rita.wait_for("Only they can see and accept it")
    offer = FollowupOffer.get()
    private = Hit.get_by_id(offer.hit_id)
    assert private.reward_cents == 110 and private.max_assignments == 1

    notice = wes.wait_for("Rita offers you follow-up work", SPEC["title"], "Preview")
    wes.press("Preview", notice)
    wes.wait_for(SPEC["title"], "$1.10", "Accept")
    wes.press("Accept")
    wes.wait_for("Which bird is it?")
    assert Hit.get_by_id(private.id).available == 0

    otto.send("/browse")
    listing = otto.wait_for("")
    assert SPEC["title"] not in listing["text"]
    otto.send(f"/start hit_{private.id}")
    otto.wait_for("doesn't exist")

    # One message to both workers of the HIT, from /myhits.
    rita.send("/myhits")
    # (the list itself: a submission card naming the HIT may be edited meanwhile, by the jobs worker)
    hits = rita.wait_for("Your HITs", SPEC["title"][:20])
    rita.press(f"2. {SPEC['title'][:20]}", hits)  # the newest, 1., is the follow-up HIT
    hit_card = rita.wait_for(f"(HIT #{hit.id})", "Message workers")
    rita.press("Message workers", hit_card)
    rita.wait_for("2 workers of", SPEC["title"])
    wes.mark()
    ann.mark()
    rita.send("Thanks both! More birds on Monday.")
    rita.wait_for("Sent 2/2", "Sent to all 2 workers")
    for worker in (wes, ann):
        got = worker.wait_for("Message from Rita", "More birds on Monday", "Reply")
        assert "Ann" not in got["text"] and "Wes" not in got["text"]
    ann.press("Reply", ann.wait_for("More birds on Monday", fresh=False))
    ann.wait_for("Write your reply")
    rita.mark()
    ann.send("See you Monday")
    rita.wait_for(f"Message from Worker #{worker_ref(RITA, ANN)}", "See you Monday")
