"""`roadmap-bot export --xlsx PATH`: the department's workbook of everything, as /export sends
it, written readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.backends import ON_POSTGRESQL
from tests.cli.test_understood import run
from tests.conftest import EXAMPLES, SMOLENSK_DOCX


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


@pytest.fixture
def registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", str(SMOLENSK_DOCX))[0] == 0
    assert run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))[0] == 0
    assert run(capsys, "parties", "link", "4", "все", "школы")[0] == 0


def test_the_workbook_of_everything_from_the_command_line(
    capsys: pytest.CaptureFixture[str], registry: None, workdir: Path
) -> None:
    code, out, err = run(capsys, "export", "--xlsx", str(workdir))
    assert (code, err) == (0, "")
    [written] = list(workdir.glob("roadmap-*.xlsx"))
    assert out.strip() == f"Книга записана: {written} (листов: 5)."
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    book = load_workbook(written)
    first = book.worksheets[0]
    assert first.freeze_panes is not None
    assert first.auto_filter.ref
    titles = [sheet.title for sheet in book.worksheets]
    assert len(titles) == 5
    cells = [
        str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    ]
    assert any("Акатовская" in cell for cell in cells), titles
    # Words, not the codes the database keeps.
    assert book.worksheets[0]["D3"].value == "просрочено"
    log = book["Журнал изменений"]
    said = {(row[1], row[2], row[3]) for row in log.iter_rows(min_row=3, values_only=True)}
    assert ("из командной строки", "ответственные", "ответственный") in said  # parties link
    assert ("при импорте приказа", "добавлено", "мероприятие") in said
    assert not any(str(who).startswith(("import:", "person:")) for who, _, _ in said)


def test_yaml_and_xlsx_at_once_are_refused(
    capsys: pytest.CaptureFixture[str], registry: None, workdir: Path
) -> None:
    code, _, err = run(capsys, "export", "--yaml", "-", "--xlsx", str(workdir))
    assert code == 2
    assert "нельзя вместе" in err
    assert list(workdir.glob("*.xlsx")) == []
