"""Copying a whole database into an empty one: SQLite to PostgreSQL, back, or file to file.

Plain SQLAlchemy Core over the sync drivers (pysqlite, psycopg), table by table in foreign-key
order, in batches: a region's database (a million rows of reports and outbox) never sits in
memory. The source is read in one snapshot; the target is written in one transaction, so a copy
that fails leaves the target as empty as it was. Before anything is written the copy is
refused, changing nothing, when the URLs are not ours, name the same database, the source is
not at the newest migration, or the target already holds data.

The target is migrated by the caller first (`Database.upgrade`), as every process does on start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    Table,
    bindparam,
    create_engine,
    event,
    false,
    func,
    inspect,
    make_url,
    or_,
    select,
    table,
)
from sqlalchemy import Sequence as NamedSequence
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from storage.db import _prepare_sqlite, alembic_config
from storage.db import sync_url as plain_driver
from storage.tables import data_revision, metadata

BATCH = 2000  # rows read and written at a time
SCHEMES = ("sqlite", "postgresql")
# Rows the migrations write themselves: a freshly migrated target has them and is still empty.
SEEDED = frozenset({data_revision.name})
ALEMBIC = "alembic_version"


class CopyRefused(Exception):
    """Nothing was copied, and neither database was changed; `reason` says why (the CLI's
    texts are `copy.<reason>`), `details` fill the sentence."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason, details)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Copied:
    """Rows per table as read from the source (foreign-key order), and any table whose count
    the target does not match after the commit (table, source rows, target rows)."""

    tables: tuple[tuple[str, int], ...]
    mismatched: tuple[tuple[str, int, int], ...] = field(default=())

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self.tables)


def sync_url(url: str) -> URL:
    """The URL with the sync driver we use (pysqlite, psycopg); CopyRefused for another scheme."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CopyRefused("scheme", url=url) from None
    scheme = parsed.drivername.partition("+")[0]
    if scheme not in SCHEMES:
        raise CopyRefused("scheme", url=shown(url))
    return plain_driver(parsed.set(drivername=scheme).render_as_string(hide_password=False))


def shown(url: str | URL) -> str:
    """The URL without its password."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return str(url)
    scheme = parsed.drivername.partition("+")[0]  # as people write it: the driver is ours
    return parsed._replace(password=None, drivername=scheme).render_as_string(hide_password=False)


def _where(url: URL) -> tuple[object, ...]:
    """What names the database itself, whatever the spelling of its URL."""
    if url.drivername.startswith("sqlite"):
        database = url.database or ":memory:"
        return ("sqlite", database if database == ":memory:" else str(Path(database).resolve()))
    return ("postgresql", url.host or "localhost", url.port or 5432, url.database)


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not url.drivername.startswith("sqlite") or not database or database == ":memory:":
        return None
    return Path(database)


@contextmanager
def _engine(url: URL, *, write: bool) -> Iterator[Engine]:
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        raise CopyRefused("driver", url=shown(url), detail=str(error)) from None
    if url.drivername.startswith("sqlite"):
        if write:  # as the bot writes it: the write lock taken at BEGIN, foreign keys checked
            _prepare_sqlite(engine, "BEGIN IMMEDIATE")
        else:  # a read changes nothing, not even the journal mode
            _read_sqlite(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _read_sqlite(engine: Engine) -> None:
    # pysqlite would run the reads outside any transaction; one BEGIN makes one snapshot.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def _connected(engine: Engine, url: URL) -> Iterator[Connection]:
    try:
        connection = engine.connect()
    except DatabaseError as error:
        raise CopyRefused("unreachable", url=shown(url), detail=_first_line(error)) from None
    with connection:
        yield connection


def _first_line(error: DatabaseError) -> str:
    return str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else str(error)


def _revisions(connection: Connection) -> tuple[set[str], set[str]]:
    """(the database's migrations, the newest ones this program knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()), heads


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def check(source: str, target: str) -> tuple[URL, URL]:
    """Refuse (CopyRefused) anything but a copy from one of our databases, at the newest
    migration, into another database that holds no data. Changes nothing."""
    source_url, target_url = sync_url(source), sync_url(target)
    if _where(source_url) == _where(target_url):
        raise CopyRefused("same", url=shown(source_url))
    if target_url.drivername.startswith("sqlite") and _sqlite_path(target_url) is None:
        raise CopyRefused("memory", url=shown(target_url))  # gone when the copy ends
    path = _sqlite_path(source_url)
    if source_url.drivername.startswith("sqlite") and (path is None or not path.is_file()):
        raise CopyRefused("no_source", url=shown(source_url))
    with _engine(source_url, write=False) as engine, _connected(engine, source_url) as read:
        try:
            with read.begin():
                current, heads = _revisions(read)
        except DatabaseError as error:  # not a database at all (a stray file)
            raise CopyRefused(
                "not_ours", url=shown(source_url), detail=_first_line(error)
            ) from None
    if not current:
        raise CopyRefused("not_ours", url=shown(source_url), detail=f"no {ALEMBIC}")
    if current != heads:
        newer = not all(_known(revision) for revision in current)
        raise CopyRefused(
            "source_ahead" if newer else "source_behind",
            url=shown(source_url),
            source=", ".join(sorted(current)),
            head=", ".join(sorted(heads)),
            database_url=shown(source),
        )
    target_path = _sqlite_path(target_url)
    if target_path is not None and not target_path.exists():
        return source_url, target_url  # a new file: nothing in it
    with _engine(target_url, write=False) as engine, _connected(engine, target_url) as write:
        try:
            with write.begin():
                _refuse_data(write, target_url)
        except DatabaseError as error:
            raise CopyRefused(
                "not_ours", url=shown(target_url), detail=_first_line(error)
            ) from None
    return source_url, target_url


def _refuse_data(connection: Connection, url: URL) -> None:
    """CopyRefused when the target holds a row anywhere (the migrations' own rows aside), or
    was migrated by a newer roadmap-bot than this one."""
    names = inspect(connection).get_table_names()
    if ALEMBIC in names:
        current, _ = _revisions(connection)
        unknown = sorted(revision for revision in current if not _known(revision))
        if unknown:
            raise CopyRefused("target_ahead", url=shown(url), target=", ".join(unknown))
    for name in sorted(names):
        if name in SEEDED or name == ALEMBIC:
            continue
        rows = connection.scalar(select(func.count()).select_from(table(name)))
        if rows:
            raise CopyRefused("target_not_empty", url=shown(url), table=name, rows=rows)


def copy(
    source_url: URL,
    target_url: URL,
    *,
    batch: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> Copied:
    """Copy every table of the schema from source to target (both at the newest migration, the
    target empty: see `check`), in one transaction on the target; PostgreSQL's sequences then
    continue after the highest id copied. Counts are compared after the commit. `progress`
    hears each table's rows as it is written (not yet committed)."""
    with (
        _engine(source_url, write=False) as source_engine,
        _engine(target_url, write=True) as target_engine,
        _connected(source_engine, source_url) as read,
        _connected(target_engine, target_url) as write,
    ):
        if not source_url.drivername.startswith("sqlite"):  # one snapshot of every table
            read = read.execution_options(isolation_level="REPEATABLE READ")
        with read.begin():
            counted: list[tuple[str, int]] = []
            with write.begin():
                _refuse_data(write, target_url)  # still empty, now under the write lock
                for name in SEEDED:
                    write.execute(metadata.tables[name].delete())
                for each in metadata.sorted_tables:
                    counted.append((each.name, _copy_table(read, write, each, batch)))
                    if progress is not None:
                        progress(*counted[-1])
                if write.dialect.name == "postgresql":
                    _continue_sequences(write)
            mismatched = []
            for name, rows in counted:
                there = write.scalar(select(func.count()).select_from(metadata.tables[name]))
                if there != rows:
                    mismatched.append((name, rows, int(there or 0)))
    return Copied(tuple(counted), tuple(mismatched))


def _copy_table(read: Connection, write: Connection, each: Table, batch: int) -> int:
    """Stream the table across; returns the rows copied. A column pointing into its own table
    (an organisation's parent) is written empty first and filled in after every row is there,
    whichever order its rows come in."""
    later = [fk.parent for fk in each.foreign_keys if fk.column.table is each]
    key = list(each.primary_key.columns)
    rows = 0
    result = read.execution_options(yield_per=batch).execute(select(each).order_by(*key))
    for part in result.partitions():
        chunk = [dict(row._mapping) for row in part]
        for row in chunk:
            for column in later:
                row[column.key] = None
        write.execute(each.insert(), chunk)
        rows += len(chunk)
    if later:
        _fill_in(read, write, each, key, later, batch)
    return rows


def _fill_in(
    read: Connection,
    write: Connection,
    each: Table,
    key: Sequence[Column[object]],
    later: Sequence[Column[object]],
    batch: int,
) -> None:
    update = each.update().where(*(column == bindparam(f"k_{column.key}") for column in key))
    update = update.values({column.key: bindparam(f"v_{column.key}") for column in later})
    query = select(*key, *later).where(or_(*(column.is_not(None) for column in later)))
    result = read.execution_options(yield_per=batch).execute(query)
    for part in result.partitions():
        write.execute(
            update,
            [
                {f"k_{c.key}": row._mapping[c.key] for c in key}
                | {f"v_{c.key}": row._mapping[c.key] for c in later}
                for row in part
            ],
        )


def _continue_sequences(write: Connection) -> None:
    """Every sequence behind an integer column of ours (serial or identity) continues after
    the highest value copied, so that the next row the bot writes does not collide."""
    for each in metadata.sorted_tables:
        for column in each.columns:
            if not isinstance(column.type, Integer):
                continue
            # A sequence the schema names (a person's number, say), or one PostgreSQL made.
            named = column.default.name if isinstance(column.default, NamedSequence) else None
            sequence = named or write.scalar(
                select(func.pg_get_serial_sequence(each.name, column.name))
            )
            if sequence is None:
                continue
            highest = select(func.max(column)).scalar_subquery()
            write.execute(select(func.setval(sequence, func.coalesce(highest, 0) + 1, false())))
