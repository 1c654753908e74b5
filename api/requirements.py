"""QualificationRequirements in and out: MTurk's built-in type ids, comparators and
ActionsGuarded as hitbot's requirements (core.quals.rules checks them in browse, preview and
accept exactly as for a HIT made in chat).

ActionsGuarded maps onto hitbot's guard levels one to one: Accept -> "accept" (listed and
previewable, not acceptable), PreviewAndAccept -> "preview" (listed, preview refused),
DiscoverPreviewAndAccept -> "discover" (not listed at all). RequiredToPreview=true is
PreviewAndAccept, as MTurk documents it."""
from __future__ import annotations

from collections.abc import Callable

from api import ids
from api.errors import request_error
from core.models import QualificationType, SystemQual

LOCALE = "00000000000000000071"
BUILTIN = {
    "000000000000000000L0": SystemQual.APPROVAL_RATE,  # Worker_PercentAssignmentsApproved
    "00000000000000000040": SystemQual.APPROVED_COUNT,  # Worker_NumberHITsApproved
    LOCALE: SystemQual.COUNTRY,  # Worker_Locale (country only)
    "3QTHITBOTACCOUNTAGE0": SystemQual.ACCOUNT_AGE_DAYS,  # hitbot's own: days since the worker joined
    "3QTHITBOTWORKERRATE0": SystemQual.WORKER_RATING,  # hitbot's own: requesters' average stars, 1-5
}
ID_OF_SYSTEM = {key: type_id for type_id, key in BUILTIN.items()}
BUILTIN_NAMES = {SystemQual.APPROVAL_RATE: "Worker_PercentAssignmentsApproved",
                 SystemQual.APPROVED_COUNT: "Worker_NumberHITsApproved", SystemQual.COUNTRY: "Worker_Locale",
                 SystemQual.ACCOUNT_AGE_DAYS: "Worker_AccountAgeInDays", SystemQual.WORKER_RATING: "Worker_Rating"}
# Masters (production and sandbox ids): hitbot has no Masters, so such a HIT could never be taken.
MASTERS = frozenset({"2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "2NDP2L92HECWY8NS8H3CK0CP5L9GHO",
                     "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"})
ADULT = "00000000000000000060"
COMPARATORS = {"LessThan": "<", "LessThanOrEqualTo": "<=", "GreaterThan": ">", "GreaterThanOrEqualTo": ">=",
               "EqualTo": "=", "NotEqualTo": "!=", "Exists": "exists", "DoesNotExist": "not exists",
               "In": "in", "NotIn": "not in"}
COMPARATOR_NAMES = {ours: theirs for theirs, ours in COMPARATORS.items()}
GUARDS = {"Accept": "accept", "PreviewAndAccept": "preview", "DiscoverPreviewAndAccept": "discover"}
GUARD_NAMES = {ours: theirs for theirs, ours in GUARDS.items()}
MAX_REQUIREMENTS = 10  # hitbot's bound (core.hits.spec.MAX_REQUIREMENTS)
MAX_INTEGER_VALUES = 15  # MTurk's bounds for In / NotIn
MAX_LOCALE_VALUES = 30
MAX_INTEGER = 2**31 - 1

# (QualificationTypeId, hitbot's spec entry): the id kept beside the entry so the answer can name it.
Parsed = list[tuple[str, dict]]


def has_api_id(qtype: QualificationType) -> bool:
    """Whether the API can name this type: a requester's own, or a built-in MTurk knows (not speaks,
    which a HIT made in the chat may require: the API shows that HIT without it)."""
    return qtype.system is None or qtype.system in ID_OF_SYSTEM


def type_id_of(qtype: QualificationType) -> str:
    return ID_OF_SYSTEM[qtype.system] if qtype.system else ids.qual_type_id(qtype.id)


def _fail(n: int, why: str, code: str = "AWS.ParameterOutOfRange"):
    return request_error(f"QualificationRequirements[{n}]: {why}", code)


def parse(raw: object, resolve: Callable[[int], QualificationType]) -> Parsed:
    """The requirements as hitbot's spec entries ({"name", "comparator", "value", "guard"}); `resolve`
    turns a hitbot type number into the requester's usable type (raising for anyone else's)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_REQUIREMENTS:
        raise request_error(f"QualificationRequirements must be a list of at most {MAX_REQUIREMENTS} requirements.")
    out: Parsed = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _fail(n, "each requirement is an object.")
        unknown = set(item) - {"QualificationTypeId", "Comparator", "IntegerValues", "LocaleValues",
                               "RequiredToPreview", "ActionsGuarded"}
        if unknown:
            raise _fail(n, f"unknown member {min(unknown)[:40]}.")
        type_id = item.get("QualificationTypeId")
        if not isinstance(type_id, str) or not 1 <= len(type_id) <= 64:
            raise _fail(n, "QualificationTypeId is required.", "AWS.MechanicalTurk.MissingParameter")
        if type_id in MASTERS:
            raise _fail(n, "hitbot has no Masters qualification, so no worker could take this HIT; "
                           "use an approval rate (000000000000000000L0) and a number of approved HITs "
                           "(00000000000000000040) instead.", "AWS.MechanicalTurk.QualificationTypeDoesNotExist")
        if type_id == ADULT:
            raise _fail(n, "hitbot does not know whether a worker is an adult (00000000000000000060), "
                           "so it cannot keep this HIT from minors; it is refused.",
                        "AWS.MechanicalTurk.QualificationTypeDoesNotExist")
        comparator = COMPARATORS.get(item.get("Comparator"))  # type: ignore[arg-type]
        if comparator is None:
            raise _fail(n, f"Comparator must be one of {', '.join(COMPARATORS)}.")
        if type_id in BUILTIN:
            name = BUILTIN[type_id]
        else:
            name = resolve(ids.parse_qual_type_id(type_id)).name
        entry: dict = {"name": name, "comparator": comparator, "guard": _guard(n, item)}
        value = _values(n, item, locale=type_id == LOCALE, comparator=comparator)
        if value is not None:
            entry["value"] = value
        out.append((type_id, entry))
    return out


def _guard(n: int, item: dict) -> str:
    actions, preview = item.get("ActionsGuarded"), item.get("RequiredToPreview")
    if preview is not None and not isinstance(preview, bool):
        raise _fail(n, "RequiredToPreview must be true or false.")
    if actions is not None:
        if actions not in GUARDS:
            raise _fail(n, f"ActionsGuarded must be one of {', '.join(GUARDS)}.")
        return GUARDS[actions]
    return "preview" if preview else "accept"


def _values(n: int, item: dict, *, locale: bool, comparator: str) -> int | str | list | None:
    integers, locales = item.get("IntegerValues"), item.get("LocaleValues")
    if integers is not None and locales is not None:
        raise _fail(n, "give IntegerValues or LocaleValues, not both.")
    if comparator in ("exists", "not exists"):
        if integers or locales:
            raise _fail(n, f"{COMPARATOR_NAMES[comparator]} takes no values.")
        return None
    if locale:
        if integers is not None:
            raise _fail(n, "Worker_Locale (00000000000000000071) is compared with LocaleValues.")
        values = _countries(n, locales)
    else:
        if locales is not None:
            raise _fail(n, "LocaleValues can only be used with Worker_Locale (00000000000000000071).")
        values = _integers(n, integers)
    if comparator in ("in", "not in"):
        most = MAX_LOCALE_VALUES if locale else MAX_INTEGER_VALUES
        if len(values) > most:
            raise _fail(n, f"{COMPARATOR_NAMES[comparator]} takes at most {most} values.")
        return values
    if len(values) != 1:
        raise _fail(n, f"{COMPARATOR_NAMES[comparator]} takes exactly one value.")
    return values[0]


def _integers(n: int, raw: object) -> list[int]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_INTEGER_VALUES \
            or any(isinstance(v, bool) or not isinstance(v, int) or abs(v) > MAX_INTEGER for v in raw):
        raise _fail(n, f"IntegerValues must be a list of 1 to {MAX_INTEGER_VALUES} whole numbers.")
    return list(raw)


def _countries(n: int, raw: object) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LOCALE_VALUES:
        raise _fail(n, f"LocaleValues must be a list of 1 to {MAX_LOCALE_VALUES} locales.")
    out = []
    for locale in raw:
        if not isinstance(locale, dict) or not isinstance(locale.get("Country"), str) \
                or set(locale) - {"Country", "Subdivision"}:
            raise _fail(n, "each LocaleValue is {\"Country\": \"US\"}.")
        if locale.get("Subdivision") is not None:
            raise _fail(n, "hitbot knows a worker's country, not their state or province: Subdivision is not "
                           "supported.", "AWS.MechanicalTurk.UnsupportedParameter")
        out.append(locale["Country"][:8])
    return out


def shape(type_id: str, comparator: str, values: list, guard: str) -> dict:
    """One requirement in MTurk's shape (GetHIT, ListHITs, and the HIT type's digest)."""
    out: dict = {"QualificationTypeId": type_id, "Comparator": COMPARATOR_NAMES[comparator]}
    if values:
        if type_id == LOCALE:
            out["LocaleValues"] = [{"Country": str(v)} for v in values]
        else:
            out["IntegerValues"] = [int(v) for v in values]
    out["RequiredToPreview"] = guard != "accept"
    out["ActionsGuarded"] = GUARD_NAMES[guard]
    return out
