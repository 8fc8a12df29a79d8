"""Reading roadmaps and organisation lists from the files people actually have.

`read_roadmap` takes Word (.docx), text (.txt, as pasted from Word or a chat), CSV and Excel
(.xlsx) documents, all through one core (`roadmap_table.build_roadmap`), and our own lossless
YAML form. `read_organisations` takes a CSV or .xlsx list. Every problem with the input is a
`DocumentError` saying what is wrong and, where it applies, on which row.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.domain.model import Organisation, Roadmap
from bot.importers import limits
from bot.importers.errors import DocumentError, Problem
from bot.importers.organisations import organisations_from_rows
from bot.importers.pdf import pdf_items
from bot.importers.roadmap_table import Built, Item, build, has_roadmap_table, logged
from bot.importers.sources import (
    converted_to_docx,
    csv_rows,
    docx_items,
    table_sheets,
    text_items,
    xlsx_sheets,
)
from bot.importers.text import decode, read_bytes
from bot.importers.yaml_form import dump_roadmap, load_roadmap

__all__ = [
    "DocumentError",
    "Problem",
    "dump_roadmap",
    "load_roadmap",
    "read_organisations",
    "read_roadmap",
    "read_roadmap_built",
]

ROADMAP_SUFFIXES = (".docx", ".pdf", ".doc", ".odt", ".txt", ".csv", ".xlsx", ".yaml", ".yml")
ORGANISATION_SUFFIXES = (".csv", ".xlsx")


def _unsupported(path: Path, known: tuple[str, ...]) -> DocumentError:
    suffix = path.suffix.lower() or path.name
    return DocumentError(
        path, Problem.UNSUPPORTED_FORMAT, detail=f"{suffix} (readable: {', '.join(known)})"
    )


def _xlsx_items(path: Path) -> list[Item]:
    """The first sheet that has a roadmap header; else the first sheet, to report it."""
    first: list[Item] | None = None
    for rows in xlsx_sheets(path):
        items: list[Item] = list(rows)
        if has_roadmap_table(items):
            return items
        if first is None:
            first = items
    return first or []


def _converted_items(path: Path) -> list[Item]:
    """A .doc or .odt read as the .docx LibreOffice makes of it; errors name the file sent."""
    with tempfile.TemporaryDirectory(prefix="roadmap-convert-") as directory:
        try:
            return docx_items(converted_to_docx(path, Path(directory)))
        except DocumentError as error:
            if error.path == path:
                raise
            raise DocumentError(path, error.problem, row=error.row, detail=error.detail) from error


def read_roadmap(path: Path) -> Roadmap:
    """A roadmap from a .docx, .txt, .csv, .xlsx or our .yaml/.yml form; warnings are logged."""
    return logged(read_roadmap_built(path), path)


def read_roadmap_built(path: Path) -> Built:
    """A roadmap, with what the importer had to assume to read it (`Built.warnings`)."""
    suffix = path.suffix.lower()
    if suffix not in ROADMAP_SUFFIXES:
        raise _unsupported(path, ROADMAP_SUFFIXES)
    if not path.is_file():
        raise DocumentError(path, Problem.UNREADABLE, detail="no such file")
    if suffix in (".yaml", ".yml"):
        return Built(load_roadmap(decode(path, read_bytes(path, limits.TEXT_BYTES)), path))
    items: list[Item]
    if suffix == ".docx":
        items = docx_items(path)
    elif suffix == ".pdf":
        items = pdf_items(path)
    elif suffix in (".doc", ".odt"):
        items = _converted_items(path)
    elif suffix == ".txt":
        items = text_items(path)
    elif suffix == ".csv":
        items = list(csv_rows(path))
    else:
        items = _xlsx_items(path)
    return build(items, path)


def read_organisations(path: Path) -> list[Organisation]:
    """Organisations from a .csv or .xlsx list (the first sheet with a name column)."""
    if path.suffix.lower() not in ORGANISATION_SUFFIXES:
        raise _unsupported(path, ORGANISATION_SUFFIXES)
    if not path.is_file():
        raise DocumentError(path, Problem.UNREADABLE, detail="no such file")
    return organisations_from_rows(table_sheets(path, limits.ORGANISATIONS), path)
