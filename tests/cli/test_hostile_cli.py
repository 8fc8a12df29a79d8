"""Hostile files through the `roadmap-bot` command: each is refused with one line, exit 1, and
nothing written; what the project writes cannot be turned against whoever opens it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import bot.__main__ as cli
from bot.__main__ import main

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
