"""Settings read afresh from a test's environment variables: the fixtures that switch a feature on (a pay
floor, payout methods, task pages) set their variables through here."""
from __future__ import annotations

from collections.abc import Iterator

from core.config import Settings, get_settings


def settings_env(monkeypatch, *, undo: bool = False, **env: str) -> Iterator[Settings]:
    """For a fixture to `yield from`: sets `env`, yields the settings read from it, and clears the cached
    settings afterwards; with `undo`, first undoes the test's monkeypatching, so no later read in this
    test's teardown sees the variables."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    if undo:
        monkeypatch.undo()
    get_settings.cache_clear()
