"""kill -9 of the leader in the middle of a round: another process takes the lead within
seconds, nothing is lost, and only what was in flight is doubled.

Three real sender processes (tests/delivery/sender_process.py with --lead) compete for the
lead over one database — PostgreSQL's advisory lock with TEST_DATABASE_URL, otherwise the
flock beside the SQLite file — as `roadmap-bot run` processes do (bot/leadership.py): only the
leader sends. The leader is killed with SIGKILL part way through a 2,000-message round (the
same rounds, on Telegram and on MAX, as the crash test's); one of the two standing by takes
over and sends the rest, the dead leader's claimed rows once their lease has run out.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.services.clock import SystemClock
from storage.db import Database
from tests.delivery.test_crash import (
    ROUNDS,
    WAIT,
    in_flight_at_the_kill,
    nothing_lost,
    start_sender,
)

pytestmark = pytest.mark.e2e

PROCESSES = 3
RETRY = 1.0  # seconds between a standing-by process's tries for the lead


def leading(log: Path) -> list[float]:
    """When the process writing `log` took the lead (wall clock), each time."""
    return [
        float(line.split()[2])
        for line in log.read_text().splitlines()
        if line.startswith("leading ")
    ]


def worker(log: Path) -> str:
    """The sender's name in its claims (its process prints it at start)."""
    started = next(line for line in log.read_text().splitlines() if " sender " in line)
    return started.split()[2]


@pytest.mark.parametrize("channel", list(ROUNDS))
async def test_a_killed_leader_is_followed_within_seconds_and_nothing_is_lost(
    database_url: str, tmp_path: Path, channel: str
) -> None:
    database = Database(database_url)
    await database.upgrade()
    logs = [tmp_path / f"sender-{number}.log" for number in range(PROCESSES)]
    try:
        now = SystemClock().now()
        async with ROUNDS[channel](database, now) as round_:
            processes = [
                await start_sender(round_, database_url, log, "--lead", str(RETRY)) for log in logs
            ]
            try:
                await round_.fake.wait_for(
                    lambda: len(round_.landed()) >= 700, timeout=WAIT, what="700"
                )
                leaders = [n for n, log in enumerate(logs) if leading(log)]
                assert len(leaders) == 1, "one process leads, the others stand by"
                leader = processes[leaders[0]]
                leader.send_signal(signal.SIGKILL)
                killed_at = time.time()
                await leader.wait()
                assert leader.returncode == -signal.SIGKILL
                in_flight = await in_flight_at_the_kill(round_, database, worker(logs[leaders[0]]))

                followers = [process for process in processes if process is not leader]
                for process in followers:
                    code = await asyncio.wait_for(process.wait(), WAIT)
                    assert code == 0, "\n".join(log.read_text() for log in logs)
                delivered_at = time.time()
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
            assert round_.fake.internal_errors == []
            final = Counter(round_.landed())

        await nothing_lost(round_, database, final, in_flight)
        took_over = min(at for log in logs for at in leading(log) if at > killed_at)
        print(
            f"\n{channel} on {'SQLite' if database.is_sqlite else 'PostgreSQL'}: "
            f"the next leader took over {took_over - killed_at:.2f} s after the kill "
            f"(tries every {RETRY:g} s); the round was finished "
            f"{delivered_at - killed_at:.2f} s after it; {len(in_flight)} in flight, "
            f"sent twice"
        )
    finally:
        await database.dispose()
