"""The sender against the fake Bot API over real HTTP: faults, limits, and every row's end."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot

import bot.delivery.sender as sender_module
from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import CHAT_FLOOD_CHATS, NOTHING_TO_SAY, DeliveryStats, Sender
from bot.messages import Attachment, Outgoing
from bot.services.clock import SystemClock
from storage.db import Database
from storage.outbox import NewMessage, OutboxRow, OutboxStore
from tests.delivery.support import (
    ROUND,
    VirtualTime,
    all_rows,
    counts,
    messages,
    payload_as_text,
    plan,
)
from tests.fake_telegram import FakeTelegram

FAST = RateLimits(per_second=200, per_chat_per_second=1, per_group_per_minute=20)
CLOCK = SystemClock()


def sender(database: Database, bot: Bot, **options: Any) -> Sender:
    options.setdefault("limits", FAST)
    options.setdefault("compose", payload_as_text)
    clock = options.pop("clock", CLOCK)
    return Sender(database, TelegramTransport(bot), clock, **options)


def on_virtual_time(time: VirtualTime) -> dict[str, Any]:
    """Sender options that run it on `time`: its waits pass at once."""
    return {"clock": time.clock, "sleep": time.sleep, "monotonic": time.monotonic}


async def plan_now(database: Database, chats: range | list[int], **options: Any) -> None:
    now = CLOCK.now()
    await plan(database, messages(chats, now, **options), now)


def received(fake: FakeTelegram) -> Counter[int]:
    """Messages that arrived, per chat."""
    return Counter(message.chat_id for message in fake.sent)


async def settled(database: Database, rows: int) -> dict[str, int]:
    """The outbox after a drain: nothing left in flight, every row accounted for."""
    by_status = await counts(database)
    assert by_status["sending"] == 0
    assert sum(by_status.values()) == rows
    return by_status


async def test_everything_due_is_sent_once(db: Database, bot: Bot, fake: FakeTelegram) -> None:
    await plan_now(db, range(1, 31))
    await plan(db, messages([99], CLOCK.now() + timedelta(hours=1)), CLOCK.now())  # not due
    stats = await sender(db, bot).drain()
    assert (stats.sent, stats.failed, stats.cancelled, stats.retried) == (30, 0, 0, 0)
    assert received(fake) == Counter(range(1, 31))
    assert fake.messages_to(7)[0].text == "hello 7"
    rows = {row.chat_id: row for row in await all_rows(db)}
    assert rows[7].message_id == str(fake.messages_to(7)[0].message_id)
    assert rows[7].sent_at is not None
    assert rows[99].status == "pending"
    assert (await settled(db, 31))["sent"] == 30
    assert (await sender(db, bot).drain()).sent == 0  # nothing twice


async def test_nothing_left_to_say_cancels_and_a_broken_composer_fails(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    await plan_now(db, range(1, 11))

    async def compose(row: OutboxRow) -> Outgoing | None:
        if row.chat_id == 3:
            return None  # the task was done meanwhile
        if row.chat_id == 4:
            raise ValueError("no such task")
        if row.chat_id == 5:
            return Outgoing("<b>unclosed")  # Telegram refuses it: 400
        return Outgoing(row.payload)

    stats = await sender(db, bot, compose=compose).drain()
    assert (stats.sent, stats.failed, stats.cancelled) == (7, 2, 1)
    rows = {row.chat_id: row for row in await all_rows(db)}
    assert (rows[3].status, rows[3].reason) == ("cancelled", NOTHING_TO_SAY)
    assert rows[4].status == "failed"
    assert rows[4].reason == "compose failed: ValueError: no such task"
    assert rows[5].status == "failed"
    assert "can't parse entities" in (rows[5].reason or "")
    assert len(fake.calls("sendMessage")) == 8  # the 400 was not tried again
    assert received(fake) == Counter(set(range(1, 11)) - {3, 4, 5})
    await settled(db, 10)


async def test_a_429_storm_pauses_everything_and_loses_nothing(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    await plan_now(db, range(1, 61))
    fake.fail("sendMessage", status=429, retry_after=1, times=3)
    fake.fail("sendMessage", status=429, retry_after=1, times=2, chat_id=45)
    stats = await sender(db, bot).drain()
    assert (stats.sent, stats.failed, stats.rate_limited) == (60, 0, 5)
    assert received(fake) == Counter(range(1, 61))  # each exactly once
    calls = fake.calls("sendMessage")
    refused = [call for call in calls if call.status == 429]
    assert len(refused) == 5
    for refusal in refused:
        # Requests already on their way when the 429 came back may arrive just after it;
        # after that, nothing until the second is over.
        during = [
            call for call in calls if refusal.time + 0.1 < call.time < refusal.time + 1.0 - 0.02
        ]
        assert during == [], f"sent during the pause after {refusal}"
    rows = await all_rows(db)
    assert all(row.attempts == 1 for row in rows)  # a 429 is not a failed attempt
    await settled(db, 60)


async def test_server_errors_and_dropped_connections_are_retried_with_backoff(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    time = VirtualTime(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))  # the round's morning
    await plan(db, messages(range(1, 41), time.now()), time.now())
    # Chat 13's own fault first: its ten failures are its own, whatever order calls arrive in.
    fake.fail("sendMessage", status=500, times=10, chat_id=13)  # twice the old limit of 5
    fake.fail("sendMessage", status=502, times=6)
    fake.drop_connection("sendMessage", times=2)
    tried: list[datetime] = []  # when chat 13 was tried (each try composes the row)

    async def compose(row: OutboxRow) -> Outgoing | None:
        if row.chat_id == 13:
            tried.append(time.now())
        return await payload_as_text(row)

    subject = sender(db, bot, compose=compose, **on_virtual_time(time))
    first = await subject.drain()
    assert first.retried >= 9  # 6 + 2 + chat 13's first try
    total = first + await subject.drain(wait_for_retries=True)
    assert (total.sent, total.failed, total.cancelled) == (40, 0, 0)
    assert total.retried == 18  # every failure was tried again, chat 13's ten included
    assert received(fake) == Counter(range(1, 41))  # each exactly once
    rows = {row.chat_id: row for row in await all_rows(db)}
    assert (rows[13].status, rows[13].attempts, rows[13].reason) == ("sent", 11, None)
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(tried)]
    assert len(gaps) == 10
    for n, gap in enumerate(gaps):
        assert 0.5 * 2**n <= gap < 0.5 * 2**n + 1.1  # backoff, and a turn for the chat
    await settled(db, 40)


async def test_a_blocked_chat_is_failed_remembered_and_not_tried_again(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    await plan_now(db, range(1, 51))
    await plan_now(db, [20, 30], kind="escalation")  # a second message to a blocked chat
    later = CLOCK.now() + timedelta(hours=1)
    await plan(db, messages([10], later, kind="undated"), CLOCK.now())  # not due yet
    for chat in (10, 20, 30):
        fake.block(chat)
    stats = await sender(db, bot).drain()
    assert stats.sent == 47
    assert stats.failed + stats.cancelled == 6
    assert stats.cancelled >= 1  # chat 10's later message will not be tried
    assert received(fake) == Counter(set(range(1, 51)) - {10, 20, 30})
    # Telegram heard about each blocked chat once (the second row never went).
    assert Counter(call.chat_id for call in fake.calls("sendMessage") if call.status == 403) == {
        10: 1,
        20: 1,
        30: 1,
    }
    said = "forbidden: bot was blocked by the user"
    for row in await all_rows(db):
        if row.chat_id in (10, 20, 30):
            # The one tried, and the others this sender held: failed with Telegram's word;
            # any still pending in the outbox: cancelled, saying why.
            assert (row.status, row.reason) in (
                ("failed", said),
                ("cancelled", f"chat unreachable: {said}"),
            )
    async with db.transaction() as connection:
        assert await OutboxStore(connection).unreachable() == {10, 20, 30}
    await settled(db, 53)

    # The next round for a blocked chat is not sent at all; once it is back, it is.
    await plan_now(db, [10, 11], round_=ROUND + timedelta(days=1))
    again = await sender(db, bot).drain()
    assert (again.sent, again.cancelled) == (1, 1)
    async with db.transaction() as connection:
        assert await OutboxStore(connection).reachable_again(10)
    fake.unblock(10)
    await plan_now(db, [10], round_=ROUND + timedelta(days=2))
    assert (await sender(db, bot).drain()).sent == 1
    assert received(fake)[10] == 1


async def test_zero_violations_of_telegrams_limits(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    # The fake enforces 200/s and 1/s per chat, as it sees requests arrive; the sender keeps
    # a margin below both (a send leaves a little after its booked time), as it must with
    # Telegram too. Four messages to each of 50 chats, 4 × 50 = 200 in all.
    fake.rate_limit(per_second=200, per_chat_per_second=1)
    now = CLOCK.now()
    await plan(
        db,
        [
            NewMessage(chat, chat, kind, ROUND, f"{kind} for {chat}", now)
            for kind in ("digest", "escalation", "undated", "other")
            for chat in range(1, 51)
        ],
        now,
    )
    limits = RateLimits(per_second=180, per_chat_per_second=0.9)
    stats = await sender(db, bot, limits=limits).drain()
    assert fake.violations == []
    assert (stats.sent, stats.rate_limited) == (200, 0)
    assert received(fake) == Counter(dict.fromkeys(range(1, 51), 4))
    await settled(db, 200)


async def test_groups_get_their_own_limit(db: Database, bot: Bot, fake: FakeTelegram) -> None:
    now = CLOCK.now()
    kinds = [f"k{i}" for i in range(5)]
    await plan(db, [NewMessage(-100, None, kind, ROUND, kind, now) for kind in kinds], now)
    limits = RateLimits(per_second=200, per_chat_per_second=100, per_group_per_minute=3)
    subject = sender(db, bot, limits=limits)
    drained = asyncio.create_task(subject.drain())
    await fake.wait_for(lambda: len(fake.messages_to(-100)) >= 3, timeout=5)
    await asyncio.sleep(0.3)
    assert len(fake.messages_to(-100)) == 3  # the other two wait for the minute to pass
    drained.cancel()
    with pytest.raises(asyncio.CancelledError):
        await drained


async def test_run_sends_what_is_planned_and_stops_cleanly(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    subject = sender(db, bot)
    stop = asyncio.Event()
    running = asyncio.create_task(subject.run(stop, idle=30))
    await asyncio.sleep(0.2)
    await plan_now(db, range(1, 21))
    subject.wake()  # the planner says so; without it the sender would idle for 30 s
    await fake.wait_for(lambda: len(fake.sent) >= 20, timeout=5)
    # A long 429 on chat 21: the others go on; stopping does not wait for chat 21's pause,
    # and gives its message back unsent.
    await plan_now(db, range(21, 41))
    fake.fail("sendMessage", status=429, retry_after=30, chat_id=21)
    subject.wake()
    await fake.wait_for_request("sendMessage", lambda call: call.status == 429, timeout=5)
    await fake.wait_for(lambda: len(fake.sent) >= 39, timeout=10)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert received(fake) == Counter(set(range(1, 41)) - {21})
    by_status = await settled(db, 40)
    assert (by_status["sent"], by_status["pending"]) == (39, 1)
    assert all(row.attempts == 0 for row in await all_rows(db) if row.status == "pending")


def sent_after(fake: FakeTelegram, moment: float) -> list[int | str | None]:
    """The chats that got a message in a call that arrived after `moment`."""
    return [call.chat_id for call in fake.calls("sendMessage") if call.ok and call.time > moment]


async def test_a_long_429_on_one_chat_holds_that_chat_only(
    db: Database, bot: Bot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Long" scaled down so the test runs in real time: 1 s counts as long here.
    monkeypatch.setattr(sender_module, "CHAT_FLOOD_AFTER", 0.5)
    monkeypatch.setattr(sender_module, "CHAT_FLOOD_BREATH", 0.05)
    await plan_now(db, range(1, 21))
    fake.fail("sendMessage", status=429, retry_after=1, chat_id=5)
    stats = await sender(db, bot).drain()
    assert (stats.sent, stats.rate_limited) == (20, 1)
    assert received(fake) == Counter(range(1, 21))
    [refusal] = [call for call in fake.calls("sendMessage") if call.status == 429]
    after = sent_after(fake, refusal.time)
    assert after[-1] == 5  # chat 5 waited its second ...
    assert set(after[:-1]) >= set(range(6, 21))  # ... while the others were sent
    [again] = [call for call in fake.calls("sendMessage") if call.ok and call.chat_id == 5]
    assert again.time >= refusal.time + 1.0 - 0.02
    await settled(db, 20)


async def test_long_429s_on_several_chats_pause_everything(
    db: Database, bot: Bot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender_module, "CHAT_FLOOD_AFTER", 0.5)
    monkeypatch.setattr(sender_module, "CHAT_FLOOD_BREATH", 0.05)
    await plan_now(db, range(1, 21))
    fake.fail("sendMessage", status=429, retry_after=1, times=CHAT_FLOOD_CHATS)
    # 20 a second: a 429's answer is back before the next send is due.
    stats = await sender(db, bot, limits=RateLimits(per_second=20)).drain()
    assert (stats.sent, stats.rate_limited) == (20, CHAT_FLOOD_CHATS)
    assert received(fake) == Counter(range(1, 21))
    last = [call for call in fake.calls("sendMessage") if call.status == 429][-1]
    calls = fake.calls("sendMessage")
    during = [call for call in calls if last.time < call.time < last.time + 0.95]
    assert during == []  # no longer one chat's matter: nothing went for the whole second
    await settled(db, 20)


async def test_a_chats_messages_arrive_in_the_order_planned(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    now = CLOCK.now()
    await plan(
        db,
        [
            NewMessage(7, 7, f"ask:1:{code}", ROUND, f"Вопрос {n} из 3", now)
            for n, code in enumerate(("teachers", "chats", "staff"), start=1)
        ],
        now,
    )

    async def slow_first(row: OutboxRow) -> Outgoing | None:
        if row.payload.startswith("Вопрос 1"):
            await asyncio.sleep(0.3)  # composing the first takes longest
        return Outgoing(row.payload)

    stats = await sender(db, bot, compose=slow_first).drain()
    assert stats.sent == 3
    assert [m.text for m in fake.messages_to(7)] == [
        "Вопрос 1 из 3",
        "Вопрос 2 из 3",
        "Вопрос 3 из 3",
    ]


async def test_two_senders_on_one_database_never_send_a_row_twice(
    database_url: str, tmp_path: Path, db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    await plan_now(db, range(1, 301))
    other = Database(database_url)
    try:
        # A 429 in the middle pauses one of them; the other goes on.
        fake.fail("sendMessage", status=429, retry_after=1, times=1, chat_id=150)
        first, second = await asyncio.gather(
            sender(db, bot, batch=20).drain(), sender(other, bot, batch=20).drain()
        )
    finally:
        await other.dispose()
    assert first.sent > 0
    assert second.sent > 0
    assert first.sent + second.sent == 300
    assert received(fake) == Counter(range(1, 301))
    await settled(db, 300)


async def test_a_claim_lost_during_a_long_pause_is_not_sent(
    database_url: str, tmp_path: Path, db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    # Sender A holds rows with a 1 s lease and is told to wait 2 s; meanwhile the lease runs
    # out and B takes the rows over. A must not send them after its pause.
    await plan_now(db, range(1, 11))
    fake.fail("sendMessage", status=429, retry_after=2, times=1)
    lease = timedelta(seconds=1)
    a = sender(db, bot, lease=lease, max_in_flight=2)
    pausing = asyncio.create_task(a.drain())
    await fake.wait_for_request("sendMessage", lambda call: call.status == 429, timeout=5)
    await asyncio.sleep(1.2)
    other = Database(database_url)
    try:
        taken = await sender(other, bot, lease=lease).drain()
    finally:
        await other.dispose()
    stats: DeliveryStats = await pausing
    assert taken.sent + stats.sent == 10
    assert taken.sent >= 8  # A had sent at most its in-flight before the pause
    assert received(fake) == Counter(range(1, 11))
    await settled(db, 10)


async def test_a_row_with_a_photo_goes_as_one_captioned_photo_once_despite_5xx(
    db: Database, bot: Bot, fake: FakeTelegram
) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")
    png = buffer.getvalue()
    time = VirtualTime(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
    await plan(db, messages([5, 6], time.now()), time.now())
    fake.fail("sendPhoto", status=502, times=2)

    async def compose(row: OutboxRow) -> Outgoing | None:
        photo = Attachment("photo", "chart.png", png) if row.chat_id == 5 else None
        return Outgoing(f"<b>summary</b> {row.chat_id}", attachment=photo)

    subject = sender(db, bot, compose=compose, **on_virtual_time(time))
    total = await subject.drain()
    total += await subject.drain(wait_for_retries=True)
    assert (total.sent, total.failed, total.retried) == (2, 0, 2)
    [photo] = fake.messages_to(5)
    assert (photo.kind, photo.text, photo.file_bytes) == ("photo", "summary 5", png)
    [text] = fake.messages_to(6)
    assert (text.kind, text.text) == ("message", "summary 6")
    rows = {row.chat_id: row for row in await all_rows(db)}
    assert rows[5].message_id == str(photo.message_id)
    await settled(db, 2)
