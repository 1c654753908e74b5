"""The gettext catalogs: extract the texts from the source, keep every language's .po in step, check them.

    python -m bot.catalogs update          # new texts into every catalog (empty), gone ones dropped
    python -m bot.catalogs init xx_YY      # a catalog for a new language (then add it to bot.i18n.LANGUAGES)
    python -m bot.catalogs check           # what is missing, stale, fuzzy or has other placeholders
    python -m bot.catalogs literals        # English left in bot/ (handlers, views, shared), per module
    python -m bot.catalogs fill FILE.json  # translations from a translator's file into the catalogs
"""
from __future__ import annotations

import ast
import copy
import json
import re
import string
import sys
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from bot.i18n import DEFAULT, DOMAIN, LANGUAGES, LOCALES_DIR

ROOT = LOCALES_DIR.parents[1]
KEYWORDS = {"_": None, "_n": (1, 2), "N_": None}


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def template() -> Catalog:
    """Every text the source marks, with where it is used and the comment above it."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    pot = Catalog(domain=DOMAIN, project="hitbot", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        pot.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return pot


def load(locale: str) -> Catalog:
    with po_path(locale).open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def save(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False  # the header: babel marks a new one fuzzy
    with path.open("wb") as f:  # file names without line numbers: an edit elsewhere leaves the catalogs alone
        write_po(f, catalog, width=120, include_lineno=False)


def init(locale: str) -> None:
    catalog = Catalog(locale=Locale.parse(locale), domain=DOMAIN, project="hitbot", charset="utf-8")
    catalog.update(template())
    save(catalog, locale)


def update() -> None:
    pot = template()
    for locale in LANGUAGES:
        if locale != DEFAULT:
            catalog = load(locale)
            catalog.update(copy.deepcopy(pot), no_fuzzy_matching=True)  # update() adopts the template's messages
            catalog.obsolete.clear()  # a text gone from the source is gone from the catalog
            save(catalog, locale)


def fill(path: Path) -> list[str]:
    """Translations from a JSON file, {source text: {locale: translation}} (a list of forms for a plural
    text, keyed by its singular), into the catalogs; run `update` first so every source text has an entry.
    Returns what it could not place: a text not in the source, a locale the file lacks."""
    wanted: dict[str, dict[str, str | list[str]]] = json.loads(Path(path).read_text(encoding="utf-8"))
    left: list[str] = []
    for locale in LANGUAGES:
        if locale == DEFAULT:
            continue
        catalog = load(locale)
        for source, translations in wanted.items():
            entry = catalog.get(source)
            if entry is None:
                left.append(f"{locale}: {source!r} is not in the source (run update?)")
                continue
            text = translations.get(locale)
            if not text:
                left.append(f"{locale}: no translation for {source!r}")
                continue
            entry.string = tuple(text) if isinstance(entry.id, tuple) else text
            entry.flags.discard("fuzzy")
        save(catalog, locale)
    return left


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def problems(locale: str, pot: Catalog | None = None) -> list[str]:
    """Why a catalog is not ready: a source text missing or untranslated, a stale or fuzzy entry,
    placeholders other than the source's, the wrong number of plural forms."""
    pot = pot or template()
    catalog = load(locale)
    found: list[str] = []
    wanted = {m.id for m in pot if m.id}
    have = {m.id for m in catalog if m.id}
    expected_forms = get_plural(locale).num_plurals
    for m in pot:
        if not m.id:
            continue
        entry = catalog.get(m.id, context=m.context)
        key = m.id if isinstance(m.id, str) else m.id[0]
        if entry is None:
            found.append(f"{locale}: missing {key!r}")
            continue
        if entry.fuzzy:
            found.append(f"{locale}: fuzzy {key!r}")
        strings = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        if not all(strings):
            found.append(f"{locale}: untranslated {key!r}")
            continue
        source = placeholders(key) | (placeholders(m.id[1]) if isinstance(m.id, tuple) else set())
        for s in strings:
            if placeholders(s) - source or (placeholders(s) != source and not isinstance(m.id, tuple)):
                found.append(f"{locale}: placeholders {sorted(placeholders(s))} in {s!r}, source has {sorted(source)}")
        if isinstance(m.id, tuple) and len(strings) != expected_forms:
            found.append(f"{locale}: {len(strings)} plural forms for {key!r}, {locale} has {expected_forms}")
    if catalog.plural_expr != get_plural(locale).plural_expr:
        found.append(f"{locale}: plural rule {catalog.plural_expr!r}, babel's is {get_plural(locale).plural_expr!r}")
    for stale in sorted((have - wanted), key=str):
        found.append(f"{locale}: stale {stale!r} (no longer in the source)")
    if catalog.obsolete:
        found.append(f"{locale}: {len(catalog.obsolete)} obsolete entries")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
    elif argv[:1] == ["init"] and len(argv) == 2:
        init(argv[1])
    elif argv[:1] == ["fill"] and len(argv) == 2:
        left = fill(Path(argv[1]))
        print("\n".join(left) or "every text placed in every catalog")
        return 1 if left else 0
    elif argv[:1] == ["literals"]:
        counts = literal_counts()
        for module, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            print(f"{n:5d}  {module}")
        print(f"{sum(counts.values()):5d}  in {sum(1 for n in counts.values() if n)} modules")
    elif argv[:1] == ["check"]:
        pot = template()
        issues = [p for locale in LANGUAGES if locale != DEFAULT for p in problems(locale, pot)]
        print("\n".join(issues) or "every catalog has every text")
        return 1 if issues else 0
    else:
        print(__doc__)
        return 2
    return 0



# English still written straight into the source --------------------------------------------------
_TRANSLATED = {"_", "_n", "N_"}
_PROSE = re.compile(r"[A-Za-z]{2,}.*\s.*[A-Za-z]|^[A-Z][a-z]+[.!?]?$")


def literals(path: Path) -> list[tuple[int, str]]:
    """Strings in a module that read like text for a person and are not marked for translation: prose
    (letters and a space, or one capitalised word) outside _(), _n(), N_(), docstrings, log calls and
    ValueError-style messages for programmers. A heuristic: it counts what is left to convert."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Compare):  # matching someone else's text ("not modified" in str(exc))
            skip.update(id(n) for n in [node.left, *node.comparators] if isinstance(n, ast.Constant))
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            logger = owner in ("log", "logging") or owner.endswith(("_log", "logger")) \
                and name in ("debug", "info", "warning", "error", "exception", "critical")
            if name in _TRANSLATED or logger or owner == "re" or name.endswith("Error") \
                    or name in ("compile", "getLogger", "pattern", "make"):
                skip.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value.strip()
            if _PROSE.search(text) and re.search(r"[a-z]{3}", text) and not text.startswith(("<", "%", "http")) and "_" not in text.split()[0]:
                found.append((node.lineno, text[:60]))
    return found


def literal_counts() -> dict[str, int]:
    """Each module of bot/ (handlers, views and the shared ones) -> English literals left in it."""
    return {str(p.relative_to(ROOT)): len(literals(p))
            for folder in ("bot", "bot/handlers", "bot/views") for p in sorted((ROOT / folder).glob("*.py"))
            if p.name not in ("catalogs.py", "i18n.py")}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
