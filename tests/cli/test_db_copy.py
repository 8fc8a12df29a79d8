"""`roadmap-bot db copy --from URL --to URL`: every row across, in any direction, or nothing.

SQLite to SQLite always; SQLite to PostgreSQL (and back) when TEST_DATABASE_URL names a
PostgreSQL server the tests may create databases on (each test makes its own `deploy_…` one
and drops it).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, make_url, select, text

from bot.__main__ import main
from bot.app import open_app
from bot.config import Settings
from storage.copy import sync_url
from storage.outbox import NewMessage, OutboxStore
from storage.tables import audit_log, metadata, organisations, outbox
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

ROOT = Path(__file__).resolve().parents[2]
SCHOOL = "МБОУ «Акатовская средняя школа»"
PG = os.environ.get("TEST_DATABASE_URL", "")
needs_pg = pytest.mark.skipif(
    not PG.startswith("postgresql"), reason="TEST_DATABASE_URL names no PostgreSQL server"
)


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def example(capsys: pytest.CaptureFixture[str], workdir: Path) -> str:
    """The example region's database as the bot leaves it: the order, the registry (one school
    moved under a municipality added later, so a child comes before its parent), indicators
    and a week's reports, two people (Telegram and MAX) and their outbox."""
    assert run(capsys, "import", str(SMOLENSK_DOCX))[0] == 0
    assert run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))[0] == 0
    moved = workdir / "moved.csv"
    moved.write_text(
        "name,kind,parent,teachers,staff,pupils,timezone\n"
        "Новый комитет,authority,,,,,Europe/Moscow\n"
        f"{SCHOOL},school,Новый комитет,20,30,200,Europe/Moscow\n",
        encoding="utf-8",
    )
    assert run(capsys, "orgs", "import", str(moved))[0] == 0
    assert run(capsys, "indicators", "import", str(EXAMPLES / "smolensk-indicators.yaml"))[0] == 0
    sheet = workdir / "report.csv"
    sheet.write_text(f"Организация,педагогов\n{SCHOOL},12\n", encoding="utf-8")
    assert run(capsys, "reports", "import", str(sheet))[0] == 0
    url = f"sqlite:///{workdir / 'data' / 'roadmap.db'}"
    asyncio.run(_people_and_outbox(url))
    return url


async def _people_and_outbox(url: str) -> None:
    settings = Settings(database_url=url, admin_ids="10000001,max:5550123")
    async with open_app(settings) as app:
        anna = await app.people.identify("telegram", 10000001, "Анна", "anna", "ru")
        boris = await app.people.identify("max", 5550123, "Борис", None, "ru", chat_id=777)
        now = datetime(2023, 4, 20, 7, tzinfo=UTC)
        planned = [
            NewMessage(10000001, anna.id, "digest", date(2023, 4, 20), '{"n": 1}', now),
            NewMessage(777, boris.id, "digest", date(2023, 4, 20), '{"n": 2}', now, "max"),
            NewMessage(10000001, anna.id, "nudge", date(2023, 4, 21), '{"n": 3}', now),
        ]
        async with app.database.transaction() as connection:
            assert await OutboxStore(connection).add(planned, now) == 3


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in key order, as the program reads them."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return {
                each.name: [
                    tuple(row)
                    for row in connection.execute(select(each).order_by(*each.primary_key.columns))
                ]
                for each in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_sqlite_to_sqlite_copies_every_row_and_says_how_many(
    capsys: pytest.CaptureFixture[str], example: str, workdir: Path
) -> None:
    target = f"sqlite:///{workdir / 'copy' / 'roadmap.db'}"
    code, out, err = run(capsys, "db", "copy", "--from", example, "--to", target)
    assert (code, err) == (0, "")
    source_rows = rows(example)
    assert rows(target) == source_rows
    assert f"  organisations: {len(source_rows['organisations'])}\n" in out
    assert "  outbox: 3\n" in out
    assert "  people: 2\n" in out
    assert "  weekly_reports: 1\n" in out
    total = sum(len(table) for table in source_rows.values())
    assert out.splitlines()[-1] == (
        f"Скопировано строк: {total} в {len(metadata.sorted_tables)} таблицах; проверено: "
        "в каждой таблице их столько же, сколько в исходной базе."
    )
    assert (workdir / "copy" / "roadmap.db").stat().st_mode & 0o777 == 0o600  # personal data
    # The copy answers as the original does.
    code, copied_status, _ = run(capsys, "status", "--as-of", "2023-04-20")
    os.environ["DATABASE_URL"] = target
    try:
        assert run(capsys, "status", "--as-of", "2023-04-20")[1] == copied_status
    finally:
        del os.environ["DATABASE_URL"]


def test_a_target_with_data_is_refused_and_left_as_it_was(
    capsys: pytest.CaptureFixture[str], example: str, workdir: Path
) -> None:
    target = f"sqlite:///{workdir / 'other.db'}"
    os.environ["DATABASE_URL"] = target
    try:
        assert run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))[0] == 0
    finally:
        del os.environ["DATABASE_URL"]
    before, source_before = rows(target), rows(example)
    code, out, err = run(capsys, "db", "copy", "--from", example, "--to", target)
    assert (code, out) == (1, "")
    assert err == (
        f"В целевой базе {target} уже есть данные (таблица organisations, строк: "
        f"{len(before['organisations'])}); копировать можно только в пустую. Ничего не изменено.\n"
    )
    assert rows(target) == before
    assert rows(example) == source_before


def test_refusals_name_the_problem_and_change_nothing(
    capsys: pytest.CaptureFixture[str], example: str, workdir: Path
) -> None:
    source_before = rows(example)
    target = workdir / "new.db"
    cases = {
        ("mysql://u@h/db", f"sqlite:///{target}"): "«mysql://u@h/db» — не адрес нашей базы: "
        "нужен sqlite:///… или postgresql://…. Ничего не скопировано.\n",
        (example, example.replace("sqlite:///", "sqlite+aiosqlite:///")): "Откуда и куда — "
        f"одна и та же база ({example}). Ничего не скопировано.\n",
        (f"sqlite:///{workdir / 'nothing.db'}", f"sqlite:///{target}"): "Исходной базы "
        f"sqlite:///{workdir / 'nothing.db'} нет (файл не найден). Ничего не скопировано.\n",
        (example, "sqlite://"): "База в памяти (sqlite://) исчезнет вместе с командой: укажите "
        "файл sqlite:///… или postgresql://…. Ничего не скопировано.\n",
    }
    for (source, to), said in cases.items():
        code, out, err = run(capsys, "db", "copy", "--from", source, "--to", to)
        assert (code, out, err) == (1, "", said)
    assert not target.exists()
    assert not (workdir / "nothing.db").exists()
    assert rows(example) == source_before


def test_an_old_source_is_refused_with_how_to_upgrade_it(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    old = workdir / "old.db"
    source = f"sqlite:///{old}"
    from alembic import command

    from storage.db import alembic_config

    config = alembic_config()
    engine = create_engine(source)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0011")
    engine.dispose()
    code, out, err = run(
        capsys, "db", "copy", "--from", source, "--to", f"sqlite:///{workdir / 'new.db'}"
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"Исходная база {source} на старой версии схемы (0011")
    assert f"DATABASE_URL={source} roadmap-bot db upgrade" in err
    assert not (workdir / "new.db").exists()
    # Upgraded as it says, it copies.
    os.environ["DATABASE_URL"] = source
    try:
        assert run(capsys, "db", "upgrade")[0] == 0
    finally:
        del os.environ["DATABASE_URL"]
    assert (
        run(capsys, "db", "copy", "--from", source, "--to", f"sqlite:///{workdir / 'new.db'}")[0]
        == 0
    )


def test_copy_help_is_in_russian(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["db", "copy", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--from URL --to URL" in out
    assert "Целевая база должна быть пустой" in out


# -- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def postgres() -> Iterator[str]:
    """A fresh database on TEST_DATABASE_URL's server, dropped afterwards."""
    server = make_url(PG).set(drivername="postgresql+psycopg")
    name = f"deploy_copy_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cli(*argv: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@needs_pg
def test_sqlite_to_postgresql_then_status_is_the_same_on_both(example: str, postgres: str) -> None:
    """The issue's «done»: the example database copied to PostgreSQL by the command, `status`
    prints the same there as on SQLite, and new rows continue after the copied ids."""
    copied = _cli("db", "copy", "--from", example, "--to", postgres, database_url=example)
    assert copied.returncode == 0, copied.stderr
    source_rows = rows(example)
    assert f"  organisations: {len(source_rows['organisations'])}\n" in copied.stdout
    assert copied.stdout.splitlines()[-1].startswith("Скопировано строк: ")
    assert rows(postgres) == source_rows
    on_sqlite = _cli("status", "--as-of", "2023-04-20", database_url=example)
    on_postgres = _cli("status", "--as-of", "2023-04-20", database_url=postgres)
    assert on_sqlite.returncode == on_postgres.returncode == 0, on_postgres.stderr
    assert on_postgres.stdout == on_sqlite.stdout
    assert "Мероприятий: 22" in on_postgres.stdout
    # The sequences continue: the next audit entry, organisation and outbox row get new ids.
    engine = create_engine(sync_url(postgres))
    with engine.begin() as connection:
        highest = {
            each.name: connection.scalar(select(func.max(each.c.id)))
            for each in (audit_log, organisations, outbox)
        }
        made = connection.scalar(
            insert(audit_log)
            .values(
                at=datetime.now(UTC), actor="cli", action="probe", subject="roadmap", subject_id=1
            )
            .returning(audit_log.c.id)
        )
        assert made == highest["audit_log"] + 1
    engine.dispose()
    # Copying again into the now full database is refused.
    again = _cli("db", "copy", "--from", example, "--to", postgres, database_url=example)
    assert again.returncode == 1
    assert "уже есть данные" in again.stderr


@needs_pg
def test_postgresql_back_to_sqlite(
    capsys: pytest.CaptureFixture[str], example: str, postgres: str, workdir: Path
) -> None:
    assert run(capsys, "db", "copy", "--from", example, "--to", postgres)[0] == 0
    back = f"sqlite:///{workdir / 'back.db'}"
    code, _, err = run(capsys, "db", "copy", "--from", postgres, "--to", back)
    assert (code, err) == (0, ""), err
    assert rows(back) == rows(example)


@needs_pg
def test_a_failing_copy_leaves_postgresql_empty(
    capsys: pytest.CaptureFixture[str], example: str, postgres: str
) -> None:
    """A row PostgreSQL refuses (SQLite kept a NUL character in a text, which PostgreSQL's
    text cannot hold) rolls the whole copy back: the target stays empty and a second try,
    once it is fixed, succeeds."""
    engine = create_engine(sync_url(example))
    with engine.begin() as connection:
        connection.execute(outbox.update().where(outbox.c.id == 3).values(kind="digest\x00"))
    engine.dispose()
    code, _, err = run(capsys, "db", "copy", "--from", example, "--to", postgres)
    assert code == 1
    assert err.startswith("Копирование не удалось: ")
    assert "скопированных строк в целевой базе нет" in err
    assert all(not table for name, table in rows(postgres).items() if name != "data_revision")
