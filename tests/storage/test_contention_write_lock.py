"""Two processes on one SQLite file: a unit that reads then writes waits for the other writer.

A deferred BEGIN that read and then wrote failed at once with «database is locked» when another
writer had committed meanwhile (the bot's polling while the CLI imported; `parties link` while
the bot wrote). A unit that may write now takes the write lock at BEGIN and waits (bounded).
Two Database objects stand for the two processes: each has its own connections.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storage.db import Database, DatabaseBusy
from storage.tables import data_revision
from tests.backends import sqlite_only

ROADMAP = Path(__file__).parents[1] / "data" / "smolensk-order-319-OD.txt"
CLI_HOLDS_THE_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
"""


async def _counter(database: Database) -> int:
    async with database.transaction(write=False) as connection:
        return int(await connection.scalar(select(data_revision.c.number)) or 0)


async def _increment(connection: object, by: int = 1) -> None:
    from sqlalchemy.ext.asyncio import AsyncConnection

    assert isinstance(connection, AsyncConnection)
    number = await connection.scalar(select(data_revision.c.number))  # read ...
    await connection.execute(  # ... then write what was read
        update(data_revision).values(number=int(number or 0) + by)
    )


@sqlite_only("SQLite's write lock taken at BEGIN IMMEDIATE; PostgreSQL units lock rows")
async def test_a_read_then_write_unit_waits_for_the_other_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roadmap.db'}"
    bot, cli = Database(url), Database(url)
    await bot.upgrade()
    try:
        before = await _counter(bot)
        holding = asyncio.Event()
        release = asyncio.Event()

        async def importing() -> None:
            async with cli.transaction() as connection:
                await _increment(connection, 10)
                holding.set()
                await release.wait()

        async def bot_writes() -> None:
            await holding.wait()
            async with bot.transaction() as connection:
                await _increment(connection, 1)

        cli_task = asyncio.create_task(importing())
        bot_task = asyncio.create_task(bot_writes())
        await holding.wait()
        for _ in range(20):  # let the bot's unit reach its BEGIN and wait there
            await asyncio.sleep(0.01)
        assert not bot_task.done()  # waiting, not failed at once
        release.set()
        await asyncio.wait_for(asyncio.gather(cli_task, bot_task), 30)

        assert await _counter(bot) == before + 11  # both units, neither update lost
    finally:
        await bot.dispose()
        await cli.dispose()


async def test_a_wait_is_bounded_and_says_busy(database_url: str) -> None:
    url = database_url
    holder, waiter = Database(url), Database(url, lock_wait=0.2)
    await holder.upgrade()
    try:
        release = asyncio.Event()
        held = asyncio.Event()

        async def hold() -> None:
            async with holder.transaction() as connection:
                await _increment(connection)
                held.set()
                await release.wait()

        task = asyncio.create_task(hold())
        await held.wait()
        with pytest.raises(DatabaseBusy):
            async with waiter.transaction() as connection:
                await _increment(connection)
        # a reader never waits for a writer
        assert await _counter(waiter) >= 0
        release.set()
        await task
    finally:
        await holder.dispose()
        await waiter.dispose()


@sqlite_only("another process holds the file's write lock through sqlite3")
def test_the_cli_says_busy_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    """`parties link` while another process holds the write lock past DATABASE_LOCK_WAIT."""
    database = tmp_path / "roadmap.db"
    env = {"DATABASE_URL": f"sqlite:///{database}", "DATABASE_LOCK_WAIT": "0.3", "LANGUAGE": "ru"}
    upgraded = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(ROADMAP)],
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    holder = subprocess.Popen(
        [sys.executable, "-c", CLI_HOLDS_THE_LOCK, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        linked = subprocess.run(
            [sys.executable, "-m", "bot", "parties", "link", "1", "нет"],
            env={**_base_env(), **env},
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait()
    assert linked.returncode != 0
    assert "Traceback" not in linked.stderr
    lines = [line for line in linked.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "занята" in lines[0]


def _base_env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key in {"PATH", "HOME"}}
