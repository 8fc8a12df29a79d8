"""Why a document could not be read, in a form every front end can put into the user's language."""

from __future__ import annotations

import enum
from pathlib import Path


class Problem(enum.StrEnum):
    UNREADABLE = "unreadable"  # missing, not a file of its kind, broken archive, undecodable text
    UNSUPPORTED_FORMAT = "unsupported_format"  # a suffix we do not read
    NO_ROADMAP_TABLE = "no_roadmap_table"  # no header row with a task column was found
    ROW_WITHOUT_TITLE = "row_without_title"  # a numbered row whose activity cell is empty
    BAD_VALUE = "bad_value"  # a cell that must hold a number, a kind, a time zone ... does not
    MISSING_COLUMN = "missing_column"  # a required column (e.g. the organisation's name) is absent
    BAD_YAML = "bad_yaml"  # our own YAML form, broken or of the wrong shape


class DocumentError(Exception):
    """A document that cannot be imported. Nothing is written when one is raised.

    `row` is the 1-based row of the table (or line of a text file) at fault, when there is one;
    `detail` is the offending value or a short technical explanation, shown as is.
    """

    def __init__(
        self, path: Path, problem: Problem, *, row: int | None = None, detail: str | None = None
    ) -> None:
        self.path = path
        self.problem = problem
        self.row = row
        self.detail = detail
        super().__init__(
            f"{path}: {problem.value}"
            + (f", row {row}" if row else "")
            + (f": {detail}" if detail else "")
        )
