"""How much of a file the importers will read, and the archive and XML checks that come first.

A roadmap of more than a few thousand rows is a mistake, a region has fewer than 100,000
organisations, and a weekly sheet reports for at most that many. Past these limits a reader
stops at once and says which limit it was; Office files (zip archives of XML) are measured
before anything is inflated, and XML that declares a DTD or entities is refused outright, since
Word and Excel never write one.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.importers.errors import DocumentError, Problem

ROADMAP_ROWS = 5_000
ORGANISATION_ROWS = 100_000
REPORT_ROWS = 100_000
ROADMAP_ITEMS = 50_000  # paragraphs and rows of a Word or text document, all told
TEXT_BYTES = 20 * 2**20  # a .txt or .yaml file, read whole
LINE_BYTES = 2**20  # one line of a CSV file

_MB = 2**20


@dataclass(frozen=True, slots=True)
class Rows:
    """A row limit and what it is the limit of, in Russian and English."""

    limit: int
    ru: str
    en: str

    def exceeded(self, path: Path) -> DocumentError:
        ru, en = f"{self.limit:,}".replace(",", " "), f"{self.limit:,}"
        detail = (
            f"больше {ru} строк — предел для {self.ru} (over {en} rows, the limit for {self.en})"
        )
        return DocumentError(path, Problem.UNREADABLE, detail=detail)


ROADMAP = Rows(ROADMAP_ROWS, "дорожной карты", "a roadmap")
ORGANISATIONS = Rows(ORGANISATION_ROWS, "списка организаций", "an organisation list")
REPORT = Rows(REPORT_ROWS, "листа отчёта", "a report sheet")


def too_big(path: Path, size: int, limit: int) -> DocumentError:
    detail = f"файл больше {limit // _MB} МБ ({size / _MB:.1f} MB; the limit is {limit // _MB} MB)"
    return DocumentError(path, Problem.UNREADABLE, detail=detail)


@dataclass(frozen=True, slots=True)
class Archive:
    """What an Office file may inflate to: in all, one part, one XML part read whole, and by
    how much a large part may have been compressed (zip bombs compress about 1000 : 1)."""

    total: int
    part: int
    whole_xml: int  # XML parts parsed into memory at once (all of .docx; .xlsx but its sheets)
    ratio: int = 100
    ratio_from: int = 4 * _MB  # small parts compress as they like
    parts: int = 10_000


# python-docx parses every XML part into a tree; openpyxl streams the sheets, but reads the
# shared strings and styles whole.
DOCX = Archive(total=150 * _MB, part=100 * _MB, whole_xml=10 * _MB)
XLSX = Archive(total=300 * _MB, part=250 * _MB, whole_xml=50 * _MB)

_STREAMED = re.compile(r"xl/worksheets/sheet\d+\.xml")
_PROLOG = 2**20  # an XML prolog longer than this is not one Word or Excel wrote
_CHUNK = 65536
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")


def _refuse(path: Path, detail: str) -> DocumentError:
    return DocumentError(path, Problem.UNREADABLE, detail=detail)


def check_archive(path: Path, limits: Archive) -> None:
    """Refuse a zip bomb or XML with a DTD before any part is inflated for real."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.parts:
                raise _refuse(path, f"в архиве больше {limits.parts} частей (too many parts)")
            total = 0
            for info in infos:
                total += info.file_size
                whole = info.filename.endswith((".xml", ".rels")) and not _STREAMED.fullmatch(
                    info.filename
                )
                limit = limits.whole_xml if whole else limits.part
                if info.file_size > limit or total > limits.total:
                    size = max(info.file_size, total) // _MB
                    raise _refuse(
                        path,
                        f"архив распаковывается в {size} МБ и больше (inflates to {size} MB or "
                        f"more: {info.filename}; the limit is {min(limit, limits.total) // _MB} "
                        "MB)",
                    )
                compressed = max(info.compress_size, 1)
                ratio = info.file_size // compressed
                if info.file_size > limits.ratio_from and ratio > limits.ratio:
                    raise _refuse(
                        path,
                        f"часть {info.filename} сжата в {ratio} раз "
                        f"(compressed {ratio} : 1, a zip bomb?)",
                    )
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _check_prolog(path, archive, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=str(error) or None) from error


def _check_prolog(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No <!DOCTYPE> or <!ENTITY> before the root element (where XML allows them)."""
    seen = b""
    with archive.open(info) as part:
        while len(seen) < _PROLOG:
            chunk = part.read(_CHUNK)
            if not chunk:
                break
            seen += chunk
            text = seen
            if seen[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in seen[:4]:
                text = seen.replace(b"\x00", b"")  # UTF-16: ASCII markup without its zeros
            root = _ROOT.search(text)
            if _DECLARATION.search(text, 0, root.start() if root else len(text)):
                raise _refuse(
                    path,
                    f"XML с объявлением DTD или сущностей в {info.filename} "
                    "(XML declaring a DTD or entities is not read)",
                )
            if root:
                return
    if len(seen) >= _PROLOG:
        raise _refuse(path, f"{info.filename}: XML без корневого элемента (no root element)")


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_COUNTED_FROM = 2 * _MB  # smaller sheets are read as they are


def check_sheet_rows(path: Path, rows: Rows) -> None:
    """Refuse a sheet of more than `rows` rows before openpyxl opens it: a sheet without a
    <dimension> is parsed whole just to be opened (300,000 rows: 14 s). Counting its <row>
    tags in the stream costs a fraction of that and no memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not _STREAMED.fullmatch(info.filename) or info.file_size < _COUNTED_FROM:
                    continue
                found = 0
                tail = b""
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK * 16):
                        text = tail + chunk
                        cut = max(len(text) - 16, 0)  # a tag cut by the chunk: counted next time
                        found += len(_ROW_TAG.findall(text, 0, cut))
                        tail = text[cut:]
                        if found > rows.limit:
                            raise rows.exceeded(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=str(error) or None) from error
