"""The ledger of handled events (Telegram's updates, MAX's messages and callbacks), so a
redelivered event is not handled again. Each is known by its channel's key (`EventKey`).

Telegram redelivers what it has not been told was handled: with polling, an update is
confirmed by the next getUpdates call; with a webhook, by the HTTP answer. The ledger is
checked in memory (no database read per update) and written in groups — before the next
getUpdates (polling) or before the answer (webhook) — so it is on disk before Telegram forgets
the update, at one write per batch instead of one per update.

A crash before that write means the updates were not confirmed either: Telegram delivers them
again and they are handled again. Replies may then repeat; changes may not, so every handler
that changes something is idempotent on its own (the same status twice is one change, a
comment claims its event — see `TaskService.comment`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.domain.channels import EventKey
from bot.services.clock import Clock
from storage.db import Database
from storage.people import PeopleStore
from storage.tables import processed_events

# Telegram keeps an unconfirmed update for 24 hours (MAX's long polling: a day too); a week of
# keys is plenty to recognise one.
KEPT_FOR = timedelta(days=7)
REMEMBERED = 100_000


class UpdateLedger:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._handled: set[EventKey] = set()
        self._order: deque[EventKey] = deque()
        self._in_hand: set[EventKey] = set()
        self._unsaved: list[tuple[EventKey, datetime]] = []
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._flushing = asyncio.Lock()

    async def load(self) -> None:
        """Forget events older than a week, remember the rest."""
        async with self.database.transaction() as connection:
            cutoff = self.clock.now() - KEPT_FOR
            await connection.execute(
                delete(processed_events).where(processed_events.c.processed_at < cutoff)
            )
            rows = await connection.execute(
                select(processed_events.c.channel, processed_events.c.event_key)
                .order_by(processed_events.c.processed_at.desc())
                .limit(REMEMBERED)
            )
            for channel, key in reversed(list(rows)):
                self._remember(EventKey(channel, key))

    def _remember(self, event: EventKey) -> None:
        self._handled.add(event)
        self._order.append(event)
        if len(self._order) > REMEMBERED:
            self._handled.discard(self._order.popleft())

    async def flush(self) -> None:
        """Write down what was handled since the last flush (one transaction)."""
        async with self._flushing:
            if not self._unsaved:
                return
            batch, self._unsaved = self._unsaved, []
            try:
                async with self.database.transaction() as connection:
                    await PeopleStore(connection).record_events(batch)
            except BaseException:
                self._unsaved = batch + self._unsaved
                raise

    async def close(self) -> None:
        """Start no new update (it stays with Telegram, unconfirmed, for the next start),
        wait for the ones in hand to finish, and write the ledger down."""
        self._closing = True
        await self._idle.wait()
        await self.flush()

    @asynccontextmanager
    async def handling(self, event: EventKey) -> AsyncIterator[bool]:
        """Yields True when the event is new, and notes it once the block succeeded.

        An event that failed half-way is not noted, so its redelivery is handled; a copy
        arriving while the first is still in hand (a webhook retry) is skipped.
        """
        if self._closing or event in self._handled or event in self._in_hand:
            yield False
            return
        self._in_hand.add(event)
        self._idle.clear()
        try:
            yield True
            self._remember(event)
            self._unsaved.append((event, self.clock.now()))
        finally:
            self._in_hand.discard(event)
            if not self._in_hand:
                self._idle.set()
