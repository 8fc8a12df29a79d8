"""An update is handled once across processes: two ledgers ("processes") over one database,
each claiming in the database before handling (as on PostgreSQL, where several webhook
processes share it; run here on SQLite too, through `shared=True`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.channels import EventKey
from bot.services.clock import FixedClock
from bot.services.updates import CLAIM_LEASE, UpdateLedger
from storage.db import Database
from storage.people import claim_event
from storage.tables import processed_events

UPDATE = EventKey.telegram(1001)


@pytest.fixture
async def other(database_url: str, database: Database) -> AsyncIterator[Database]:
    """A second process's own engine over the same database."""
    second = Database(database_url)
    yield second
    await second.dispose()


def ledgers(first: Database, second: Database, clock: FixedClock) -> tuple[UpdateLedger, ...]:
    return (
        UpdateLedger(first, clock, shared=True, holder="process-a"),
        UpdateLedger(second, clock, shared=True, holder="process-b"),
    )


async def rows(database: Database) -> list[tuple[str, str, str | None]]:
    async with database.transaction(write=False) as connection:
        result = await connection.execute(
            select(
                processed_events.c.channel,
                processed_events.c.event_key,
                processed_events.c.claimed_by,
            )
        )
        return [tuple(row) for row in result]


def test_claims_are_made_where_several_processes_share_the_database(
    database: Database, clock: FixedClock
) -> None:
    assert UpdateLedger(database, clock).shared == (not database.is_sqlite)


async def test_an_update_handled_by_one_process_is_skipped_by_the_other(
    database: Database, other: Database, clock: FixedClock
) -> None:
    a, b = ledgers(database, other, clock)
    async with a.handling(UPDATE) as first:
        assert first
    assert await rows(database) == [("telegram", "1001", None)]  # handled, held by nobody
    clock.advance(CLAIM_LEASE * 2)
    async with b.handling(UPDATE) as again:
        assert not again
    async with a.handling(UPDATE) as again:
        assert not again


async def test_an_update_in_hand_in_one_process_is_skipped_by_the_other(
    database: Database, other: Database, clock: FixedClock
) -> None:
    a, b = ledgers(database, other, clock)
    handled = []
    async with a.handling(UPDATE) as first:
        assert first
        assert await rows(other) == [("telegram", "1001", "process-a")]
        clock.advance(CLAIM_LEASE / 2)  # a slow handler, well within the lease
        async with b.handling(UPDATE) as copy:
            assert not copy
        handled.append("a")
    async with b.handling(UPDATE) as copy:
        assert not copy
    assert handled == ["a"]


async def test_a_claim_whose_process_died_is_taken_over_after_the_lease(
    database: Database, other: Database, clock: FixedClock
) -> None:
    a, b = ledgers(database, other, clock)
    handling = a.handling(UPDATE)
    assert await handling.__aenter__()  # a claims it, and dies: never marked, never released
    clock.advance(CLAIM_LEASE - timedelta(seconds=1))
    async with b.handling(UPDATE) as early:
        assert not early
    clock.advance(timedelta(seconds=2))
    async with b.handling(UPDATE) as late:
        assert late
        assert await rows(database) == [("telegram", "1001", "process-b")]
    assert await rows(database) == [("telegram", "1001", None)]
    async with b.handling(UPDATE) as again:
        assert not again


async def test_a_failed_update_releases_its_claim_so_the_redelivery_is_handled(
    database: Database, other: Database, clock: FixedClock
) -> None:
    a, b = ledgers(database, other, clock)

    async def handler_breaks() -> None:
        async with a.handling(UPDATE) as first:
            assert first
            raise RuntimeError("the handler broke")

    with pytest.raises(RuntimeError):
        await handler_breaks()
    assert await rows(database) == []
    async with b.handling(UPDATE) as redelivered:  # at once, on the other process
        assert redelivered
    assert await rows(other) == [("telegram", "1001", None)]


async def test_effects_claimed_in_hand_are_stored_once_and_the_update_counts_handled(
    database: Database, other: Database, clock: FixedClock
) -> None:
    """A handler claims its event with its effects (a report, a comment): on PostgreSQL the
    row the ledger holds is taken as the effects' claim, once."""
    if database.is_sqlite:
        pytest.skip("on SQLite the ledger claims nothing in the database (one process)")
    a, b = ledgers(database, other, clock)
    async with a.handling(UPDATE) as first:
        assert first
        now = clock.now()
        assert await database.run(lambda connection: claim_event(connection, UPDATE, now))
        assert not await other.run(lambda connection: claim_event(connection, UPDATE, now))
    assert await rows(database) == [("telegram", "1001", None)]
    async with b.handling(UPDATE) as again:
        assert not again
