"""Every snapshot is rebuilt after a write to anything it reads.

Snapshots (bot/services/snapshots.py) are kept until `Database.version()` moves, and the
version moves on a commit that writes a table snapshots read (storage/db.py: every table but
the bookkeeping ones, and an UPDATE of a read table unless it sets only bookkeeping columns).
Nothing here lists what each snapshot reads: it is recorded, statement by statement, while each
one loads; then every table found gets a representative write of each kind (an UPDATE of each
column read, a DELETE of a row and its INSERT back) and every snapshot reading it must be
rebuilt. A snapshot that starts reading another table is covered the day it does.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Executable,
    Select,
    Table,
    delete,
    event,
    insert,
    make_url,
    select,
    update,
)
from sqlalchemy.sql import visitors

from bot.app import open_app
from bot.config import Settings
from bot.domain.access import Role
from bot.importers.indicators import read_indicators
from bot.services.clock import FixedClock
from bot.services.organisations import OrganisationService
from bot.services.people import CLI, PeopleService
from bot.services.roadmaps import NoRoadmapYet
from bot.services.snapshots import Snapshots
from storage.db import BOOKKEEPING_COLUMNS, BOOKKEEPING_TABLES, Database
from storage.outbox import OutboxStore
from storage.tables import data_revision, metadata, people
from tests.backends import sqlite_only
from tests.conftest import EXAMPLES

NOW = datetime(2023, 4, 20, 7, 0, tzinfo=UTC)
TIMEZONE = "Europe/Moscow"
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"
REP = 3001
PARTY_CHAT, GONE_CHAT = -1001, -1002


@dataclass(frozen=True, slots=True)
class Seeded:
    url: str
    roadmap_id: int
    task_id: int


Loader = Callable[[Snapshots, Seeded], Awaitable[object]]

# One way to (re)load each snapshot Snapshots keeps.
LOADERS: dict[str, Loader] = {
    "audience": lambda snapshots, _: snapshots.audience(TIMEZONE),
    "tree": lambda snapshots, _: snapshots.tree(),
    "roadmap": lambda snapshots, _: snapshots.roadmap(),
    "organisation_ids": lambda snapshots, _: snapshots.organisation_ids(),
    "indicators": lambda snapshots, seeded: snapshots.indicators(seeded.roadmap_id),
    "history": lambda snapshots, seeded: snapshots.history(seeded.task_id),
    "languages": lambda snapshots, _: snapshots.languages(),
}


@dataclass
class Reads:
    tables: set[str] = field(default_factory=set)
    columns: set[tuple[str, str]] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)  # SELECTs not built from tables


def _note(found: Reads, column: Any) -> None:
    for base in getattr(column, "base_columns", ()):
        if isinstance(base, Column) and isinstance(base.table, Table):
            found.columns.add((base.table.name, base.name))


@contextmanager
def reads() -> Iterator[Reads]:
    """What every engine SELECTs from meanwhile (the version's own counter aside)."""
    found = Reads()

    def record(
        _conn: Connection, _cursor: Any, sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        statement = getattr(getattr(context, "compiled", None), "statement", None)
        if not isinstance(statement, Select):
            if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                found.unknown.append(sql)
            return
        for element in visitors.iterate(statement):
            if isinstance(element, Table):
                found.tables.add(element.name)
            elif isinstance(element, Column):
                _note(found, element)
            if isinstance(element, Select):  # select(table) reads all its columns
                for column in element.selected_columns:
                    _note(found, column)
        found.tables.discard(data_revision.name)
        found.columns -= {(data_revision.name, c.name) for c in data_revision.c}

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, timezone=TIMEZONE)


@pytest.fixture
async def seeded(database_url: str) -> Seeded:
    """A database with a row in every table a snapshot reads, then closed (to be copied)."""
    async with open_app(_settings(database_url), clock=FixedClock(NOW)) as app:
        await app.roadmaps.import_document(EXAMPLES / "smolensk-order-319-OD.docx")
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        for index, target in ((1, "Департамент Смоленской области"), (2, "все органы")):
            await app.parties.assign(CLI, index, target)
        await app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
        invite = await app.people.create_invite(CLI, Role.REP, SCHOOL)
        rep = await app.people.identify("telegram", REP, "Ирина", "irina", "ru")
        await app.people.redeem(rep, invite.token)
        for chat_id in (PARTY_CHAT, GONE_CHAT):
            await app.parties.bind_chat(CLI, chat_id, "Рабочая группа", 1, NOW)
        async with app.database.transaction() as connection:
            await OutboxStore(connection).mark_unreachable(GONE_CHAT, "blocked", NOW)
        view = await app.snapshots.roadmap()
        task_id = view.tasks[0].id
        assert task_id is not None
        await app.tasks.mark_done(CLI, task_id)
    return Seeded(database_url, view.roadmap.id, task_id)


async def _what_each_reads(seeded: Seeded) -> dict[str, Reads]:
    database = Database(seeded.url)
    try:
        found = {}
        for name, load in LOADERS.items():
            with reads() as found[name]:
                await load(Snapshots(database), seeded)
        return found
    finally:
        await database.dispose()


def test_every_snapshot_has_a_loader_here() -> None:
    kept = {
        name
        for name, member in vars(Snapshots).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }
    assert kept == set(LOADERS)


async def test_what_snapshots_read_is_never_bookkeeping(seeded: Seeded) -> None:
    """The version ignores bookkeeping writes; that is sound only while no snapshot reads them."""
    for name, found in (await _what_each_reads(seeded)).items():
        assert found.tables, f"{name}: no SELECT seen while it loaded"
        assert not found.unknown, f"{name}: read by SQL text, tables unknown: {found.unknown}"
        assert not found.tables & BOOKKEEPING_TABLES, name
        read_bookkeeping = {
            (table, column)
            for table, column in found.columns
            if column in BOOKKEEPING_COLUMNS.get(table, ())
        }
        assert not read_bookkeeping, f"{name} reads {read_bookkeeping}"


@sqlite_only("copies the seeded database's file once per table")
async def test_a_write_to_any_table_a_snapshot_reads_rebuilds_it(
    seeded: Seeded, tmp_path: Path
) -> None:
    each = await _what_each_reads(seeded)
    readers: dict[str, list[str]] = {}
    for name, found in each.items():
        for table in found.tables:
            readers.setdefault(table, []).append(name)
    # What the recording must find, at least (the bug: people, read by the audience).
    assert {"people", "bindings", "organisations", "tasks", "audit_log"} <= set(readers)

    problems: list[str] = []
    for table_name, names in sorted(readers.items()):
        # A copy each, so a DELETE's cascade does not empty the next table's rows.
        path = tmp_path / f"{table_name}.db"
        shutil.copyfile(str(make_url(seeded.url).database), path)
        columns = {
            column for found in each.values() for t, column in found.columns if t == table_name
        }
        problems += await _write_each_way(path, metadata.tables[table_name], columns, names, seeded)
    assert not problems


async def _write_each_way(
    path: Path, table: Table, columns: set[str], names: list[str], seeded: Seeded
) -> list[str]:
    """UPDATE each column read, DELETE a row, INSERT it back; after each, what went stale."""
    database = Database(f"sqlite:///{path}")
    try:
        async with database.transaction() as connection:
            row = (await connection.execute(select(table).limit(1))).mappings().first()
        if row is None:
            return [f"seed a row in {table.name}: {names} read it"]
        key = [column == row[column.key] for column in table.primary_key.columns]
        writes: list[tuple[str, Executable]] = [
            (
                f"UPDATE {table.name} SET {column}",
                update(table).where(*key).values({column: row[column]}),
            )
            for column in sorted(columns)
        ]
        writes += [
            (f"DELETE FROM {table.name}", delete(table).where(*key)),
            (f"INSERT INTO {table.name}", insert(table).values(dict(row))),
        ]

        snapshots = Snapshots(database, max_age=3600)  # own commits must count at once
        held = {name: await LOADERS[name](snapshots, seeded) for name in names}
        problems = []
        for write, statement in writes:
            before = await database.version()
            if write.startswith("UPDATE"):  # both ways a unit of work is done
                await database.run(_executing(statement))
            else:
                async with database.transaction() as connection:
                    await connection.execute(statement)
            if await database.version() == before:
                problems.append(f"{write}: the version stayed at {before}")
            with reads() as found:  # (the tree is rebuilt by the first that needs it)
                for name in names:
                    try:
                        now_held = await LOADERS[name](snapshots, seeded)
                    except NoRoadmapYet:  # it looked: the roadmap's row is gone
                        now_held = None
                    if now_held is held[name]:
                        problems.append(f"{write}: {name} (reads {table.name}) was not rebuilt")
                    held[name] = now_held
            if table.name not in found.tables:
                problems.append(f"{write}: {table.name} was not read again")
        return problems
    finally:
        await database.dispose()


def _executing(statement: Executable) -> Callable[[Connection], object]:
    return lambda connection: connection.execute(statement)


async def test_a_rep_who_switches_to_english_hears_english(
    database: Database, organisations: OrganisationService
) -> None:
    """The bug: a change of language (Telegram's, seen on the person's next message) left the
    audience, and so every digest, in Russian until something unrelated changed."""
    await organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
    snapshots = Snapshots(database, max_age=3600)
    people_service = PeopleService(database, FixedClock(NOW), snapshots)
    invite = await people_service.create_invite(CLI, Role.REP, SCHOOL)
    rep = await people_service.identify("telegram", REP, "Ирина", "irina", "ru")
    await people_service.redeem(rep, invite.token)

    def languages(audience: Any) -> list[str | None]:
        return [listener.language for listener in audience.reps[SCHOOL]]

    assert languages(await snapshots.audience(TIMEZONE)) == ["ru"]
    await people_service.identify("telegram", REP, "Ирина", "irina", "en")
    assert languages(await snapshots.audience(TIMEZONE)) == ["en"]


async def test_when_a_person_last_wrote_moves_nothing(database: Database) -> None:
    """Marking someone seen is bookkeeping: it must not rebuild every snapshot."""
    async with database.transaction() as connection:
        await connection.execute(
            people.insert().values(id=REP, name="Ирина", created_at=NOW, seen_at=NOW)
        )
    before = await database.version(max_age=0)
    touch = update(people).where(people.c.id == REP).values(seen_at=NOW)
    async with database.transaction() as connection:
        await connection.execute(touch)
    await database.run(lambda connection: connection.execute(touch))
    assert await database.version(max_age=0) == before

    async with database.transaction() as connection:
        await connection.execute(touch.values(name="Ирина Петровна"))
    assert await database.version(max_age=0) != before
