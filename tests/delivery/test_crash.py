"""kill -9 in the middle of a round: nothing is lost, and only what was in flight is doubled.

Real processes: the sender (tests/delivery/sender_process.py) runs against the channel's fake
over HTTP (the fake Bot API for Telegram, the fake MAX for MAX), is killed with SIGKILL part
way through a 2,000-message round, and is started again; the second one takes over the dead
one's rows once their (short) lease has run out. On MAX most people are written to by their
dialog's chat id and every fourth by their user id (no dialog id known), as the bot does.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain.channels import MAX, TELEGRAM, Identity
from bot.services.clock import SystemClock
from storage.db import Database
from storage.people import PeopleStore
from tests.delivery.support import TOKEN, all_rows, messages, plan
from tests.fake_max import FakeMax
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
CHATS = 2000
IN_FLIGHT = 16
BATCH = 100
LEASE = 2.0
WAIT = 60.0
MAX_TOKEN = "max-test-token"


@dataclass
class Round:
    """One channel's round against its fake: the token it takes, the outbox's chat of every
    row, and the outbox chat of each message the fake took (in the order taken)."""

    channel: str
    fake: FakeTelegram | FakeMax
    token: str
    chats: set[int]
    landed: Callable[[], list[int]]


@asynccontextmanager
async def telegram_round(database: Database, now: datetime) -> AsyncIterator[Round]:
    chats = range(1, CHATS + 1)
    assert await plan(database, messages(chats, now), now) == CHATS
    async with FakeTelegram(valid_token=TOKEN) as fake:
        fake.delay("sendMessage", 0.01)  # answered late: more is in flight at the kill
        yield Round(
            TELEGRAM,
            fake,
            TOKEN,
            set(chats),
            lambda: [message.chat_id for message in fake.sent],
        )


@asynccontextmanager
async def max_round(database: Database, now: datetime) -> AsyncIterator[Round]:
    async with FakeMax(token=MAX_TOKEN) as fake:
        fake.rate_limit(None, None)  # the test's pace is far above MAX's; its limits aside
        fake.delay("POST /messages", 0.01)  # answered late: more is in flight at the kill
        users = range(1, CHATS + 1)
        for user in users:
            fake.start_bot(user)
        # Every fourth person's dialog id is unknown: the bot writes to them by user id.
        by_user_id = set(users[::4])
        outbox_chat = {
            fake.dialog_id(user): user if user in by_user_id else fake.dialog_id(user)
            for user in users
        }
        async with database.transaction() as connection:
            people = PeopleStore(connection)
            for user in sorted(by_user_id):
                await people.identify(
                    Identity(MAX, str(user), None),
                    name=f"user {user}",
                    username=None,
                    language="ru",
                    now=now,
                )
        chats = set(outbox_chat.values())
        assert await plan(database, messages(chats, now, channel=MAX), now) == CHATS
        yield Round(
            MAX,
            fake,
            MAX_TOKEN,
            chats,
            lambda: [outbox_chat[message.chat_id] for message in fake.sent],
        )
        by_user = [call.query.get("user_id") for call in fake.calls("POST /messages") if call.ok]
        assert {int(user) for user in by_user if user is not None} == by_user_id


ROUNDS = {TELEGRAM: telegram_round, MAX: max_round}


async def start_sender(
    round_: Round, db_url: str, log: Path, *options: str
) -> asyncio.subprocess.Process:
    """tests/delivery/sender_process.py on the round's channel; `options` added to its own."""
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.delivery.sender_process",
            db_url,
            round_.fake.url,
            round_.token,
            "--channel",
            round_.channel,
            "--lease",
            str(LEASE),
            "--rate",
            "300",
            "--in-flight",
            str(IN_FLIGHT),
            "--batch",
            str(BATCH),
            *options,
            cwd=ROOT,
            stdout=output,
            stderr=output,
        )


@pytest.mark.parametrize("channel", list(ROUNDS))
async def test_a_killed_sender_loses_nothing_and_doubles_only_what_was_in_flight(
    database_url: str, tmp_path: Path, channel: str
) -> None:
    db_url = database_url
    log = tmp_path / "sender.log"
    database = Database(db_url)
    await database.upgrade()
    try:
        now = SystemClock().now()
        async with ROUNDS[channel](database, now) as round_:
            first = await start_sender(round_, db_url, log)
            try:
                await round_.fake.wait_for(
                    lambda: len(round_.landed()) >= 700, timeout=WAIT, what="700"
                )
            finally:
                first.send_signal(signal.SIGKILL)
                await first.wait()
            assert first.returncode == -signal.SIGKILL
            in_flight = await in_flight_at_the_kill(round_, database)

            second = await start_sender(round_, db_url, log)
            assert await asyncio.wait_for(second.wait(), WAIT) == 0, log.read_text()
            assert round_.fake.internal_errors == []
            final = Counter(round_.landed())

        await nothing_lost(round_, database, final, in_flight)
    finally:
        await database.dispose()


async def in_flight_at_the_kill(
    round_: Round, database: Database, worker: str | None = None
) -> set[int]:
    """Just after the sender was killed: each chat served at most once so far, and the chats
    sent to and not yet recorded (in flight; at most IN_FLIGHT) — those may be sent again.

    `worker`: the killed sender's, when another sender may already be sending (a failover):
    its rows are told from the dead one's by whose claim they are in."""
    rows = {row.chat_id: row for row in await all_rows(database)}  # as the dead one left them
    await asyncio.sleep(0.3)  # requests already on the wire arrive and are counted
    at_kill = Counter(round_.landed())
    assert len(at_kill) < CHATS, "killed too late to test anything"
    assert set(at_kill.values()) == {1}
    assert set(rows) == round_.chats
    assert {row.channel for row in rows.values()} == {round_.channel}
    # Sent and recorded: delivered. Sent and not yet recorded: these are in flight.
    assert all(at_kill[chat] == 1 for chat, row in rows.items() if row.status == "sent")
    in_flight = {
        chat
        for chat, row in rows.items()
        if row.status == "sending"
        and at_kill[chat]
        and (worker is None or row.claimed_by == worker)
    }
    assert len(in_flight) <= IN_FLIGHT
    return in_flight


async def nothing_lost(
    round_: Round, database: Database, final: Counter[int], in_flight: set[int]
) -> None:
    """Every chat served; twice only those in flight at the kill; every row recorded sent."""
    assert set(final) == round_.chats, "a message was lost"
    doubled = {chat for chat, count in final.items() if count > 1}
    assert max(final.values()) <= 2
    assert doubled == in_flight  # exactly the ones sent and not recorded at the kill
    assert len(doubled) <= IN_FLIGHT <= BATCH
    rows_after = await all_rows(database)
    assert {row.status for row in rows_after} == {"sent"}
    taken_over = [row for row in rows_after if row.attempts == 2]
    assert len(taken_over) >= len(in_flight)
