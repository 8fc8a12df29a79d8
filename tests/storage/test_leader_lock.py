"""One leader per database: the lock storage/db.py hands out (PostgreSQL's advisory lock on a
connection of its own; a flock beside the SQLite file), and bot/leadership.py's loop over it.
Processes are played by Database objects of their own (their own connections, their own open
file descriptions); real processes are killed in tests/delivery/test_failover.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text

from bot.leadership import Leadership
from storage.db import Database
from storage.leader import LEADER_LOCK, LeaderLock


@pytest.fixture
async def processes(database_url: str, database: Database) -> AsyncIterator[list[Database]]:
    others = [Database(database_url) for _ in range(2)]
    yield [database, *others]
    for other in others:
        await other.dispose()


async def test_one_process_holds_the_lock_and_another_gets_it_once_let_go(
    processes: list[Database],
) -> None:
    a, b, c = (process.leader_lock() for process in processes)
    assert await a.acquire()
    assert await a.acquire()  # already ours
    assert not await b.acquire()
    assert not await c.acquire()
    assert await a.held()
    await a.release()
    assert not await a.held()
    assert await b.acquire()
    assert not await c.acquire()
    assert not await a.acquire()
    await b.release()
    await c.release()
    await a.release()


async def test_a_broken_lock_connection_is_noticed_and_the_lock_goes_to_another(
    processes: list[Database],
) -> None:
    if processes[0].is_sqlite:
        pytest.skip("a flock has no connection to break; it goes with its process")
    a, b = processes[0].leader_lock(), processes[1].leader_lock()
    assert await a.acquire()
    async with processes[2].transaction() as connection:
        ended = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :key AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": LEADER_LOCK},
        )
    assert ended == 1
    assert not await a.held()
    await taken(b)  # once the server has ended a's session
    await a.release()
    await b.release()


class Recorded:
    """What a leader runs, as bot.app.Reminders is run: started and stopped, noted."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def start(self) -> None:
        self.log.append(f"{self.name} starts")

    async def stop(self) -> None:
        self.log.append(f"{self.name} stops")


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - a condition of several objects: no event to wait on
            await asyncio.sleep(0.01)


async def taken(lock: LeaderLock) -> None:
    """Acquire, trying until it is free (pg_terminate_backend does not wait for the end)."""
    async with asyncio.timeout(10):
        while not await lock.acquire():  # noqa: ASYNC110 - the lock tells only when tried
            await asyncio.sleep(0.01)


async def test_the_standing_by_process_leads_once_the_leader_is_gone(
    processes: list[Database], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.leadership")
    happened: list[str] = []
    a = Leadership(processes[0].leader_lock(), lambda: Recorded("a", happened), retry=0.05)
    b = Leadership(processes[1].leader_lock(), lambda: Recorded("b", happened), retry=0.05)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    running_a = asyncio.create_task(a.run(stop_a))
    await until(lambda: a.leading)
    running_b = asyncio.create_task(b.run(stop_b))
    await asyncio.sleep(0.3)  # b tries several times meanwhile
    assert not b.leading
    stop_a.set()
    await running_a
    await until(lambda: b.leading)
    stop_b.set()
    await running_b
    assert happened == ["a starts", "a stops", "b starts", "b stops"]
    said = [(record.name, record.getMessage()) for record in caplog.records]
    assert said.count(("bot.leadership", "standing by")) == 1  # once per change, not per try
    assert said.count(("bot.leadership", "leading")) == 2


async def test_a_leader_whose_lock_connection_broke_stops_at_once(
    processes: list[Database],
) -> None:
    if processes[0].is_sqlite:
        pytest.skip("a flock has no connection to break; it goes with its process")
    happened: list[str] = []
    a = Leadership(processes[0].leader_lock(), lambda: Recorded("a", happened), retry=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(a.run(stop))
    await until(lambda: a.leading)
    other = processes[1].leader_lock()
    async with processes[2].transaction() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :key AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": LEADER_LOCK},
        )
    await taken(other)  # another process takes the lead meanwhile
    await until(lambda: happened == ["a starts", "a stops"])
    assert not a.leading
    await other.release()
    await until(lambda: a.leading)
    stop.set()
    await running
    assert happened == ["a starts", "a stops", "a starts", "a stops"]
