"""The ledger of handled events (Telegram's updates, MAX's messages and callbacks), so a
redelivered event is not handled again. Each is known by its channel's key (`EventKey`).

Telegram redelivers what it has not been told was handled: with polling, an update is
confirmed by the next getUpdates call; with a webhook, by the HTTP answer. The ledger is
checked in memory (no database read per update) and written in groups — before the next
getUpdates (polling) or before the answer (webhook) — so it is on disk before Telegram forgets
the update, at one write per batch instead of one per update.

That holds for one process per database and bot (SQLite with polling). Where several processes
may share it (PostgreSQL; or webhooks, SQLite too: processes behind a proxy, and a redelivered
update may land on another one), an event is claimed in the database before it is handled
(storage/events.py, `shared`): one
statement, skipped when the event was handled or is in hand elsewhere; marked handled when the
block succeeded, deleted when it failed (so the redelivery is handled), and taken over when its
claim is older than `lease` and was never marked (its process died).

A crash before that write means the updates were not confirmed either: Telegram delivers them
again and they are handled again. Replies may then repeat; changes may not, so every handler
that changes something is idempotent on its own (the same status twice is one change, a
comment claims its event — see `TaskService.comment`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.domain.channels import EventKey
from bot.services.clock import Clock
from storage import events
from storage.db import Database
from storage.people import PeopleStore
from storage.tables import processed_events

# Telegram keeps an unconfirmed update for 24 hours (MAX's long polling: a day too); a week of
# keys is plenty to recognise one.
KEPT_FOR = timedelta(days=7)
REMEMBERED = 100_000
# A claim not marked within this long is taken to belong to a dead process. Longer than any
# update takes to handle (a Bot API call is bounded at 20 s; a sheet's import a few seconds).
CLAIM_LEASE = timedelta(seconds=60)


def process_name() -> str:
    """Who holds a claim: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class UpdateLedger:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        shared: bool | None = None,
        lease: timedelta = CLAIM_LEASE,
        holder: str | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        # Claims in the database when other processes may share it (the driver decides).
        self.shared = database.shared if shared is None else shared
        self.lease = lease
        self.holder = holder or process_name()
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
            if self.shared:  # the database decides each time (a claim); nothing to preload
                return
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
            if self.shared:
                async with self._claimed(event) as claimed:
                    yield claimed
                    if claimed:
                        self._remember(event)
                return
            yield True
            self._remember(event)
            self._unsaved.append((event, self.clock.now()))
        finally:
            self._in_hand.discard(event)
            if not self._in_hand:
                self._idle.set()

    @asynccontextmanager
    async def _claimed(self, event: EventKey) -> AsyncIterator[bool]:
        now = self.clock.now()
        async with self.database.transaction() as connection:
            claimed = await events.claim(connection, event, self.holder, now, now - self.lease)
        if not claimed:
            yield False
            return
        try:
            yield True
        except BaseException:
            # Shielded: a cancelled handler still lets its claim go for the redelivery.
            await asyncio.shield(self._release(event))
            raise
        async with self.database.transaction() as connection:
            await events.mark_handled(connection, event, self.holder, self.clock.now())

    async def _release(self, event: EventKey) -> None:
        async with self.database.transaction() as connection:
            await events.release(connection, event, self.holder)
