"""Delivery throughput: a 10,000-message round through the real sender to the fake Bot API.

    python benchmarks/bench_delivery.py [messages] [--rate 500] [--profile]

The fake Bot API runs as a separate process (``python -m tests.fake_telegram``), so the
sender has this process to itself and talks HTTP to it, as it would to Telegram. A fresh
SQLite outbox is planned with one message per chat (distinct chats: the per-chat limit of
1/s does not come into it) and drained at the raised limit. Prints the throughput as a
fraction of the limit (target >= 0.95), the sender's CPU per message, the fake's CPU per
message (it shares the machine) and the wall time. Checks that every chat got exactly one
message. No assertions on time. ``--profile`` adds the sender's top functions by CPU.
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
from datetime import timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import DeliveryStats, Sender
from bot.messages import Outgoing
from bot.services.clock import SystemClock
from storage.db import Database
from storage.outbox import NewMessage, OutboxRow, OutboxStore

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAE2e-BenchmarkTokenForTheFakeServer"
TARGET = 0.95
WARM_UP = 300
TEXT = "Напоминание: <b>{chat}</b> — 3 мероприятия на этой неделе, 1 просрочено."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """user + system CPU of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sent_per_chat(api_url: str) -> Counter[int]:
    with urllib.request.urlopen(f"{api_url}/_fake/sent", timeout=60) as response:
        sent = json.load(response)
    return Counter(int(message["chat"]["id"]) for message in sent)


async def compose(row: OutboxRow) -> Outgoing:
    return Outgoing(TEXT.format(chat=row.payload))


async def plan(database: Database, chats: range) -> None:
    now = SystemClock().now()
    round_ = now.date()
    async with database.transaction() as connection:
        await OutboxStore(connection).add(
            [NewMessage(chat, chat, "digest", round_, str(chat), now) for chat in chats], now
        )


async def measure(
    count: int, rate: float, api_url: str, fake_pid: int, directory: Path, profile: bool
) -> None:
    database = Database(f"sqlite:///{directory / 'bench.db'}")
    await database.upgrade()
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    sender = Sender(
        database,
        TelegramTransport(bot),
        SystemClock(),
        compose,
        limits=RateLimits(per_second=rate, per_chat_per_second=1),
        lease=timedelta(seconds=60),
    )
    try:
        # Warm-up on other chats: connections opened, statements compiled and cached.
        await plan(database, range(1_000_001, 1_000_001 + WARM_UP))
        await sender.drain()

        await plan(database, range(1, count + 1))
        profiler = cProfile.Profile(time.process_time) if profile else None
        fake_cpu = cpu_seconds(fake_pid)
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
        fake_cpu = cpu_seconds(fake_pid) - fake_cpu
    finally:
        await session.close()
        await database.dispose()

    per_chat = sent_per_chat(api_url)
    delivered = sum(1 for chat in range(1, count + 1) if per_chat[chat] >= 1)
    doubled = sum(1 for chat in range(1, count + 1) if per_chat[chat] > 1)
    throughput = stats.sent / stats.elapsed
    print(
        f"delivery of {count:,} messages at a {rate:g}/s limit: {throughput:.1f}/s = "
        f"{throughput / rate:.2f} of the limit (target >= {TARGET}); "
        f"sender CPU {cpu / count * 1000:.2f} ms/message"
    )
    print(
        f"wall {wall:.1f} s (drain {stats.elapsed:.1f} s, ideal {count / rate:.1f} s); "
        f"sender CPU {cpu:.1f} s = {cpu / wall:.0%} of a core (event loop {loop_cpu:.1f} s, "
        f"database threads {cpu - loop_cpu:.1f} s); fake Bot API CPU "
        f"{fake_cpu / count * 1000:.2f} ms/message = {fake_cpu / wall:.0%} of a core; "
        f"{os.cpu_count()} cores"
    )
    print(
        f"sent {stats.sent}, failed {stats.failed}, retried {stats.retried}, "
        f"429s {stats.rate_limited}; delivered to {delivered:,} of {count:,} chats, "
        f"{doubled} twice"
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("messages", nargs="?", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="the limit, messages/s")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    port = free_port()
    fake = subprocess_fake(port)
    try:
        assert fake.stdout is not None
        fake.stdout.readline()  # "Fake Telegram Bot API listening on ..."
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(
                measure(
                    args.messages,
                    args.rate,
                    f"http://127.0.0.1:{port}",
                    fake.pid,
                    Path(directory),
                    args.profile,
                )
            )
    finally:
        fake.terminate()
        fake.wait(30)


def subprocess_fake(port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fake_telegram", "--port", str(port), "--token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


if __name__ == "__main__":
    main()
