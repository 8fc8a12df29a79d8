"""Test documents written on the fly: Word, Excel, CSV and text versions of small roadmaps."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from openpyxl import Workbook

# A row is a list of cells, or one string for a row merged across the whole table.
TableRow = Sequence[str] | str


def docx_file(
    path: Path,
    before: Sequence[str],
    *tables: Sequence[TableRow],
    after: Sequence[str] = (),
) -> Path:
    document = Document()
    for text in before:
        document.add_paragraph(text)
    for rows in tables:
        width = max(len(row) for row in rows if not isinstance(row, str))
        table = document.add_table(rows=len(rows), cols=width)
        for index, row in enumerate(rows):
            if isinstance(row, str):
                merged = table.cell(index, 0).merge(table.cell(index, width - 1))
                merged.text = row
            else:
                for column, text in enumerate(row):
                    table.cell(index, column).text = text
        document.add_paragraph("")
    for text in after:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def flat(rows: Sequence[TableRow], width: int) -> list[list[str]]:
    """Rows for formats without merged cells: a merged row keeps its text in the first cell."""
    return [[row] + [""] * (width - 1) if isinstance(row, str) else list(row) for row in rows]


def csv_file(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def xlsx_file(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(str(path))
    return path


def text_file(path: Path, lines: Sequence[str], *, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path
