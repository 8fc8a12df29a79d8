"""One process leads: it alone plans reminder rounds and runs the outbox senders.

Several `roadmap-bot run` processes may serve one database (webhooks behind a proxy); each
handles updates, but two planners or two senders would write each round twice and race for
the same chats. The leader is whoever holds the database's leader lock (storage/leader.py:
PostgreSQL's advisory lock, a flock beside an SQLite file); the others try again every
`retry` seconds. The lock goes with its process however that dies (kill -9 too), so another
takes the lead within `retry` seconds; the rows the dead one's sender had claimed are taken over
once their lease runs out (bot/app.py keeps that lease at seconds). While leading, the lock is
checked at the same pace: when its connection broke, the Reminders stop at once — another
process may already hold the lock — and this one stands by and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from storage.leader import LeaderLock

log = logging.getLogger(__name__)

RETRY = 2.0  # seconds between tries for the lead, and between checks while leading


class Led(Protocol):
    """What the leader runs (bot.app.Reminders): started on taking the lead, stopped on
    losing it or on the way out."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


class Leadership:
    def __init__(self, lock: LeaderLock, lead: Callable[[], Led], *, retry: float = RETRY) -> None:
        self.lock = lock
        self.lead = lead
        self.retry = retry
        self.leading = False
        self._said: str | None = None

    def _say(self, state: str) -> None:
        if state != self._said:  # once per change, not every try
            log.info(state)
            self._said = state

    async def run(self, stop: asyncio.Event) -> None:
        """Lead whenever the lock can be had, until `stop`; then stop leading, let it go."""
        running: Led | None = None
        try:
            while not stop.is_set():
                if running is None:
                    if await self._acquire():
                        running = self.lead()
                        running.start()
                        self.leading = True
                        self._say("leading")
                    else:
                        self._say("standing by")
                elif not await self.lock.held():
                    log.warning("the leader lock was lost: stopping reminders and sending")
                    self.leading = False
                    await running.stop()
                    running = None
                    self._say("standing by")
                    continue  # try again at once: the lock may simply be free
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry)
        finally:
            self.leading = False
            try:
                if running is not None:
                    await running.stop()
            finally:
                await self.lock.release()

    async def _acquire(self) -> bool:
        try:
            return await self.lock.acquire()
        except Exception as error:  # the database is down: stand by, try again
            log.warning("could not try for the lead (%s); trying again", error)
            return False
