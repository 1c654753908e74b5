"""HIT spec files (YAML or JSON) and batch CSVs, read with bounds and errors that say where.

A spec file is the dict core.hits.spec.HitSpec validates; here we add what a file needs on top:
size and encoding limits, syntax errors with the line, validation errors pointed at the line
of the offending key, and for batches the CSV itself (encoding, size, shape) and
placeholders that name columns the CSV does not have."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

import yaml

from core.config import get_settings
from core.errors import BatchInvalid, ValidationFailed
from core.hits.publishing import GOLD_PREFIX, Cost, cost_of, expand_batch
from core.hits.spec import HitSpec, QuestionSpec, RequirementSpec, parse_spec, spec_problems

MAX_SPEC_BYTES = 64 * 1024
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_COLUMNS = 50
MAX_CELL_CHARS = 2000
MAX_COLUMN_NAME = 64
_PLACEHOLDER = re.compile(r"\$\{([^}]{1,64})\}")

Path = tuple[str | int, ...]


@dataclass
class SpecDocument:
    """A loaded spec file: its data and the line (1-based) of every key and item in it."""

    data: dict
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor we know."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def where(self, path: Path) -> str:
        line = self.line_of(path)
        dotted = ".".join(str(p) for p in path) or "spec"
        return f"line {line}, {dotted}" if line else dotted


_UTF8_ADVICE = {
    "CSV": "In a spreadsheet, save it as “CSV UTF-8”.",
    "spec file": "Save it from your text editor with the encoding UTF-8.",
}


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed(f"The {what} must be UTF-8 text (a bad byte is on line {line}). "
                               + _UTF8_ADVICE[what]) from None


MAX_SPEC_DEPTH = 10  # lists and mappings inside each other; a HIT spec needs 4
_YAML_ADVICE = ("Check the indentation (spaces, not tabs, the same for items of one list) and put text "
                "holding a colon or a # in quotes.")


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader with what a HIT spec never needs refused before it is built:
    anchors and aliases (`&a`, `*a`, and so `<<: *a` merges), whose expansion is the
    'billion laughs' bomb, and nesting deeper than MAX_SPEC_DEPTH (the composer recurses,
    the scanner looks ahead)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def fetch_flow_collection_start(self, TokenClass):  # type: ignore[no-untyped-def]
        # The scanner looks ahead across every open `[`/`{` (quadratic in their number), so
        # flow nesting is bounded here, before the composer ever sees it.
        if self.flow_level >= MAX_SPEC_DEPTH:
            raise _too_deep(self.line + 1)
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ValidationFailed(f"line {event.start_mark.line + 1}: anchors and aliases (& and *) are not "
                                   "allowed in a spec file; write each value out in full.")
        self._depth += 1
        try:
            if self._depth > MAX_SPEC_DEPTH:
                raise _too_deep(event.start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_deep(line: int) -> ValidationFailed:
    return ValidationFailed(f"line {line}: the spec is nested more than {MAX_SPEC_DEPTH} levels deep "
                            "(lists and mappings inside each other); a HIT spec needs at most 4.")


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _check_json_depth(text: str) -> None:
    """json.loads recurses too; count brackets outside strings first."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        ch = token.group()
        if ch in "[{":
            depth += 1
            if depth > MAX_SPEC_DEPTH:
                raise _too_deep(text.count("\n", 0, token.start()) + 1)
        elif ch in "]}":
            depth -= 1


def _compose(text: str) -> yaml.Node | None:
    loader = _SpecLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _construct(text: str, node: yaml.Node | None) -> object:
    if node is None:
        return None
    loader = _SpecLoader(text)
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_spec_document(raw: bytes, filename: str = "", *,
                       not_a_mapping: str = "A spec file must be a mapping of keys such as title, reward and "
                                            "questions.") -> SpecDocument:
    """Parse a YAML or JSON spec file (or another document of that shape, such as a
    qualification test); syntax errors and duplicate keys name the line. Size, nesting and
    anchors are bounded before anything is built, so a hostile file costs milliseconds."""
    if len(raw) > MAX_SPEC_BYTES:
        raise ValidationFailed(f"A spec file can be at most {MAX_SPEC_BYTES // 1024} KB (this one is "
                               f"{len(raw) // 1024} KB).")
    text = _decode(raw, "spec file")
    if not text.strip():
        raise ValidationFailed("The spec file is empty.")
    node: yaml.Node | None = None
    if filename.lower().endswith(".json"):
        _check_json_depth(text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"The JSON is not valid on line {exc.lineno}: {exc.msg}.") from None
        try:  # JSON is (almost always) YAML too, so the composer gives the lines
            node = _compose(text)
        except yaml.YAMLError:
            node = None
    else:
        try:
            node = _compose(text)
            data = _construct(text, node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or "it is not valid YAML or JSON"
            where = f" on line {mark.line + 1}" if mark is not None else ""
            raise ValidationFailed(f"The file can't be read{where}: {problem}. {_YAML_ADVICE}") from None
    if not isinstance(data, dict):
        raise ValidationFailed(not_a_mapping)
    doc = SpecDocument(data)
    if node is not None:
        _collect_lines(node, (), doc.lines)
    return doc


def _collect_lines(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ValidationFailed(f"line {line}: the key “{key}” appears twice (first on line {seen[key]}).")
            seen[key] = line
            lines[(*path, key)] = line
            _collect_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _collect_lines(item, (*path, i), lines)


def _describe(problems: list[tuple[Path, str]], doc: SpecDocument, limit: int = 15) -> str:
    ordered = sorted(problems, key=lambda p: doc.line_of(p[0]) or 0)
    lines = []
    for path, why in ordered:
        if why == "unknown key":
            why = "unknown key (check the spelling; see the README's HIT spec section)"
        lines.append(f"{doc.where(path)}: {why}")
    more = f"\n… and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def parse_spec_file(raw: bytes, filename: str = "") -> HitSpec:
    """A complete, publishable spec from a file, or one error listing every problem with its line."""
    doc = load_spec_document(raw, filename)
    return spec_from_document(doc)


def spec_from_document(doc: SpecDocument) -> HitSpec:
    spec, problems = spec_problems(doc.data)
    if problems:
        raise ValidationFailed("The spec has problems:\n" + _describe(problems, doc))
    assert spec is not None
    return spec


# Batches ---------------------------------------------------------------------------------------

_KNOWN = {
    (): set(HitSpec.model_fields),
    ("questions",): set(QuestionSpec.model_fields) - {"gold"},
    ("qualifications",): set(RequirementSpec.model_fields),
}


def check_template(doc: SpecDocument, columns: list[str]) -> None:
    """Problems of a batch template that would fail every row alike: unknown keys, and
    placeholders naming columns the CSV lacks. Reported once, with lines."""
    problems = []
    for key in doc.data:
        if key not in _KNOWN[()]:
            problems.append(f"{doc.where((key,))}: unknown key")
    for section in ("questions", "qualifications"):
        items = doc.data.get(section)
        if isinstance(items, list):
            for i, item in enumerate(items):
                for key in item if isinstance(item, dict) else ():
                    if key not in _KNOWN[(section,)]:
                        problems.append(f"{doc.where((section, i, key))}: unknown key")
    have = set(columns)
    for path, name in _placeholders(doc.data, ()):
        if name.strip() not in have:
            problems.append(f"{doc.where(path)}: ${{{name}}} names a column the CSV doesn't have")
    if problems:
        shown = sorted(set(problems), key=problems.index)
        raise ValidationFailed("The spec doesn't fit this CSV:\n" + "\n".join(shown[:15])
                               + (f"\n… and {len(shown) - 15} more" if len(shown) > 15 else "")
                               + f"\nThe CSV's columns: {', '.join(columns)}.")


def _placeholders(value: object, path: Path) -> list[tuple[Path, str]]:
    if isinstance(value, str):
        return [(path, m.group(1)) for m in _PLACEHOLDER.finditer(value)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, (*path, i))]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, (*path, str(k)))]
    return []


@dataclass
class CsvTable:
    columns: list[str]
    rows: list[dict[str, str]]
    problems: list[tuple[int, str]]  # (row number from 1 after the header, reason)


def read_csv(raw: bytes) -> CsvTable:
    """Decode and split a batch CSV (comma, semicolon or tab separated, UTF-8).

    Whole-file problems raise ValidationFailed; a bad row is kept in `problems` so the
    requester sees every bad row at once."""
    settings = get_settings()
    if len(raw) > MAX_CSV_BYTES:
        raise ValidationFailed(f"A batch CSV can be at most {MAX_CSV_BYTES // (1024 * 1024)} MB "
                               f"(this one is {len(raw) / (1024 * 1024):.1f} MB). Split it into several batches.")
    text = _decode(raw, "CSV")
    if "\x00" in text:
        raise ValidationFailed("That doesn't look like a CSV file (it has binary data). Export it as CSV UTF-8.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096].split("\n", 1)[0] or ",", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader, None)
        records = list(reader)
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV can't be read: {exc}.") from None
    if not header or not any(h.strip() for h in header):
        raise ValidationFailed("The CSV needs a header row naming its columns.")
    columns = [h.strip() for h in header]
    _check_header(columns)
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()  # trailing blank lines
    if not records:
        raise ValidationFailed("The CSV has a header but no rows.")
    if len(records) > settings.max_batch_rows:
        raise ValidationFailed(f"A batch can have at most {settings.max_batch_rows} rows; this one has {len(records)}.")
    rows, problems = [], []
    for n, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            problems.append((n, "the row is empty"))
        elif len(record) != len(columns):
            problems.append((n, f"it has {len(record)} cells but the header has {len(columns)} columns"))
        elif any(len(cell) > MAX_CELL_CHARS for cell in record):
            problems.append((n, f"a cell is longer than {MAX_CELL_CHARS} characters"))
        rows.append(dict(zip(columns, (cell.strip() for cell in record))))
    return CsvTable(columns, rows, problems)


def _check_header(columns: list[str]) -> None:
    if len(columns) > MAX_CSV_COLUMNS:
        raise ValidationFailed(f"A batch CSV can have at most {MAX_CSV_COLUMNS} columns (this one has {len(columns)}).")
    for i, name in enumerate(columns, start=1):
        if not name:
            raise ValidationFailed(f"Column {i} of the header has no name.")
        if len(name) > MAX_COLUMN_NAME:
            raise ValidationFailed(f"Column {i}'s name is longer than {MAX_COLUMN_NAME} characters.")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValidationFailed(f"The header names these columns twice: {', '.join(dupes)}.")


@dataclass
class BatchPlan:
    """A validated batch: what would be published and what it costs."""

    specs: list[tuple[HitSpec, dict[str, str]]]
    costs: list[Cost]

    @property
    def total_cents(self) -> int:
        return sum(c.total_cents for c in self.costs)

    @property
    def rewards_cents(self) -> int:
        return sum(c.rewards_total for c in self.costs)

    @property
    def fees_cents(self) -> int:
        return sum(c.fees_total for c in self.costs)

    @property
    def assignments(self) -> int:
        return sum(c.assignments for c in self.costs)


def plan_batch(spec_raw: bytes, spec_name: str, csv_raw: bytes) -> tuple[dict, list[dict[str, str]], BatchPlan]:
    """Everything /batch checks before publishing. Returns (template, rows, plan); raises
    ValidationFailed for whole-file problems or BatchInvalid listing every bad row."""
    doc = load_spec_document(spec_raw, spec_name)
    table = read_csv(csv_raw)
    check_template(doc, table.columns)
    gold = [c for c in table.columns if c.startswith(GOLD_PREFIX)]
    qids = {q.get("id") for q in doc.data.get("questions") or [] if isinstance(q, dict)}
    unknown_gold = [c for c in gold if c[len(GOLD_PREFIX):] not in qids]
    if unknown_gold:
        raise ValidationFailed(f"Column {unknown_gold[0]}: there is no question “{unknown_gold[0][len(GOLD_PREFIX):]}”.")
    bad = dict(table.problems)
    try:
        specs = expand_batch(doc.data, table.rows)
        problems: list[tuple[int, str]] = []
    except BatchInvalid as exc:
        problems, specs = exc.problems, []
    merged = {**dict(problems), **bad}  # a mis-shaped row's own reason wins
    if merged:
        raise BatchInvalid(sorted(merged.items()))
    return doc.data, table.rows, BatchPlan(specs, [cost_of(s) for s, _ in specs])


def spec_to_text(spec: HitSpec | dict) -> str:
    """A spec as YAML (for showing a draft back, or saving it as a file)."""
    data = spec.model_dump(exclude_none=True, exclude_defaults=True) if isinstance(spec, HitSpec) else spec
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


__all__ = ["BatchPlan", "CsvTable", "SpecDocument", "check_template", "load_spec_document", "parse_spec",
           "parse_spec_file", "plan_batch", "read_csv", "spec_from_document", "spec_to_text"]
