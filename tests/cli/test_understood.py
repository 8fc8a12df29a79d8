"""«Understood at first sight» on the command line: Russian help and errors, organisation names
found as the bot finds them, a Russian invites.csv, a quiet end when piped into `head`, the
database named at the start, Russia's working calendar, confirming held report rows."""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import bot.__main__ as cli
from bot.__main__ import database_shown, main
from bot.domain.reminders import WorkCalendar
from bot.workdays import work_calendar
from tests.backends import ON_POSTGRESQL
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

TOKEN = "123456:" + "A" * 35
SCHOOL = "МБОУ «Акатовская средняя школа»"


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("HOLIDAYS", "WORKDAYS", "WORK_CALENDAR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as done:  # argparse: --help, usage errors
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", str(SMOLENSK_DOCX))[0] == 0
    assert run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))[0] == 0


# -- help and argparse's own words ------------------------------------------------------------


def test_help_is_russian_argparse_words_and_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("использование: roadmap-bot [-h] КОМАНДА ...")
    assert "параметры:" in out
    assert "показать эту справку и выйти" in out
    assert "импортировать или обновить дорожную карту" in out
    code, out, _ = run(capsys, "invite", "--help")
    assert "организация: полное название или его часть" in out
    assert "usage" not in out
    assert "options" not in out
    assert vars(argparse)["_"]("usage: ") == "usage: "  # the hook is gone once parsing is done


def test_help_is_english_with_language_en(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("usage: roadmap-bot [-h] COMMAND ...")
    assert "show this help message and exit" in out
    assert "import or re-import a roadmap" in out


def test_usage_errors_are_russian_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "status", "--as-of")
    assert code == 2
    assert err.splitlines()[-1] == "roadmap-bot status: ошибка: аргумент --as-of: нужно значение"
    code, _, err = run(capsys, "invite", "--org", "x")
    assert code == 2
    assert "ошибка: не указаны обязательные аргументы: --role" in err
    code, _, err = run(capsys, "nope")
    assert "недопустимое значение: 'nope' (выберите из 'import'," in err


# -- organisation names -----------------------------------------------------------------------


def test_parties_link_finds_a_part_of_a_name(
    capsys: pytest.CaptureFixture[str], registry: None
) -> None:
    code, out, err = run(capsys, "parties", "link", "1", "департамент")
    assert code == 0, err
    assert out == "1. Департамент → Департамент Смоленской области по образованию и науке\n"


def test_nothing_or_several_matching_get_suggestions_and_change_nothing(
    capsys: pytest.CaptureFixture[str], registry: None
) -> None:
    before = run(capsys, "parties", "list")[1]
    code, out, err = run(capsys, "parties", "link", "4", "акатовскую", "школу")
    assert (code, out) == (1, "")
    assert err.startswith("Организации «акатовскую школу» нет в реестре. Может быть: ")
    assert SCHOOL in err
    assert len(err.splitlines()) == 1
    code, _, err = run(capsys, "parties", "link", "4", "школа")
    assert code == 1
    assert err.startswith("Под «школа» подходят организации (322): ")
    assert "и ещё 312. Уточните название." in err
    assert len(err.splitlines()) == 1
    code, _, err = run(capsys, "parties", "link", "4", "все", "школы", "и", "лицеи")
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "«все школы и лицеи»: не понял" in err
    assert run(capsys, "parties", "list")[1] == before
    code, out, _ = run(capsys, "parties", "link", "4", "все", "школы", "и", "колледжи")
    assert code == 0
    assert "все «школа»" in out
    assert "все «колледж" in out


def test_invite_org_by_a_part_of_the_name_and_a_russian_csv(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    registry: None,
    workdir: Path,
) -> None:
    async def usernames(app: object) -> dict[str, str]:
        return {"telegram": "roadmap_bot"}

    monkeypatch.setattr(cli, "_bot_usernames", usernames)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    code, out, err = run(capsys, "invite", "--role", "rep", "--org", "акатовская")
    assert code == 0, err
    assert SCHOOL in out
    assert "https://t.me/roadmap_bot?start=" in out
    code, _, err = run(capsys, "invite", "--role", "coordinator", "--org", "акатовская")
    assert code == 1
    assert err.startswith("Организации «акатовская» нет в реестре.")

    out_file = workdir / "invites.csv"
    code, _, err = run(capsys, "invite", "--role", "rep", "--all", "--kind", "college")
    assert code == 0, err
    with out_file.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert rows[0] == ["Организация", "Роль", "Ссылка (Telegram)", "Действует до"]
    assert {row[1] for row in rows[1:]} == {"представитель организации"}
    assert all(row[3].count(".") == 2 for row in rows[1:])  # 28.05.2026


# -- pipes, the database, the calendar --------------------------------------------------------


def test_a_listing_piped_into_head_ends_without_a_traceback(workdir: Path) -> None:
    names = "".join(f"Школа с очень длинным названием номер {n:05},school\n" for n in range(3000))
    (workdir / "orgs.csv").write_text("name,kind\n" + names, encoding="utf-8")
    command = [sys.executable, "-m", "bot"]
    subprocess.run([*command, "orgs", "import", "orgs.csv"], check=True, capture_output=True)
    piped = subprocess.run(
        f"'{sys.executable}' -m bot orgs list | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(piped.stdout.splitlines()) == 2
    assert "Traceback" not in piped.stderr, piped.stderr
    assert "BrokenPipe" not in piped.stderr, piped.stderr


def test_run_names_the_database_without_its_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_bot(app: object) -> None:
        return None

    monkeypatch.setattr(cli, "run_bot", no_bot)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    code, out, _ = run(capsys, "run")
    url = os.environ.get("DATABASE_URL", "sqlite:///data/roadmap.db")
    assert (code, out) == (0, f"База данных: {database_shown(url)}\n")
    shown = database_shown("postgresql+asyncpg://bot:s3cret@db.example:5432/roadmap")
    assert shown == "postgresql+asyncpg://bot@db.example:5432/roadmap"


def test_the_russian_calendar_is_built_in(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "2024")
    assert code == 0
    assert "Рабочий календарь на 2024 год: производственный календарь России." in out
    assert "• 29.04.2024 (пн) — Выходной (перенесено с 27.04.2024)" in out
    assert "• 10.05.2024 (пт) — Выходной" in out
    assert "Рабочие субботы и воскресенья (3):" in out
    assert "• 27.04.2024 (сб) — рабочий день по переносу" in out


def test_holidays_add_and_workdays_take_back(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOLIDAYS", "2024-06-03")
    monkeypatch.setenv("WORKDAYS", "2024-05-10,2024-06-01")
    code, out, _ = run(capsys, "calendar", "2024")
    assert code == 0
    assert "• 03.06.2024 (пн) — из HOLIDAYS" in out
    assert "10.05.2024" not in out
    assert "• 01.06.2024 (сб) — из WORKDAYS" in out
    monkeypatch.setenv("WORKDAYS", "2024-13-01")
    code, out, err = run(capsys, "calendar", "2024")
    assert (code, out) == (2, "")
    assert err == "roadmap-bot: WORKDAYS: expected YYYY-MM-DD dates, got '2024-13-01'\n"


def test_work_calendar_counts_transfers_and_stays_pure() -> None:
    russia = work_calendar("ru")
    assert russia.is_working(date(2024, 4, 27))  # a Saturday worked
    assert not any(russia.is_working(date(2024, 4, d)) for d in (29, 30))
    assert russia.working_days_after(date(2024, 4, 26), date(2024, 5, 3)) == 3  # 27.04, 2-3.05
    plain = WorkCalendar(frozenset({date(2024, 5, 1)}), frozenset({date(2024, 4, 27)}))
    assert plain.working_days_after(date(2024, 4, 26), date(2024, 5, 3)) == 5
    assert work_calendar("none").is_working(date(2024, 4, 29))


# -- reports import: how to confirm what it holds ---------------------------------------------


def test_reports_import_says_how_to_confirm_held_rows(
    capsys: pytest.CaptureFixture[str], registry: None, workdir: Path
) -> None:
    indicators = str(EXAMPLES / "smolensk-indicators.yaml")
    assert run(capsys, "indicators", "import", indicators)[0] == 0
    sheet = workdir / "report.csv"
    sheet.write_text(f"Организация,педагогов\n{SCHOOL},99999\n", encoding="utf-8")
    code, out, _ = run(capsys, "reports", "import", str(sheet))
    assert code == 0
    assert "Требуют подтверждения (1):" in out
    hint = out.splitlines()[-1]
    assert hint.startswith("Принять эти строки как есть: roadmap-bot reports confirm ")
    draft = hint.split("reports confirm ")[1].split(";")[0]
    code, out, _ = run(capsys, "reports", "confirm", draft)
    assert (code, out) == (0, "Подтверждено, принято строк: 1.\n")
    code, out, err = run(capsys, "reports", "discard", draft)
    assert (code, out) == (1, "")
    assert err.startswith(f"Черновика {draft}, ждущего подтверждения, нет")
