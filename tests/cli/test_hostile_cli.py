"""Hostile files through the `roadmap-bot` command: each is refused with one line, exit 1, and
nothing written; what the project writes cannot be turned against whoever opens it."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

import bot.__main__ as cli
from bot.__main__ import main
from bot.domain.model import Organisation, OrganisationKind
from bot.importers.errors import DocumentError
from bot.importers.report_sheets import read_report_sheet
from bot.services.organisations import ParentCycle, check_hierarchy
from tests.backends import ON_POSTGRESQL, cli_tables
from tests.conftest import EXAMPLES, SMOLENSK_TXT
from tests.importers import hostile

State = dict[str, list[tuple[object, ...]]]

TOKEN = "123456:" + "A" * 35


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
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

    async def usernames(app: object) -> dict[str, str]:
        return {"telegram": "roadmap_bot"}

    monkeypatch.setattr(cli, "_bot_usernames", usernames)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    out = workdir / "invites.csv"
    code, _, err = run(capsys, "invite", "--role", "rep", "--all", "--out", str(out))
    assert code == 0, err
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    written = {row[0] for row in rows[1:]}
    assert written == {"'" + n for n in names[:4]} | {"Школа № 1"}
    assert all(row[2].startswith("https://t.me/roadmap_bot?start=") for row in rows[1:])
    # Live invite links and personal data: readable by their owner only.
    assert out.stat().st_mode & 0o777 == 0o600
    if not ON_POSTGRESQL:
        assert (workdir / "data" / "roadmap.db").stat().st_mode & 0o777 == 0o600


# --- refusals: one line, exit 1, the database as it was --------------------------------------


def state(workdir: Path) -> State:
    """Every row of every table: what "nothing written" is checked against."""
    return cli_tables()


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


ROADMAP_LIMIT = "(over 5,000 rows, the limit for a roadmap)"

HOSTILE_ROADMAPS = {
    "bomb-forged.docx": (hostile.docx_bomb_forged, "inflates to 3814 MB"),
    "bomb-ratio.docx": (hostile.docx_bomb_ratio, "compressed 1028 : 1"),
    "laughs.docx": (hostile.docx_with_doctype, "XML declaring a DTD or entities"),
    "xxe.docx": (
        lambda p: hostile.docx_with_doctype(p, hostile.XXE),
        "XML declaring a DTD or entities",
    ),
    "laughs.xlsx": (
        lambda p: hostile.xlsx_with_doctype(p, hostile.LAUGHS),
        "XML declaring a DTD or entities",
    ),
    "xxe.xlsx": (
        lambda p: hostile.xlsx_with_doctype(p, hostile.XXE),
        "XML declaring a DTD or entities",
    ),
    "rows.xlsx": (
        lambda p: hostile.xlsx_rows(p, 5_001),
        "over 5,000 rows, the limit for a roadmap",
    ),
    "rows.csv": (
        lambda p: hostile.roadmap_csv(p, 5_000),
        "over 5,000 rows, the limit for a roadmap",
    ),
    "alias-bomb.yaml": (
        lambda p: p.write_text(hostile.YAML_ALIAS_BOMB) and p,
        "aliases expand to over 1,000,000 values",
    ),
    "deep.yaml": (lambda p: p.write_text(hostile.YAML_DEEP) and p, "nested deeper than 50 levels"),
    "mixed.csv": (hostile.mixed_encoding_csv, "строка 5: файл не читается (строка в UTF-8"),
    "koi8.csv": (lambda p: hostile.roadmap_csv(p, 30, "koi8_r"), "(looks like KOI8-R"),
    "cp866.csv": (lambda p: hostile.roadmap_csv(p, 30, "cp866"), "(looks like CP866"),
    "utf16.csv": (
        lambda p: hostile.roadmap_csv(p, 30, "utf-16-le"),
        "(UTF-16 without a byte-order mark",
    ),
    "utf16.txt": (
        lambda p: hostile.roadmap_csv(p, 30, "utf-16-le"),
        "(UTF-16 without a byte-order mark",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_ROADMAPS))
def test_a_hostile_roadmap_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], workdir: Path, seeded: State, name: str
) -> None:
    make, says = HOSTILE_ROADMAPS[name]
    path = make(workdir / name)
    started = time.perf_counter()
    line = refused(capsys, workdir, seeded, "import", str(path))
    assert time.perf_counter() - started < 5
    assert line.startswith(f"Не удалось импортировать {path}")
    assert says in line
    assert line.endswith("Ничего не записано.")


def test_an_organisation_list_stops_at_its_row_limit(
    capsys: pytest.CaptureFixture[str], workdir: Path, seeded: State
) -> None:
    path = hostile.orgs_csv(workdir / "orgs.csv", 100_001)
    line = refused(capsys, workdir, seeded, "orgs", "import", str(path))
    assert "(over 100,000 rows, the limit for an organisation list)" in line


def test_a_report_sheet_stops_at_its_row_limit(tmp_path: Path) -> None:
    # What the bot's upload handler calls; it shows the detail.
    path = hostile.orgs_csv(tmp_path / "week.csv", 100_001)
    with pytest.raises(DocumentError) as caught:
        read_report_sheet(path, [], lambda name: [name])
    assert "over 100,000 rows, the limit for a report sheet" in (caught.value.detail or "")


def test_control_and_bidi_characters_are_stripped_on_import(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    roadmap = workdir / "r.csv"
    roadmap.write_text(
        hostile.ROADMAP_CSV + "1;Провести\x00 совещание\u202egnp.exe;до 28.04.2023;Отдел\u2067\n",
        encoding="utf-8",
    )
    assert run(capsys, "import", str(roadmap))[0] == 0
    code, out, _ = run(capsys, "tasks", "--json", "--as-of", "2023-04-01")
    assert code == 0
    task = json.loads(out)[0]
    assert task["title"] == "Провести совещаниеgnp.exe"
    assert "\u2067" not in out
    orgs = workdir / "o.csv"
    orgs.write_text("name,kind\n\u202eШкола\x00 № 1,school\n", encoding="utf-8")
    assert run(capsys, "orgs", "import", str(orgs))[0] == 0
    code, out, _ = run(capsys, "orgs", "list")
    assert "Школа № 1" in out
    assert "\u202e" not in out
    assert "\x00" not in out
