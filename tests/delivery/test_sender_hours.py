"""The sender and the recipient's clock: quiet hours at send time, retries while the round lasts.

On virtual time (tests/delivery/support.py VirtualTime): hours of waiting pass at once, and
every moment asserted is the sender's own clock, never a measured duration.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from aiogram import Bot

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import MAX_BACKOFF, QuietHours, Sender
from bot.messages import Outgoing
from storage.db import Database
from storage.outbox import NewMessage, OutboxRow, OutboxStore
from tests.delivery.support import ROUND, VirtualTime, all_rows, messages, payload_as_text, plan
from tests.fake_telegram import FakeTelegram

MOSCOW = QuietHours("Europe/Moscow", (21, 8))  # UTC+3 all year
FAST = RateLimits(per_second=200, per_chat_per_second=1, per_group_per_minute=20)


def moscow(day: date, hour: int, minute: int = 0) -> datetime:
    """A Moscow wall-clock time as the aware UTC instant the clock deals in."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


NEXT_DAY = ROUND + timedelta(days=1)


def row_on(round_: date) -> OutboxRow:
    now = moscow(round_, 10)
    return OutboxRow(
        1, 1, 1, "digest", round_, "", "pending", 0, now, None, None, None, None, None, now
    )


def on(time: VirtualTime, database: Database, bot: Bot, **options: Any) -> Sender:
    options.setdefault("compose", payload_as_text)
    options.setdefault("hours", MOSCOW)
    return Sender(
        database,
        TelegramTransport(bot),
        time.clock,
        limits=FAST,
        sleep=time.sleep,
        monotonic=time.monotonic,
        **options,
    )


def tries_of(time: VirtualTime, chat: int, at: list[datetime]) -> Any:
    """A composer that notes when `chat` is tried (each try composes the row again)."""

    async def compose(row: OutboxRow) -> Outgoing | None:
        if row.chat_id == chat:
            at.append(time.now())
        return await payload_as_text(row)

    return compose


def test_quiet_hours_end_in_the_morning_and_rounds_at_midnight_of_their_day() -> None:
    row = row_on(ROUND)
    assert MOSCOW.quiet_until(row, moscow(ROUND, 20, 59)) is None
    assert MOSCOW.quiet_until(row, moscow(ROUND, 21)) == moscow(NEXT_DAY, 8)
    assert MOSCOW.quiet_until(row, moscow(ROUND, 22, 30)) == moscow(NEXT_DAY, 8)
    assert MOSCOW.quiet_until(row, moscow(NEXT_DAY, 3)) == moscow(NEXT_DAY, 8)
    assert MOSCOW.quiet_until(row, moscow(NEXT_DAY, 8)) is None
    assert MOSCOW.round_ends(row) == moscow(NEXT_DAY, 0)
    afternoon = QuietHours("Europe/Moscow", (13, 15))  # not across midnight
    assert afternoon.quiet_until(row, moscow(ROUND, 14, 10)) == moscow(ROUND, 15)
    assert afternoon.quiet_until(row, moscow(ROUND, 15)) is None
    assert QuietHours("Europe/Moscow", (8, 8)).quiet_until(row, moscow(ROUND, 8)) is None
    assert QuietHours().quiet_until(row, moscow(ROUND, 23)) is None
    assert QuietHours().round_ends(row) == datetime(2023, 4, 21, tzinfo=UTC)
    yekaterinburg = QuietHours("Europe/Moscow", (21, 8), zone_of=lambda row: "Asia/Yekaterinburg")
    assert yekaterinburg.quiet_until(row, moscow(ROUND, 19)) == moscow(NEXT_DAY, 6)  # 21:00 there


def test_a_digest_held_overnight_waits_for_the_mornings_round_to_fold_into() -> None:
    """Killed at 10:00, back at 22:30: the morning's digest is not sent at night, nor at 08:00
    beside the 10:00 round, but after the round is planned, which supersedes it and takes
    its lines (see storage/outbox.py)."""
    mornings = QuietHours("Europe/Moscow", (21, 8), digest_hour=10)
    digest = row_on(ROUND)
    question = replace(digest, kind="ask:1")
    assert mornings.quiet_until(digest, moscow(ROUND, 22, 30)) == moscow(NEXT_DAY, 10, 2)
    assert mornings.quiet_until(question, moscow(ROUND, 22, 30)) == moscow(NEXT_DAY, 8)
    assert mornings.quiet_until(digest, moscow(NEXT_DAY, 9)) is None  # not quiet: as planned


async def test_a_row_due_in_the_quiet_hours_waits_for_the_morning_and_is_sent_once(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    # The bot was killed at 10:00 holding chats 1 and 2 (claimed, never recorded) and comes
    # back at 22:30: nothing goes now, and nothing counts as a try.
    await plan(db, messages(range(1, 6), moscow(ROUND, 10)), moscow(ROUND, 10))
    async with db.transaction() as connection:
        await OutboxStore(connection).claim("killed", moscow(ROUND, 10), timedelta(minutes=1), 2)
    time = VirtualTime(moscow(ROUND, 22, 30))
    sender = on(time, db, bot)
    stats = await sender.drain()
    assert (stats.sent, stats.failed, stats.postponed) == (0, 0, 5)
    assert fake.calls("sendMessage") == []
    rows = await all_rows(db)
    assert {(row.status, row.not_before) for row in rows} == {("pending", moscow(NEXT_DAY, 8))}
    assert [row.attempts for row in rows] == [1, 1, 0, 0, 0]  # the killed claim, no more

    time.advance_to(moscow(NEXT_DAY, 7, 59))
    assert (await sender.drain()).ended == 0
    time.advance_to(moscow(NEXT_DAY, 8))
    morning = await sender.drain()
    assert (morning.sent, morning.postponed) == (5, 0)
    assert (await sender.drain()).ended == 0
    assert Counter(message.chat_id for message in fake.sent) == Counter(range(1, 6))


async def test_a_round_that_runs_into_the_quiet_hours_stops_at_21(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    # Three messages for one chat, a second apart (its limit): the last falls after 21:00.
    # (One at a time, so each waits its turn on the virtual clock in order.)
    time = VirtualTime(moscow(ROUND, 20, 59) + timedelta(seconds=58.5))
    now = time.now()
    kinds = ["digest:1", "ask:1", "missing:1"]
    await plan(db, [NewMessage(7, 7, kind, ROUND, kind, now) for kind in kinds], now)
    stats = await on(time, db, bot, max_in_flight=1).drain()
    assert (stats.sent, stats.postponed) == (2, 1)
    assert len(fake.messages_to(7)) == 2
    waiting = [row for row in await all_rows(db) if row.status == "pending"]
    assert [(row.attempts, row.not_before) for row in waiting] == [(0, moscow(NEXT_DAY, 8))]


async def test_a_minute_of_502s_at_ten_costs_nobody_their_reminder(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    time = VirtualTime(moscow(ROUND, 10))
    await plan(db, messages(range(1, 21), time.now()), time.now())
    fake.fail("sendMessage", status=502, times=1_000_000)
    time.at(moscow(ROUND, 10, 1), fake.clear_faults)  # the messenger is back after a minute
    tried: list[datetime] = []
    stats = await on(time, db, bot, compose=tries_of(time, 5, tried)).drain(wait_for_retries=True)
    assert (stats.sent, stats.failed) == (20, 0)
    assert Counter(message.chat_id for message in fake.sent) == Counter(range(1, 21))
    # Backing off: a handful of tries over the minute, not one every half second.
    assert 6 <= len(tried) <= 9
    assert moscow(ROUND, 10, 1) <= tried[-1] < moscow(ROUND, 10, 3)
    assert all(row.status == "sent" and row.reason is None for row in await all_rows(db))


async def test_an_outage_of_hours_is_retried_every_five_minutes_at_most(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    time = VirtualTime(moscow(ROUND, 10))
    await plan(db, messages([5], time.now()), time.now())
    fake.fail("sendMessage", status=502, times=1_000_000)
    time.at(moscow(ROUND, 13), fake.clear_faults)
    tried: list[datetime] = []
    stats = await on(time, db, bot, compose=tries_of(time, 5, tried)).drain(wait_for_retries=True)
    assert (stats.sent, stats.failed) == (1, 0)
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(tried)]
    assert max(gaps) <= MAX_BACKOFF + 1
    assert all(MAX_BACKOFF <= gap <= MAX_BACKOFF + 1 for gap in gaps[-5:-1])  # capped
    assert moscow(ROUND, 13) <= tried[-1] <= moscow(ROUND, 13, 5)
    [row] = await all_rows(db)
    assert (row.status, row.attempts) == ("sent", len(tried))


async def test_retries_end_with_the_round_and_its_lines_go_into_the_next(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    def digest(task: int) -> str:
        return json.dumps({"roadmap": 1, "lines": [{"task": task, "reason": "due"}]})

    # Without quiet hours the row is tried until its day is over...
    time = VirtualTime(moscow(ROUND, 20))
    now = time.now()
    await plan(db, [NewMessage(5, 5, "digest:1", ROUND, digest(1), now)], now)
    fake.fail("sendMessage", status=502, times=1_000_000)
    tried: list[datetime] = []
    never_quiet = QuietHours("Europe/Moscow")
    sender = on(time, db, bot, hours=never_quiet, compose=tries_of(time, 5, tried))
    stats = await sender.drain(wait_for_retries=True)
    assert (stats.sent, stats.failed) == (0, 1)
    assert moscow(ROUND, 23, 55) <= tried[-1] < moscow(NEXT_DAY, 0)
    [row] = await all_rows(db)
    assert row.status == "failed"
    assert row.reason == "stale: the round of 2023-04-20 ended unsent; last error: Bad Gateway"

    # ... and the next morning's round says what it could not.
    fake.clear_faults()
    time.advance_to(moscow(NEXT_DAY, 10))
    now = time.now()
    await plan(db, [NewMessage(5, 5, "digest:1", NEXT_DAY, digest(2), now)], now)
    assert (await sender.drain()).sent == 1
    [message] = fake.messages_to(5)
    assert [line["task"] for line in json.loads(message.text or "")["lines"]] == [2, 1]
    old, new = await all_rows(db)
    assert (old.status, new.status) == ("superseded", "sent")


async def test_a_retry_held_past_its_round_by_the_quiet_hours_goes_stale_at_21(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    time = VirtualTime(moscow(ROUND, 20, 50))
    await plan(db, messages([5], time.now()), time.now())
    fake.fail("sendMessage", status=502, times=1_000_000)
    tried: list[datetime] = []
    stats = await on(time, db, bot, compose=tries_of(time, 5, tried)).drain(wait_for_retries=True)
    assert (stats.sent, stats.failed) == (0, 1)
    assert tried[-1] < moscow(ROUND, 21)  # never tried in the quiet hours
    assert time.now() < moscow(ROUND, 21, 10)  # ended then, not held overnight
    [row] = await all_rows(db)
    assert row.status == "failed"
    assert (row.reason or "").startswith("stale: the round of 2023-04-20 ended unsent")
