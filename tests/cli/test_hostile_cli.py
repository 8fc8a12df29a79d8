"""Hostile files through the `roadmap-bot` command: each is refused with one line, exit 1, and
nothing written; what the project writes cannot be turned against whoever opens it."""

from __future__ import annotations

import csv
import sqlite3
import time
from pathlib import Path

import pytest

import bot.__main__ as cli
from bot.__main__ import main
from bot.domain.model import Organisation, OrganisationKind
from bot.services.organisations import ParentCycle, check_hierarchy
from tests.conftest import EXAMPLES, SMOLENSK_TXT

State = dict[str, list[tuple[object, ...]]]

TOKEN = "123456:" + "A" * 35


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_invites_csv_neutralises_formula_like_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    names = ['=HYPERLINK("http://evil.example","x")', "@SUM(1)", "+1", "-2", "Школа № 1"]
    orgs = workdir / "orgs.csv"
    orgs.write_text(
        "name,kind\n" + "".join(f'"{n.replace(chr(34), 2 * chr(34))}",school\n' for n in names),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "orgs", "import", str(orgs))
    assert code == 0, err

    async def username(app: object) -> str:
        return "roadmap_bot"

    monkeypatch.setattr(cli, "_bot_username", username)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    out = workdir / "invites.csv"
    code, _, err = run(capsys, "invite", "--role", "rep", "--all", "--out", str(out))
    assert code == 0, err
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    written = {row[0] for row in rows[1:]}
    assert written == {"'" + n for n in names[:4]} | {"Школа № 1"}
    assert all(row[2].startswith("https://t.me/roadmap_bot?start=") for row in rows[1:])


# --- refusals: one line, exit 1, the database as it was --------------------------------------


def state(workdir: Path) -> State:
    """Every row of every table: what "nothing written" is checked against."""
    with sqlite3.connect(workdir / "data" / "roadmap.db") as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {t: sorted(connection.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


@pytest.fixture
def seeded(capsys: pytest.CaptureFixture[str], workdir: Path) -> State:
    """A database with a roadmap and the example organisations in it, and its rows."""
    assert run(capsys, "import", str(SMOLENSK_TXT))[0] == 0
    assert run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))[0] == 0
    return state(workdir)


def refused(
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
    before: State,
    *argv: str,
) -> str:
    """The one line the command printed; it must have exited 1 and written nothing."""
    code, out, err = run(capsys, *argv)
    assert code == 1, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert state(workdir) == before
    return lines[0]


def test_a_long_parent_chain_imports_in_linear_time(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    lines = ["name,kind,parent", "Орган 0,authority,"]
    lines += [f"Орган {i},authority,Орган {i - 1}" for i in range(1, 10_000)]
    orgs = workdir / "chain.csv"
    orgs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    code, _, err = run(capsys, "orgs", "import", str(orgs))
    assert code == 0, err
    assert time.perf_counter() - started < 20  # was: never finished


def test_check_hierarchy_still_finds_a_cycle_through_the_registry() -> None:
    registered = [Organisation("A", OrganisationKind.AUTHORITY, parent="B")]
    incoming = [Organisation("B", OrganisationKind.AUTHORITY, parent="A")]
    with pytest.raises(ParentCycle) as caught:
        check_hierarchy(incoming, registered)
    assert caught.value.names in (("A", "B", "A"), ("B", "A", "B"))


@pytest.mark.parametrize(
    ("count", "shown"),
    [("9" * 40, "9" * 29 + "… > 9 999 999)"), ("²", "²)"), ("١٢٣", "١٢٣)"), ("12.5", "12.5)")],
)
def test_a_headcount_must_be_ascii_digits_of_sane_size(
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
    seeded: State,
    count: str,
    shown: str,
) -> None:
    orgs = workdir / "counts.csv"
    orgs.write_text(f"name,kind,teachers\nШкола А,school,10\nШкола Б,school,{count}\n", "utf-8")
    line = refused(capsys, workdir, seeded, "orgs", "import", str(orgs))
    assert line.startswith(f"Не удалось импортировать {orgs}, строка 3: неверное значение ({shown}")
