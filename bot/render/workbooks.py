"""Excel workbooks the bot sends: the weekly template to fill in, and tables to take away.

`template_workbook` is what a coordinator fills in for the organisations they report for: one
row per organisation with its current values, sent back to the bot as is. It is laid out to be
read back by `bot.importers.report_sheets.read_report_sheet`: the organisation column and each
indicator's column are headed by exactly what that reader looks for.

`progress_workbook` puts drill-down tables (a region by municipality, a municipality by school)
into a workbook, one sheet per table, for people who work on the numbers in Excel.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from bot.domain.indicators import Indicator
from bot.render.cells import is_formula_like

__all__ = [
    "ExportSheet",
    "SheetTable",
    "TemplateRow",
    "export_workbook",
    "progress_workbook",
    "template_workbook",
]

Value = str | int | float | None

_HEADINGS: Mapping[str, Mapping[str, str]] = {
    "ru": {
        "sheet": "Отчёт",
        "organisation": "Организация",
        "municipality": "Муниципалитет",
        "headcount": "Всего педагогов",
        "hint": "Впишите целые числа в столбцы показателей; пустая ячейка — нет данных. "
        "Названия организаций не меняйте.",
        "whole": "Нужно целое число, 0 или больше; пустая ячейка — нет данных.",
    },
    "en": {
        "sheet": "Report",
        "organisation": "Organisation",
        "municipality": "Municipality",
        "headcount": "Teachers in total",
        "hint": "Enter whole numbers in the indicator columns; leave a cell empty when there "
        "is no figure. Do not change the organisation names.",
        "whole": "A whole number, 0 or more; an empty cell means no figure.",
    },
}
_TITLE_FONT = Font(bold=True, size=13)
_TOTAL_FONT = Font(bold=True)
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HINT_FONT = Font(italic=True, color="666666")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
_SHEET_NAME_LENGTH = 31  # Excel's limit
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_WRAP_AT = 24  # a heading longer than this wraps onto more lines


@dataclass(frozen=True, slots=True)
class TemplateRow:
    """One organisation in the template, with what it has reported so far this week.

    `values` maps an indicator code to its value; a code missing or None leaves the cell empty.
    """

    organisation: str
    municipality: str | None
    headcount: int | None
    values: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class SheetTable:
    """A table to export: a sheet name, column headings and rows of plain values."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Value]]


@dataclass(frozen=True, slots=True)
class ExportSheet:
    """A sheet of the export: rows under a header, and a totals row under them.

    `formats` gives a column's number format (by its index from 0: "0%", "0.0%") in the rows
    and the totals; `totals_formats` one for the totals row only; `widths` a column's width.
    """

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Value]]
    totals: Sequence[Value] | None = None
    formats: Mapping[int, str] = field(default_factory=dict)
    totals_formats: Mapping[int, str] = field(default_factory=dict)
    widths: Mapping[int, int] = field(default_factory=dict)


def export_workbook(title: str, sheets: Sequence[ExportSheet]) -> bytes:
    """One sheet per table: the title (with the date), the header (frozen, with an
    auto-filter over the rows), the rows, and a bold totals row. Formula-like text stays text."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = title
    taken: set[str] = set()
    for position, table in enumerate(sheets, start=1):
        name = _sheet_name(table.name, position, taken)
        taken.add(name.casefold())
        sheet = workbook.create_sheet(name)
        header_row = 2
        sheet.freeze_panes = f"A{header_row + 1}"
        columns = max(len(table.header), 1)
        last_row = header_row + len(table.rows)
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{last_row}"
        _size_columns(sheet, table.header, table.rows)
        for index, width in table.widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        sheet.append([_cell(sheet, title, _TITLE_FONT)])
        sheet.append(_header(sheet, table.header))
        for row in table.rows:
            sheet.append(
                [_cell(sheet, value, None, table.formats.get(i)) for i, value in enumerate(row)]
            )
        if table.totals is not None:
            cells = []
            for index, value in enumerate(table.totals):
                form = table.totals_formats.get(index) or table.formats.get(index)
                cell = _cell(sheet, value, _TOTAL_FONT, form)
                cell.fill = _TOTAL_FILL
                cells.append(cell)
            sheet.append(cells)
    if not sheets:
        workbook.create_sheet(_sheet_name(title, 1, taken))
    return _saved(workbook)


def template_workbook(
    title: str,
    week_label: str,
    indicators: Sequence[Indicator],
    rows: Sequence[TemplateRow],
    language: str,
) -> bytes:
    """The weekly template: a title line, a hint, the header (frozen, with the organisation
    column) and one row per organisation pre-filled with its current values. Indicator cells
    accept whole numbers of 0 and more."""
    headings = _HEADINGS["en" if language == "en" else "ru"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(headings["sheet"])
    header_row = 3
    sheet.freeze_panes = f"B{header_row + 1}"

    header = [
        headings["organisation"],
        headings["municipality"],
        headings["headcount"],
        *(indicator.name for indicator in indicators),
    ]
    body: list[list[Value]] = [
        [
            row.organisation,
            row.municipality,
            row.headcount,
            *(row.values.get(indicator.code) for indicator in indicators),
        ]
        for row in rows
    ]
    _size_columns(sheet, header, body)

    if indicators and rows:
        first, last = get_column_letter(4), get_column_letter(3 + len(indicators))
        whole = DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            error=headings["whole"],
        )
        whole.add(f"{first}{header_row + 1}:{last}{header_row + len(rows)}")
        sheet.data_validations.append(whole)

    sheet.append([_cell(sheet, f"{title} — {week_label}", _TITLE_FONT)])
    sheet.append([_cell(sheet, headings["hint"], _HINT_FONT)])
    sheet.append(_header(sheet, header))
    for values in body:
        sheet.append([_cell(sheet, value) for value in values])
    return _saved(workbook)


def progress_workbook(title: str, sheets: Sequence[SheetTable]) -> bytes:
    """One sheet per table: the title, the header (frozen) and the rows, columns sized to fit.
    Sheet names are cut to Excel's 31 characters and kept apart ("Рославль (2)")."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = title
    taken: set[str] = set()
    for position, table in enumerate(sheets, start=1):
        name = _sheet_name(table.name, position, taken)
        taken.add(name.casefold())
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A3"
        _size_columns(sheet, table.header, table.rows)
        sheet.append([_cell(sheet, title, _TITLE_FONT)])
        sheet.append(_header(sheet, table.header))
        for row in table.rows:
            sheet.append([_cell(sheet, value) for value in row])
    if not sheets:
        workbook.create_sheet(_sheet_name(title, 1, taken))
    return _saved(workbook)


def _sheet_name(wanted: str, position: int, taken: set[str]) -> str:
    """A name Excel accepts: no []:*?/\\, no apostrophe at either end, at most 31 characters,
    unlike the others in any case; the sheet's position when nothing is left."""
    base = " ".join(wanted.translate(_SHEET_NAME_FORBIDDEN).split()).strip("'")
    base = base[:_SHEET_NAME_LENGTH].rstrip() or str(position)
    name, copy = base, 1
    while name.casefold() in taken:
        copy += 1
        suffix = f" ({copy})"
        name = base[: _SHEET_NAME_LENGTH - len(suffix)].rstrip() + suffix
    return name


def _cell(
    sheet: Any, value: Value, font: Font | None = None, number_format: str | None = None
) -> Any:
    """A cell for a value; text is always text (never a formula, however it starts)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        # Kept as written (the template is read back), but marked as text for whoever copies
        # it on or saves the sheet as CSV: the workbook form of bot.render.cells' "'".
        if is_formula_like(value):
            cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if number_format is not None and isinstance(value, int | float):
        cell.number_format = number_format
    return cell


def _header(sheet: Any, titles: Sequence[str]) -> list[Any]:
    cells = []
    for title in titles:
        cell = _cell(sheet, title, _HEADER_FONT)
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
        cells.append(cell)
    return cells


def _size_columns(sheet: Any, header: Sequence[str], body: Sequence[Sequence[Value]]) -> None:
    """Each column as wide as its longest value, and its heading up to where that wraps."""
    for index, heading in enumerate(header):
        values = (row[index] for row in body if index < len(row))
        longest = max((len(str(value)) for value in values if value is not None), default=0)
        width = max(_MIN_WIDTH, min(max(longest, min(len(heading), _WRAP_AT)) + 2, _MAX_WIDTH))
        sheet.column_dimensions[get_column_letter(index + 1)].width = width


def _saved(workbook: Any) -> bytes:
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
