"""The outbox store: idempotent planning, superseding, atomic claims, leases, who may end a row."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

from storage.db import Database
from storage.outbox import NewMessage, OutboxStore, stale_reason
from tests.delivery.conftest import NOW
from tests.delivery.support import ROUND, all_rows, counts, messages, plan

LEASE = timedelta(seconds=60)


async def claim(
    database: Database, worker: str, *, at: timedelta = timedelta(0), limit: int = 100
) -> list[int]:
    async with database.transaction() as connection:
        rows = await OutboxStore(connection).claim(worker, NOW + at, LEASE, limit)
    return [row.id for row in rows]


async def test_planning_twice_inserts_nothing_twice(db: Database) -> None:
    planned = messages([1, 2, 3], NOW)
    assert await plan(db, planned, NOW) == 3
    assert await plan(db, planned, NOW) == 0
    assert await plan(db, [*planned, planned[0]], NOW) == 0
    assert await plan(db, messages([3, 4, 4], NOW), NOW) == 1
    rows = await all_rows(db)
    assert [(row.chat_id, row.status, row.attempts) for row in rows] == [
        (1, "pending", 0),
        (2, "pending", 0),
        (3, "pending", 0),
        (4, "pending", 0),
    ]
    assert rows[0].payload == "hello 1"
    assert rows[0].not_before == NOW
    assert rows[0].created_at == NOW
    assert rows[0].round == ROUND
    assert (await counts(db))["pending"] == 4


async def test_a_newer_round_supersedes_what_is_still_pending(db: Database) -> None:
    older, newer = ROUND, ROUND + timedelta(days=1)
    await plan(db, messages([1, 2], NOW, round_=older), NOW)
    await plan(db, messages([1], NOW, kind="escalation", round_=older), NOW)
    [first, _] = await claim(db, "w", limit=2)  # chat 1's digest is being sent
    async with db.transaction() as connection:
        assert await OutboxStore(connection).mark_sent(first, 77, NOW, worker="w")

    assert await plan(db, messages([1, 2], NOW, round_=newer), NOW) == 2
    by_key = {(row.chat_id, row.kind, row.round): row for row in await all_rows(db)}
    assert by_key[(1, "digest", older)].status == "sent"  # already out: left alone
    assert by_key[(2, "digest", older)].status == "sending"  # in flight: left alone
    assert by_key[(1, "escalation", older)].status == "pending"  # another kind
    assert by_key[(1, "digest", newer)].status == "pending"

    await plan(db, messages([3], NOW, round_=older), NOW)
    await plan(db, messages([3], NOW, round_=newer), NOW)
    stale = {(r.chat_id, r.round): r for r in await all_rows(db)}[(3, older)]
    assert stale.status == "superseded"
    assert stale.reason == f"superseded by the round of {newer.isoformat()}"

    # A round older than one already planned arrives late: kept, but never sent.
    assert await plan(db, messages([1], NOW, round_=older - timedelta(days=1)), NOW) == 1
    late = {(r.chat_id, r.kind, r.round): r for r in await all_rows(db)}[
        (1, "digest", older - timedelta(days=1))
    ]
    assert late.status == "superseded"
    assert late.reason == f"superseded by the round of {newer.isoformat()}"


def digest(chat: int, round_: date, *lines: tuple[int, str, int]) -> NewMessage:
    """A digest as the planner writes it: lines of (task, reason, days)."""
    payload = {
        "roadmap": 1,
        "language": "ru",
        "lines": [
            {"task": task, "reason": reason, "day": round_.isoformat(), "days": days}
            for task, reason, days in lines
        ],
    }
    return NewMessage(chat, chat, "digest:1", round_, json.dumps(payload), NOW)


def said(payload: str) -> list[tuple[int, str, int]]:
    return [(line["task"], line["reason"], line["days"]) for line in json.loads(payload)["lines"]]


async def test_superseding_folds_the_older_rounds_lines_into_the_new_one(db: Database) -> None:
    first, second, third = ROUND, ROUND + timedelta(days=1), ROUND + timedelta(days=2)
    await plan(db, [digest(1, first, (1, "due", 0), (2, "overdue", 3))], NOW)
    await plan(db, [digest(2, first, (1, "due", 0))], NOW)
    first_ids = await claim(db, "w")
    async with db.transaction() as connection:  # chat 2 heard its digest; chat 1 did not
        store = OutboxStore(connection)
        assert await store.mark_sent(first_ids[1], 5, NOW, worker="w")
        assert await store.release("w", [first_ids[0]]) == 1

    await plan(db, [digest(1, second, (2, "overdue", 4), (3, "due", 0))], NOW)
    await plan(db, [digest(2, second, (3, "due", 0))], NOW)
    rows = {(row.chat_id, row.round): row for row in await all_rows(db)}
    # The new round's own lines first (its count of days wins), then what only the old said.
    assert said(rows[(1, second)].payload) == [(2, "overdue", 4), (3, "due", 0), (1, "due", 0)]
    assert json.loads(rows[(1, second)].payload)["language"] == "ru"
    assert (rows[(1, first)].status, rows[(1, first)].reason) == (
        "superseded",
        f"superseded by the round of {second.isoformat()}",
    )
    assert said(rows[(2, second)].payload) == [(3, "due", 0)]  # what was sent is not repeated

    # Folded rows fold on: the third round carries the first's lines through the second's.
    await plan(db, [digest(1, third, (2, "overdue", 5))], NOW)
    rows = {(row.chat_id, row.round): row for row in await all_rows(db)}
    assert said(rows[(1, third)].payload) == [(2, "overdue", 5), (3, "due", 0), (1, "due", 0)]


async def test_a_stale_row_is_folded_into_the_next_round_once(db: Database) -> None:
    first, second, third = ROUND, ROUND + timedelta(days=1), ROUND + timedelta(days=2)
    await plan(db, [digest(1, first, (1, "due", 0)), digest(2, first, (2, "due", 0))], NOW)
    await plan(db, messages([1], NOW, kind="ask:7", round_=first), NOW)
    ended = {}
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        for row in await store.claim("w", NOW, LEASE, 10):
            ended[(row.chat_id, row.kind)] = row.id
        stale = stale_reason(first, "Bad Gateway")
        assert stale.startswith("stale")
        assert await store.mark_failed(ended[(1, "digest:1")], stale, NOW, worker="w")
        assert await store.mark_failed(
            ended[(2, "digest:1")], "forbidden: blocked", NOW, worker="w"
        )
        assert await store.mark_failed(ended[(1, "ask:7")], stale, NOW, worker="w")

    await plan(db, [digest(1, second, (3, "due", 0)), digest(2, second, (3, "due", 0))], NOW)
    await plan(db, messages([1], NOW, kind="ask:7", round_=second), NOW)
    rows = {(row.chat_id, row.kind, row.round): row for row in await all_rows(db)}
    assert said(rows[(1, "digest:1", second)].payload) == [(3, "due", 0), (1, "due", 0)]
    assert rows[(1, "digest:1", first)].status == "superseded"  # heard now: not folded again
    assert said(rows[(2, "digest:1", second)].payload) == [(3, "due", 0)]  # not stale: left
    assert rows[(2, "digest:1", first)].status == "failed"
    assert (rows[(1, "ask:7", first)].status, rows[(1, "ask:7", first)].reason) == (
        "failed",
        stale,
    )  # no lines to fold: it stays what it was
    assert rows[(1, "ask:7", second)].payload == "hello 1"

    await plan(db, [digest(1, third, (3, "due", 0))], NOW)
    rows = {(row.chat_id, row.kind, row.round): row for row in await all_rows(db)}
    assert said(rows[(1, "digest:1", third)].payload) == [(3, "due", 0), (1, "due", 0)]


async def test_postponing_gives_a_row_back_untried(db: Database) -> None:
    await plan(db, messages([1, 2], NOW), NOW)
    first, second = await claim(db, "w")
    morning = NOW + timedelta(hours=9)
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        assert await store.retry_later(second, NOW, "Bad Gateway", worker="w")
    await claim(db, "w", limit=5)
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        assert not await store.postpone(first, morning, worker="other")
        assert await store.postpone(first, morning, worker="w")
        assert await store.postpone(second, morning, worker="w")
        assert not await store.postpone(first, morning, worker="w")  # no longer claimed
    rows = {row.id: row for row in await all_rows(db)}
    assert [(r.status, r.attempts, r.not_before, r.claimed_by) for r in rows.values()] == [
        ("pending", 0, morning, None),
        ("pending", 1, morning, None),  # the failed try still counts; the claim does not
    ]
    assert (rows[first].reason, rows[second].reason) == (None, "Bad Gateway")


async def test_claim_takes_due_rows_oldest_first_with_a_lease(db: Database) -> None:
    await plan(
        db,
        [
            NewMessage(1, 1, "digest", ROUND, "a", NOW + timedelta(minutes=5)),
            NewMessage(2, 2, "digest", ROUND, "b", NOW - timedelta(minutes=1)),
            NewMessage(3, 3, "digest", ROUND, "c", NOW),
            NewMessage(4, 4, "digest", ROUND, "d", NOW + timedelta(seconds=1)),
        ],
        NOW,
    )
    async with db.transaction() as connection:
        rows = await OutboxStore(connection).claim("w1", NOW, LEASE, 10)
    assert [row.chat_id for row in rows] == [2, 3]
    assert all(row.status == "sending" and row.attempts == 1 for row in rows)
    assert all(row.claimed_by == "w1" and row.claimed_until == NOW + LEASE for row in rows)
    assert await claim(db, "w1") == []  # the same instant again: nothing new
    assert len(await claim(db, "w2", at=timedelta(seconds=30), limit=1)) == 1  # chat 4
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        assert [row.chat_id for row in await store.pending_for(1)] == [1]
        assert await store.next_due() == NOW + LEASE  # w1's lease ends before chat 1 is due


async def test_concurrent_claims_never_share_a_row(
    database_url: str, tmp_path: Path, db: Database
) -> None:
    await plan(db, messages(range(1, 601), NOW), NOW)
    claimers = [Database(database_url) for _ in range(3)]
    try:
        taken: dict[str, list[int]] = {f"w{i}": [] for i in range(6)}
        while True:
            rounds = await asyncio.gather(
                *(claim(claimers[i % 3], worker, limit=7) for i, worker in enumerate(sorted(taken)))
            )
            for worker, ids in zip(sorted(taken), rounds, strict=True):
                taken[worker].extend(ids)
            if not any(rounds):
                break
    finally:
        for claimer in claimers:
            await claimer.dispose()
    everything = [row_id for ids in taken.values() for row_id in ids]
    assert len(everything) == len(set(everything)) == 600
    assert sum(1 for ids in taken.values() if ids) > 1  # they really competed
    holders = {row.id: row.claimed_by for row in await all_rows(db)}
    assert all(holders[row_id] == worker for worker, ids in taken.items() for row_id in ids)


async def test_a_dead_senders_rows_are_claimed_again_after_the_lease(db: Database) -> None:
    await plan(db, messages([1, 2], NOW), NOW)
    first = await claim(db, "dead")
    assert await claim(db, "alive", at=LEASE) == []  # the lease is not over yet
    again = await claim(db, "alive", at=LEASE + timedelta(seconds=1))
    assert again == first
    rows = await all_rows(db)
    assert all(row.attempts == 2 and row.claimed_by == "alive" for row in rows)
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        assert not await store.mark_sent(first[0], 1, NOW, worker="dead")  # too late
        assert await store.mark_sent(first[0], 1, NOW, worker="alive")


async def test_only_the_claiming_worker_ends_a_row(db: Database) -> None:
    await plan(db, messages([1, 2, 3, 4, 5], NOW), NOW)
    ids = await claim(db, "w")
    later = NOW + timedelta(seconds=30)
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        for row_id in ids:
            assert not await store.mark_sent(row_id, 1, NOW, worker="other")
            assert not await store.mark_failed(row_id, "x", NOW, worker="other")
            assert not await store.cancel(row_id, "x", NOW, worker="other")
            assert not await store.retry_later(row_id, later, "x", worker="other")
        assert await store.mark_sent(ids[0], 11, NOW, worker="w")
        assert await store.mark_failed(ids[1], "400: bad", NOW, worker="w")
        assert await store.cancel(ids[2], "nothing left to say", NOW, worker="w")
        assert await store.retry_later(ids[3], later, "502: Bad Gateway", worker="w")
        assert await store.release("w", [ids[4]]) == 1
        # Ended rows stay ended, whoever asks.
        assert not await store.mark_failed(ids[0], "x", NOW, worker="w")
        assert not await store.mark_sent(ids[1], 12, NOW, worker="w")
    rows = {row.id: row for row in await all_rows(db)}
    sent, failed, cancelled, retry, released = (rows[row_id] for row_id in ids)
    assert (sent.status, sent.message_id, sent.sent_at) == ("sent", "11", NOW)
    assert (failed.status, failed.reason) == ("failed", "400: bad")
    assert (cancelled.status, cancelled.reason) == ("cancelled", "nothing left to say")
    assert (retry.status, retry.not_before, retry.claimed_by) == ("pending", later, None)
    assert retry.attempts == 1  # the failed try counts
    assert (released.status, released.attempts, released.claimed_by) == ("pending", 0, None)
    assert await counts(db) == {
        "pending": 2,
        "sending": 0,
        "sent": 1,
        "failed": 1,
        "cancelled": 1,
        "superseded": 0,
    }
    assert await claim(db, "w2") == [ids[4]]  # the retry is not due yet
    assert await claim(db, "w2", at=timedelta(seconds=30)) == [ids[3]]


async def test_renewing_keeps_a_claim_and_tells_what_was_lost(db: Database) -> None:
    await plan(db, messages([1, 2], NOW), NOW)
    a, b = await claim(db, "w")
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        assert await store.mark_sent(b, 1, NOW, worker="w")
        assert await store.renew("w", [a, b], NOW + 2 * LEASE) == {a}
    assert await claim(db, "thief", at=LEASE + timedelta(seconds=1)) == []  # renewed
    assert await claim(db, "thief", at=2 * LEASE + timedelta(seconds=1)) == [a]
    async with db.transaction() as connection:
        assert await OutboxStore(connection).renew("w", [a], NOW + 3 * LEASE) == set()


async def test_unreachable_chats(db: Database) -> None:
    await plan(db, messages([1, -100], NOW), NOW)
    await plan(db, messages([1], NOW, kind="escalation"), NOW)
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        await store.mark_unreachable(1, "forbidden: blocked", NOW)
        await store.mark_unreachable(1, "forbidden: blocked again", NOW + LEASE)
        await store.mark_unreachable(-100, "forbidden: kicked", NOW)
        assert await store.unreachable() == {1, -100}
        assert await store.unreachable([1, 2]) == {1}
        assert len(await store.pending_for(1)) == 2
        assert await store.cancel_pending_for(1, "chat unreachable") == 2
        assert await store.pending_for(1) == []
        assert await store.reachable_again(1)
        assert not await store.reachable_again(1)
        assert await store.unreachable() == {-100}
    rows = await all_rows(db)
    assert [(row.chat_id, row.status) for row in rows] == [
        (1, "cancelled"),
        (-100, "pending"),
        (1, "cancelled"),
    ]


async def test_nothing_due_means_no_next_moment(db: Database) -> None:
    async with db.transaction() as connection:
        assert await OutboxStore(connection).next_due() is None
    await plan(db, messages([1], NOW + timedelta(hours=1)), NOW)
    await claim(db, "w", at=timedelta(hours=1))
    async with db.transaction() as connection:
        # Held by a sender: claimable again when its lease ends.
        assert await OutboxStore(connection).next_due() == NOW + timedelta(hours=1) + LEASE
