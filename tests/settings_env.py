"""Settings read afresh from a test's environment variables: the fixtures that switch a feature on (a pay
floor, payout methods, task pages) set their variables through here."""
from __future__ import annotations

from collections.abc import Iterator

from core.config import Settings, get_settings

# Four payout methods, SEPA with a $5.00 minimum and a 25-cent fee; a secret key to seal destinations
# (PostgreSQL runs need one).
PAYOUT_METHODS = {"HITBOT_PAYOUT_METHODS": "paypal,sepa,ach,giftcard",
                  "HITBOT_SECRET_KEY": "payout-tests-secret-key-0123456789abcdef",
                  "HITBOT_PAYOUT_MIN_CENTS_SEPA": "500", "HITBOT_PAYOUT_FEE_CENTS_SEPA": "25"}


def settings_env(monkeypatch, *, undo: bool = False, unset: bool = False, **env: str) -> Iterator[Settings]:
    """For a fixture to `yield from`: sets `env`, yields the settings read from it, and clears the cached
    settings afterwards; with `undo` (all of the test's monkeypatching) or `unset` (these variables), first
    takes the variables away, so no later read in this test's teardown sees them."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    if undo:
        monkeypatch.undo()
    elif unset:
        for name in env:
            monkeypatch.delenv(name)
    get_settings.cache_clear()
