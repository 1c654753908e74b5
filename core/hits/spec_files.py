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
from core.texts import N_, Joined, Text

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

    def where(self, path: Path) -> Text | str:
        line = self.line_of(path)
        dotted = ".".join(str(p) for p in path) or "spec"
        return Text(N_("line {line}, {path}"), line=line, path=dotted) if line else dotted


_NOT_UTF8 = {
    "CSV": N_("The CSV must be UTF-8 text (a bad byte is on line {line}). In a spreadsheet, save it as “CSV UTF-8”."),
    "spec file": N_("The spec file must be UTF-8 text (a bad byte is on line {line}). Save it from your text editor "
                    "with the encoding UTF-8."),
}


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationFailed(_NOT_UTF8[what], line=line) from None


MAX_SPEC_DEPTH = 10  # lists and mappings inside each other; a HIT spec needs 4
_YAML_ADVICE = N_("Check the indentation (spaces, not tabs, the same for items of one list) and put text "
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
            raise ValidationFailed(N_("line {line}: anchors and aliases (& and *) are not allowed in a spec file; "
                                      "write each value out in full."), line=event.start_mark.line + 1)
        self._depth += 1
        try:
            if self._depth > MAX_SPEC_DEPTH:
                raise _too_deep(event.start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_deep(line: int) -> ValidationFailed:
    return ValidationFailed(N_("line {line}: the spec is nested more than {max_spec_depth} levels deep (lists and "
                               "mappings inside each other); a HIT spec needs at most 4."),
                            line=line, max_spec_depth=MAX_SPEC_DEPTH)


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
                       not_a_mapping: str = N_("A spec file must be a mapping of keys such as title, reward and "
                                               "questions.")) -> SpecDocument:
    """Parse a YAML or JSON spec file (or another document of that shape, such as a
    qualification test); syntax errors and duplicate keys name the line. Size, nesting and
    anchors are bounded before anything is built, so a hostile file costs milliseconds."""
    if len(raw) > MAX_SPEC_BYTES:
        raise ValidationFailed(N_("A spec file can be at most {max} KB (this one is {size} KB)."),
                               max=MAX_SPEC_BYTES // 1024,
                               size=len(raw) // 1024)
    text = _decode(raw, "spec file")
    if not text.strip():
        raise ValidationFailed(N_("The spec file is empty."))
    node: yaml.Node | None = None
    if filename.lower().endswith(".json"):
        _check_json_depth(text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(N_("The JSON is not valid on line {lineno}: {msg}."),
                                   lineno=exc.lineno, msg=exc.msg) from None
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
            problem = getattr(exc, "problem", None) or Text(N_("it is not valid YAML or JSON"))  # PyYAML's English
            if mark is not None:
                raise ValidationFailed(N_("The file can't be read on line {line}: {problem}. {advice}"),
                                       line=mark.line + 1, problem=problem, advice=Text(_YAML_ADVICE)) from None
            raise ValidationFailed(N_("The file can't be read: {problem}. {advice}"), problem=problem,
                                   advice=Text(_YAML_ADVICE)) from None
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
                raise ValidationFailed(N_("line {line}: the key “{key}” appears twice (first on line {seen})."),
                                       line=line, key=key, seen=seen[key])
            seen[key] = line
            lines[(*path, key)] = line
            _collect_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _collect_lines(item, (*path, i), lines)


def _describe(problems: list[tuple[Path, Text | str]], doc: SpecDocument, limit: int = 15) -> Joined:
    ordered = sorted(problems, key=lambda p: doc.line_of(p[0]) or 0)
    lines: list[Text | str] = []
    for path, why in ordered:
        if str(why) == "unknown key":
            why = Text(N_("unknown key (check the spelling; see the README's HIT spec section)"))
        lines.append(Text(N_("{where}: {reason}"), where=doc.where(path), reason=why))
    more = [Text(N_("… and {count} more"), count=len(lines) - limit)] if len(lines) > limit else []
    return Joined(tuple(lines[:limit] + more), "\n")


def parse_spec_file(raw: bytes, filename: str = "") -> HitSpec:
    """A complete, publishable spec from a file, or one error listing every problem with its line."""
    doc = load_spec_document(raw, filename)
    return spec_from_document(doc)


def spec_from_document(doc: SpecDocument) -> HitSpec:
    spec, problems = spec_problems(doc.data)
    if problems:
        raise ValidationFailed(N_("The spec has problems:\n{problems}"), problems=_describe(problems, doc))
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
            problems.append(Text(N_("{where}: unknown key"), where=doc.where((key,))))
    for section in ("questions", "qualifications"):
        items = doc.data.get(section)
        if isinstance(items, list):
            for i, item in enumerate(items):
                for key in item if isinstance(item, dict) else ():
                    if key not in _KNOWN[(section,)]:
                        problems.append(Text(N_("{where}: unknown key"), where=doc.where((section, i, key))))
    have = set(columns)
    for path, name in _placeholders(doc.data, ()):
        if name.strip() not in have:
            problems.append(Text(N_("{where}: ${{{name}}} names a column the CSV doesn't have"), where=doc.where(path),
                                 name=name))
    if problems:
        shown = sorted(set(problems), key=problems.index)
        more = [Text(N_("… and {count} more"), count=len(shown) - 15)] if len(shown) > 15 else []
        raise ValidationFailed(N_("The spec doesn't fit this CSV:\n{problems}\nThe CSV's columns: {columns}."),
                               problems=Joined(tuple(shown[:15] + more), "\n"), columns=", ".join(columns))


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
        raise ValidationFailed(N_("A batch CSV can be at most {max} MB (this one is {size} MB). Split it into "
                                  "several batches."), max=MAX_CSV_BYTES // (1024 * 1024),
                               size=format(len(raw) / (1024 * 1024), ".1f"))
    text = _decode(raw, "CSV")
    if "\x00" in text:
        raise ValidationFailed(N_("That doesn't look like a CSV file (it has binary data). Export it as CSV UTF-8."))
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
        raise ValidationFailed(N_("The CSV can't be read: {exc}."), exc=exc) from None
    if not header or not any(h.strip() for h in header):
        raise ValidationFailed(N_("The CSV needs a header row naming its columns."))
    columns = [h.strip() for h in header]
    _check_header(columns)
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()  # trailing blank lines
    if not records:
        raise ValidationFailed(N_("The CSV has a header but no rows."))
    if len(records) > settings.max_batch_rows:
        raise ValidationFailed(N_("A batch can have at most {max} rows; this one has {count}."),
                               max=settings.max_batch_rows, count=len(records))
    rows, problems = [], []
    for n, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            problems.append((n, Text(N_("the row is empty"))))
        elif len(record) != len(columns):
            problems.append((n, Text(N_("it has {cells} cells but the header has {columns} columns"),
                                     cells=len(record), columns=len(columns))))
        elif any(len(cell) > MAX_CELL_CHARS for cell in record):
            problems.append((n, Text(N_("a cell is longer than {max} characters"), max=MAX_CELL_CHARS)))
        rows.append(dict(zip(columns, (cell.strip() for cell in record))))
    return CsvTable(columns, rows, problems)


def _check_header(columns: list[str]) -> None:
    if len(columns) > MAX_CSV_COLUMNS:
        raise ValidationFailed(N_("A batch CSV can have at most {max_csv_columns} columns (this one has "
                                  "{columns_count})."), max_csv_columns=MAX_CSV_COLUMNS, columns_count=len(columns))
    for i, name in enumerate(columns, start=1):
        if not name:
            raise ValidationFailed(N_("Column {i} of the header has no name."), i=i)
        if len(name) > MAX_COLUMN_NAME:
            raise ValidationFailed(N_("Column {i}'s name is longer than {max_column_name} characters."),
                                   i=i, max_column_name=MAX_COLUMN_NAME)
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValidationFailed(N_("The header names these columns twice: {columns}."), columns=", ".join(dupes))


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
        raise ValidationFailed(N_("Column {column}: there is no question “{question}”."), column=unknown_gold[0],
                               question=unknown_gold[0][len(GOLD_PREFIX):])
    bad = dict(table.problems)
    try:
        specs = expand_batch(doc.data, table.rows)
        problems: list[tuple[int, Text | str]] = []
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
