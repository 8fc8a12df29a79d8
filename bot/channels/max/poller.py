"""Long polling of MAX (``GET /updates``) that confirms only what was handled, across restarts.

MAX has no update ids. ``GET /updates?marker=M`` answers the updates from M on and the marker
of the next batch, and it confirms (forgets) every update before M. So:

- the marker sent is the one **stored** in the database (``update_markers``), and the next
  one is stored only once **every** update of the batch was handled and the ledger of handled
  events is on disk; the next poll then confirms the batch to MAX;
- a crash or a stop before that leaves the stored marker where it was: after the restart the
  same batch comes again, and the ledger (``UpdateLedger``, keyed by ``mid``/``callback_id``)
  drops the updates that were handled, so each is handled once;
- updates of different chats are handled side by side (``concurrency``), those of one chat in
  order; a transient failure (the error handler's ``TransientFailure``: a locked database, a
  timeout) is tried again with a growing pause, and only the last of ``attempts`` is answered
  with «Что-то пошло не так» and counted as handled, so one poisoned update cannot hold the
  stream for ever;
- polling failures (MaxApi's ``RetryLater``: 429, 5xx, network) wait as long as it says;
  ``AuthLost`` (a revoked token) stops the poller with the error.

On stop the updates in hand finish; the rest of the batch stays unconfirmed for the next
start. The first start ever sends no marker (MAX then answers the latest update only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.channels.max.api import MaxApi
from bot.channels.max.errors import AuthLost, MaxProblem, RetryLater
from bot.channels.max.front import MaxFrontEnd
from bot.channels.max.inbound import Inbound
from bot.channels.max.updates import MaxUpdate
from bot.domain.channels import MAX
from bot.runtime import handled
from bot.services.clock import Clock
from bot.services.updates import UpdateLedger
from storage.db import Database
from storage.markers import MarkerStore

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
FAILURE_PAUSE = 5.0  # seconds after a failed poll that said nothing of its own


class MaxPoller:
    def __init__(
        self,
        api: MaxApi,
        front: MaxFrontEnd,
        database: Database,
        ledger: UpdateLedger,
        clock: Clock,
        *,
        polling_timeout: int = 30,
        limit: int = 100,
        types: Sequence[str] | None = None,
        concurrency: int = 32,
        attempts: int = 8,
        backoff: Sequence[float] = (0.5, 1, 2, 5, 10, 20, 30),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.api = api
        self.front = front
        self.database = database
        self.ledger = ledger
        self.clock = clock
        self.polling_timeout = polling_timeout
        self.limit = limit
        self.types = list(types) if types is not None else None
        self.attempts = attempts
        self.backoff = tuple(backoff)
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = False
        self._fetching = False

    async def marker(self) -> int | None:
        """The marker the next poll sends (the stored one)."""
        async with self.database.transaction(write=False) as connection:
            return await MarkerStore(connection).get(MAX)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set (see the module)."""
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                polling = asyncio.create_task(self.poll_once())
                await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not polling.done():
                    self._stopping = True  # finish the updates in hand, confirm nothing
                    if self._fetching:
                        polling.cancel()  # a long poll: nothing in hand yet
                    with contextlib.suppress(asyncio.CancelledError):
                        await polling
                    break
                try:
                    polling.result()
                except AuthLost:
                    raise
                except RetryLater as error:
                    log.warning("MAX: polling failed (%s); again in %g s", error, error.seconds)
                    await self._pause(error.seconds, stopping)
                except MaxProblem as error:
                    log.warning("MAX: polling failed (%s); again in 5 s", error)
                    await self._pause(FAILURE_PAUSE, stopping)
                except Exception:
                    # The database (the marker, the ledger): nothing was confirmed, the batch
                    # comes again and the ledger drops what was handled.
                    log.exception("MAX: a batch failed; again in 5 s")
                    await self._pause(FAILURE_PAUSE, stopping)
        finally:
            stopping.cancel()

    async def poll_once(self) -> int:
        """One batch: fetch, handle every update, write the ledger, store the next marker.
        Returns how many updates came (0 when the poll timed out empty)."""
        marker = await self.marker()
        self._fetching = True
        try:
            updates, next_marker = await self.api.updates(
                marker, timeout=self.polling_timeout, limit=self.limit, types=self.types
            )
        finally:
            self._fetching = False
        if self._stopping:
            return 0
        handled = await self.handle_batch(updates)
        if not handled:
            return len(updates)  # stopped half-way: the batch comes again after the start
        await self.ledger.flush()
        if next_marker is not None and next_marker != marker:
            async with self.database.transaction() as connection:
                await MarkerStore(connection).put(MAX, next_marker, self.clock.now())
        return len(updates)

    async def handle_batch(self, updates: Sequence[MaxUpdate]) -> bool:
        """Handle the updates, each chat's in order and chats side by side; False if stopped
        before all were done."""
        chats: dict[int, list[Inbound]] = {}
        for update in updates:
            inbound = self.front.translate(update)
            if inbound is not None:
                chats.setdefault(inbound.order, []).append(inbound)
        results = await asyncio.gather(*(self._chat(queue) for queue in chats.values()))
        return all(results)

    def stop(self) -> None:
        """Finish the updates in hand, start no other."""
        self._stopping = True

    async def _chat(self, queue: list[Inbound]) -> bool:
        for inbound in queue:
            if self._stopping:
                return False
            async with self._slots:
                if not await self._handle(inbound):
                    return False
        return True

    async def _handle(self, inbound: Inbound) -> bool:
        """Handle one update, trying a transient failure again; False if stopped meanwhile."""

        async def feed(last: bool) -> None:
            await self.front.deliver(inbound, last_attempt=last)

        return await handled(
            feed,
            f"MAX event {inbound.key}",
            attempts=self.attempts,
            backoff=self.backoff,
            sleep=self._sleep,
            stopping=lambda: self._stopping,
        )

    async def _pause(self, seconds: float, stopping: asyncio.Task[bool]) -> None:
        waiting = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
