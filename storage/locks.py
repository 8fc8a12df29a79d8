"""Row locks that serialise a unit which reads, checks, then writes.

On SQLite a writing unit holds the database's write lock from BEGIN (BEGIN IMMEDIATE), so
what it read stays true until it commits, and nothing here runs. On PostgreSQL (READ
COMMITTED) two units may read the same rows side by side and each decide on what it read:
a unit that is about to decide first locks the row its decision hangs on (the organisation
whose reports it closes and inserts, the task whose shares it marks, the person it binds).
Another unit deciding on the same row waits for it to commit, and then reads what it wrote
(each statement at READ COMMITTED sees what was committed before it began).

FOR NO KEY UPDATE, not FOR UPDATE: the lock keeps other deciders out, yet does not hold up
an insert elsewhere whose foreign key points at the row (that takes FOR KEY SHARE). Rows
are locked in the order of their ids, so two units locking several never wait on each other
in a circle (and if they ever did, `Database.run` runs the one the server failed again).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

_STATEMENTS: dict[str, Select[tuple[int]]] = {}


def _statement(table: Table) -> Select[tuple[int]]:
    statement = _STATEMENTS.get(table.name)
    if statement is None:
        statement = (
            select(table.c.id)
            .where(table.c.id.in_(bindparam("ids", expanding=True)))
            .order_by(table.c.id)
            .with_for_update(key_share=True)
        )
        _STATEMENTS[table.name] = statement
    return statement


def _wanted(connection: Connection | AsyncConnection, ids: Iterable[int]) -> list[int]:
    if connection.dialect.name == "sqlite":  # the unit holds the write lock already
        return []
    return sorted(set(ids))


async def lock_rows(connection: AsyncConnection, table: Table, ids: Iterable[int]) -> None:
    """Lock these rows of `table` (by id) until the caller's transaction ends (PostgreSQL)."""
    wanted = _wanted(connection, ids)
    if wanted:
        await connection.execute(_statement(table), {"ids": wanted})


def lock_rows_sync(connection: Connection, table: Table, ids: Iterable[int]) -> None:
    """`lock_rows` inside a plain (sync) unit of `Database.run`."""
    wanted = _wanted(connection, ids)
    if wanted:
        connection.execute(_statement(table), {"ids": wanted})
