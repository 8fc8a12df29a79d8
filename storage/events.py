"""Events claimed in the database before they are handled, so that several processes sharing
it handle each once (see bot/services/updates.py, which decides when to ask).

A claim is a row of processed_events whose `claimed_by` names the holder (a process's ledger)
and whose `processed_at` says since when; marked handled, `claimed_by` is NULL and
`processed_at` says when. A claim older than a lease whose holder never marked it (the process
died) may be taken over; a failed one is deleted, so that the redelivery is handled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.channels import EventKey
from storage.tables import processed_events

_EVENTS = processed_events.c


def _claim(dialect: str) -> Any:
    # New, or in hand by a claim older than the lease: one statement either way. A handled
    # row (claimed_by NULL) or a live claim is left alone, and nothing is counted.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(processed_events)
    return statement.on_conflict_do_update(
        index_elements=[_EVENTS.channel, _EVENTS.event_key],
        set_={
            "claimed_by": statement.excluded.claimed_by,
            "processed_at": statement.excluded.processed_at,
        },
        where=and_(
            _EVENTS.claimed_by.is_not(None),
            _EVENTS.processed_at < bindparam("stale", type_=_EVENTS.processed_at.type),
        ),
    )


_CLAIMS: dict[str, Any] = {}


async def claim(
    connection: AsyncConnection, event: EventKey, holder: str, now: datetime, stale: datetime
) -> bool:
    """Claim the event for `holder`: True if it was new, or in hand by a claim made before
    `stale` (taken over); False if it was handled or is in hand by a live claim."""
    dialect = connection.dialect.name
    statement = _CLAIMS.get(dialect)
    if statement is None:
        statement = _CLAIMS[dialect] = _claim(dialect)
    result = await connection.execute(
        statement,
        {
            "channel": event.channel,
            "event_key": event.key,
            "processed_at": now,
            "claimed_by": holder,
            "stale": stale,
        },
    )
    return bool(result.rowcount == 1)


def _held(event: EventKey, holder: str) -> Any:
    return and_(
        _EVENTS.channel == event.channel,
        _EVENTS.event_key == event.key,
        _EVENTS.claimed_by == holder,
    )


async def mark_handled(
    connection: AsyncConnection, event: EventKey, holder: str, now: datetime
) -> None:
    """The event was handled: no longer in hand. (If the effects' claim already marked it, or
    another process took the claim over, there is nothing of ours left to mark.)"""
    await connection.execute(
        update(processed_events)
        .where(_held(event, holder))
        .values(claimed_by=None, processed_at=now)
    )


async def release(connection: AsyncConnection, event: EventKey, holder: str) -> None:
    """Handling failed: the claim goes, so the redelivery is handled (by whichever process)."""
    await connection.execute(delete(processed_events).where(_held(event, holder)))
