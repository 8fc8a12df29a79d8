"""The list of organisations taking part: name, short name, kind, parent, head counts, time zone.

Columns are found by their headers, loosely, in Russian or English; only the name is required.
A kind left empty is worked out from the name when it says ("МБДОУ «Детский сад № 5»"). A parent
must be another organisation of the same file: checking against the database is the caller's job.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.model import Organisation, OrganisationKind
from bot.domain.parties import name_keys
from bot.domain.short_names import fold
from bot.importers.errors import DocumentError, Problem
from bot.importers.roadmap_table import Row
from bot.importers.text import clean, header_word, one_line
from bot.importers.vocabulary import kind_of


class Field(enum.Enum):
    NAME = "name"
    KIND = "kind"
    PARENT = "parent"
    TEACHERS = "teachers"
    STAFF = "staff"
    PUPILS = "pupils"
    TIMEZONE = "timezone"
    SHORT_NAME = "short_name"


# In this order: "Вышестоящая организация" is a parent, "Педагогических работников" teachers.
_HEADERS: tuple[tuple[Field, re.Pattern[str]], ...] = (
    (
        Field.PARENT,
        re.compile(r"вышестоящ|муниципалитет|^муниципальн|^район|parent|подчин|учредител"),
    ),
    (Field.TIMEZONE, re.compile(r"пояс|timezone|time zone|^tz$")),
    (Field.SHORT_NAME, re.compile(r"кратк|сокращ|коротк|^short")),
    (Field.KIND, re.compile(r"^(?:тип|вид|kind|type|категори)")),
    (Field.TEACHERS, re.compile(r"педагог|учител|teacher")),
    (Field.PUPILS, re.compile(r"обучающ|ученик|учащ|студент|воспитанник|pupil|student")),
    (Field.STAFF, re.compile(r"сотрудник|работник|персонал|staff|employee")),
    (Field.NAME, re.compile(r"наименован|назван|^организаци|^учреждени|name|^organi[sz]ation")),
)
_HEADCOUNT = re.compile(r"[0-9]{1,7}")  # up to 9,999,999
_HEADCOUNT_MAX = "9 999 999"
_SHOWN = 30  # characters of a bad value shown back
_HEADER_SEARCH = 20  # rows a title or a note may take above the header
_MSK = re.compile(r"^(?:мск|msk)\s*(?:(?P<sign>[+-])\s*(?P<hours>\d{1,2}))?$", re.IGNORECASE)
_UTC = re.compile(r"^(?:utc|gmt)\s*(?P<sign>[+-])\s*(?P<hours>\d{1,2})$", re.IGNORECASE)


def _columns(row: Row) -> dict[Field, int]:
    columns: dict[Field, int] = {}
    for index, cell in enumerate(row.cells):
        word = header_word(cell)
        for field, pattern in _HEADERS:
            if word and pattern.search(word):
                columns.setdefault(field, index)
                break
    return columns


@dataclass(frozen=True, slots=True)
class _Entry:
    row: int
    organisation: Organisation


def _bad(path: Path, row: int, detail: str) -> DocumentError:
    return DocumentError(path, Problem.BAD_VALUE, row=row, detail=detail)


def _count(text: str, path: Path, row: int) -> int | None:
    """A head count: "1 234" -> 1234; empty -> None. Only ASCII digits are a number ("²" and
    "١٢٣" are not), and no organisation counts ten million people."""
    compact = re.sub(r"[\s  ]", "", text)
    if not compact:
        return None
    if not _HEADCOUNT.fullmatch(compact):
        too_big = compact.isascii() and compact.isdigit()
        raise _bad(path, row, _shown(text) + (f" > {_HEADCOUNT_MAX}" if too_big else ""))
    return int(compact)


def _shown(text: str) -> str:
    """A bad value as shown back in an error: at most a line's worth of it."""
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _timezone(text: str, path: Path, row: int) -> str | None:
    """An IANA zone ("Europe/Samara"); "МСК+4" and "UTC+7" become the matching fixed zone."""
    text = text.strip()
    if not text:
        return None
    name = text
    msk, utc = _MSK.match(text), _UTC.match(text)
    if msk:
        offset = 3 + (int(msk["hours"]) * (-1 if msk["sign"] == "-" else 1) if msk["hours"] else 0)
        name = "Europe/Moscow" if offset == 3 else f"Etc/GMT{-offset:+d}"
    elif utc:
        offset = int(utc["hours"]) * (-1 if utc["sign"] == "-" else 1)
        name = "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/ zones count westwards
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _bad(path, row, text) from error
    return name


def _kind(text: str, name: str, path: Path, row: int) -> OrganisationKind:
    kind = kind_of(text) if text.strip() else kind_of(name)
    if kind is None:
        raise _bad(path, row, text)
    return kind


def _read(
    rows: Sequence[Row], header_at: int, columns: dict[Field, int], path: Path
) -> list[_Entry]:
    entries: list[_Entry] = []
    for row in rows[header_at + 1 :]:

        def cell(field: Field, row: Row = row) -> str:
            index = columns.get(field)
            if index is None or index >= len(row.cells):
                return ""
            return one_line(clean(row.cells[index]))

        if not any(cell.strip() for cell in row.cells):
            continue
        name = cell(Field.NAME)
        if not name:
            raise _bad(path, row.number, "")
        entries.append(
            _Entry(
                row.number,
                Organisation(
                    name=name,
                    kind=_kind(cell(Field.KIND), name, path, row.number),
                    parent=cell(Field.PARENT) or None,
                    teachers=_count(cell(Field.TEACHERS), path, row.number),
                    staff=_count(cell(Field.STAFF), path, row.number),
                    pupils=_count(cell(Field.PUPILS), path, row.number),
                    timezone=_timezone(cell(Field.TIMEZONE), path, row.number),
                    short_name=cell(Field.SHORT_NAME) or None,
                ),
            )
        )
    return entries


def _with_parents(entries: list[_Entry], path: Path) -> list[Organisation]:
    """Parents resolved to the spelling of the organisation's own row; unknown parents, repeated
    names and circles are errors."""
    by_key: dict[str, _Entry] = {}
    shorts: dict[str, _Entry] = {}
    for entry in entries:
        short = entry.organisation.short_name
        if short is not None:  # a short name names one organisation
            if fold(short) in shorts:
                raise _bad(path, entry.row, short)
            shorts[fold(short)] = entry
        keys = name_keys(entry.organisation.name)
        if any(key in by_key for key in keys):
            raise _bad(path, entry.row, entry.organisation.name)
        by_key.update(dict.fromkeys(keys, entry))

    resolved: dict[str, str | None] = {}
    for entry in entries:
        parent = entry.organisation.parent
        if parent is None:
            resolved[entry.organisation.name] = None
            continue
        found = next((by_key[key] for key in name_keys(parent) if key in by_key), None)
        if found is None or found is entry:
            raise _bad(path, entry.row, parent)
        resolved[entry.organisation.name] = found.organisation.name

    cleared: set[str] = set()  # names whose chain of parents is known to end: walked once
    for entry in entries:
        seen = {entry.organisation.name}
        parent = resolved[entry.organisation.name]
        while parent is not None and parent not in cleared:
            if parent in seen:
                raise _bad(path, entry.row, entry.organisation.parent or "")
            seen.add(parent)
            parent = resolved[parent]
        cleared.update(seen)

    return [
        replace(entry.organisation, parent=resolved[entry.organisation.name]) for entry in entries
    ]


def organisations_from_rows(sheets: Iterable[Sequence[Row]], path: Path) -> list[Organisation]:
    """Organisations from the first sheet whose header has a name column."""
    for rows in sheets:
        for position, row in enumerate(rows[:_HEADER_SEARCH]):
            columns = _columns(row)
            if Field.NAME in columns:
                return _with_parents(_read(rows, position, columns, path), path)
    raise DocumentError(path, Problem.MISSING_COLUMN, detail="Наименование (name)")
