"""Units of work on PostgreSQL: a unit another one got in the way of is run again, a wait for
a lock is bounded by lock_wait and says busy, and the revision counter moves as on SQLite.

Run with TEST_DATABASE_URL (skipped otherwise: SQLite's own are in test_contention_write_lock).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, select, update

from storage.db import Database, DatabaseBusy
from storage.tables import data_revision, organisations
from tests.backends import ON_POSTGRESQL

pytestmark = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only: TEST_DATABASE_URL")


def _counter(connection: Connection) -> int:
    return int(connection.scalar(select(data_revision.c.number)) or 0)


async def test_two_units_that_deadlock_both_land_once_each(database_url: str) -> None:
    """Each locks a row the other wants next: the server fails one (40P01); `run` runs it
    again, and both increments are there once."""
    database = Database(database_url)
    await database.upgrade()
    async with database.transaction() as connection:
        await connection.execute(
            organisations.insert(),
            [
                {"id": 1, "name": "Первая", "kind": "school", "updated_at": _now()},
                {"id": 2, "name": "Вторая", "kind": "school", "updated_at": _now()},
            ],
        )
    both_hold = threading.Barrier(2, timeout=10)
    runs: list[str] = []

    def unit(first: int, second: int, name: str) -> Callable[[Connection], None]:
        def work(connection: Connection) -> None:
            runs.append(name)
            connection.execute(
                update(organisations)
                .where(organisations.c.id == first)
                .values(name=organisations.c.name + "+")
            )
            if runs.count(name) == 1:  # the first time: meet the other one half-way
                both_hold.wait()
            connection.execute(
                update(organisations)
                .where(organisations.c.id == second)
                .values(name=organisations.c.name + "+")
            )

        return work

    # Each unit in a thread of its own with its own loop: `work` blocks at the barrier.
    def in_thread(first: int, second: int, name: str) -> None:
        async def go() -> None:
            own = Database(database_url)
            try:
                await own.run(unit(first, second, name))
            finally:
                await own.dispose()

        asyncio.run(go())

    threads = [
        threading.Thread(target=in_thread, args=(1, 2, "a")),
        threading.Thread(target=in_thread, args=(2, 1, "b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join, 30)

    assert len(runs) > 2  # one of them (at least) ran again
    async with database.transaction(write=False) as connection:
        names = (await connection.execute(select(organisations.c.name).order_by("id"))).scalars()
        assert list(names) == ["Первая++", "Вторая++"]  # each unit's two changes, once
    await database.dispose()


async def test_a_lock_held_past_lock_wait_says_busy_and_writes_nothing(database_url: str) -> None:
    holder, waiter = Database(database_url), Database(database_url, lock_wait=0.3)
    await holder.upgrade()
    release = asyncio.Event()
    held = asyncio.Event()

    async def hold() -> None:
        async with holder.transaction() as connection:
            await connection.execute(update(data_revision).values(number=data_revision.c.number))
            held.set()
            await release.wait()

    def increment(connection: Connection) -> None:
        connection.execute(update(data_revision).values(number=data_revision.c.number + 1))

    task = asyncio.create_task(hold())
    try:
        await held.wait()
        before = await waiter.run(_counter)  # a reader does not wait
        with pytest.raises(DatabaseBusy):
            await waiter.run(increment)
    finally:
        release.set()
        await task
    assert await waiter.run(_counter) == before
    await waiter.run(increment)  # free again: it goes through
    assert await waiter.run(_counter) == before + 1
    await holder.dispose()
    await waiter.dispose()


async def test_a_change_moves_the_version_for_this_process_and_another(database_url: str) -> None:
    bot, cli = Database(database_url), Database(database_url)
    await bot.upgrade()
    before = await bot.version(max_age=0)
    async with cli.transaction() as connection:
        await connection.execute(
            organisations.insert().values(name="Школа", kind="school", updated_at=_now())
        )
    assert (await cli.version(max_age=0))[0] == 1  # its own commit, at once
    assert await bot.version(max_age=0) != before  # the other's, through data_revision
    await bot.dispose()
    await cli.dispose()


def _now() -> datetime:
    return datetime(2023, 4, 20, 7, 0, tzinfo=UTC)


async def test_a_second_sender_claims_past_rows_another_is_taking(database_url: str) -> None:
    """FOR UPDATE SKIP LOCKED: while one claim's transaction holds ten rows, another claimer
    does not wait for it; it takes the other ten at once, and no row goes to both."""
    from datetime import timedelta

    from storage.outbox import OutboxStore
    from tests.delivery.support import messages, plan

    database = Database(database_url, lock_wait=5)
    await database.upgrade()
    now = _now()
    await plan(database, messages(range(1, 21), now - timedelta(minutes=1)), now)
    async with database.transaction() as first:
        held = await OutboxStore(first).claim("first", now, timedelta(minutes=1), 10)
        async with asyncio.timeout(2), database.transaction() as second:
            other = await OutboxStore(second).claim("second", now, timedelta(minutes=1), 10)
    assert len(held) == len(other) == 10
    assert {row.id for row in held}.isdisjoint(row.id for row in other)
    await database.dispose()
