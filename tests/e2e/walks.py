"""Steps the end-to-end walks take alike, as people in the web chat would: the bird HIT most of them
publish and work on, start the bot, fund and key a requester, publish a spec file, create a qualification, take and submit a HIT, ask a requester from a
preview, reply to a message, and ask for and make the revision the bird HIT's walks make."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import boto3

from core.hits.publishing import publish_hit
from core.models import Hit
from core.payments import accounts
from core.users import commands as users
from tests.conftest import ADMIN_ID

SPEC = {
    "title": "Which bird is in the photo?",
    "description": "Look at the photo and tell us about the bird.",
    "keywords": ["birds"],
    "reward": "0.75",
    "assignments": 2,
    "duration": "10m",
    "lifetime": "1d",
    "questions": [
        {"id": "bird", "kind": "choice", "prompt": "Which bird is it?", "options": ["sparrow", "robin", "blackbird"]},
        {"id": "count", "kind": "number", "prompt": "How many birds do you see?", "min": 0, "max": 50},
        {"id": "notes", "kind": "text", "prompt": "Describe its colours", "max_length": 200},
    ],
}


def topup(rita, amount: str) -> None:
    rita.send(f"/topup {amount}")
    rita.wait_for("top-up")
    paid = rita.pay_invoice()
    assert paid["paid"] is True, paid
    rita.wait_for("added")


def publish_bird_hit(rita) -> Hit:
    rita.upload("document", json.dumps(SPEC).encode(), "bird.json", "application/json", caption="/newhit")
    rita.wait_for("Which bird is in the photo?", "Publish")
    rita.press("Publish")
    rita.wait_for("published")
    return Hit.get(Hit.title == SPEC["title"])


def work_bird_hit(worker, hit: Hit, *, bird: str, count: str, notes: str) -> None:
    accept(worker, title=SPEC["title"])
    worker.wait_for("Which bird is it?")
    worker.press(bird)
    worker.wait_for("How many birds")
    worker.send(count)
    worker.wait_for("Describe its colours")
    worker.send(notes)
    submit(worker)


def started(stack, *who: tuple[int, str], usernames: dict[int, str] | None = None) -> list:
    """The people (id, name) after each sent /start and was greeted by name; with `usernames`, each first
    joins the sandbox with that Telegram username."""
    people = []
    for uid, name in who:
        person = stack.person(uid, name)
        if usernames:
            stack.http.post("/sandbox/api/users", json={"id": uid, "first_name": name, "username": usernames[uid],
                                                         "language_code": "en"}).raise_for_status()
        person.send("/start")
        person.wait_for(name)
        people.append(person)
    return people


def api_key(rita) -> tuple[str, str]:
    """A new key from /apikey: (access key id, secret), as the requester copies them."""
    rita.send("/apikey")
    rita.press("New key", rita.wait_for("New key"))
    shown = rita.wait_for("aws_secret_access_key")["text"]
    return (re.search(r"aws_access_key_id = (\S+)", shown).group(1),
            re.search(r"aws_secret_access_key = (\S+)", shown).group(1))


def funded_script(stack, rita, amount: str = "10"):
    """The requester tops up `amount` and makes an API key; her boto3 client on the sandbox's API."""
    topup(rita, amount)
    return script_client(stack, *api_key(rita))


def script_client(stack, key_id: str, secret: str):
    return boto3.client("mturk", endpoint_url=stack.url + "/mturk", region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret)


def publish_spec(rita, spec: dict, filename: str) -> Hit:
    """Sends the spec as a /newhit file, presses Publish on its preview; the HIT it published."""
    rita.upload("document", json.dumps(spec).encode(), filename, "application/json", caption="/newhit")
    rita.wait_for(spec["title"], "Publish")
    rita.press("Publish")
    rita.wait_for("published")
    return Hit.get(Hit.title == spec["title"])


def new_qual(rita, name: str, description: str) -> None:
    rita.send(f"/qual new {name} | {description}")
    rita.wait_for(f"Created “{name}”")


def accept(worker, hit: Hit | None = None, *, title: str | None = None) -> None:
    """Opens the HIT from its link (or, by `title`, from /browse) and accepts it."""
    if hit is not None:
        worker.send(f"/start hit_{hit.id}")
    else:
        worker.send("/browse")
        worker.press(title[:20], worker.wait_for(title))
    worker.wait_for("Accept")
    worker.press("Accept")


def submit(worker, done: str = "submitted") -> None:
    worker.wait_for("Submit")
    worker.press("Submit")
    worker.wait_for(done)


def ask_from_preview(worker, requester, hit: Hit, question: str, alias: str, heard: str) -> dict:
    """The worker asks about the HIT from its preview; the requester's notice, from the worker's alias only."""
    worker.send(f"/start hit_{hit.id}")
    worker.wait_for(SPEC["title"], "Ask the requester")
    worker.press("Ask the requester")
    worker.wait_for("They will not see your Telegram name", "Cancel")
    requester.mark()
    worker.send(question)
    worker.wait_for("Sent")
    return requester.wait_for(f"Message from {alias}", heard, "Reply")


def reply(sender, receiver, notice: dict, text: str, *heard: str) -> dict:
    """The sender presses Reply on a message and writes `text`; what the receiver gets."""
    sender.press("Reply", notice)
    sender.wait_for("Write your reply")
    receiver.mark()
    sender.send(text)
    return receiver.wait_for(*heard)


def ask_for_revision(rita, wes, card: dict, note: str, heard: str) -> dict:
    """The requester asks for a revision from the card with a note; the worker's notice."""
    rita.press("Ask for a revision", card)
    rita.wait_for("What should the worker change", "Cancel")
    wes.mark()
    rita.send(note)
    rita.wait_for("Sent back to the worker")
    return wes.wait_for("asks you to revise", heard, "Revise")


def revise_to_two_sparrows(wes, notice: dict) -> None:
    """From the revision notice: the robin becomes a sparrow, the count 2, then Revise's recap (not yet sent)."""
    wes.press("Revise", notice)
    screen = wes.wait_for("Revising", "robin", "Resubmit")
    wes.press("1", screen)
    wes.wait_for("Your answer now", "sparrow")
    wes.press("sparrow")
    screen = wes.wait_for("Revising", "sparrow", "Resubmit")
    wes.press("2", screen)
    wes.wait_for("How many birds", "Send the new answer")
    wes.send("2")
    wes.wait_for("Revising", "Resubmit")


def message_from_review(rita, wes, text: str, *heard: str) -> dict:
    """The requester writes to the worker from the submission's review card; what the worker gets."""
    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Message")
    rita.press("✉️ Message", card)
    rita.wait_for("Write your message to the worker")
    wes.mark()
    rita.send(text)
    return wes.wait_for("Message from Rita", *heard)


def request_qualification(wes, rita, preview: dict, message: str, qual: str, alias: str, heard: str) -> dict:
    """The worker asks for the qualification from the HIT's preview with a message; the requester's notice."""
    wes.press("Request this qualification", preview)
    wes.wait_for("Write a short message for the requester", "Send without a message")
    rita.mark()
    wes.send(message)
    wes.wait_for("was sent")
    return rita.wait_for(f"{alias} asks for your qualification “{qual}”", heard, "Grant")


def grant_and_accept(rita, wes, notice: dict, qual: str, alias: str, title: str) -> None:
    """The requester grants from the notice; the worker is told, previews the HIT and accepts it."""
    wes.mark()
    rita.press("Grant", notice)
    rita.wait_for(f"You granted “{qual}” = 1 to {alias}")
    told = wes.wait_for("Your request was granted", "Preview the HIT")
    wes.press("Preview the HIT", told)
    wes.wait_for(title, "Accept")
    wes.press("Accept")
    wes.wait_for("Which bird is it?")


def published_in_core(uid: int, spec: dict, key: str) -> Hit:
    """A requester registered with $5.00 who published `spec` through core, before anyone opens the chat."""
    now = datetime.now(UTC)
    users.register(user_id=uid, first_name="Rita", now=now)
    accounts.credit(admin_id=ADMIN_ID, user_id=uid, amount_cents=5_00, reason="e2e", now=now, key=key)
    return publish_hit(requester_id=uid, now=now, spec=spec)
