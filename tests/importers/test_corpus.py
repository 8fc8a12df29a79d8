"""The genre's corpus: roadmaps and plans rebuilt from real published orders (see
`tests/data/genre/SOURCES.md`), each imported and compared with what a person reading it by hand
wrote down in `<document>.expected.yaml`.

An expectation file holds:

- `title`, `document_number`, `issuer`: the order's own (any may be omitted, not checked);
- `sections`: the section headings in order;
- `parties`: every responsible party, `name` and `aliases`;
- `warnings`: words each import warning contains, in order (none expected when omitted: `[]`);
- `tasks`: every task in order: `number`, `title`, `section`, `responsible`, and `deadline`
  with `due` / `start` (ISO dates or null), `recurrence` (an RRULE or null), `needs_date`
  (true when a person must set the date).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.model import Deadline, Roadmap
from bot.importers import read_roadmap_built

GENRE = Path(__file__).resolve().parent.parent / "data" / "genre"
DOCUMENTS = sorted(
    path
    for path in GENRE.iterdir()
    if path.is_file() and path.suffix in {".docx", ".xlsx", ".csv", ".pdf", ".txt"}
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _deadline(deadline: Deadline) -> dict[str, Any]:
    return {
        "due": _iso(deadline.due),
        "start": _iso(deadline.start),
        "recurrence": deadline.recurrence,
        "needs_date": not deadline.fixed,
    }


def _expected_deadline(written: dict[str, Any]) -> dict[str, Any]:
    def iso(key: str) -> str | None:
        value = written.get(key)
        return value.isoformat() if isinstance(value, date) else value

    return {
        "due": iso("due"),
        "start": iso("start"),
        "recurrence": written.get("recurrence"),
        "needs_date": bool(written.get("needs_date", False)),
    }


def _tasks(roadmap: Roadmap) -> list[dict[str, Any]]:
    return [
        {
            "number": task.number,
            "title": task.title,
            "section": task.section,
            "responsible": list(task.responsible),
            "deadline": _deadline(task.deadline),
        }
        for task in roadmap.tasks
    ]


def _expected_tasks(written: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "number": str(task["number"]),
            "title": task["title"],
            "section": task.get("section"),
            "responsible": list(task["responsible"]),
            "deadline": _expected_deadline(task.get("deadline") or {}),
        }
        for task in written
    ]


def test_the_corpus_is_the_genre() -> None:
    """At least twelve documents, every format the importer reads from the portals, each with
    its expectation and its source."""
    assert len(DOCUMENTS) >= 12
    assert {path.suffix for path in DOCUMENTS} >= {".docx", ".xlsx", ".csv", ".pdf"}
    sources = (GENRE / "SOURCES.md").read_text(encoding="utf-8")
    for path in DOCUMENTS:
        assert path.with_suffix(".expected.yaml").is_file(), path.name
        assert path.name in sources, f"{path.name} has no source in SOURCES.md"


@pytest.mark.parametrize("path", DOCUMENTS, ids=[path.name for path in DOCUMENTS])
def test_a_published_roadmap_imports_as_read_by_hand(path: Path) -> None:
    expected = yaml.safe_load(path.with_suffix(".expected.yaml").read_text(encoding="utf-8"))
    built = read_roadmap_built(path)
    roadmap = built.roadmap

    for key in ("title", "document_number", "issuer"):
        if key in expected:
            assert getattr(roadmap, key) == expected[key], key
    assert [section.title for section in roadmap.sections] == expected.get("sections", [])
    assert _tasks(roadmap) == _expected_tasks(expected["tasks"])
    if "parties" in expected:
        parties = {party.name: sorted(party.aliases) for party in roadmap.parties}
        assert parties == {
            party["name"]: sorted(party.get("aliases") or []) for party in expected["parties"]
        }
    words = expected.get("warnings", [])
    assert len(built.warnings) == len(words), built.warnings
    for warning, word in zip(built.warnings, words, strict=True):
        assert word in warning
