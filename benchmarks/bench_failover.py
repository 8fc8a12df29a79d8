"""Delivery at the configured limit through a leader failover, on SQLite and PostgreSQL.

    python benchmarks/bench_failover.py [messages] [--rate 100] [--postgres URL]

Three real sender processes (tests/delivery/sender_process.py with --lead, as `roadmap-bot
run` processes compete for the lead in bot/leadership.py) drain one round of `messages`
Telegram messages at `--rate` per second to the fake Bot API in this process. The leader is
killed with SIGKILL a third of the way through; another takes the lead and sends the rest.
The fake's count is sampled every 50 ms. Printed per backend: the delivery rate as a fraction
of the limit before the kill and after the new leader's first send (target >= 0.95 outside
the failover window), the failover window (kill to the first message after it), and how many
chats got their message twice (only those in flight at the kill may). No assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_backends import (  # noqa: E402
    add_postgres_option,
    postgres_answers,
    postgres_database,
    sqlite_database,
)

from bot.domain.channels import TELEGRAM  # noqa: E402
from bot.services.clock import SystemClock  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.delivery.support import TOKEN, messages, plan  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

PROCESSES = 3
RETRY = 1.0  # seconds between a standing-by process's tries for the lead
LEASE = 2.0  # the senders' lease on claimed rows: the dead leader's come back after it
TARGET = 0.95


@dataclass
class Figures:
    backend: str
    before: float  # messages per second, first send to the kill
    after: float  # messages per second, the new leader's first send to the last message
    window: float  # seconds from the kill to the first message after it
    doubled: int
    lost: int


def sender(db_url: str, api_url: str, rate: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tests.delivery.sender_process",
        db_url,
        api_url,
        TOKEN,
        "--channel",
        TELEGRAM,
        "--lease",
        str(LEASE),
        "--rate",
        str(rate),
        "--lead",
        str(RETRY),
    ]


async def measure(db_url: str, count: int, rate: float) -> Figures:
    database = Database(db_url)
    await database.upgrade()
    now = SystemClock().now()
    chats = range(1, count + 1)
    await plan(database, messages(chats, now, channel=TELEGRAM), now)
    await database.dispose()
    samples: list[tuple[float, int]] = []
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeTelegram(valid_token=TOKEN) as fake:
            logs = [Path(scratch) / f"sender-{n}.log" for n in range(PROCESSES)]
            processes = []
            for log in logs:
                with log.open("ab") as output:
                    processes.append(
                        await asyncio.create_subprocess_exec(
                            *sender(db_url, fake.url, rate),
                            cwd=ROOT,
                            stdout=output,
                            stderr=output,
                        )
                    )
            killed_at = None
            try:
                while len({message.chat_id for message in fake.sent}) < count:
                    samples.append((time.monotonic(), len(fake.sent)))
                    if killed_at is None and len(fake.sent) >= count // 3:
                        leader = next(
                            processes[n]
                            for n, log in enumerate(logs)
                            if "leading " in log.read_text()
                        )
                        leader.send_signal(signal.SIGKILL)
                        killed_at = time.monotonic()
                        samples.append((killed_at, len(fake.sent)))
                    await asyncio.sleep(0.05)
                samples.append((time.monotonic(), len(fake.sent)))
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                for process in processes:
                    await process.wait()
            landed = Counter([message.chat_id for message in fake.sent])
    assert killed_at is not None
    first = next(at for at, sent in samples if sent > 0)
    at_kill = next(sent for at, sent in samples if at >= killed_at)
    resumed_at, resumed = next(
        (at, sent) for at, sent in samples if at > killed_at and sent > at_kill
    )
    end_at, total = samples[-1]
    return Figures(
        backend="SQLite" if db_url.startswith("sqlite") else "PostgreSQL",
        before=at_kill / (killed_at - first),
        after=(total - resumed) / (end_at - resumed_at),
        window=resumed_at - killed_at,
        doubled=sum(1 for times in landed.values() if times > 1),
        lost=count - len(landed),
    )


def report(figures: Figures, rate: float) -> None:
    print(
        f"{figures.backend}: {figures.before:6.1f}/s = {figures.before / rate:.2f} of the limit "
        f"before the kill, {figures.after:6.1f}/s = {figures.after / rate:.2f} after the new "
        f"leader's first send (target >= {TARGET}); failover window {figures.window:.2f} s; "
        f"{figures.doubled} chats got theirs twice (in flight at the kill), {figures.lost} lost"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("messages", nargs="?", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="the limit, messages/s")
    add_postgres_option(parser)
    arguments = parser.parse_args()
    print(
        f"{arguments.messages:,} messages at {arguments.rate:g}/s, {PROCESSES} processes "
        f"competing for the lead, the leader killed (SIGKILL) a third of the way through"
    )
    with sqlite_database() as url:
        report(asyncio.run(measure(url, arguments.messages, arguments.rate)), arguments.rate)
    why_not = postgres_answers(arguments.postgres)
    if why_not is not None:
        print(f"PostgreSQL: skipped, {why_not}")
        return
    with postgres_database(arguments.postgres, "failover") as url:
        report(asyncio.run(measure(url, arguments.messages, arguments.rate)), arguments.rate)


if __name__ == "__main__":
    main()
