"""Which database the tests run on, and a fresh one for each test.

SQLite by default: a file in the test's tmp_path, nothing to set up. With TEST_DATABASE_URL
(`postgresql://postgres@127.0.0.1/postgres`: a server and a database to connect to for
administration) every test gets a PostgreSQL database of its own, at the newest migration:

- once a session, a template database is migrated to head;
- a test takes a database from a pool, made from the template when the pool is empty
  (CREATE DATABASE … TEMPLATE, ~0.15 s);
- after the test its rows are deleted and its sequences restarted (one round trip, ~0.05 s),
  and it goes back to the pool: creating and dropping one per test costs a checkpoint each,
  ~0.7 s on a 2-core machine, too slow for a thousand tests;
- a test that needs a database with no schema at all (migrations from an older revision) gets
  a blank one (`blank_database_url`), dropped afterwards.

Everything the session made is named rbt_<pid>_… and dropped at its end; databases left by a
session that died are dropped by the next one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRESQL = TEST_DATABASE_URL.startswith("postgresql")


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """For a test about SQLite itself (its file, its write lock): skipped on PostgreSQL."""
    return pytest.mark.skipif(ON_POSTGRESQL, reason=f"SQLite only: {reason}")


def _admin_dsn(database: str | None = None) -> str:
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _connect(database: str | None = None) -> Any:
    import psycopg

    return psycopg.connect(_admin_dsn(database), autocommit=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PostgresDatabases:
    """The session's PostgreSQL databases (see the module's docstring)."""

    def __init__(self) -> None:
        self.prefix = f"rbt_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._free: list[str] = []
        self._all: list[str] = []
        self._numbers = count(1)
        self._admin = _connect()
        self._drop_abandoned()
        self._admin.execute(f'CREATE DATABASE "{self.template}"')
        self._migrate(self.template)
        with _connect(self.template) as connection:
            self._head = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            self._tables = [
                name
                for (name,) in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            ]
            self._sequences = [
                name
                for (name,) in connection.execute(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                )
            ]
            self._seed = connection.execute("SELECT id, number FROM data_revision").fetchall()
        self._admin.execute(f'ALTER DATABASE "{self.template}" WITH ALLOW_CONNECTIONS false')

    def _drop_abandoned(self) -> None:
        names = self._admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'rbt\\_%'"
        ).fetchall()
        for (name,) in names:
            pid = name.split("_")[1]
            if pid.isdigit() and not _alive(int(pid)):
                self._drop(name)

    def _drop(self, name: str) -> None:
        self._admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    def _migrate(name: str) -> None:
        from storage.db import Database

        async def upgrade() -> None:
            database = Database(url_of(name))
            await database.upgrade()
            await database.dispose()

        asyncio.run(upgrade())

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """A database at head with no rows but the migrations' own; its URL."""
        if self._free:
            name = self._free.pop()
        else:
            name = f"{self.prefix}_{next(self._numbers)}"
            self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self._all.append(name)
        try:
            yield url_of(name)
        finally:
            if self._reset(name):
                self._free.append(name)
            else:
                self._all.remove(name)
                self._drop(name)

    @contextmanager
    def blank(self) -> Iterator[str]:
        """An empty database (no tables); dropped afterwards."""
        name = f"{self.prefix}_blank_{next(self._numbers)}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url_of(name)
        finally:
            self._drop(name)

    def _reset(self, name: str) -> bool:
        """Back to as the template was; False when the test changed the schema."""
        self._admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        from storage.tables import metadata

        with _connect(name) as connection:
            try:
                head = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            except Exception:
                return False
            if head != self._head:
                return False
            tables = [t.name for t in reversed(metadata.sorted_tables)]
            if sorted(tables) != sorted(self._tables):
                return False
            statements = [f'DELETE FROM "{table}"' for table in tables]
            statements += [f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in self._sequences]
            statements += [
                f"INSERT INTO data_revision (id, number) VALUES ({id_}, {number})"
                for id_, number in self._seed
            ]
            with connection.transaction():
                connection.execute("; ".join(statements))
        return True

    def close(self) -> None:
        for name in [*self._all, self.template]:
            self._drop(name)
        self._admin.close()


def url_of(name: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def sqlite_url(tmp_path: Path, name: str = "roadmap.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def cli_rows(sql: str) -> list[tuple[Any, ...]]:
    """Rows of the database a CLI test's commands use: DATABASE_URL, else the default
    (data/roadmap.db in the working directory)."""
    from sqlalchemy import create_engine, text

    from storage.db import sync_url

    engine = create_engine(sync_url(os.environ.get("DATABASE_URL") or "sqlite:///data/roadmap.db"))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def cli_tables() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a CLI test's database, to compare before and after."""
    from sqlalchemy import create_engine, inspect, text

    from storage.db import sync_url

    engine = create_engine(sync_url(os.environ.get("DATABASE_URL") or "sqlite:///data/roadmap.db"))
    try:
        with engine.connect() as connection:
            return {
                table: sorted(
                    (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}"'))),
                    key=repr,
                )
                for table in inspect(connection).get_table_names()
            }
    finally:
        engine.dispose()
