"""hitbot's one error family. Each message is something a person can act on.

An error carries a key, the English source text with named placeholders (marked with N_ for the
gettext catalogs), and the values that fill it: `raise NotFound(N_("HIT {hit_id} does not exist."),
hit_id=7)`. `exc.message` is the English (the MTurk API and logs show it); the bot renders `exc.key`
with `exc.params` in the reader's language (bot.runtime.error_text). Money goes in as core.texts.Amount."""
from __future__ import annotations

from core.texts import N_, Amount, Joined, Text, text  # noqa: F401  (Amount: what raisers pass money as)


class HitbotError(Exception):
    """Base class of every error core raises on purpose."""

    default = N_("Something is not right with that request.")

    def __init__(self, message_key: str | Text | None = None, /, **params: object) -> None:
        if isinstance(message_key, Text):
            self.text = message_key
        else:
            self.text = Text(message_key or self.default, **params)
        super().__init__(str(self.text))

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def key(self) -> str:
        return self.text.key

    @property
    def params(self) -> dict[str, object]:
        return self.text.params


class ConfigError(HitbotError):
    """Raised when an environment variable has a value hitbot cannot use."""


class ValidationFailed(HitbotError):
    """Raised when a value a person typed is out of bounds or malformed."""

    default = N_("That value is not valid.")


class NotFound(HitbotError):
    """Raised when a HIT, assignment, user or payout does not exist."""

    default = N_("That no longer exists.")


class NotAllowed(HitbotError):
    """Raised when someone acts on something that is not theirs (forged or stale button)."""

    default = N_("This button is no longer valid.")


class StaleAction(NotAllowed):
    """Raised when the thing acted on has moved on (already approved, expired, submitted)."""


class HitUnavailable(HitbotError):
    """Raised when a worker tries to accept a HIT that is full, expired or closed."""

    default = N_("Sorry, this HIT is no longer available.")


class AlreadyAccepted(HitbotError):
    """Raised when a worker accepts a HIT they already worked on."""

    default = N_("You have already worked on this HIT.")


class WorkerBlocked(HitbotError):
    """Raised when a blocked worker (by the requester or by an admin) tries to take work."""

    default = N_("You can't take work from this requester.")


class NotQualified(HitbotError):
    """Raised when a worker fails one of the HIT's qualification requirements."""

    default = N_("You don't meet this HIT's requirements.")


class DeadlinePassed(HitbotError):
    """Raised when a worker answers or submits after the assignment's deadline."""

    default = N_("The time for this assignment has run out.")


class IncompleteAnswers(HitbotError):
    """Raised when a submission misses a required answer."""

    default = N_("Please answer every required question before submitting.")


class InsufficientFunds(HitbotError):
    """Raised when a balance is too small for the money a request would move."""

    default = N_("Your balance is too low for this.")


class BelowPayFloor(HitbotError):
    """Raised when a requester publishes a HIT whose own time estimate pays less an hour than the
    operator's floor (HITBOT_MIN_HOURLY_CENTS) without confirming that rate (params: hourly_cents, draft_id)."""

    default = N_("Your estimate pays {hourly} an hour, below this marketplace's minimum of {floor} an hour.")


class PayoutTooSmall(HitbotError):
    """Raised when a withdrawal is below the minimum payout."""


class PayoutOnHold(HitbotError):
    """Raised when a worker withdraws while a newly added payout destination is on hold
    (HITBOT_PAYOUT_HOLD_S), until it ends or the worker confirms from the notice."""

    default = N_("Payouts are on hold for a while after a payout destination was added.")


class TaxDetailsRequired(HitbotError):
    """Raised when a withdrawal would take a worker's payouts of the year past
    HITBOT_TAX_THRESHOLD_CENTS and the worker has not given tax details."""

    default = N_("Give your tax details first: /payout tax COUNTRY TAX_ID.")


class BatchInvalid(ValidationFailed):
    """Raised when rows of a batch fail validation; nothing is published. `problems`
    holds (row number, reason) for every bad row, the reason a Text (or a plain string)."""

    SHOWN = 20

    def __init__(self, problems: list[tuple[int, Text | str]]) -> None:
        self.problems = problems
        rows = tuple(Text(N_("row {row}: {reason}"), row=n, reason=text(why)) for n, why in problems[:self.SHOWN])
        if len(problems) > self.SHOWN:
            rows += (Text(N_("... and {count} more bad rows"), count=len(problems) - self.SHOWN),)
        super().__init__(Text(N_("{count} bad row(s), nothing was published:\n{rows}"), count=len(problems),
                              rows=Joined(rows, "\n")))


class SpecInvalid(ValidationFailed):
    """Raised when a HIT spec (a file, a batch row or the wizard's draft) has problems.
    `problems` holds (path, reason) for every one, the path being the keys from the top
    (e.g. ("questions", 0, "prompt")), so a file reader can add the line of each; the reason
    is a Text (or a plain string)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], Text | str]], limit: int = 10) -> None:
        self.problems = problems
        shown = Joined(tuple(self.line(path, why) for path, why in problems[:limit]), "; ")
        more = Text(N_(" (and {count} more)"), count=len(problems) - limit) if len(problems) > limit else ""
        super().__init__(Text("{shown}{more}", shown=shown, more=more))

    @staticmethod
    def line(path: tuple[str | int, ...], why: Text | str) -> Text:
        """'questions.0.prompt: can't be empty'; a reason that names its key already stands alone."""
        where = ".".join(str(p) for p in path) or "spec"
        key = str(path[-1]) if path else ""
        english = str(why)
        if key and (english.startswith(where) or english.lower().startswith(f"the {key} ")):
            return text(why)
        return Text(N_("{where}: {reason}"), where=where, reason=text(why))


class DuplicateRequest(StaleAction):
    """Raised when a request repeats an idempotency token (the MTurk API's UniqueRequestToken)
    that already made something; `hit_id` names the HIT it made, if it was one."""

    def __init__(self, message_key: str | Text, /, *, hit_id: int | None = None, **params: object) -> None:
        super().__init__(message_key, **params)
        self.hit_id = hit_id
