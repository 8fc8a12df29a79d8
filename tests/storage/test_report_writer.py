"""Weekly values as the database holds them: each report counts from its week until the
organisation's next one, corrections replace in place, and every change is in the history.
All of it in one unit of work (Database.run), the way a report by message is taken."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Connection, func, insert, select

from bot.domain.channels import EventKey
from bot.domain.indicators import Rollup
from storage import reports as report_storage
from storage.db import Database
from storage.people import claim_event
from storage.reports import FOREVER, Near, NewValue, ReportStore, ReportWriter
from storage.tables import (
    audit_log,
    indicators,
    organisations,
    processed_events,
    roadmaps,
    weekly_reports,
)
from tests.backends import sqlite_only

T = TypeVar("T")
NOW = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)
W1, W2, W3, W4 = (date(2023, 4, 17) + timedelta(weeks=n) for n in range(4))
TEACHERS, CHATS = 1, 2
SCHOOL, OTHER = 1, 2


@pytest.fixture
async def database(database: Database) -> Database:
    """A roadmap with two indicators and a municipality with three schools."""

    def seed(connection: Connection) -> None:
        connection.execute(
            insert(roadmaps).values(
                id=1, slug="319", title="319-ОД", imported_at=NOW, updated_at=NOW
            )
        )
        for indicator_id, code in ((TEACHERS, "teachers_active"), (CHATS, "chats")):
            connection.execute(
                insert(indicators).values(
                    id=indicator_id, roadmap_id=1, code=code, position=indicator_id, created_at=NOW
                )
            )
        connection.execute(
            insert(organisations).values(id=10, name="Город", kind="authority", updated_at=NOW)
        )
        for org_id in (SCHOOL, OTHER, 3):
            connection.execute(
                insert(organisations).values(
                    id=org_id, name=f"Школа {org_id}", kind="school", parent_id=10, updated_at=NOW
                )
            )

    await database.run(seed)
    return database


def writing(work: Callable[[ReportWriter], T]) -> Callable[[Connection], T]:
    return lambda connection: work(ReportWriter(connection))


def value(week: date, number: int, indicator: int = TEACHERS, org: int = SCHOOL) -> NewValue:
    return NewValue(indicator, org, week, number, late=False)


async def rows(database: Database) -> list[tuple[int, int, date, date, int]]:
    async with database.transaction() as connection:
        found = await connection.execute(
            select(
                weekly_reports.c.indicator_id,
                weekly_reports.c.organisation_id,
                weekly_reports.c.week,
                weekly_reports.c.until_week,
                weekly_reports.c.value,
            ).order_by(
                weekly_reports.c.indicator_id,
                weekly_reports.c.organisation_id,
                weekly_reports.c.week,
            )
        )
        return [tuple(row) for row in found]


async def history(database: Database) -> list[tuple[str | None, str | None]]:
    async with database.transaction() as connection:
        found = await connection.execute(
            select(audit_log.c.old, audit_log.c.new)
            .where(audit_log.c.subject == "report")
            .order_by(audit_log.c.id)
        )
        return [(old, new) for old, new in found]


async def store(database: Database, *values: NewValue) -> list[tuple[int | None, int]]:
    changes = await database.run(
        writing(lambda writer: writer.store(values, now=NOW, actor="person:1", source="message"))
    )
    return [(change.old, change.new) for change in changes]


async def test_each_report_counts_until_the_next_one(database: Database) -> None:
    await store(database, value(W1, 30), value(W1, 5, CHATS))
    await store(database, value(W2, 34))
    await store(database, value(W4, 40))

    assert await rows(database) == [
        (TEACHERS, SCHOOL, W1, W2, 30),
        (TEACHERS, SCHOOL, W2, W4, 34),
        (TEACHERS, SCHOOL, W4, FOREVER, 40),
        (CHATS, SCHOOL, W1, FOREVER, 5),
    ]
    async with database.transaction() as connection:
        totals = await ReportStore(connection).totals(TEACHERS, [W1, W2, W3, W4], Rollup.LATEST)
    assert totals == [30, 34, 34, 40]  # week 3 counts week 2's value: nobody reported anew


async def test_a_late_report_for_an_earlier_week_slots_in_between(database: Database) -> None:
    await store(database, value(W1, 30))
    await store(database, value(W4, 40))
    await store(database, value(W2, 33))  # entered late, for week 2

    assert await rows(database) == [
        (TEACHERS, SCHOOL, W1, W2, 30),
        (TEACHERS, SCHOOL, W2, W4, 33),
        (TEACHERS, SCHOOL, W4, FOREVER, 40),
    ]


async def test_a_correction_replaces_the_value_and_the_history_keeps_both(
    database: Database,
) -> None:
    assert await store(database, value(W1, 30)) == [(None, 30)]
    assert await store(database, value(W1, 31)) == [(30, 31)]
    assert await store(database, value(W1, 31)) == [(31, 31)]  # the same again: no change

    assert await rows(database) == [(TEACHERS, SCHOOL, W1, FOREVER, 31)]
    assert await history(database) == [(None, "30"), ("30", "31")]


async def test_a_value_given_twice_in_one_go_is_reported_then_corrected(
    database: Database,
) -> None:
    """A coordinator's sheet with the same school on two lines: the last line wins, and the
    history shows both, in the order of the lines."""
    changes = await store(database, value(W2, 20, org=OTHER), value(W2, 25), value(W2, 27))

    assert changes == [(None, 20), (None, 25), (25, 27)]
    assert await rows(database) == [
        (TEACHERS, SCHOOL, W2, FOREVER, 27),
        (TEACHERS, OTHER, W2, FOREVER, 20),
    ]
    assert await history(database) == [(None, "20"), (None, "25"), ("25", "27")]


async def test_near_gives_the_week_s_value_and_the_report_before(database: Database) -> None:
    await store(database, value(W1, 30), value(W1, 12, org=OTHER))
    await store(database, value(W3, 36))

    near = await database.run(
        writing(
            lambda writer: writer.near(
                [
                    (TEACHERS, SCHOOL, W3),
                    (TEACHERS, SCHOOL, W4),
                    (TEACHERS, OTHER, W2),
                    (CHATS, SCHOOL, W3),
                ]
            )
        )
    )

    assert near == {
        (TEACHERS, SCHOOL, W3): Near(36, 30),
        (TEACHERS, SCHOOL, W4): Near(None, 36),
        (TEACHERS, OTHER, W2): Near(None, 12),
        (CHATS, SCHOOL, W3): Near(None, None),
    }


async def test_many_organisations_are_read_in_slices(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_storage, "ORGANISATIONS_PER_READ", 2)
    await store(database, *(value(W1, 10 + org, org=org) for org in (SCHOOL, OTHER, 3)))

    changes = await store(database, *(value(W2, 20 + org, org=org) for org in (SCHOOL, OTHER, 3)))

    assert changes == [(None, 21), (None, 22), (None, 23)]
    assert [row[3] for row in await rows(database)] == [W2, FOREVER, W2, FOREVER, W2, FOREVER]


async def test_a_unit_that_fails_leaves_nothing_behind(database: Database) -> None:
    def claim_then_fail(connection: Connection) -> None:
        assert claim_event(connection, EventKey.telegram(7), NOW)
        ReportWriter(connection).store([value(W1, 30)], now=NOW, actor="x", source="message")
        raise RuntimeError("Telegram was down")

    with pytest.raises(RuntimeError):
        await database.run(claim_then_fail)

    assert await rows(database) == []
    assert await history(database) == []
    seven = EventKey.telegram(7)
    assert await database.run(lambda connection: claim_event(connection, seven, NOW))
    assert not await database.run(lambda connection: claim_event(connection, seven, NOW))
    async with database.transaction() as connection:
        assert await connection.scalar(select(func.count()).select_from(processed_events)) == 1


async def test_units_run_the_same_without_a_thread_of_their_own(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off an SQLite file (PostgreSQL, say) a unit runs through the async driver instead."""
    monkeypatch.setattr(database, "_unit_engine", None)
    await store(database, value(W1, 30))
    await store(database, value(W2, 31))

    assert await rows(database) == [
        (TEACHERS, SCHOOL, W1, W2, 30),
        (TEACHERS, SCHOOL, W2, FOREVER, 31),
    ]


@sqlite_only("units run in place in pysqlite, or on its thread while the file is locked")
async def test_a_unit_waits_out_another_writer_off_the_loop(database: Database) -> None:
    """A unit runs in place, but never waits there: while another connection (the CLI, a
    coroutine between two awaits of its transaction) holds the write lock, the unit waits on
    the database thread and the loop runs on; afterwards units run in place again."""
    assert database.url.database is not None
    other = sqlite3.connect(database.url.database, isolation_level=None)
    ran_on = []

    def claim(update_id: int) -> Callable[[Connection], bool]:
        def work(connection: Connection) -> bool:
            ran_on.append(threading.current_thread() is threading.main_thread())
            return claim_event(connection, EventKey.telegram(update_id), NOW)

        return work

    try:
        other.execute("BEGIN IMMEDIATE")
        waiting = asyncio.create_task(database.run(claim(1)))
        ticks = 0
        for _ in range(5):
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 5
        assert not waiting.done()
        other.execute("COMMIT")
        assert await waiting
        assert await database.run(claim(2))
    finally:
        other.close()

    assert ran_on == [False, True]  # on the database thread, then in place
