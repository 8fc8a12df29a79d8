"""kill -9 in the middle of a round: nothing is lost, and only what was in flight is doubled.

Real processes: the sender (tests/delivery/sender_process.py) runs against the fake Bot API
over HTTP, is killed with SIGKILL part way through a 2,000-message round, and is started
again; the second one takes over the dead one's rows once their (short) lease has run out.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from pathlib import Path

from bot.services.clock import SystemClock
from storage.db import Database
from tests.delivery.support import TOKEN, all_rows, messages, plan
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
CHATS = 2000
IN_FLIGHT = 16
BATCH = 100
LEASE = 2.0
WAIT = 60.0


async def start_sender(db_url: str, api_url: str, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.delivery.sender_process",
            db_url,
            api_url,
            TOKEN,
            "--lease",
            str(LEASE),
            "--rate",
            "300",
            "--in-flight",
            str(IN_FLIGHT),
            "--batch",
            str(BATCH),
            cwd=ROOT,
            stdout=output,
            stderr=output,
        )


async def test_a_killed_sender_loses_nothing_and_doubles_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    log = tmp_path / "sender.log"
    database = Database(db_url)
    await database.upgrade()
    try:
        now = SystemClock().now()
        assert await plan(database, messages(range(1, CHATS + 1), now), now) == CHATS

        async with FakeTelegram(valid_token=TOKEN) as fake:
            fake.delay("sendMessage", 0.01)  # answered late: more is in flight at the kill
            first = await start_sender(db_url, fake.url, log)
            try:
                await fake.wait_for(lambda: len(fake.sent) >= 700, timeout=WAIT, what="700")
            finally:
                first.send_signal(signal.SIGKILL)
                await first.wait()
            assert first.returncode == -signal.SIGKILL
            await asyncio.sleep(0.3)  # requests already on the wire arrive and are counted

            at_kill = Counter(message.chat_id for message in fake.sent)
            assert len(at_kill) < CHATS, "killed too late to test anything"
            assert set(at_kill.values()) == {1}
            rows = {row.chat_id: row for row in await all_rows(database)}
            # Sent and recorded: delivered. Sent and not yet recorded: these are in flight.
            assert all(at_kill[chat] == 1 for chat, row in rows.items() if row.status == "sent")
            in_flight = {
                chat for chat, row in rows.items() if row.status == "sending" and at_kill[chat]
            }
            assert len(in_flight) <= IN_FLIGHT

            second = await start_sender(db_url, fake.url, log)
            assert await asyncio.wait_for(second.wait(), WAIT) == 0, log.read_text()
            assert fake.internal_errors == []
            final = Counter(message.chat_id for message in fake.sent)

        assert set(final) == set(range(1, CHATS + 1)), "a message was lost"
        doubled = {chat for chat, count in final.items() if count > 1}
        assert max(final.values()) <= 2
        assert doubled == in_flight  # exactly the ones sent and not recorded at the kill
        assert len(doubled) <= IN_FLIGHT <= BATCH
        rows_after = await all_rows(database)
        assert {row.status for row in rows_after} == {"sent"}
        taken_over = [row for row in rows_after if row.attempts == 2]
        assert len(taken_over) >= len(in_flight)
    finally:
        await database.dispose()
