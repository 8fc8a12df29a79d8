"""Test documents written on the fly: Word, Excel, CSV and text versions of small roadmaps."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from docx import Document
from openpyxl import Workbook

matplotlib.use("Agg")

from matplotlib import pyplot
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath

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


# --- PDF: a ruled table with a text layer, as Word exports it ---------------------------------

WIDTH, HEIGHT = 595.0, 842.0  # A4 in points
COLUMNS = (40.0, 75.0, 330.0, 450.0, 560.0)
LINE = 11.0
FONT = 7.5
PADDING = 3.0  # a cell's text stands this far in from its left and right rules


def text_width(text: str) -> float:
    """How wide `text` is in the cells' font, in points."""
    properties = FontProperties(family="DejaVu Sans", size=FONT)
    width, _, _ = TextToPath().get_text_width_height_descent(text, properties, ismath=False)
    return float(width)


def wrapped(text: str, width: float) -> str:
    """`text` laid out as Word lays out a cell `width` wide: each paragraph (line of `text`)
    broken into lines before the first word that would not fit in what is left of the line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        line = words[0]
        for word in words[1:]:
            if text_width(f"{line} {word}") <= width:
                line = f"{line} {word}"
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return "\n".join(lines)


def _page(pages: PdfPages, paragraphs: Sequence[str], rows: Sequence[TableRow]) -> None:
    """One A4 page: paragraphs, then a table ruled with lines (a merged row has no inner
    vertical lines), its cells' text in DejaVu Sans as a text layer."""
    figure = pyplot.figure(figsize=(WIDTH / 72, HEIGHT / 72))

    def text(x: float, y: float, value: str) -> None:
        figure.text(x / WIDTH, 1 - y / HEIGHT, value, fontsize=FONT, family="DejaVu Sans", va="top")

    def rule(x0: float, y0: float, x1: float, y1: float) -> None:
        figure.add_artist(
            Line2D([x0 / WIDTH, x1 / WIDTH], [1 - y0 / HEIGHT, 1 - y1 / HEIGHT], linewidth=0.6)
        )

    y = 40.0
    for paragraph in paragraphs:
        text(COLUMNS[0], y, paragraph)
        y += LINE * 1.5
    top = y + LINE
    y = top
    for row in rows:
        lines = 1 if isinstance(row, str) else max(cell.count("\n") + 1 for cell in row)
        height = lines * LINE + 6
        rule(COLUMNS[0], y, COLUMNS[-1], y)
        rule(COLUMNS[0], y, COLUMNS[0], y + height)
        rule(COLUMNS[-1], y, COLUMNS[-1], y + height)
        if isinstance(row, str):
            text(COLUMNS[0] + PADDING, y + 3, row)
        else:
            for column, cell in enumerate(row):
                for offset, line in enumerate(cell.split("\n")):
                    text(COLUMNS[column] + PADDING, y + 3 + offset * LINE, line)
            for x in COLUMNS[1:-1]:
                rule(x, y, x, y + height)
        y += height
    rule(COLUMNS[0], y, COLUMNS[-1], y)
    pages.savefig(figure)  # type: ignore[no-untyped-call]
    pyplot.close(figure)


def pdf_file(
    path: Path,
    paragraphs: Sequence[str],
    rows: Sequence[TableRow],
    *,
    per_page: int = 50,
    wrap: bool = False,
) -> Path:
    """A PDF of `paragraphs` and a ruled table, `per_page` table rows a page (the header is
    repeated on every page, as Word does with a header row). A cell's lines are its text's
    lines ("\n") as given; with `wrap`, its paragraphs are also wrapped to its column's width
    (`wrapped`), as Word lays them out."""
    if wrap:
        widths = [right - left - 2 * PADDING for left, right in itertools.pairwise(COLUMNS)]
        rows = [
            row
            if isinstance(row, str)
            else [wrapped(cell, width) for cell, width in zip(row, widths, strict=False)]
            for row in rows
        ]
    # TrueType (42), not Type 3: the fonts carry the Unicode of their glyphs, as Word's do.
    with pyplot.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pages:
        header, body = rows[0], list(rows[1:])
        first = True
        while first or body:
            chunk, body = body[:per_page], body[per_page:]
            _page(pages, paragraphs if first else [], [header, *chunk])
            first = False
    return path
