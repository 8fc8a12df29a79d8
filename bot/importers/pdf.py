"""PDF orders with a text layer, read as a Word document is: paragraphs and table rows in
document order (`sources.docx_items`), for the same core.

Tables are found by their ruling lines (pdfplumber's "lines" strategy); a document with no ruled
table anywhere is read again with the text-alignment strategy. A scan (pages of images, no
characters) is refused with a message saying so. Size and page count are checked before any
page is parsed. A cell's lines are joined back where the layout wrapped them, told by where they
end in the cell (`_laid_out`); the others stay its paragraphs.

A page's characters and ruling lines come from PDFium (pypdfium2, which pdfplumber itself
depends on): its C parser reads a page several times faster than pdfminer's Python one, which
took three quarters of the time. They are handed to pdfplumber as the page's objects, in
pdfplumber's own coordinates, so tables and lines are found by pdfplumber as before. A page
PDFium cannot give (turned by /Rotate, or a document it will not open) is parsed by pdfminer as
before. Each page's objects are dropped once it is read, so memory does not grow with pages.
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium  # type: ignore[import-untyped]
from pdfminer.pdfpage import PDFPage
from pdfminer.psparser import PSException
from pdfplumber.utils.clustering import cluster_objects
from pdfplumber.utils.exceptions import PdfminerException
from pdfplumber.utils.text import DEFAULT_Y_TOLERANCE, WordExtractor, extract_text

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
    """A cell's lines where their places are not known (a table found by text alignment, whose
    cells end where their text does): a line going on in lower case is taken for one wrapped by
    the layout and joined back; other lines stay lines, as paragraphs of a cell."""
    if not text:
        return ""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    joined: list[str] = []
    for line in lines:
        if joined and line[0].islower():
            joined[-1] = _wrapped(joined[-1], line)
        else:
            joined.append(line)
    return "\n".join(joined)


def _wrapped(line: str, after: str) -> str:
    """`line` with the line the layout wrapped it to: after a word's hyphen («ГИА-» «11»,
    «информационно-» «коммуникационной») the word goes on with no space; a soft hyphen, there
    only because the word was broken, goes; a dash standing alone («МОУО -») is followed by a
    space, as any other line end."""
    if line.endswith(_SOFT_HYPHEN):
        return line[: -len(_SOFT_HYPHEN)] + after
    if line.endswith("-") and len(line) > 1 and not line[-2].isspace():
        return line + after
    return line + " " + after


_SOFT_HYPHEN = "\u00ad"

# A cell's line: its text, where it starts and ends across, its first word's width, and the
# width of a space on it (the narrowest gap between its words).
_Line = tuple[str, float, float, float, float]
# Places across closer than this (points) are the same: where centred lines' middles are.
_NEAR = 1.5
# A line of one word: a space taken as this part of its height, the font's size (Times New
# Roman's space is 0.25 em, Arial's 0.28, Calibri's 0.23).
_SPACE = 0.25


def _cell_lines(chars: list[dict[str, Any]]) -> list[_Line] | None:
    """The lines `extract_text` makes of a cell's characters, the same texts, each with where it
    is; None if a word is not upright (its width is not across the cell)."""
    words = WordExtractor().extract_words(chars)
    if not all(word["upright"] for word in words):
        return None
    lines: list[_Line] = []
    for line in cluster_objects(words, itemgetter("top"), DEFAULT_Y_TOLERANCE):
        first = line[0]
        gaps = [after["x0"] - word["x1"] for word, after in itertools.pairwise(line)]
        lines.append(
            (
                " ".join(word["text"] for word in line),
                min(word["x0"] for word in line),
                max(word["x1"] for word in line),
                first["x1"] - first["x0"],
                max(0.0, min(gaps)) if gaps else _SPACE * (first["bottom"] - first["top"]),
            )
        )
    return lines


def _laid_out(lines: Sequence[_Line], left: float, right: float, inset: float) -> str:
    """A cell's lines joined back where the layout wrapped them. A line is a wrap of the one
    before when that one had no room left in the cell (`inset` in from its edges) for this
    line's first word and a space before it: the layout had to break there. Centred text (every
    line's middle at the cell's middle) has its room on both sides of a line; other text
    (left-aligned, justified, indented) to the right of it. A line going on in lower case is a
    wrap too (`_cell_text`): a writer that breaks lines short of the cell's edge, by a count of
    characters, leaves no other mark of it. Any other line starts a paragraph, a line of its
    own, as Word keeps a paragraph per party («Руководители ОО» / «МОУО»)."""
    texts = [text.strip() for text, *_ in lines]
    middle = (left + right) / 2
    starts = [x0 for _, x0, _, _, _ in lines]
    centred = (
        len(lines) > 1
        and max(starts) - min(starts) > _NEAR
        and all(abs((x0 + x1) / 2 - middle) <= _NEAR for _, x0, x1, _, _ in lines)
    )
    space = min(line[4] for line in lines)
    joined = [texts[0]]
    for (_, x0, x1, _, _), (_, _, _, word, _), text in zip(
        lines, lines[1:], texts[1:], strict=False
    ):
        room = right - inset - x1
        if centred:
            room += x0 - (left + inset)
        if word + space > room or text[:1].islower():
            joined[-1] = _wrapped(joined[-1], text)
        else:
            joined.append(text)
    return "\n".join(joined)


def _covering(cells: Sequence[tuple[float, float, float, float]], x: float, y: float) -> int:
    for index, (x0, top, x1, bottom) in enumerate(cells):
        if x0 <= x <= x1 and top <= y <= bottom:
            return index
    return -1


def _extract(table: Any, chars: Sequence[dict[str, Any]], laid_out: bool) -> list[list[str | None]]:
    """The texts of `table.extract()`, from the same characters in the same order, a cell's lines
    joined back where the layout wrapped them (`_laid_out`, if `laid_out`: the cells are ruled,
    their edges are the layout's; else `_cell_text`). A row's characters are found by their
    middles' heights, sorted once, not by testing every character of the page per row."""
    middles = sorted(
        ((char["top"] + char["bottom"]) / 2, index) for index, char in enumerate(chars)
    )
    heights = [middle for middle, _ in middles]
    cells: list[list[tuple[tuple[float, float, float, float], list[_Line] | None, str] | None]]
    cells = []
    for row in table.rows:
        x0, top, x1, bottom = row.bbox
        found = sorted(
            index
            for _, index in middles[
                bisect.bisect_left(heights, top) : bisect.bisect_left(heights, bottom)
            ]
        )
        row_chars = [
            char for char in (chars[index] for index in found) if x0 <= _middle_x(char) < x1
        ]
        values: list[tuple[tuple[float, float, float, float], list[_Line] | None, str] | None]
        values = []
        for cell in row.cells:
            if cell is None:
                values.append(None)
                continue
            left, high, right, low = cell
            inside = [
                char
                for char in row_chars
                if left <= _middle_x(char) < right
                and high <= (char["top"] + char["bottom"]) / 2 < low
            ]
            if not inside:
                values.append((cell, [], ""))
            elif laid_out and (lines := _cell_lines(inside)) is not None:
                values.append((cell, lines, ""))
            else:
                values.append((cell, None, extract_text(inside)))
        cells.append(values)
    # The cells' text stands in from their left edges by the table's padding: the least inset
    # of any line (the right one is taken to be as wide).
    insets = [
        line[1] - value[0][0]
        for values in cells
        for value in values
        if value is not None and value[1]
        for line in value[1]
    ]
    inset = max(0.0, min(insets)) if insets else 0.0
    return [[_text(value, inset) for value in values] for values in cells]


def _text(
    value: tuple[tuple[float, float, float, float], list[_Line] | None, str] | None, inset: float
) -> str | None:
    """A cell's text from its box, its lines (None: not placed, its text is given) and text."""
    if value is None:
        return None
    (left, _, right, _), lines, text = value
    if lines is None:
        return _cell_text(text)
    return _laid_out(lines, left, right, inset) if lines else ""


def _middle_x(char: dict[str, Any]) -> float:
    return (char["x0"] + char["x1"]) / 2  # type: ignore[no-any-return]


def _rows_of(table: Any, chars: Sequence[dict[str, Any]], laid_out: bool) -> list[tuple[str, ...]]:
    """Cell texts row by row, one per grid column: a merged cell's text is repeated in every
    grid cell it covers, across and down, as `sources.docx_items` gives Word's merged cells."""
    extracted = _extract(table, chars, laid_out)
    boxes: list[tuple[float, float, float, float]] = []
    texts: list[str] = []
    for row, values in zip(table.rows, extracted, strict=False):
        for box, value in zip(row.cells, values, strict=False):
            if box is not None:
                boxes.append(box)
                texts.append(value or "")
    columns = [column.bbox for column in table.columns]
    rows: list[tuple[str, ...]] = []
    for row, values in zip(table.rows, extracted, strict=False):
        cells: list[str] = []
        for column, value in enumerate(values):
            if row.cells[column] is not None:
                cells.append(value or "")
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
    chars = page.chars

    def outside(obj: dict[str, Any]) -> bool:
        middle_x, middle_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(
            x0 <= middle_x <= x1 and top <= middle_y <= bottom for x0, top, x1, bottom in boxes
        )

    free = page.filter(outside) if boxes else page
    for line in free.extract_text_lines(strip=True, return_chars=False):
        yield line["top"], line["text"]
    for table in tables:
        yield table.bbox[1], _rows_of(table, chars, settings is _LINES)


# --- PDFium: a page's characters and ruling lines ------------------------------------------

# PDFium is not thread-safe, not even across documents: one call at a time in the process.
_PDFIUM = threading.Lock()
_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class _Pdfium:
    """The document opened by PDFium beside pdfplumber's, for the pages' objects; None when
    PDFium will not open it or counts its pages otherwise (pdfminer parses every page then)."""

    def __init__(self, path: Path, pages: int) -> None:
        self.document: Any = None
        with _PDFIUM:
            try:
                document = pypdfium2.PdfDocument(str(path))
            except pypdfium2.PdfiumError:
                return
            if len(document) == pages:
                self.document = document
            else:
                document.close()

    def close(self) -> None:
        with _PDFIUM:
            if self.document is not None:
                self.document.close()
                self.document = None

    def load(self, page: Any, index: int) -> None:
        """Give `page` its characters and lines from PDFium, unless it has its objects already
        or PDFium cannot give them in pdfplumber's coordinates (a turned page)."""
        if self.document is None or hasattr(page, "_objects") or page.rotation:
            return
        with _PDFIUM:
            try:
                handle = self.document[index]
            except pypdfium2.PdfiumError:
                return  # pdfminer parses it
            try:
                if handle.get_rotation():
                    return
                # pdfminer's coordinates (user space less the MediaBox's corner, its matrix for
                # an unturned page) and pdfplumber's from them (Page.process_object).
                mediabox_x, mediabox_y = page.page_obj.mediabox[:2]
                shift_x = page.mediabox[0] - mediabox_x
                flip = page.height + page.mediabox[1] + mediabox_y
                place = _Place(shift_x, flip, mediabox_y, page.initial_doctop, page.page_number)
                objects = {"char": _chars(handle, place), "line": _lines(handle, place)}
            finally:
                handle.close()
        page._objects = objects


class _Place:
    """From PDF user space to pdfplumber's page coordinates: x0 + `shift_x`, y0 - `shift_y`
    (pdfminer's), top = `flip` - y1 (top from the page's top), doctop = `doctop` + top."""

    __slots__ = ("doctop", "flip", "number", "shift_x", "shift_y")

    def __init__(
        self, shift_x: float, flip: float, shift_y: float, doctop: float, number: int
    ) -> None:
        self.shift_x, self.flip, self.shift_y = shift_x, flip, shift_y
        self.doctop, self.number = doctop, number

    def box(self, kind: str, x0: float, bottom: float, x1: float, top: float) -> dict[str, Any]:
        """The dict pdfplumber makes of an object: `bottom` and `top` in user space."""
        page_top = self.flip - top
        return {
            "object_type": kind,
            "page_number": self.number,
            "x0": x0 + self.shift_x,
            "x1": x1 + self.shift_x,
            "y0": bottom - self.shift_y,
            "y1": top - self.shift_y,
            "top": page_top,
            "bottom": self.flip - bottom,
            "doctop": self.doctop + page_top,
            "width": x1 - x0,
            "height": top - bottom,
        }


def _chars(handle: Any, place: _Place) -> list[dict[str, Any]]:
    """The page's characters as pdfminer's LTChar gives them: the glyph's advance across, the
    font's size high from its descent, upright or not. PDFium leaves out a space glyph where it
    makes up a space of its own: that one is kept (its other made-up characters, line ends, are
    not), and a hyphen it marks as ending a line (0x02) is a hyphen again."""
    text_page = handle.get_textpage()
    try:
        raw = text_page.raw
        box = pdfium.FS_RECTF()
        matrix = pdfium.FS_MATRIX()
        chars: list[dict[str, Any]] = []
        high = 0
        for index in range(pdfium.FPDFText_CountChars(raw)):
            code = pdfium.FPDFText_GetUnicode(raw, index)
            if pdfium.FPDFText_IsGenerated(raw, index) == 1:
                if code == 0x20 and chars and pdfium.FPDFText_GetLooseCharBox(raw, index, box):
                    # Made up between two words: as high as the word before, no wider than
                    # the gap PDFium puts it in.
                    space = dict(chars[-1], text=" ")
                    space["x0"] = space["x1"] = box.left + place.shift_x
                    space["width"] = 0.0
                    chars.append(space)
                continue
            if 0xD800 <= code < 0xDC00:  # a surrogate pair: the character is in two halves
                high = code
                continue
            if 0xDC00 <= code < 0xE000 and high:
                code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
            high = 0
            if not code or not pdfium.FPDFText_GetLooseCharBox(raw, index, box):
                continue
            pdfium.FPDFText_GetMatrix(raw, index, matrix)
            upright = matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0
            top = box.bottom + pdfium.FPDFText_GetFontSize(raw, index) if upright else box.top
            char = place.box("char", box.left, box.bottom, box.right, top)
            char["text"] = "-" if code == 0x02 else chr(code)
            char["upright"] = upright
            chars.append(char)
        return chars
    finally:
        text_page.close()


def _lines(handle: Any, place: _Place) -> list[dict[str, Any]]:
    """The page's straight horizontal and vertical path segments as pdfplumber lines (what its
    "lines" strategy keeps of rectangles, lines and curves alike), forms' paths included."""
    lines: list[dict[str, Any]] = []
    page = handle.raw
    for index in range(pdfium.FPDFPage_CountObjects(page)):
        _path_lines(pdfium.FPDFPage_GetObject(page, index), _IDENTITY, place, lines)
    return lines


def _path_lines(obj: Any, outer: _Matrix, place: _Place, lines: list[dict[str, Any]]) -> None:
    kind = pdfium.FPDFPageObj_GetType(obj)
    if kind not in (pdfium.FPDF_PAGEOBJ_PATH, pdfium.FPDF_PAGEOBJ_FORM):
        return
    own = pdfium.FS_MATRIX()
    if not pdfium.FPDFPageObj_GetMatrix(obj, own):
        return
    a, b, c, d, e, f = outer
    matrix = (
        own.a * a + own.b * c,
        own.a * b + own.b * d,
        own.c * a + own.d * c,
        own.c * b + own.d * d,
        own.e * a + own.f * c + e,
        own.e * b + own.f * d + f,
    )
    if kind == pdfium.FPDF_PAGEOBJ_FORM:
        for index in range(pdfium.FPDFFormObj_CountObjects(obj)):
            _path_lines(pdfium.FPDFFormObj_GetObject(obj, index), matrix, place, lines)
        return
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    start = current = (0.0, 0.0)
    for index in range(pdfium.FPDFPath_CountSegments(obj)):
        segment = pdfium.FPDFPath_GetPathSegment(obj, index)
        pdfium.FPDFPathSegment_GetPoint(segment, x, y)
        point = (x.value * a + y.value * c + e, x.value * b + y.value * d + f)
        kind = pdfium.FPDFPathSegment_GetType(segment)
        if kind == pdfium.FPDF_SEGMENT_MOVETO:
            start = point
        elif kind == pdfium.FPDF_SEGMENT_LINETO:
            _line(current, point, place, lines)
        # A Bézier curve's points (two controls, then its end) draw no straight line.
        current = point
        if pdfium.FPDFPathSegment_GetClose(segment):
            _line(current, start, place, lines)
            current = start


def _line(
    one: tuple[float, float], other: tuple[float, float], place: _Place, lines: list[Any]
) -> None:
    (x0, y0), (x1, y1) = one, other
    if x0 == x1 or y0 == y1:
        lines.append(place.box("line", min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))


# --- the document --------------------------------------------------------------------------


def _items(
    pdf: Any, fast: _Pdfium, path: Path, settings: dict[str, str], rows: limits.Rows
) -> list[Item]:
    items: list[Item] = []
    table = 0
    number = 0
    width = -1
    table_rows = 0
    for index, page in enumerate(pdf.pages):
        time.sleep(0)  # on a worker thread: let the event loop run (GIL)
        fast.load(page, index)
        try:
            contents = sorted(_page_items(page, settings), key=lambda pair: pair[0])
        finally:
            page.close()  # its objects go: memory stays flat however many pages
        for _, content in contents:
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


def _has_text(pdf: Any, fast: _Pdfium) -> bool:
    """Whether any page has a character that is not a space: stops at the first that has."""
    for index, page in enumerate(itertools.islice(pdf.pages, PDF_PAGES)):
        fast.load(page, index)
        try:
            if any(char["text"].strip() for char in page.chars):
                return True
        finally:
            page.close()
    return False


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
        with pdfplumber.open(path, laparams=None) as pdf:
            # Counted through the page tree before pdfplumber makes a page object of each.
            pages = sum(1 for _ in itertools.islice(PDFPage.create_pages(pdf.doc), PDF_PAGES + 1))
            if pages > PDF_PAGES:
                raise _too_many_pages(path)
            fast = _Pdfium(path, len(pdf.pages))
            try:
                if not _has_text(pdf, fast):
                    raise _refuse(path, SCAN)
                items = _items(pdf, fast, path, _LINES, rows)
                if not any(isinstance(item, Row) for item in items):
                    items = _items(pdf, fast, path, _TEXT, rows)
                return items
            finally:
                fast.close()
    except DocumentError:
        raise
    except _ERRORS as error:
        text = " ".join(str(error).split()) or type(error).__name__
        raise _refuse(path, text[:200]) from error
