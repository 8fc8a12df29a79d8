"""The lock that makes one process the leader: the one that plans reminder rounds and runs the
outbox senders (bot/leadership.py decides what leading means; storage/db.py hands out the lock
that fits its driver).

Both kinds are let go by the operating system or the server when their process dies, however
it dies (kill -9 included), so another process takes the lead without anyone cleaning up:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
  own, kept open for as long as the process leads. The server releases it when that session
  ends: the process died, or the connection broke (then `held` says so and the process stops
  leading at once; it may be leading again once it gets the lock back). Not through a pooler
  in transaction mode (PgBouncer): a session lock needs a session, so the lock's connection
  must go to the server directly.
- SQLite: an exclusive `flock` on a file beside the database file (`roadmap.db.leader`): two
  processes started on one file by mistake do not both send. (An in-memory database is one
  process's: it always leads.)
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# The advisory lock's key (beside storage.db.MIGRATION_LOCK and people's NEW_PEOPLE_LOCK).
LEADER_LOCK = 0x0EA5_1EAD


class LeaderLock(Protocol):
    async def acquire(self) -> bool:
        """Take the lock if it is free (never waits): True when this process holds it."""

    async def held(self) -> bool:
        """Still held? False once it was lost (the lock's connection broke)."""

    async def release(self) -> None:
        """Let the lock go (idempotent)."""


class AdvisoryLock:
    """PostgreSQL's session-level advisory lock on a connection of its own.

    `engine` must not pool connections (NullPool): closing the connection ends the session,
    and with it the lock, whatever went wrong before."""

    def __init__(self, engine: AsyncEngine, key: int = LEADER_LOCK, *, answer: float = 5.0):
        self.engine = engine
        self.key = key
        self.answer = answer  # seconds the server has to answer a check before it counts as lost
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._connection is not None:
            return await self.held()
        connection = await self.engine.connect()
        try:
            async with asyncio.timeout(self.answer):
                got = await connection.scalar(select(func.pg_try_advisory_lock(self.key)))
                await connection.commit()  # the lock is the session's: it outlives this
        except BaseException:
            await _close(connection)
            raise
        if not got:
            await _close(connection)
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            async with asyncio.timeout(self.answer):
                await connection.execute(text("SELECT 1"))
                await connection.commit()
        except Exception:  # broken, closed, or not answering: the lock is not ours to count on
            self._connection = None
            await _close(connection)
            return False
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close(connection)  # the session ends, and its lock with it
        await self.engine.dispose()


async def _close(connection: AsyncConnection) -> None:
    # Not back to any pool: this session ends here (an already broken one has nothing to end).
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()


class FileLock:
    """An exclusive flock on `path` (created if need be), held while the file stays open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    async def held(self) -> bool:
        return self._fd is not None  # nothing but our process can take it from us

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # the kernel lets the lock go with the last descriptor


class AlwaysLeads:
    """An in-memory database is one process's own: nobody to share the lead with."""

    async def acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None
