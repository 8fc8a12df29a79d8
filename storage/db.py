"""The database: engine creation, SQLite's settings, migrations and transactions.

The only module that knows which driver is in use; everyone else asks for a transaction.

Two backends. SQLite (the default, a file; aiosqlite, and plain pysqlite for `run`'s units)
takes the write lock at BEGIN (BEGIN IMMEDIATE), so a unit that may write never fails half-way.
PostgreSQL (`postgresql://`, through psycopg 3's async driver) runs every unit at READ COMMITTED,
the server's default: a statement sees what was committed before it began, and a unit that
reads, checks and then writes takes row locks (SELECT … FOR UPDATE) or lets a constraint decide
(INSERT … ON CONFLICT). Waiting for a lock is bounded by `lock_wait` (lock_timeout); a
serialization failure or deadlock (SQLSTATE 40001, 40P01) or a lock wait that ran out (55P03)
is tried again by `run`, whose units are plain functions, within `lock_wait`, and is
`DatabaseBusy` after that — or at once inside `transaction`, whose block cannot be re-run.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    RootTransaction,
    create_engine,
    event,
    func,
    make_url,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from storage.leader import AdvisoryLock, AlwaysLeads, FileLock, LeaderLock
from storage.tables import data_revision

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000  # the default wait for another writer (DATABASE_LOCK_WAIT)
# The bot's own bookkeeping: writing these changes nothing anyone reads from a snapshot.
# (tests/storage/test_snapshot_invalidation.py finds what the snapshots read, and fails if a
# write to any of it leaves the version where it was.)
BOOKKEEPING_TABLES = frozenset(
    {
        "processed_events",
        "update_markers",
        "weekly_reports",  # read by SQL on every /status, never from a snapshot
        "share_marks",  # read by SQL into each process's ShareLedger, never from a snapshot
        "outbox",
        "reminder_rounds",
        "question_rounds",
        "report_drafts",
        "conversations",  # a flow's step in progress: read per update, never from a snapshot
        "data_revision",
    }
)


# Columns of read tables that no snapshot reads: an UPDATE setting only these leaves every
# snapshot current. A person's name, username and language are read (the audience, cards,
# digests in their language), so a change of them moves the version; a new or removed person
# moves it too. When they last wrote does not.
BOOKKEEPING_COLUMNS: Mapping[str, frozenset[str]] = {
    "people": frozenset({"seen_at"}),
    "identities": frozenset({"seen_at"}),
}

# History no snapshot shows (a task's history is; a report's or a share's is read on demand).
UNREAD_HISTORY = frozenset({"report", "share"})


def async_url(url: str) -> URL:
    """`sqlite:///data/roadmap.db` -> the same with the async driver; the driver is our business."""
    parsed = make_url(url)
    drivers = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+psycopg",
        "postgresql+psycopg": "postgresql+psycopg",
    }
    return parsed.set(drivername=drivers.get(parsed.drivername, parsed.drivername))


def sync_url(url: str) -> URL:
    """The same database through a plain (sync) driver: pysqlite, psycopg 3 (not psycopg2)."""
    parsed = make_url(url)
    drivers = {
        "sqlite+aiosqlite": "sqlite",
        "postgresql": "postgresql+psycopg",
        "postgresql+psycopg": "postgresql+psycopg",
    }
    return parsed.set(drivername=drivers.get(parsed.drivername, parsed.drivername))


class DatabaseBusy(Exception):
    """Another writer held the database for longer than we agreed to wait (DATABASE_LOCK_WAIT).

    Transient: the unit wrote nothing and may be tried again. The CLI says so in one line and
    exits non-zero; the bot leaves the update unconfirmed so that it is handled again.
    """


def _prepare_sqlite(engine: Engine, begin: str = "BEGIN", busy_timeout_ms: int = 10_000) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks atomic multi-statement
    # writes; SQLAlchemy's documented recipe hands control back to us: autocommit at the
    # driver, an explicit BEGIN whenever SQLAlchemy begins a transaction.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN, begin))


_BEGIN = "roadmap_sqlite_begin"  # an execution option: how this connection's BEGIN reads

# PostgreSQL's answers that mean "another unit was in the way; nothing was written": a
# serialization failure, a deadlock (the server broke it by failing us), a lock wait past
# lock_timeout. A unit that got one may simply be run again.
_PG_RETRYABLE = frozenset({"40001", "40P01", "55P03"})
MIGRATION_LOCK = 0x0EA5_0000  # PostgreSQL's advisory lock held while migrating (`upgrade`)
# A unit of `run` that keeps meeting them is tried at most this many times (within lock_wait).
PG_ATTEMPTS = 8


class Database:
    """An engine and what is done with it as a whole. Built once, in the composition root."""

    def __init__(self, url: str, *, lock_wait: float = BUSY_TIMEOUT_MS / 1000) -> None:
        self.url = async_url(url)
        self.lock_wait = lock_wait  # seconds a writing unit waits for another writer
        self.is_sqlite = self.url.drivername.startswith("sqlite")
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                owner_only(Path(database))
        busy_ms = max(0, round(lock_wait * 1000))
        if self.is_sqlite:
            self.engine = create_async_engine(self.url)
        else:
            # lock_timeout bounds each wait for a row or table lock (0 would mean "forever");
            # the session's time zone is UTC whatever the server's default, as instants are
            # kept in UTC. Startup options rather than SETs: a SET would stick to whichever
            # server connection a pooler lent us (behind PgBouncer, list `options` in its
            # ignore_startup_parameters and set both for the role instead).
            options = f"-c lock_timeout={max(1, busy_ms)} -c timezone=UTC"
            self.engine = create_async_engine(
                self.url,
                connect_args={"options": options},
                pool_pre_ping=True,
                # An INSERT's rowcount tells whether ON CONFLICT DO NOTHING inserted (claims);
                # psycopg's is gone once SQLAlchemy closed the cursor unless kept.
                execution_options={"preserve_rowcount": True},
            )
        self._local_changes = 0
        self._counting = threading.Lock()  # a unit may commit on the database thread
        self._external = 0
        self._checked_at = float("-inf")
        self._checking = asyncio.Lock()
        # This process's writers take the write lock in turn (see `_turn`).
        self._writing: asyncio.Lock | None = None
        self._writing_loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.Task[Any] | None = None
        # Units of work (see `run`): on an SQLite file, plain pysqlite — in place, or on a
        # database thread of ours when one must wait for the lock.
        self._unit_engine: Engine | None = None
        self._unit_thread: ThreadPoolExecutor | None = None
        self._unit_connections: dict[str, Connection] = {}  # see _own_connection
        if self.is_sqlite:
            # A transaction may write unless it says it only reads (see `transaction`): it
            # takes the write lock at BEGIN, waiting out another writer, so it never fails
            # half-way on a snapshot another commit outdated.
            _prepare_sqlite(self.engine.sync_engine, "BEGIN IMMEDIATE", busy_ms)
            if self.url.database and self.url.database != ":memory:":
                self._unit_engine = create_engine(self.url.set(drivername="sqlite"))
                _prepare_sqlite(self._unit_engine, "BEGIN IMMEDIATE", busy_ms)
                self._track_changes(self._unit_engine)
        self._track_changes(self.engine.sync_engine)

    @property
    def shared(self) -> bool:
        """Several processes may use this database at once (PostgreSQL); an SQLite file is one
        process's (the leader lock keeps a second from sending, see `leader_lock`)."""
        return not self.is_sqlite

    def leader_lock(self) -> LeaderLock:
        """The lock whose holder leads (plans rounds, runs the senders; see storage/leader.py):
        PostgreSQL's advisory lock on a connection of its own, or a flock beside the SQLite
        file. Not yet taken."""
        if not self.is_sqlite:
            engine = create_async_engine(
                self.url,
                poolclass=NullPool,  # closing the connection ends the session and the lock
                connect_args={"options": "-c timezone=UTC"},
            )
            return AdvisoryLock(engine)
        database = self.url.database
        if not database or database == ":memory:":
            return AlwaysLeads()
        return FileLock(Path(f"{database}.leader"))

    def _track_changes(self, engine: Engine) -> None:
        @event.listens_for(engine, "after_cursor_execute")
        def _after(
            connection: Connection, _c: Any, _s: Any, _p: Any, context: Any, _m: Any
        ) -> None:
            if not (context.isinsert or context.isupdate or context.isdelete):
                return
            table = getattr(getattr(context.compiled, "statement", None), "table", None)
            name: str = getattr(table, "name", "")
            if name in BOOKKEEPING_TABLES:
                return
            unread = BOOKKEEPING_COLUMNS.get(name) if context.isupdate else None
            if unread is not None:
                sets = _set_columns(context)
                if sets is not None and sets <= unread:
                    return
            if name == "audit_log" and all(
                params.get("subject") in UNREAD_HISTORY for params in context.compiled_parameters
            ):
                return
            connection.info["changed"] = True

        @event.listens_for(engine, "commit")
        def _commit(connection: Connection) -> None:
            if connection.info.pop("changed", False):
                with self._counting:
                    self._local_changes += 1

        @event.listens_for(engine, "rollback")
        def _rollback(connection: Connection) -> None:
            connection.info.pop("changed", None)

    async def version(self, *, max_age: float = 1.0) -> tuple[int, int]:
        """Changes as far as readers care: a snapshot taken at an equal version is current.

        Commits through this object count at once; commits by other processes (the CLI
        importing while the bot runs) are noticed within `max_age` seconds, through the shared
        revision counter that every such commit moves.
        """
        if time.monotonic() - self._checked_at >= max_age:
            async with self._checking:
                if time.monotonic() - self._checked_at >= max_age:
                    async with self.engine.connect() as connection:
                        await connection.execution_options(**{_BEGIN: "BEGIN"})  # a read
                        number = await connection.scalar(
                            select(data_revision.c.number).where(data_revision.c.id == 1)
                        )
                    self._saw_revision(int(number or 0))
                    self._checked_at = time.monotonic()
        return self._local_changes, self._external

    def _saw_revision(self, number: int) -> None:
        # The counter only grows; a read that started before our own commit must not take
        # the version back (and move it twice for one change).
        with self._counting:
            self._external = max(self._external, number)

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        """One unit of work: committed if the block ends normally, rolled back otherwise.

        On SQLite a unit that may write takes the write lock at BEGIN (BEGIN IMMEDIATE),
        waiting up to `lock_wait` for another writer (the CLI importing, the bot's ledger) —
        after its turn among this process's writers (see `_turn`). A deferred BEGIN that
        reads and then writes cannot wait: when another writer committed since its read,
        SQLite fails it at once with «database is locked». `write=False` is for units that
        only read: they read a snapshot and never wait for a writer.

        A wait that runs out raises `DatabaseBusy` (nothing was written). A unit that changed
        what people read also moves the shared revision counter, in the same commit, so
        other processes' snapshots notice (see `version`).
        """
        revision = None
        turn: AbstractAsyncContextManager[None] = (
            self._turn() if write and self.is_sqlite else nullcontext()
        )
        async with turn:
            try:
                async with self.engine.connect() as connection:
                    if not write:
                        await connection.execution_options(**{_BEGIN: "BEGIN"})
                    async with connection.begin():
                        yield connection
                        sync = connection.sync_connection
                        if sync is not None and sync.info.get("changed"):
                            revision = await connection.scalar(_NEXT_REVISION)
            except DBAPIError as error:
                if _busy(error):
                    raise DatabaseBusy(str(error.orig)) from error
                raise
        if revision is not None:  # committed: our own change is seen at once, and once
            self._saw_revision(int(revision))

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This process's writers, one at a time, in the order they came.

        SQLite queues nobody: a connection waiting at BEGIN IMMEDIATE sleeps and tries again,
        ever longer (1, 2, 5 … then every 100 ms), and whoever tries while the lock is free
        gets it. When a burst of our own units wrote side by side (twenty /start at once),
        the early ones, trying every 100 ms, lost every race to the units begun after them
        (each freshly trying after 1 ms), and some waited out the whole `lock_wait` and
        failed busy while the lock changed hands sixty times — no unit holding it long. Here
        they wait in line instead, and at BEGIN only for another process.

        The line is waited in for `lock_wait` at most, then `DatabaseBusy`, as at BEGIN. A
        unit begun inside the task's own unit does not queue behind itself: SQLite decides,
        as it always did (it waits out the lock that task holds, then says busy).
        """
        task = asyncio.current_task()
        if task is not None and task is self._writer:
            yield
            return
        writing = self._writers()
        try:
            async with asyncio.timeout(self.lock_wait):
                await writing.acquire()
        except TimeoutError:
            raise DatabaseBusy("database is locked (by this process's other writers)") from None
        self._writer = task
        try:
            yield
        finally:
            self._writer = None
            writing.release()

    def _writers(self) -> asyncio.Lock:
        """The line of `_turn`, on the running loop (a lock serves one loop; a CLI command
        may run several, one after another)."""
        loop = asyncio.get_running_loop()
        if self._writing is None or self._writing_loop is not loop:
            self._writing, self._writing_loop = asyncio.Lock(), loop
        return self._writing

    async def run(self, work: Callable[[Connection], T]) -> T:
        """One unit of work written in plain (sync) SQLAlchemy: committed if `work` returns,
        rolled back if it raises. `work` must not touch the event loop.

        Through aiosqlite every statement is a trip to its thread and back; a report takes
        eight. On an SQLite file a unit is instead done in place, in plain pysqlite, in about
        half a millisecond — the GIL would hold the loop for its Python part wherever it ran,
        and a thread of its own costs a hop each way (reports end to end: ~470/s through a
        thread, ~700/s in place; benchmarks/bench_reports.py). It never waits in place,
        though: while a coroutine of ours is between two awaits of its transaction, the unit
        waits for its turn (see `_turn`) and then runs in place; while another process holds
        the lock, the unit waits on the database thread, the loop running on.

        On PostgreSQL it runs through the async driver (run_sync), and a unit that another
        one got in the way of (serialization failure, deadlock, a lock wait past
        lock_timeout) is rolled back and run again, a few times within `lock_wait`, then
        `DatabaseBusy`. `work` may therefore run more than once: it must do nothing but
        database work (no messages sent, no outside state changed).
        """
        if not self.is_sqlite:
            return await self._run_retrying(work)
        if self._unit_engine is None:
            async with self.transaction() as connection:
                return await connection.run_sync(work)
        if not self._writers().locked():  # none of ours can begin before this one ends
            begun = self._begin_in_place()
            if begun is not None:
                return self._finish(*begun, work)
        async with self._turn():
            begun = self._begin_in_place()
            if begun is not None:
                return self._finish(*begun, work)
            if self._unit_thread is None:
                self._unit_thread = ThreadPoolExecutor(1, thread_name_prefix="database")
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self._unit_thread, self._run_waiting, work)
            except OperationalError as error:
                if _busy(error):
                    raise DatabaseBusy(str(error.orig)) from error
                raise

    async def _run_retrying(self, work: Callable[[Connection], T]) -> T:
        deadline = time.monotonic() + self.lock_wait
        for attempt in range(1, PG_ATTEMPTS + 1):
            try:
                async with self.transaction() as connection:
                    return await connection.run_sync(work)
            except DatabaseBusy:
                left = deadline - time.monotonic()
                if attempt == PG_ATTEMPTS or left <= 0:
                    raise
                # Apart, at random, so that the units that met do not meet again.
                await asyncio.sleep(min(left, random.uniform(0, 0.01 * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover

    def _own_connection(self, owner: str, *, wait: bool) -> Connection:
        """The connection kept for units run by `owner` (the loop, the thread): no pool
        checkout and reset per unit. One that must not wait gives up on a held lock at once."""
        assert self._unit_engine is not None
        connection = self._unit_connections.get(owner)
        if connection is None or connection.closed:
            connection = self._unit_engine.connect()
            if not wait:  # on the driver: through SQLAlchemy a PRAGMA would begin a unit
                driver = connection.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA busy_timeout=0")
            self._unit_connections[owner] = connection
        return connection

    def _begin_in_place(self) -> tuple[Connection, RootTransaction] | None:
        connection = self._own_connection("loop", wait=False)
        try:
            return connection, connection.begin()  # BEGIN IMMEDIATE: the write lock, or busy
        except OperationalError as error:
            if _busy(error):
                return None
            raise

    def _run_waiting(self, work: Callable[[Connection], T]) -> T:
        connection = self._own_connection("thread", wait=True)
        return self._finish(connection, connection.begin(), work)

    def _finish(
        self, connection: Connection, transaction: RootTransaction, work: Callable[[Connection], T]
    ) -> T:
        revision = None
        with transaction:
            result = work(connection)
            if connection.info.get("changed"):
                revision = connection.scalar(_NEXT_REVISION)
        if revision is not None:
            self._saw_revision(int(revision))
        return result

    def _close_units(self, owner: str) -> None:
        connection = self._unit_connections.pop(owner, None)
        if connection is not None:
            connection.close()

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent; run on every start).

        Every process starts with this: when the schema is current it only reads, so a
        `status` does not wait for the write lock an import holds."""
        async with self.engine.connect() as connection:
            await connection.execution_options(**{_BEGIN: "BEGIN"})
            async with connection.begin():
                if await connection.run_sync(_at_head):
                    return
        async with self.engine.begin() as connection:  # BEGIN IMMEDIATE: one migrator
            if not self.is_sqlite:  # PostgreSQL: one migrator at a time, by an advisory lock
                await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                if await connection.run_sync(_at_head):  # another one got there first
                    return
            await connection.run_sync(_upgrade)

    async def dispose(self) -> None:
        self._close_units("loop")
        if self._unit_thread is not None:
            # The unit thread's connection is closed where it was used.
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._unit_thread, self._close_units, "thread")
            self._unit_thread.shutdown()
            self._unit_thread = None
        if self._unit_engine is not None:
            self._unit_engine.dispose()
        await self.engine.dispose()


def _set_columns(context: Any) -> frozenset[str] | None:
    """The columns an UPDATE sets, or None when that cannot be told (then it counts as a
    change): those given to `.values()`, those named by the execution's parameters (SQLAlchemy
    sets a column for each), and any with an `onupdate` default."""
    statement = context.compiled.statement
    given = getattr(statement, "_ordered_values", None) or getattr(statement, "_values", None)
    keys = context.compiled.column_keys
    if not given and not keys:
        return None  # no values at all: SQLAlchemy would set every column
    table = statement.table
    names = {key if isinstance(key, str) else key.key for key in dict(given or ())}
    names.update(key for key in keys or () if key in table.c)
    names.update(column.key for column in table.c if column.onupdate is not None)
    return frozenset(names)


def owner_only(path: Path) -> None:
    """Personal data: the file (created if need be) is readable by its owner alone (0600).
    SQLite gives its -wal and -shm files the database file's permissions."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)


def _busy(error: DBAPIError) -> bool:
    """Another unit was in the way and nothing was written: SQLite said another connection
    holds the lock (SQLITE_BUSY or one of its kinds), PostgreSQL a serialization failure, a
    deadlock or a lock wait past lock_timeout."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return getattr(error.orig, "sqlstate", None) in _PG_RETRYABLE


_NEXT_REVISION = (
    data_revision.update()
    .where(data_revision.c.id == 1)
    .values(number=data_revision.c.number + 1)
    .returning(data_revision.c.number)
)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _at_head(connection: Connection) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()) == heads


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
