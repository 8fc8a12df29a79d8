"""`roadmap-bot invites …` and `people …`: access taken back from the command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.__main__ import main
from bot.app import open_app
from bot.config import Settings
from bot.domain.access import Binding, Role
from bot.services.people import CLI
from storage.tables import audit_log, bindings, invites, people
from tests.backends import ON_POSTGRESQL
from tests.conftest import EXAMPLES

SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def _seed() -> int:
    """A school's rep who joined by an invite; returns the invite's number."""
    async with open_app(Settings()) as app:
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        invite = await app.people.create_invite(CLI, Role.REP, SCHOOL, multi_use=True)
        rep = await app.people.identify("telegram", 3001, "Иванова Анна", "anna", "ru")
        await app.people.redeem(rep, invite.token)
        async with app.database.transaction() as connection:
            return int(await connection.scalar(select(func.max(invites.c.id))) or 0)


async def _rows(table, *where) -> int:  # type: ignore[no-untyped-def]
    async with open_app(Settings()) as app, app.database.transaction() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table).where(*where)))


def test_invites_list_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    invite_id = asyncio.run(_seed())
    code, out, _ = run(capsys, "invites", "list")
    assert code == 0
    assert f"№ {invite_id}: представитель организации" in out or f"№ {invite_id}:" in out
    assert "действует" in out
    code, out, _ = run(capsys, "invites", "revoke", str(invite_id))
    assert code == 0
    assert "отозвано" in out
    code, out, _ = run(capsys, "invites", "revoke", str(invite_id))
    assert "уже было отозвано" in out
    code, _, err = run(capsys, "invites", "revoke", "999")
    assert code == 1
    assert "Приглашения № 999 нет." in err
    assert asyncio.run(_rows(invites, invites.c.revoked_at.is_not(None))) == 1
    assert asyncio.run(_rows(audit_log, audit_log.c.action == "revoked")) == 1


def test_people_list_unbind_and_forget(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_seed())
    # The CLI names people by their number (the first to join is 1), not their Telegram id.
    number = "1"
    code, out, _ = run(capsys, "people", "list")
    assert code == 0
    assert f"{number}: Иванова Анна @anna" in out
    code, _, err = run(capsys, "people", "unbind", number, "--org", "Велижская СШ № 1")
    assert code == 1
    assert "не подключён" in err
    assert asyncio.run(_rows(bindings, bindings.c.person_id == int(number))) == 1
    code, out, _ = run(capsys, "people", "unbind", number, "--org", "Гимназия № 4")
    assert code == 0
    assert f"Иванова Анна (id {number}) отключён(а)" in out
    assert asyncio.run(_rows(bindings, bindings.c.person_id == int(number))) == 0
    code, out, _ = run(capsys, "people", "forget", number)
    assert code == 0
    assert "удалены" in out
    assert asyncio.run(_rows(people, people.c.name == "Иванова Анна")) == 0
    assert asyncio.run(_rows(people, people.c.username.is_not(None))) == 0
    code, out, _ = run(capsys, "people", "list")
    assert f"{number}: удалённый пользователь — не подключён" in out
    code, _, err = run(capsys, "people", "forget", "424242")
    assert code == 1
    assert "424242" in err
    assert asyncio.run(_rows(audit_log, audit_log.c.action == "forgotten")) == 1
    assert Binding(Role.REP, SCHOOL)  # the binding shape the CLI names
