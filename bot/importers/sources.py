"""File formats turned into items (paragraphs and table rows) for the shared core.

Nothing here knows what a roadmap is: each reader only says what text is where.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import shutil
import subprocess
import time as time_module
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from bot.importers import limits
from bot.importers.errors import DocumentError, Problem
from bot.importers.roadmap_table import Item, Row
from bot.importers.text import Lines, decode, read_bytes

# --- Word ------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (
    f"{_W}p",
    f"{_W}tbl",
    f"{_W}tr",
    f"{_W}tc",
    f"{_W}sdt",
    f"{_W}sdtContent",
)
_TEXT_TAGS = {
    f"{_W}t": None,
    f"{_W}tab": "\t",
    f"{_W}br": "\n",
    f"{_W}cr": "\n",
    f"{_W}noBreakHyphen": "-",
}
_VAL = f"{_W}val"


def _paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []
    for node in paragraph.iter(*_TEXT_TAGS):
        fixed = _TEXT_TAGS[node.tag]
        parts.append((node.text or "") if fixed is None else fixed)
    return "".join(parts)


def _children(element: Any, tag: str) -> Iterator[Any]:
    """Children with `tag`, looking through content controls (w:sdt) that wrap them."""
    for child in element.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _children(content, tag)


class _ListNumbers:
    """Numbers Word draws itself: a "№" column filled by automatic list numbering has no text,
    so the reader counts the list items as Word would ("1.", "2.", "2.1.")."""

    def __init__(self) -> None:
        self.counters: dict[str, list[int]] = {}

    def number(self, paragraph: Any) -> str | None:
        properties = paragraph.find(f"{_W}pPr")
        numbering = properties.find(f"{_W}numPr") if properties is not None else None
        if numbering is None:
            return None
        num_id = numbering.find(f"{_W}numId")
        level_node = numbering.find(f"{_W}ilvl")
        if num_id is None or num_id.get(_VAL) in (None, "0"):
            return None
        level = int(level_node.get(_VAL, "0")) if level_node is not None else 0
        counters = self.counters.setdefault(str(num_id.get(_VAL)), [])
        del counters[level + 1 :]
        counters.extend([0] * (level + 1 - len(counters)))
        counters[level] += 1
        return ".".join(str(count) for count in counters) + "."


def _cell_text(cell: Any, numbers: _ListNumbers) -> str:
    lines: list[str] = []
    for paragraph in _children(cell, _P):
        text = _paragraph_text(paragraph)
        if not text.strip():
            text = numbers.number(paragraph) or text
        lines.append(text)
    return "\n".join(lines)


def _table_rows(table: Any, index: int, numbers: _ListNumbers) -> Iterator[Row]:
    """Rows with one cell per grid column, as python-docx would give them: a cell spanning
    columns is repeated, a vertically merged cell repeats the text of the cell above. Read from
    the XML directly, since python-docx's cell access is quadratic in the table's size."""
    above: dict[int, str] = {}
    for number, row in enumerate(_children(table, _TR), start=1):
        cells: list[str] = []
        properties = row.find(f"{_W}trPr")
        before = properties.find(f"{_W}gridBefore") if properties is not None else None
        if before is not None:
            cells.extend([""] * int(before.get(_VAL, "0")))
        for cell in _children(row, _TC):
            properties = cell.find(f"{_W}tcPr")
            span, merged = 1, False
            if properties is not None:
                grid_span = properties.find(f"{_W}gridSpan")
                if grid_span is not None:
                    span = max(int(grid_span.get(_VAL, "1")), 1)
                v_merge = properties.find(f"{_W}vMerge")
                merged = v_merge is not None and v_merge.get(_VAL, "continue") == "continue"
            column = len(cells)
            text = above.get(column, "") if merged else _cell_text(cell, numbers)
            for offset in range(span):
                above[column + offset] = text
            cells.extend([text] * span)
        yield Row(tuple(cells), number, index)


def docx_items(path: Path, rows: limits.Rows = limits.ROADMAP) -> list[Item]:
    """Paragraphs and table rows of a .docx in document order; an archive that would inflate
    too far, XML with a DTD, or more than `rows` table rows is refused."""
    limits.check_archive(path, limits.DOCX)
    try:
        body = Document(str(path)).element.body
    # lxml's XMLSyntaxError is a SyntaxError: a damaged document.xml lands there.
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        SyntaxError,
    ) as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=str(error) or None) from error

    items: list[Item] = []
    numbers = _ListNumbers()
    tables = 0
    table_rows = 0

    def walk(container: Any) -> None:
        nonlocal tables, table_rows
        for child in container.iterchildren():
            if len(items) > limits.ROADMAP_ITEMS:
                raise _too_many_items(path)
            if child.tag == _P:
                items.append(_paragraph_text(child))
            elif child.tag == _TBL:
                tables += 1
                for row in _table_rows(child, tables, numbers):
                    table_rows += 1
                    if table_rows > rows.limit:
                        raise rows.exceeded(path)
                    items.append(row)
            elif child.tag == _SDT:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    walk(content)

    walk(body)
    return items


def _too_many_items(path: Path) -> DocumentError:
    count = f"{limits.ROADMAP_ITEMS:,}"
    return DocumentError(
        path,
        Problem.UNREADABLE,
        detail=f"больше {count.replace(',', ' ')} абзацев и строк "
        f"(over {count} paragraphs and rows)",
    )


# --- old Word and OpenDocument (through LibreOffice) -----------------------------------------

CONVERTED_SUFFIXES = (".doc", ".odt")
CONVERSION_SECONDS = 120
NO_LIBREOFFICE = (
    "сохраните файл как .docx или установите LibreOffice, чтобы читать .doc и .odt "
    "(save it as .docx, or install LibreOffice to read .doc and .odt)"
)

Runner = Callable[[Sequence[str]], int]  # runs a command, gives its exit code


def conversion_command(soffice: str, path: Path, directory: Path) -> list[str]:
    """LibreOffice converting `path` to a .docx in `directory`, with a profile of its own there
    (a desktop LibreOffice already running would otherwise take the job and return at once)."""
    return [
        soffice,
        f"-env:UserInstallation={(directory / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        "docx",
        "--outdir",
        str(directory),
        str(path),
    ]


def _run(command: Sequence[str]) -> int:
    return subprocess.run(  # our own argument list, no shell
        list(command), capture_output=True, timeout=CONVERSION_SECONDS, check=False
    ).returncode


def converted_to_docx(
    path: Path,
    directory: Path,
    *,
    which: Callable[[str], str | None] = shutil.which,
    runner: Runner = _run,
) -> Path:
    """A .doc or .odt turned into a .docx in `directory` by LibreOffice; without LibreOffice,
    a one-line message saying what to do instead."""
    soffice = which("soffice") or which("libreoffice")
    if soffice is None:
        raise DocumentError(path, Problem.UNSUPPORTED_FORMAT, detail=NO_LIBREOFFICE)
    try:
        code = runner(conversion_command(soffice, path, directory))
    except (OSError, subprocess.SubprocessError) as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=_short(error)) from error
    converted = directory / f"{path.stem}.docx"
    if code != 0 or not converted.is_file():
        raise DocumentError(
            path,
            Problem.UNREADABLE,
            detail=f"LibreOffice не смог преобразовать файл в .docx (exit code {code})",
        )
    return converted


# --- plain text ------------------------------------------------------------------------------

_MARKDOWN_RULE = re.compile(r"^:?-{2,}:?$")


def text_items(path: Path, rows: limits.Rows = limits.ROADMAP) -> list[Item]:
    """Lines of a text file: a line with tabs is a table row (as Word copies a table), so is a
    Markdown "| a | b |" line; any other line is a paragraph."""
    items: list[Item] = []
    text = decode(path, read_bytes(path, limits.TEXT_BYTES))
    # Not splitlines(): it also breaks at "\v", which Word uses for a line break inside a cell.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > limits.ROADMAP_ITEMS:
        raise _too_many_items(path)
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if "\t" in line.strip(" "):
            items.append(Row(tuple(line.split("\t")), number))
        elif len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|"):
            cells = tuple(cell.strip() for cell in stripped[1:-1].split("|"))
            if not all(_MARKDOWN_RULE.match(cell.replace(" ", "")) for cell in cells):
                items.append(Row(cells, number))
        else:
            items.append(line)
    if sum(isinstance(item, Row) for item in items) > rows.limit:
        raise rows.exceeded(path)
    return items


# --- CSV -------------------------------------------------------------------------------------

_DELIMITERS = (";", ",", "\t")
_SAMPLE = 65536


def _delimiter(sample: str) -> str:
    """The delimiter giving the most rows of one common width: Excel in Russia writes ";", the
    rest of the world ",". Counting beats csv.Sniffer, which a comma-rich Russian cell fools."""
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        widths = Counter(len(row) for row in rows if len(row) > 1)
        if not widths:
            continue
        width, count = widths.most_common(1)[0]
        score = (count, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _text_lines(path: Path, file: BinaryIO) -> Iterator[str]:
    """The file's lines as text, read as they are needed (see `text.Lines`)."""
    head = file.read(_SAMPLE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        file.seek(0)
        yield from io.TextIOWrapper(file, encoding="utf-16", newline="")
        return
    bom = head.startswith(codecs.BOM_UTF8)
    lines = Lines(path, head)
    file.seek(len(codecs.BOM_UTF8) if bom else 0)
    number = 0
    while raw := file.readline(limits.LINE_BYTES + 1):
        number += 1
        if len(raw) > limits.LINE_BYTES:
            detail = f"строка длиннее {limits.LINE_BYTES // 2**20} МБ (a line over 1 MB)"
            raise DocumentError(path, Problem.UNREADABLE, row=number, detail=detail)
        yield raw.decode("utf-8", errors="replace") if bom else lines.decode(raw, number)


def csv_rows(path: Path, rows: limits.Rows = limits.ROADMAP) -> list[Row]:
    """The records of a CSV file, read lazily: the file is refused as soon as it passes `rows`
    records, an encoding changes, or a line is absurdly long."""
    try:
        with path.open("rb") as file:
            lines = _text_lines(path, file)
            sample: list[str] = []
            size = 0
            for line in lines:
                sample.append(line)
                size += len(line)
                if size >= _SAMPLE:
                    break
            delimiter = _delimiter("".join(sample)) if sample else ","
            records = csv.reader(itertools.chain(sample, lines), delimiter=delimiter)
            read: list[Row] = []
            for number, record in enumerate(records, start=1):
                if number > rows.limit:
                    raise rows.exceeded(path)
                if number % 256 == 0:
                    time_module.sleep(0)  # on a worker thread: let the event loop run (GIL)
                read.append(Row(tuple(record), number))
            return read
    except (csv.Error, UnicodeDecodeError) as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=str(error)) from error
    except OSError as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=error.strerror) from error


# --- Excel -----------------------------------------------------------------------------------

_EMPTY_RUN_LIMIT = 1000  # sheets formatted down to row 1,048,576 end here, not there


def _cell_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_MAX_COLUMNS = 100  # no table of ours is wider; a wider one is read up to here
_MAX_ROW = 2**20  # Excel's own last row


def _trimmed(cells: tuple[str, ...]) -> tuple[str, ...]:
    """Without the empty cells at the end (bounded rows come padded to the column bound)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _sheet_rows(sheet: Any, path: Path, limit: limits.Rows) -> list[Row]:
    rows: list[Row] = []
    empty = 0
    # Some generators write a wrong sheet size ("A1:A1"), which read-only mode would believe.
    # Asked for its size instead, openpyxl would parse the whole sheet first (300,000 rows:
    # 19 s) before the row limit could stop it: the bounds are given, so it reads as it goes.
    sheet.reset_dimensions()
    bounded = sheet.iter_rows(max_col=_MAX_COLUMNS, max_row=_MAX_ROW, values_only=True)
    for number, values in enumerate(bounded, start=1):
        cells = _trimmed(tuple(_cell_value(value) for value in values))
        if not any(cell.strip() for cell in cells):
            empty += 1
            if empty > _EMPTY_RUN_LIMIT:
                break
            continue
        empty = 0
        if len(rows) >= limit.limit:
            raise limit.exceeded(path)
        rows.append(Row(cells, number))
    return rows


# What a broken or hostile part raises while openpyxl reads it: ElementTree's and lxml's parse
# errors are SyntaxErrors, defusedxml's refusals ValueErrors.
_XLSX_ERRORS = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    SyntaxError,
    EOFError,
)


def xlsx_sheets(path: Path, rows: limits.Rows = limits.ROADMAP) -> Iterator[list[Row]]:
    """Rows of each sheet in turn (merged cells read as a value in the first cell only); an
    archive that would inflate too far, XML with a DTD, or a sheet of more than `rows` rows is
    refused."""
    limits.check_archive(path, limits.XLSX)
    limits.check_sheet_rows(path, rows)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _XLSX_ERRORS as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=_short(error)) from error
    try:
        for sheet in workbook.worksheets:
            try:
                read = _sheet_rows(sheet, path, rows)
            except _XLSX_ERRORS as error:
                raise DocumentError(path, Problem.UNREADABLE, detail=_short(error)) from error
            yield read
    finally:
        workbook.close()


def _short(error: Exception) -> str | None:
    """An error's text on one line, and not a page of it."""
    text = " ".join(str(error).split())
    return (text if len(text) <= 200 else text[:199] + "…") or type(error).__name__


def table_sheets(path: Path, rows: limits.Rows) -> Iterable[list[Row]]:
    """The tables of a spreadsheet file: one for a CSV, one a sheet for .xlsx."""
    if path.suffix.lower() == ".csv":
        return [csv_rows(path, rows)]
    return xlsx_sheets(path, rows)
