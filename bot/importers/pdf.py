"""PDF orders with a text layer, read as a Word document is: paragraphs and table rows in
document order (`sources.docx_items`), for the same core.

Tables are found by their ruling lines (pdfplumber's "lines" strategy); a document with no ruled
table anywhere is read again with the text-alignment strategy. A scan (pages of images, no
characters) is refused with a message saying so. Size and page count are checked before any
page is parsed.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfpage import PDFPage
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import PdfminerException

from bot.importers import limits
from bot.importers.errors import DocumentError, Problem
from bot.importers.roadmap_table import Item, Row
from bot.importers.sources import _too_many_items

PDF_BYTES = 20 * 2**20
PDF_PAGES = 200

SCAN = "в PDF нет текстового слоя — это скан; пришлите документ Word или PDF с текстом"

_LINES = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
_TEXT = {"vertical_strategy": "text", "horizontal_strategy": "text"}
_ERRORS = (PdfminerException, PSException, ValueError, KeyError, TypeError, OSError)


def _refuse(path: Path, detail: str) -> DocumentError:
    return DocumentError(path, Problem.UNREADABLE, detail=detail)


def _too_many_pages(path: Path) -> DocumentError:
    return _refuse(
        path,
        f"больше {PDF_PAGES} страниц — предел для PDF "
        f"(over {PDF_PAGES} pages, the limit for a PDF)",
    )


def _cell_text(text: str | None) -> str:
    """A cell's lines as Word would hold them: a line wrapped by the layout (the next one goes
    on in lower case) is joined back; other lines stay lines, as paragraphs of a cell."""
    if not text:
        return ""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    joined: list[str] = []
    for line in lines:
        if joined and line[0].islower():
            joined[-1] += line if joined[-1].endswith("-") else " " + line
        else:
            joined.append(line)
    return "\n".join(joined)


def _covering(cells: Sequence[tuple[float, float, float, float]], x: float, y: float) -> int:
    for index, (x0, top, x1, bottom) in enumerate(cells):
        if x0 <= x <= x1 and top <= y <= bottom:
            return index
    return -1


def _rows_of(table: Any) -> list[tuple[str, ...]]:
    """Cell texts row by row, one per grid column: a merged cell's text is repeated in every
    grid cell it covers, across and down, as `sources.docx_items` gives Word's merged cells."""
    extracted: list[list[str | None]] = table.extract()
    boxes: list[tuple[float, float, float, float]] = []
    texts: list[str] = []
    for row, values in zip(table.rows, extracted, strict=False):
        for box, value in zip(row.cells, values, strict=False):
            if box is not None:
                boxes.append(box)
                texts.append(_cell_text(value))
    columns = [column.bbox for column in table.columns]
    rows: list[tuple[str, ...]] = []
    for row, values in zip(table.rows, extracted, strict=False):
        cells: list[str] = []
        for column, value in enumerate(values):
            if row.cells[column] is not None:
                cells.append(_cell_text(value))
                continue
            # A grid position inside a merged cell: find the cell that covers its middle.
            x0, _, x1, _ = columns[column] if column < len(columns) else row.bbox
            _, top, _, bottom = row.bbox
            found = _covering(boxes, (x0 + x1) / 2, (top + bottom) / 2)
            cells.append(texts[found] if found >= 0 else "")
        rows.append(tuple(cells))
    return rows


def _page_items(
    page: Any, settings: dict[str, str]
) -> Iterator[tuple[float, str | list[tuple[str, ...]]]]:
    """(top, paragraph) and (top, table rows) of one page, unordered."""
    tables = page.find_tables(settings)
    boxes = [table.bbox for table in tables]

    def outside(obj: dict[str, Any]) -> bool:
        middle_x, middle_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(
            x0 <= middle_x <= x1 and top <= middle_y <= bottom for x0, top, x1, bottom in boxes
        )

    free = page.filter(outside) if boxes else page
    for line in free.extract_text_lines(strip=True, return_chars=False):
        yield line["top"], line["text"]
    for table in tables:
        yield table.bbox[1], _rows_of(table)


def _items(pdf: Any, path: Path, settings: dict[str, str], rows: limits.Rows) -> list[Item]:
    items: list[Item] = []
    table = 0
    number = 0
    width = -1
    table_rows = 0
    for page in pdf.pages:
        time.sleep(0)  # on a worker thread: let the event loop run (GIL)
        for _, content in sorted(_page_items(page, settings), key=lambda pair: pair[0]):
            if isinstance(content, str):
                items.append(content)
                continue
            if not content:
                continue
            # A table going on from the page before (same width, nothing in between) keeps its
            # index and its row numbers, as the one Word table it was.
            last = items[-1] if items else None
            if not (isinstance(last, Row) and last.table == table and width == len(content[0])):
                table += 1
                number = 0
                width = len(content[0])
            for cells in content:
                number += 1
                table_rows += 1
                if table_rows > rows.limit:
                    raise rows.exceeded(path)
                items.append(Row(cells, number, table))
            if len(items) > limits.ROADMAP_ITEMS:
                raise _too_many_items(path)
    return items


def _has_text(pdf: Any) -> bool:
    return any(
        any(char["text"].strip() for char in page.chars)
        for page in itertools.islice(pdf.pages, PDF_PAGES)
    )


def pdf_items(path: Path, rows: limits.Rows = limits.ROADMAP) -> list[Item]:
    """Paragraphs and table rows of a PDF in reading order (page by page, top to bottom); a file
    over `PDF_BYTES`, over `PDF_PAGES` pages, with more than `rows` table rows, or without a
    text layer is refused."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _refuse(path, error.strerror or str(error)) from error
    if size > PDF_BYTES:
        raise limits.too_big(path, size, PDF_BYTES)
    try:
        with pdfplumber.open(path) as pdf:
            # Counted through the page tree before pdfplumber makes a page object of each.
            pages = sum(1 for _ in itertools.islice(PDFPage.create_pages(pdf.doc), PDF_PAGES + 1))
            if pages > PDF_PAGES:
                raise _too_many_pages(path)
            if not _has_text(pdf):
                raise _refuse(path, SCAN)
            items = _items(pdf, path, _LINES, rows)
            if not any(isinstance(item, Row) for item in items):
                items = _items(pdf, path, _TEXT, rows)
            return items
    except DocumentError:
        raise
    except _ERRORS as error:
        text = " ".join(str(error).split()) or type(error).__name__
        raise _refuse(path, text[:200]) from error
