"""hitbot's one error family. Each message is something a person can act on."""
from __future__ import annotations


class HitbotError(Exception):
    """Base class of every error core raises on purpose."""

    default = "Something is not right with that request."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(HitbotError):
    """Raised when an environment variable has a value hitbot cannot use."""


class ValidationFailed(HitbotError):
    """Raised when a value a person typed is out of bounds or malformed."""

    default = "That value is not valid."


class NotFound(HitbotError):
    """Raised when a HIT, assignment, user or payout does not exist."""

    default = "That no longer exists."


class NotAllowed(HitbotError):
    """Raised when someone acts on something that is not theirs (forged or stale button)."""

    default = "This button is no longer valid."


class StaleAction(NotAllowed):
    """Raised when the thing acted on has moved on (already approved, expired, submitted)."""


class HitUnavailable(HitbotError):
    """Raised when a worker tries to accept a HIT that is full, expired or closed."""

    default = "Sorry, this HIT is no longer available."


class AlreadyAccepted(HitbotError):
    """Raised when a worker accepts a HIT they already worked on."""

    default = "You have already worked on this HIT."


class WorkerBlocked(HitbotError):
    """Raised when a blocked worker (by the requester or by an admin) tries to take work."""

    default = "You can't take work from this requester."


class NotQualified(HitbotError):
    """Raised when a worker fails one of the HIT's qualification requirements."""

    default = "You don't meet this HIT's requirements."


class DeadlinePassed(HitbotError):
    """Raised when a worker answers or submits after the assignment's deadline."""

    default = "The time for this assignment has run out."


class IncompleteAnswers(HitbotError):
    """Raised when a submission misses a required answer."""

    default = "Please answer every required question before submitting."


class InsufficientFunds(HitbotError):
    """Raised when a balance is too small for the money a request would move."""

    default = "Your balance is too low for this."


class PayoutTooSmall(HitbotError):
    """Raised when a withdrawal is below the minimum payout."""


class PayoutOnHold(HitbotError):
    """Raised when a worker withdraws while a newly added payout destination is on hold
    (HITBOT_PAYOUT_HOLD_S), until it ends or the worker confirms from the notice."""

    default = "Payouts are on hold for a while after a payout destination was added."


class TaxDetailsRequired(HitbotError):
    """Raised when a withdrawal would take a worker's payouts of the year past
    HITBOT_TAX_THRESHOLD_CENTS and the worker has not given tax details."""

    default = "Give your tax details first: /payout tax COUNTRY TAX_ID."


class BatchInvalid(ValidationFailed):
    """Raised when rows of a batch fail validation; nothing is published. `problems`
    holds (row number, reason) for every bad row."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "\n".join(f"row {n}: {why}" for n, why in problems[:20])
        more = f"\n... and {len(problems) - 20} more bad rows" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} bad row(s), nothing was published:\n{shown}{more}")


class SpecInvalid(ValidationFailed):
    """Raised when a HIT spec (a file, a batch row or the wizard's draft) has problems.
    `problems` holds (path, reason) for every one, the path being the keys from the top
    (e.g. ("questions", 0, "prompt")), so a file reader can add the line of each."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]], limit: int = 10) -> None:
        self.problems = problems
        shown = "; ".join(self.line(path, why) for path, why in problems[:limit])
        more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
        super().__init__(shown + more)

    @staticmethod
    def line(path: tuple[str | int, ...], why: str) -> str:
        """'questions.0.prompt: can't be empty'; a reason that names its key already stands alone."""
        where = ".".join(str(p) for p in path) or "spec"
        key = str(path[-1]) if path else ""
        if key and (why.startswith(where) or why.lower().startswith(f"the {key} ")):
            return why
        return f"{where}: {why}"


class DuplicateRequest(StaleAction):
    """Raised when a request repeats an idempotency token (the MTurk API's UniqueRequestToken)
    that already made something; `hit_id` names the HIT it made, if it was one."""

    def __init__(self, message: str, *, hit_id: int | None = None) -> None:
        super().__init__(message)
        self.hit_id = hit_id
