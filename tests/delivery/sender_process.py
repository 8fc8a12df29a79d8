"""A sender as its own process, for the crash test: ``python -m tests.delivery.sender_process
DB_URL FAKE_URL TOKEN [--channel telegram|max] [--lease S] [--rate N] [--in-flight N]
[--batch N] [--lead S]``.

With ``--lead S`` (the failover test) it sends only while it leads, as the bot's Reminders
run (bot/leadership.py over the database's leader lock, tried again every S seconds): several
such processes over one database take turns, and a standing-by one takes over from a leader
that was killed. It prints ``leading PID AT`` (AT: the wall clock, seconds) when it takes the
lead, and leaves the lead (and exits 0) once its drain found nothing left.

The channel's transport as the bot has it: Telegram's over a plain aiogram Bot against the fake
Bot API, MAX's (MaxDelivery over MaxTransport and MaxApi) against the fake MAX; the sender
claims that channel's rows only.

Sends until nothing is pending or sending (a dead sender's rows are taken over once their
lease ends), prints what it did and exits 0. The payload is the text.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from contextlib import suppress
from datetime import timedelta

from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.channels import CHANNELS
from bot.leadership import Leadership
from bot.services.clock import SystemClock
from storage.db import Database
from tests.delivery.support import payload_as_text, transport


async def deliver(args: argparse.Namespace) -> None:
    database = Database(args.db_url)
    await database.upgrade()
    try:
        async with transport(args.channel, args.fake_url, args.token) as messenger:
            sender = Sender(
                database,
                messenger,
                SystemClock(),
                payload_as_text,
                limits=RateLimits(per_second=args.rate, per_chat_per_second=1),
                lease=timedelta(seconds=args.lease),
                batch=args.batch,
                max_in_flight=args.in_flight,
            )
            print(f"{args.channel} sender {sender.worker} started", flush=True)
            if args.lead is None:
                stats = await sender.drain(wait_for_retries=True)
                print(f"done: {stats}", flush=True)
                return
            finished = asyncio.Event()
            leadership = Leadership(
                database.leader_lock(), lambda: Draining(sender, finished), retry=args.lead
            )
            await leadership.run(finished)
    finally:
        await database.dispose()


class Draining:
    """What the leader runs here: the sender's drain; once it found nothing left, the process
    is done (and lets the lead go, for the next one to find nothing either)."""

    def __init__(self, sender: Sender, finished: asyncio.Event) -> None:
        self.sender = sender
        self.finished = finished
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        print(f"leading {os.getpid()} {time.time():.3f}", flush=True)
        self.task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        stats = await self.sender.drain(wait_for_retries=True)
        print(f"done: {stats}", flush=True)
        self.finished.set()

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.delivery.sender_process")
    parser.add_argument("db_url")
    parser.add_argument("fake_url")
    parser.add_argument("token")
    parser.add_argument("--channel", choices=CHANNELS, default="telegram")
    parser.add_argument("--lease", type=float, default=2.0, help="seconds")
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--lead", type=float, default=None, help="send only while leading; retry every S seconds"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bot.leadership").setLevel(logging.INFO)  # leading / standing by
    asyncio.run(deliver(args))


if __name__ == "__main__":
    main()
