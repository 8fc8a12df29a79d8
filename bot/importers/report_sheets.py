"""Weekly numbers for many organisations from a spreadsheet: a filled-in template or a platform
export.

A coordinator fills in the template the bot sends (`bot.render.workbooks.template_workbook`); an
admin uploads the statistics export of the messaging platform, which has a column per measure
and a row per organisation. Both are read the same way, from .xlsx or .csv (UTF-8 or Windows-1251,
";" or ","):

* The header is the first row, among the first ten, with an organisation column and at least one
  indicator column. The organisation column is headed "Организация", "Наименование", "Название",
  "Учреждение", "Школа", "ОО" or "Organisation" (a municipality or parent column is not it).
* An indicator's column is headed by its name or code exactly, or by a header holding one of its
  aliases, matched as a typed label is (`parse_report`: any case, ё = е, endings aside): "Кол-во
  педагогов, написавших ≥10 сообщений" holds "педагогов". A headcount ("Всего педагогов",
  "Численность ...") is not a weekly value and matches no alias. A header naming the indicator
  beats headers holding an alias; of several holding one, the one sharing most words with the
  indicator's name is taken ("... написавших ≥10 сообщений" over "Кол-во педагогов"). A header
  that fits two indicators, and columns tied for one, are left out and said so (`ignored`).
  Every other column is passed over: exports have many.
* A cell holds a count: a whole number (30.0 from Excel is 30) or text a message could say
  ("30", "1 234"). An empty cell is not reported, which is no problem. A row with anything wrong
  (an unknown or ambiguous organisation, a bad value) is listed back whole, and the others kept;
  a totals row ("Итого", "Всего") is passed over. An organisation on two rows is treated as on
  two lines of a bulk message (`merge_rows`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from bot.domain.bulk import BulkProblem, BulkRow, LineProblem, merge_rows, shown_names, values_of
from bot.domain.indicators import Indicator
from bot.domain.reports import ParsedReport, ReportProblem, parse_report
from bot.importers import limits
from bot.importers.errors import DocumentError, Problem
from bot.importers.roadmap_table import Row
from bot.importers.sources import table_sheets
from bot.importers.text import clean, header_word, one_line

__all__ = ["REPORT_SHEET_SUFFIXES", "SheetReading", "read_report_sheet"]

REPORT_SHEET_SUFFIXES = (".xlsx", ".csv")

_HEADER_ROWS = 10  # rows a title or a note may take above the header, the header included
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|[0-9]+")
_ORGANISATION_STEMS = ("организаци", "наименовани", "назван", "учреждени", "organisation")
_ORGANISATION_WORDS = frozenset({"школа", "оо", "оу", "organization", "school", "name"})
_PARENT_STEMS = ("муниципалитет", "район", "округ", "вышестоящ", "учредител", "municipal", "parent")
_HEADCOUNT_WORDS = frozenset({"всего", "численность", "total", "headcount"})
_TOTALS = re.compile(r"^(?:итого|всего|total)\b")
_KIN_PREFIX = 5  # letters two words share to count as the same word in another form


@dataclass(frozen=True, slots=True)
class SheetReading:
    """What a sheet says.

    `rows` and `problems` are as for a bulk message, with `line` the sheet's row number.
    `columns` maps each indicator code found to the header it was read from; `ignored` maps a
    header left out as ambiguous to the indicator codes it could mean.
    """

    rows: tuple[BulkRow, ...]
    problems: tuple[LineProblem, ...]
    columns: Mapping[str, str]
    ignored: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))
        object.__setattr__(self, "ignored", MappingProxyType(dict(self.ignored)))


def read_report_sheet(
    path: Path, indicators: Sequence[Indicator], resolve: Callable[[str], list[str]]
) -> SheetReading:
    """Weekly values from a .xlsx (the first sheet with a header, see above) or .csv file.

    `resolve` turns a name as written into the names of the organisations it may mean (an exact
    name alone), within the uploader's reach.
    """
    if path.suffix.lower() not in REPORT_SHEET_SUFFIXES:
        suffix = path.suffix.lower() or path.name
        detail = f"{suffix} (readable: {', '.join(REPORT_SHEET_SUFFIXES)})"
        raise DocumentError(path, Problem.UNSUPPORTED_FORMAT, detail=detail)
    if not path.is_file():
        raise DocumentError(path, Problem.UNREADABLE, detail="no such file")

    found_organisation = False
    ambiguous: dict[str, tuple[str, ...]] = {}
    for rows in table_sheets(path, limits.REPORT):
        for position, row in enumerate(rows):
            if row.number > _HEADER_ROWS:
                break
            header = _Header.of(row, indicators)
            found_organisation = found_organisation or header.organisation is not None
            ambiguous.update(header.ignored)
            if header.organisation is not None and header.indicators:
                return _read(rows[position + 1 :], header, resolve)

    if not found_organisation:
        detail = "Организация (organisation)"
    else:
        detail = "показатель (indicator): " + "; ".join(i.name for i in indicators)
        if ambiguous:
            detail += "; неоднозначно (ambiguous): " + "; ".join(ambiguous)
    raise DocumentError(path, Problem.MISSING_COLUMN, detail=detail)


# --- The header ----------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return header_word(text).replace("ё", "е")


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


@dataclass(frozen=True, slots=True)
class _Header:
    """Which column holds what: the organisation, and each indicator found (code -> column)."""

    titles: tuple[str, ...]
    organisation: int | None
    indicators: Mapping[str, int]
    ignored: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, row: Row, indicators: Sequence[Indicator]) -> _Header:
        titles = tuple(one_line(clean(cell)) for cell in row.cells)
        fits = [_fits(title, indicators) for title in titles]
        ignored = {titles[i]: fit.codes for i, fit in enumerate(fits) if len(fit.codes) > 1}
        chosen: dict[str, int] = {}
        for indicator in indicators:
            candidates = [i for i, fit in enumerate(fits) if fit.codes == (indicator.code,)]
            exact = [i for i in candidates if fits[i].exact]
            best = _closest(exact or candidates, titles, indicator)
            if len(best) == 1:
                chosen[indicator.code] = best[0]
            else:
                ignored.update((titles[i], (indicator.code,)) for i in best)
        organisation = next(
            (
                i
                for i, title in enumerate(titles)
                if not fits[i].codes and _names_organisation(title)
            ),
            None,
        )
        return cls(titles, organisation, chosen, ignored)


def _names_organisation(title: str) -> bool:
    words = _words(title)
    if any(word.startswith(_PARENT_STEMS) for word in words):
        return False
    return any(
        word in _ORGANISATION_WORDS or word.startswith(_ORGANISATION_STEMS) for word in words
    )


@dataclass(frozen=True, slots=True)
class _Fit:
    """The indicators a header may be, and whether it names them exactly (name or code)."""

    codes: tuple[str, ...] = ()
    exact: bool = False


def _fits(title: str, indicators: Sequence[Indicator]) -> _Fit:
    """The indicators a header names exactly, or failing that those whose aliases it holds
    (longer aliases first: "активных чатов" is not also "чатов")."""
    folded = _fold(title)
    if not folded:
        return _Fit()
    exact = [i.code for i in indicators if folded in (_fold(i.name), i.code.casefold())]
    if exact:
        return _Fit(tuple(dict.fromkeys(exact)), exact=True)
    words = _words(title)
    if _HEADCOUNT_WORDS.intersection(words):
        return _Fit()
    labels = {alias: i.code for i in indicators for alias in i.aliases}
    longest = max((len(alias.split()) for alias in labels), default=0)
    taken = [False] * len(words)
    codes: list[str] = []
    for size in range(min(longest, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if any(taken[i] for i in span) or any(words[i].isdigit() for i in span):
                continue
            code = _label_code(" ".join(words[start : start + size]), labels)
            if code is not None:
                codes.append(code)
                for i in span:
                    taken[i] = True
    return _Fit(tuple(dict.fromkeys(codes)))


def _label_code(phrase: str, labels: Mapping[str, str]) -> str | None:
    """The indicator a phrase names, by the rules of a typed label ("педагоги" for "педагогов")."""
    parsed = parse_report(f"{phrase} 1", labels)
    if isinstance(parsed, ParsedReport) and len(parsed.values) == 1:
        return next(iter(parsed.values))
    return None


def _closest(candidates: list[int], titles: tuple[str, ...], indicator: Indicator) -> list[int]:
    """The candidate columns whose headers share most words with the indicator's name."""
    name = [word for word in _words(indicator.name) if len(word) >= 3 or word.isdigit()]

    def kinship(index: int) -> int:
        words = _words(titles[index])
        return sum(any(_kin(word, other) for other in words) for word in name)

    if len(candidates) < 2:
        return candidates
    scores = {index: kinship(index) for index in candidates}
    top = max(scores.values())
    return [index for index in candidates if scores[index] == top]


def _kin(word: str, other: str) -> bool:
    if word.isdigit() or other.isdigit():
        return word == other
    return word[:_KIN_PREFIX] == other[:_KIN_PREFIX]


# --- The rows ------------------------------------------------------------------------------------


YIELD_EVERY = 64  # rows read between two moments the reading lets the event loop run


def _read(
    rows: Sequence[Row], header: _Header, resolve: Callable[[str], list[str]]
) -> SheetReading:
    taken: list[tuple[BulkRow, str]] = []
    problems: list[LineProblem] = []
    for number, row in enumerate(rows):
        if number % YIELD_EVERY == 0:
            # Read on a worker thread: give the GIL back now and then, or the event loop
            # (everyone else's /status) waits a whole switch interval for each step it takes.
            time.sleep(0)
        read = _read_row(row, header, resolve)
        if isinstance(read, BulkRow):
            taken.append((read, _cell(row, header.organisation)))
        else:
            problems.extend(read)
    merged, duplicates = merge_rows(taken)
    columns = {code: header.titles[index] for code, index in header.indicators.items()}
    ordered = tuple(sorted(problems + duplicates, key=lambda p: p.line))
    return SheetReading(merged, ordered, columns, header.ignored)


def _cell(row: Row, index: int | None) -> str:
    return one_line(clean(row.cells[index])) if index is not None and index < len(row.cells) else ""


def _read_row(
    row: Row, header: _Header, resolve: Callable[[str], list[str]]
) -> BulkRow | list[LineProblem]:
    """The row's values, or everything wrong with it; nothing for a row that reports nothing."""
    name = _cell(row, header.organisation)
    written = {code: _cell(row, index) for code, index in header.indicators.items()}
    written = {code: text for code, text in written.items() if text}
    if (not written and not name) or _TOTALS.match(_fold(name)):
        return []
    problems: list[LineProblem] = []
    matches = list(dict.fromkeys(resolve(name))) if name else []
    if not matches:
        problems.append(LineProblem(row.number, name, BulkProblem.UNKNOWN_ORGANISATION, name))
    elif len(matches) > 1:
        reason, detail = BulkProblem.AMBIGUOUS_ORGANISATION, shown_names(matches)
        problems.append(LineProblem(row.number, name, reason, detail))
    values: dict[str, int] = {}
    for code, text in written.items():
        read = values_of(parse_report(text), code)
        if isinstance(read, ReportProblem):
            column = header.titles[header.indicators[code]]
            problems.append(
                LineProblem(row.number, name, BulkProblem.BAD_VALUE, read.detail, read.kind, column)
            )
        elif read is not None:
            values.update(read)
    if problems or not values:
        return problems
    return BulkRow(row.number, matches[0], values)
