"""The backends a benchmark runs on: SQLite (a file in a temporary directory) always, and
PostgreSQL when a server answers at `--postgres URL` (a scratch database `bench_…` created for
the run and dropped after it, whatever happened). Not a benchmark itself: imported by
bench_reports.py and bench_status_scale.py."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import make_url

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1/postgres"


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        metavar="URL",
        help=(
            "a PostgreSQL server to run on beside SQLite (a database bench_… is created there "
            f"and dropped after the run; default {DEFAULT_POSTGRES}); 'none' for SQLite only"
        ),
    )


def plain(url: str) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_answers(url: str) -> str | None:
    """None when the server at `url` answers; otherwise why not, in one line."""
    if url.lower() in ("", "none", "off"):
        return "not asked for (--postgres none)"
    try:
        with psycopg.connect(plain(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except (psycopg.Error, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no server answers at {make_url(url).render_as_string()}: {first}"
    return None


@contextmanager
def sqlite_database(directory: Path | None = None) -> Iterator[str]:
    """A fresh SQLite file, as DATABASE_URL."""
    if directory is not None:
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    with tempfile.TemporaryDirectory() as made:
        yield f"sqlite:///{Path(made) / 'bench.db'}"


@contextmanager
def postgres_database(server: str, purpose: str) -> Iterator[str]:
    """A fresh database `bench_<purpose>_<pid>` on `server`, as DATABASE_URL; dropped after."""
    name = f"bench_{purpose}_{os.getpid()}"
    admin = plain(server)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def backend_name(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"
