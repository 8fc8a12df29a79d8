"""Weekly numbers for many organisations at once, one line each, as a coordinator types them.

A coordinator (a municipal body) may report for the schools it looks after in one message::

    МБОУ «СШ № 1» г. Рославля — 30
    МБОУ «Средняя школа - детский сад» - учителей 28, чатов 4
    Гимназия № 2: 41

Each non-empty line is ``ORGANISATION <separator> VALUES``. The separator is " — ", " – ",
" - " (a dash with spaces around it), ":" or a tab. VALUES is anything `parse_report` accepts:
a bare number, or labelled numbers ("учителей 30, чатов 12"); a stated denominator ("30 из 45")
is read as the number before it. A bare number stands for `single`, the one indicator those
organisations report; when they report several (`single` is None) a bare number is refused.

Names may hold dashes, colons, quotes and "№" themselves, so the line is tried at every separator,
from the right: the first split whose left side `resolve` turns into exactly one organisation
and whose right side reads as values is the one taken. A line without a separator, or whose
whole text names one organisation, has no value. Any other line nothing reads is listed back
for the first split, from the right, that says something: a known organisation with a bad
value, or a readable value after a name that is unknown or fits several organisations.

An organisation named on several lines has their values put together; when two lines give one
indicator different values, none of those lines is kept (the coordinator is asked again), as
`parse_report` does within one message. Good lines are kept whatever the bad ones say.

Pure and total: `parse_bulk` never raises.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from bot.domain.reports import ParsedReport, ProblemKind, ReportProblem, parse_report

__all__ = [
    "BulkProblem",
    "BulkReading",
    "BulkRow",
    "LineProblem",
    "merge_rows",
    "parse_bulk",
    "shown_names",
    "values_of",
]

_SEPARATOR = re.compile(r"[ \u00a0]+[—–-][ \u00a0]+|:|\t")
_MAX_SPLITS = 32
"""Separators tried per line, from the right: a name holds a few, values one per label."""
_SHOWN_NAMES = 3


class BulkProblem(enum.StrEnum):
    """Why a line (or a sheet row) was not taken; the caller picks its reply from this."""

    UNKNOWN_ORGANISATION = "unknown_organisation"  # no organisation by that name (in reach)
    AMBIGUOUS_ORGANISATION = "ambiguous_organisation"  # the name fits several organisations
    BAD_VALUE = "bad_value"  # the values do not read; `kind` says why, as for a message
    NO_VALUE = "no_value"  # an organisation without any value after it
    DUPLICATE = "duplicate"  # the organisation again, with a different value


@dataclass(frozen=True, slots=True)
class BulkRow:
    """The values reported for one organisation: indicator code -> count.

    `line` is where the organisation was first named (a message line, or a sheet row).
    """

    line: int
    organisation: str
    values: Mapping[str, int]

    def __post_init__(self) -> None:
        # A read-only copy, so a reading handed around cannot be changed behind anyone's back.
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __hash__(self) -> int:
        return hash((self.line, self.organisation, frozenset(self.values.items())))


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A line (or sheet row) not taken, with what it said.

    `detail` names what is at fault: the name not found, up to three of the organisations a name
    fits ("A; B; C; …"), the value fragment, or the organisation given twice. For BAD_VALUE,
    `kind` is the grammar's reason (`ProblemKind`); it is None when a bare number was given but
    the organisations report several indicators, so the number needs its label. `column` is the
    sheet column at fault, when the line is a sheet row.
    """

    line: int
    text: str
    reason: BulkProblem
    detail: str
    kind: ProblemKind | None = None
    column: str | None = None


@dataclass(frozen=True, slots=True)
class BulkReading:
    """What a bulk message says: the rows taken, and the lines listed back, both in line order."""

    rows: tuple[BulkRow, ...]
    problems: tuple[LineProblem, ...]


def parse_bulk(
    text: str,
    labels: Mapping[str, str],
    single: str | None,
    resolve: Callable[[str], list[str]],
) -> BulkReading:
    """Read a bulk message; see the module docstring.

    `labels` maps what people may type to indicator codes (`label_map`); `single` is the code a
    bare number stands for, or None; `resolve` turns a typed name into the names of the
    organisations it may mean (an exact name alone), within the coordinator's reach.
    """
    taken: list[tuple[BulkRow, str]] = []
    problems: list[LineProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        read = _read_line(number, line, labels, single, resolve)
        if isinstance(read, LineProblem):
            problems.append(read)
        else:
            taken.append((read, line))
    rows, duplicates = merge_rows(taken)
    return BulkReading(rows, tuple(sorted(problems + duplicates, key=lambda p: p.line)))


def values_of(
    parsed: ParsedReport | ReportProblem, single: str | None
) -> dict[str, int] | ReportProblem | None:
    """What a parsed text reports, by indicator code; a bare number counts for `single`.

    A `ReportProblem` passes through; None means a bare number with no `single` to give it to.
    """
    if isinstance(parsed, ReportProblem):
        return parsed
    values: dict[str, int] = {}
    for code, value in parsed.values.items():
        if code is None:
            if single is None:
                return None
            code = single
        values[code] = value
    return values


def merge_rows(
    rows: Iterable[tuple[BulkRow, str]],
) -> tuple[tuple[BulkRow, ...], list[LineProblem]]:
    """One row per organisation from rows paired with the text they were read from.

    Rows of one organisation are put together at its first line; when they give one indicator
    different values, every line of that organisation becomes a DUPLICATE problem instead.
    """
    grouped: dict[str, list[tuple[BulkRow, str]]] = {}
    for row, text in rows:
        grouped.setdefault(row.organisation, []).append((row, text))
    merged: list[BulkRow] = []
    problems: list[LineProblem] = []
    for organisation, entries in grouped.items():
        values: dict[str, int] = {}
        clash = False
        for row, _ in entries:
            for code, value in row.values.items():
                clash = clash or values.setdefault(code, value) != value
        if clash:
            problems.extend(
                LineProblem(row.line, text, BulkProblem.DUPLICATE, organisation)
                for row, text in entries
            )
        else:
            merged.append(BulkRow(entries[0][0].line, organisation, values))
    return tuple(sorted(merged, key=lambda row: row.line)), problems


def shown_names(names: Sequence[str]) -> str:
    """Up to three of the organisations a name fits, for an AMBIGUOUS_ORGANISATION detail."""
    shown = "; ".join(names[:_SHOWN_NAMES])
    return shown + "; …" if len(names) > _SHOWN_NAMES else shown


# --- One line ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Split:
    """The line cut at one separator: a name, what it resolves to, and what the rest says."""

    name: str
    rest: str
    matches: list[str]
    values: dict[str, int] | ReportProblem | None


def _read_line(
    number: int,
    line: str,
    labels: Mapping[str, str],
    single: str | None,
    resolve: Callable[[str], list[str]],
) -> BulkRow | LineProblem:
    splits: list[_Split] = []
    for cut in reversed(list(_SEPARATOR.finditer(line))[-_MAX_SPLITS:]):
        name, rest = line[: cut.start()].strip(), line[cut.end() :].strip()
        values = values_of(parse_report(rest, labels), single)
        split = _Split(name, rest, _organisations(name, resolve), values)
        if len(split.matches) == 1 and isinstance(split.values, dict):
            return BulkRow(number, split.matches[0], split.values)
        splits.append(split)

    def problem(reason: BulkProblem, detail: str, kind: ProblemKind | None = None) -> LineProblem:
        return LineProblem(number, line, reason, detail, kind)

    # The whole line naming one organisation ("МБОУ «Гимназия № 2»: филиал") has no value.
    if not splits or len(_organisations(line, resolve)) == 1:
        return problem(BulkProblem.NO_VALUE, line)
    # The first split that says something: a known organisation with a bad value, or a
    # readable value after a name that is unknown or fits several.
    split = next(
        (s for s in splits if len(s.matches) == 1 or isinstance(s.values, dict)), splits[0]
    )
    if len(split.matches) == 1:
        if split.values is None:
            return problem(BulkProblem.BAD_VALUE, split.rest)
        assert isinstance(split.values, ReportProblem)  # a dict was taken above
        if split.values.kind is ProblemKind.EMPTY:
            return problem(BulkProblem.NO_VALUE, split.name)
        return problem(BulkProblem.BAD_VALUE, split.values.detail, split.values.kind)
    if split.matches:
        return problem(BulkProblem.AMBIGUOUS_ORGANISATION, shown_names(split.matches))
    return problem(BulkProblem.UNKNOWN_ORGANISATION, split.name)


def _organisations(name: str, resolve: Callable[[str], list[str]]) -> list[str]:
    return list(dict.fromkeys(resolve(name))) if name else []
