"""What the per-area language tests ask alike: which texts a reader sees in English although a translation
exists (a text missing from a catalog falls back to the English), and what the catalogs' own check finds in
an area's texts."""
from __future__ import annotations

from collections.abc import Callable

from babel.messages.catalog import Catalog

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use


def untranslated(render: Callable[[], list[str]], locale: str) -> list[str]:
    """The texts `render()` shows in `locale` just as in English."""
    with use(DEFAULT):
        english = render()
    with use(locale):
        shown = render()
    return [e for e, t in zip(english, shown, strict=True) if e == t]


def catalog_problems(modules: list[str]) -> tuple[int, list[str]]:
    """How many texts `modules` hold, and the catalogs' faults in them (missing, untranslated, fuzzy, other
    placeholders, plural forms) in every language; other modules' texts are their owners'."""
    pot = catalogs.template()
    ours = Catalog(domain=pot.domain)
    for m in pot:
        if m.id and any(path in modules for path, _ in m.locations):
            ours.add(m.id, None, m.locations, context=m.context)
    problems = [p for locale in LANGUAGES if locale != DEFAULT for p in catalogs.problems(locale, ours)
                if ": stale " not in p and "obsolete entries" not in p]
    return len(ours), problems
