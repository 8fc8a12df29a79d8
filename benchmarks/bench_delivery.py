"""Delivery throughput: a 10,000-message round through the real sender to each messenger's fake.

    python benchmarks/bench_delivery.py [messages] [--rate 500] [--channel telegram|max|both]
                                        [--at-limit 500] [--profile]

Each fake runs as a separate process (``python -m tests.fake_telegram``,
``python -m tests.fake_max``), so the sender has this process to itself and talks HTTP to it,
as it would to the messenger. A fresh SQLite outbox is planned with one message per chat
(distinct chats: the per-chat limit does not come into it) and drained at the raised limit
through the channel's transport (Telegram's over aiogram, MAX's MaxDelivery over MaxApi, to
people's dialogs by chat id). Prints, per channel, the throughput as a fraction of the limit
(target >= 0.95), the sender's CPU per message, the fake's CPU per message (it shares the
machine) and the wall time, and checks that every chat got exactly one message.

MAX is also measured at its configured limit, the pace the bot really keeps there
(``RateLimits.within(MAX_LIMITS)``: 25/s of MAX's 30 requests a second, 2 messages a second to
a chat): ``--at-limit`` messages, five to each chat, so the per-chat limit is in play too; the
fake counts every request over MAX's own limits. No assertions on time. ``--profile`` adds the
sender's top functions by CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.delivery.limits import RateLimits
from bot.delivery.sender import DeliveryStats, Sender
from bot.domain.channels import MAX, TELEGRAM
from bot.messages import MAX_LIMITS, Outgoing
from bot.services.clock import SystemClock
from storage.db import Database
from storage.outbox import NewMessage, OutboxRow, OutboxStore

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' transports over a fake, when run as a script
from tests.delivery.support import transport  # noqa: E402

TOKEN = "123456789:AAE2e-BenchmarkTokenForTheFakeServer"
MAX_TOKEN = "max-benchmark-token"
TARGET = 0.95
WARM_UP = 300
PER_CHAT_AT_LIMIT = 5
TEXT = "Напоминание: <b>{chat}</b> — 3 мероприятия на этой неделе, 1 просрочено."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """user + system CPU of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def violations(fake: Fake) -> list[dict[str, Any]]:
    """Requests the fake MAX saw over MAX's limits, oldest first."""
    found: list[dict[str, Any]] = fetch(f"{fake.url}/_fake/violations")
    return found


@dataclass
class Fake:
    """A messenger's fake in its own process."""

    process: subprocess.Popen[str]
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass(frozen=True)
class Channel:
    """How the benchmark drives one messenger: its fake, its transport, its chats."""

    name: str
    token: str
    fake_command: Sequence[str]
    transport: Callable[[str], Any]  # fake url -> async context manager of a Transport
    chats: Callable[[Fake, range], list[int]]  # people -> the outbox chat id of each
    sent_per_chat: Callable[[Fake], Counter[int]]  # outbox chat id -> messages it got


def max_dialogs(fake: Fake, people: range) -> list[int]:
    """People start the bot in MAX; the bot writes to their dialogs (chat ids of their own)."""
    started = fetch(f"{fake.url}/_fake/start", {"user_ids": list(people)})
    return [int(started["dialogs"][str(user)]) for user in people]


CHANNELS = {
    TELEGRAM: Channel(
        TELEGRAM,
        TOKEN,
        ("tests.fake_telegram", "--token", TOKEN),
        lambda url: transport(TELEGRAM, url, TOKEN),
        lambda fake, people: list(people),
        lambda fake: Counter(int(m["chat"]["id"]) for m in fetch(f"{fake.url}/_fake/sent")),
    ),
    MAX: Channel(
        MAX,
        MAX_TOKEN,
        ("tests.fake_max", "--token", MAX_TOKEN, "--limits", "watch"),
        lambda url: transport(MAX, url, MAX_TOKEN),
        max_dialogs,
        lambda fake: Counter(int(m["chat_id"]) for m in fetch(f"{fake.url}/_fake/sent")),
    ),
}


@contextmanager
def run_fake(channel: Channel) -> Iterator[Fake]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", *channel.fake_command, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "Fake ... listening on ..."
        yield Fake(process, f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(30)


async def compose(row: OutboxRow) -> Outgoing:
    return Outgoing(TEXT.format(chat=row.payload))


async def plan(database: Database, channel: str, chats: Sequence[int], per_chat: int = 1) -> None:
    now = SystemClock().now()
    round_ = now.date()
    async with database.transaction() as connection:
        await OutboxStore(connection).add(
            [
                NewMessage(chat, None, f"digest-{n}", round_, str(chat), now, channel=channel)
                for n in range(per_chat)
                for chat in chats
            ],
            now,
        )


@dataclass
class Leg:
    """One drain to measure: how many chats, messages to each, at what pace."""

    title: str
    people: range
    limits: RateLimits
    per_chat: int = 1

    @property
    def count(self) -> int:
        return len(self.people) * self.per_chat


async def measure(
    channel: Channel, fake: Fake, legs: Sequence[Leg], directory: Path, profile: bool
) -> None:
    database = Database(f"sqlite:///{directory / f'{channel.name}.db'}")
    await database.upgrade()
    try:
        async with channel.transport(fake.url) as transport:

            def sender(limits: RateLimits) -> Sender:
                lease = timedelta(seconds=60)
                return Sender(
                    database, transport, SystemClock(), compose, limits=limits, lease=lease
                )

            # Warm-up on other chats: connections opened, statements compiled and cached.
            warm = range(1_000_001, 1_000_001 + WARM_UP)
            await plan(database, channel.name, channel.chats(fake, warm))
            await sender(legs[0].limits).drain()
            for leg in legs:
                await asyncio.sleep(1.0)  # the last leg's requests leave MAX's 1 s window
                chats = channel.chats(fake, leg.people)
                await plan(database, channel.name, chats, leg.per_chat)
                await drain(channel, fake, sender(leg.limits), leg, chats, profile)
    finally:
        await database.dispose()


async def drain(
    channel: Channel, fake: Fake, sender: Sender, leg: Leg, chats: list[int], profile: bool
) -> None:
    over_before = len(violations(fake)) if channel.name == MAX else 0
    profiler = cProfile.Profile(time.process_time) if profile else None
    fake_cpu = cpu_seconds(fake.pid)
    cpu = time.process_time()
    loop_cpu = time.thread_time()
    wall = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    stats: DeliveryStats = await sender.drain()
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - wall
    loop_cpu = time.thread_time() - loop_cpu
    cpu = time.process_time() - cpu
    fake_cpu = cpu_seconds(fake.pid) - fake_cpu

    count = leg.count
    rate = leg.limits.per_second
    per_chat = channel.sent_per_chat(fake)
    delivered = sum(1 for chat in chats if per_chat[chat] >= leg.per_chat)
    doubled = sum(1 for chat in chats if per_chat[chat] > leg.per_chat)
    throughput = stats.sent / stats.elapsed
    print(
        f"{channel.name}, {leg.title}: {count:,} messages at a {rate:g}/s limit: "
        f"{throughput:.1f}/s = {throughput / rate:.2f} of the limit (target >= {TARGET}); "
        f"sender CPU {cpu / count * 1000:.2f} ms/message"
    )
    print(
        f"  wall {wall:.1f} s (drain {stats.elapsed:.1f} s, ideal {count / rate:.1f} s); "
        f"sender CPU {cpu:.1f} s = {cpu / wall:.0%} of a core (event loop {loop_cpu:.1f} s, "
        f"database threads {cpu - loop_cpu:.1f} s); fake's CPU "
        f"{fake_cpu / count * 1000:.2f} ms/message = {fake_cpu / wall:.0%} of a core; "
        f"{os.cpu_count()} cores"
    )
    print(
        f"  sent {stats.sent}, failed {stats.failed}, retried {stats.retried}, "
        f"429s {stats.rate_limited}; all {leg.per_chat} delivered to {delivered:,} of "
        f"{len(chats):,} chats, more to {doubled}"
    )
    if channel.name == MAX:
        over = Counter(v["scope"] for v in violations(fake)[over_before:])
        print(
            f"  requests over MAX's own limits seen by the fake: {over['global']} over "
            f"{MAX_LIMITS.per_second:g}/s overall, {over['chat']} over "
            f"{MAX_LIMITS.per_chat_per_second:g}/s to a chat"
        )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


def legs(channel: str, count: int, rate: float, at_limit: int) -> list[Leg]:
    own = MAX_LIMITS.per_chat_per_second if channel == MAX else 1
    raised = Leg("at a raised limit", range(1, count + 1), RateLimits(rate, own))
    if channel != MAX or at_limit <= 0:
        return [raised]
    chats = max(20, at_limit // PER_CHAT_AT_LIMIT)  # 20 chats x 2/s: above 25/s overall
    configured = Leg(
        f"at its configured limit ({chats} chats x {PER_CHAT_AT_LIMIT})",
        range(2_000_001, 2_000_001 + chats),
        RateLimits.within(MAX_LIMITS),
        PER_CHAT_AT_LIMIT,
    )
    return [raised, configured]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("messages", nargs="?", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="the raised limit, messages/s")
    parser.add_argument("--channel", choices=(TELEGRAM, MAX, "both"), default="both")
    parser.add_argument(
        "--at-limit",
        type=int,
        default=500,
        help="MAX's messages at its configured limit (25/s: 20 s for 500); 0 skips",
    )
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    names = (TELEGRAM, MAX) if args.channel == "both" else (args.channel,)
    with tempfile.TemporaryDirectory() as directory:
        for name in names:
            channel = CHANNELS[name]
            with run_fake(channel) as fake:
                asyncio.run(
                    measure(
                        channel,
                        fake,
                        legs(name, args.messages, args.rate, args.at_limit),
                        Path(directory),
                        args.profile,
                    )
                )


if __name__ == "__main__":
    main()
