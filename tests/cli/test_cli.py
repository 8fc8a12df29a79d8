"""The `roadmap-bot` command as a person uses it: what it prints, what it exits with."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import open_app
from bot.config import Settings
from bot.services.people import CLI
from tests.backends import ON_POSTGRESQL
from tests.conftest import EXAMPLES, SMOLENSK_DOCX, SMOLENSK_TXT


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env; the default database lands here
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


def test_import_then_status_in_russian_by_default(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    code, out, _ = run(capsys, "import", str(SMOLENSK_DOCX))
    assert code == 0
    assert "Импортирована дорожная карта" in out
    assert "(319-od-2023): 22 мероприятия в 3 разделах" in out
    assert "Без даты (нужно назначить срок): № 20." in out
    assert ON_POSTGRESQL or (workdir / "data" / "roadmap.db").exists()  # the default one

    code, out, _ = run(capsys, "status", "--as-of", "2023-04-20")
    assert code == 0
    assert "на 20.04.2023" in out
    assert "Мероприятий: 22 — выполнено 0, в работе 13, просрочено 9, отменено 0." in out
    assert "Просрочено (9):" in out
    assert "• № 5 «Проведение совещаний руководителями общеобразовательных организаций с " in out
    assert "21.04.2023 (пт) — очередной срок: № 18" in out
    assert "Нужно назначить дату (1):" in out
    assert "«по согласованию»" in out


def test_status_in_english(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "en")
    run(capsys, "import", str(SMOLENSK_TXT))
    code, out, _ = run(capsys, "status", "--as-of", "2023-04-20")
    assert code == 0
    assert "Tasks: 22 — done 0, in progress 13, overdue 9, cancelled 0." in out
    assert "Needs a date (1):" in out


def test_tasks_json_has_exactly_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(SMOLENSK_DOCX))
    code, out, _ = run(capsys, "tasks", "--json", "--as-of", "2023-04-12")
    assert code == 0
    tasks = json.loads(out)
    assert len(tasks) == 22
    for task in tasks:
        assert set(task) == {
            "id",
            "number",
            "section",
            "title",
            "responsible",
            "deadline",
            "result",
            "status",
            "shares",
        }
        assert set(task["shares"]) == {"owed", "done", "overdue", "excused"}
        assert set(task["deadline"]) == {"text", "start", "due", "recurrence", "fixed"}
    first, weekly, undated = tasks[0], tasks[18], tasks[20]
    assert first["number"] == "1"
    assert first["deadline"] == {
        "text": "10.04..2023",
        "start": None,
        "due": "2023-04-10",
        "recurrence": None,
        "fixed": True,
    }
    assert first["status"] == "overdue"
    assert first["responsible"] == ["Департамент"]
    assert weekly["number"] == "18"
    assert weekly["deadline"]["recurrence"] == "FREQ=WEEKLY;BYDAY=FR"
    assert weekly["status"] == "open"
    assert undated["deadline"]["fixed"] is False
    assert len({task["id"] for task in tasks}) == 22


def test_tasks_table_shows_the_deadline_as_written_and_as_understood(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "import", str(SMOLENSK_DOCX))
    code, out, _ = run(capsys, "tasks", "--as-of", "2023-04-01")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("19 |"))
    assert "май 2023 года | 01.05.2023 – 31.05.2023 | в работе" in line


def test_export_and_reimport_yaml_round_trips(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    run(capsys, "import", str(SMOLENSK_DOCX))
    _, before, _ = run(capsys, "tasks", "--json", "--as-of", "2023-04-20")
    code, out, _ = run(capsys, "export", "--yaml", "roadmap.yaml")
    assert code == 0
    assert "roadmap.yaml" in out
    code, out, _ = run(capsys, "import", "roadmap.yaml")
    assert code == 0
    assert "Изменений нет." in out
    _, after, _ = run(capsys, "tasks", "--json", "--as-of", "2023-04-20")
    assert json.loads(after) == json.loads(before)


def test_bad_document_names_the_file_exits_non_zero_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    bad = workdir / "приказ.txt"
    bad.write_text("Дорожная карта\nничего похожего на таблицу\n", encoding="utf-8")
    code, out, err = run(capsys, "import", str(bad))
    assert code == 1
    assert out == ""
    assert "приказ.txt" in err
    assert "не найдена таблица дорожной карты" in err
    assert "Ничего не записано." in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "status")
    assert code == 1
    assert "Дорожная карта ещё не загружена" in err


def test_unknown_format_is_refused(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    odd = workdir / "roadmap.pages"
    odd.write_bytes(b"not a roadmap")
    code, _, err = run(capsys, "import", str(odd))
    assert code == 1
    assert "такой формат не поддерживается" in err


def test_a_broken_pdf_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    broken = workdir / "roadmap.pdf"
    broken.write_bytes(b"%PDF-1.4")  # a header and nothing else
    code, out, err = run(capsys, "import", str(broken))
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1
    assert "roadmap.pdf" in err


def test_bad_setting_is_one_line_naming_the_variable_with_status_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    code, out, err = run(capsys, "status")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("roadmap-bot: TIMEZONE: unknown time zone 'Mars/Olympus'")


def test_bad_admin_ids_are_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_IDS", "123, abc")
    code, _, err = run(capsys, "status")
    assert code == 2
    assert "ADMIN_IDS" in err


def test_bad_as_of_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--as-of", "20.04.2023"])
    assert exit_.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_settings_come_from_a_dot_env_file(
    capsys: pytest.CaptureFixture[str], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)  # (set by the PostgreSQL run)
    (workdir / ".env").write_text("DATABASE_URL=sqlite:///elsewhere/db.sqlite\nLANGUAGE=en\n")
    code, out, _ = run(capsys, "import", str(SMOLENSK_DOCX))
    assert code == 0
    assert out.startswith("Imported the roadmap")
    assert (workdir / "elsewhere" / "db.sqlite").exists()


def test_organisation_registry_import_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))
    assert code == 0
    assert "добавлено 404" in out
    code, out, _ = run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs-excel.csv"))
    assert code == 0
    assert "добавлено 0, обновлено 0, без изменений 404" in out
    code, out, _ = run(capsys, "orgs", "list")
    assert code == 0
    assert out.startswith("Департамент Смоленской области по образованию и науке (орган управления")
    assert "Всего организаций: 404. орган управления: 29, школа: 355, колледж: 20" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["import"],
        ["export"],
        ["tasks"],
        ["status"],
        ["orgs"],
        ["orgs", "import"],
        ["orgs", "list"],
        ["db"],
        ["db", "upgrade"],
        ["calendar"],
        ["reports", "confirm"],
        ["parties", "link"],
        ["invite"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    assert "использование: roadmap-bot" in capsys.readouterr().out


def test_console_script_is_installed_and_runs(workdir: Path) -> None:
    executable = shutil.which("roadmap-bot") or str(Path(sys.executable).with_name("roadmap-bot"))
    result = subprocess.run(
        [executable, "db", "upgrade"], capture_output=True, text=True, cwd=workdir, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "База данных обновлена" in result.stdout
    module = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False
    )
    assert module.returncode == 0
    assert "использование: roadmap-bot" in module.stdout


def test_tasks_json_and_status_count_each_organisations_share(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    """Task 5 is owed by every school: its shares are counted at the scope asked (--org)."""
    run(capsys, "import", str(SMOLENSK_DOCX))
    run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))
    code, out, _ = run(capsys, "parties", "link", "3", "все школы")
    assert code == 0, out
    asyncio.run(_mark_two_city_schools_done(workdir))

    code, out, _ = run(capsys, "tasks", "--json", "--as-of", "2023-04-20")
    by_number = {task["number"]: task for task in json.loads(out)}
    assert by_number["5"]["shares"] == {"owed": 355, "done": 2, "overdue": 353, "excused": 0}
    assert by_number["5"]["status"] == "overdue"
    assert by_number["1"]["shares"] == {"owed": 0, "done": 0, "overdue": 0, "excused": 0}

    code, out, _ = run(capsys, "tasks", "--json", "--as-of", "2023-04-20", "--org", CITY)
    city = {task["number"]: task for task in json.loads(out)}
    schools = city["5"]["shares"]["owed"]
    assert 2 < schools < 355
    assert city["5"]["shares"] == {"owed": schools, "done": 2, "overdue": schools - 2, "excused": 0}

    code, out, _ = run(capsys, "status", "--as-of", "2023-04-20")
    assert "№ 5 — выполнили 2 из 355 (1 %), просрочено у 353" in out
    code, out, _ = run(capsys, "status", "--as-of", "2023-04-20", "--org", CITY)
    assert (
        f"№ 5 — выполнили 2 из {schools} ({round(200 / schools)} %), просрочено у {schools - 2}"
        in out
    )


CITY = "Комитет по образованию Администрации города Смоленска"


async def _mark_two_city_schools_done(workdir: Path) -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'data' / 'roadmap.db'}"
    settings = Settings(_env_file=None, database_url=url)
    async with open_app(settings) as app:
        view = await app.snapshots.roadmap()
        task = next(t for t in view.tasks if t.number == "5")
        city_schools = sorted(view.tree.children[CITY])[:2]
        for school in city_schools:
            await app.tasks.mark_done(CLI, task.id or 0, organisation=school)
