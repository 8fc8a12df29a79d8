"""The ledger of handled Telegram updates, so a redelivered update is not handled again.

Telegram redelivers what it has not been told was handled: with polling, an update is
confirmed by the next getUpdates call; with a webhook, by the HTTP answer. The ledger is
checked in memory (no database read per update) and written in groups — before the next
getUpdates (polling) or before the answer (webhook) — so it is on disk before Telegram forgets
the update, at one write per batch instead of one per update.

A crash before that write means the updates were not confirmed either: Telegram delivers them
again and they are handled again. Replies may then repeat; changes may not, so every handler
that changes something is idempotent on its own (the same status twice is one change, a
comment carries its update id — see `TaskService.comment`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.services.clock import Clock
from storage.db import Database
from storage.people import PeopleStore
from storage.tables import processed_events

# Telegram keeps an unconfirmed update for 24 hours; a week of ids is plenty to recognise one.
KEPT_FOR = timedelta(days=7)
REMEMBERED = 100_000


class UpdateLedger:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._handled: set[int] = set()
        self._order: deque[int] = deque()
        self._in_hand: set[int] = set()
        self._unsaved: list[tuple[int, datetime]] = []
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._flushing = asyncio.Lock()

    async def load(self) -> None:
        """Forget ids older than a week, remember the rest."""
        async with self.database.transaction() as connection:
            cutoff = self.clock.now() - KEPT_FOR
            await connection.execute(
                delete(processed_events).where(processed_events.c.processed_at < cutoff)
            )
            rows = await connection.execute(
                select(processed_events.c.event_key)
                .where(processed_events.c.channel == "telegram")
                .order_by(processed_events.c.processed_at.desc())
                .limit(REMEMBERED)
            )
            for (key,) in reversed(list(rows)):
                self._remember(int(key))

    def _remember(self, update_id: int) -> None:
        self._handled.add(update_id)
        self._order.append(update_id)
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
                    await PeopleStore(connection).record_updates(batch)
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
    async def handling(self, update_id: int) -> AsyncIterator[bool]:
        """Yields True when the update is new, and notes it once the block succeeded.

        An update that failed half-way is not noted, so its redelivery is handled; a copy
        arriving while the first is still in hand (a webhook retry) is skipped.
        """
        if self._closing or update_id in self._handled or update_id in self._in_hand:
            yield False
            return
        self._in_hand.add(update_id)
        self._idle.clear()
        try:
            yield True
            self._remember(update_id)
            self._unsaved.append((update_id, self.clock.now()))
        finally:
            self._in_hand.discard(update_id)
            if not self._in_hand:
                self._idle.set()
