"""Long polling that confirms to Telegram only what was handled, one chat at a time each.

aiogram's polling loop moves the offset past every update it was given, handled or not: an
update that failed on a transient error (the database locked by an import, a timeout) was
confirmed and never handled — the person got «Что-то пошло не так» or nothing. Here:

- Telegram is told "done" (the next getUpdates' offset) only up to the oldest update still in
  hand. An update that fails on a transient error is tried again with a growing pause; it is
  never confirmed unanswered. Only after `attempts` tries is the person told something went
  wrong (the error handler's answer) and the update confirmed, so one poisoned update cannot
  hold the offset (and every update after it) for ever.
- Updates of different chats are handled at the same time (up to `concurrency`), those of one
  chat strictly in order: one slow call or one person's 429 no longer stalls everyone.
- The ledger (`UpdateLedger`) still guarantees an update is never handled twice: what was
  handled is written before the getUpdates that confirms it (the session middleware
  `WriteLedgerBeforeGetUpdates`), and an update delivered again is skipped.

The offset is Telegram's own model (update ids that only grow), and this module is Telegram's
alone. The ledger is channel-neutral: it knows an update by its `EventKey` (`telegram`, the
update id as a string), as it knows another channel's events by that channel's keys.

A crash loses nothing: whatever was not confirmed is delivered again at the next start, and
whatever was handled is in the ledger.
"""

from __future__ import annotations

import asyncio
import logging
from asyncio import FIRST_COMPLETED
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiogram.types import Update

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
FetchUpdates = Callable[[int | None], Coroutine[Any, Any, Sequence["Update"]]]

LAST_ATTEMPT = "last_attempt"  # workflow data: the error handler answers instead of retrying


class TransientFailure(Exception):
    """Raised out of the dispatcher by the error handler for a failure worth trying again."""


def chat_of(update: Update) -> int | str:
    """What orders updates: the chat (or the person, for events without a chat)."""
    event: Any = update.event
    chat = getattr(event, "chat", None)
    if chat is None:
        message = getattr(event, "message", None)  # a callback query's message
        chat = getattr(message, "chat", None)
    if chat is not None:
        return int(chat.id)
    user = getattr(event, "from_user", None)
    if user is not None:
        return int(user.id)
    return f"update {update.update_id}"


@dataclass
class _Chat:
    queue: deque[Update] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        fetch: FetchUpdates | None = None,
        allowed_updates: Sequence[str] | None = None,
        polling_timeout: int = 10,
        concurrency: int = 32,
        attempts: int = 8,
        backoff: Sequence[float] = (0.5, 1, 2, 5, 10, 20, 30),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self._fetch = fetch or self._get_updates
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.polling_timeout = polling_timeout
        self.attempts = attempts
        self.backoff = tuple(backoff)
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._chats: dict[int | str, _Chat] = {}
        self._unfinished: set[int] = set()  # received, not yet done: holds the offset back
        self._seen_up_to: int | None = None  # the highest update id received
        self._stopping = False
        self._finished = asyncio.Event()  # set whenever an update in hand is done

    async def _get_updates(self, offset: int | None) -> Sequence[Update]:
        from aiogram.methods import GetUpdates

        return await self.bot(
            GetUpdates(
                offset=offset,
                timeout=self.polling_timeout,
                allowed_updates=self.allowed_updates,
            ),
            request_timeout=self.polling_timeout + 30,
        )

    @property
    def offset(self) -> int | None:
        """The next getUpdates' offset: confirms everything before the oldest update in hand."""
        if self._unfinished:
            return min(self._unfinished)
        return None if self._seen_up_to is None else self._seen_up_to + 1

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; then finish the updates in hand (not the queued ones:
        they stay unconfirmed with Telegram for the next start)."""
        failures = 0
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                fetching = asyncio.create_task(self._fetch(self.offset))
                await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetching.done():
                    fetching.cancel()
                    break
                try:
                    updates = fetching.result()
                except Exception as error:
                    failures += 1
                    pause = self.backoff[min(failures, len(self.backoff)) - 1]
                    log.warning("getUpdates failed (%s); again in %s s", error, pause)
                    await self._sleep(pause)
                    continue
                failures = 0
                new = sum(self.submit(update) for update in updates)
                if updates and not new:
                    # Only updates still in hand came back (the offset waits for them):
                    # Telegram answers such a getUpdates at once, so wait for one to finish
                    # rather than ask again in a tight loop.
                    await self._one_finished(stopping)
        finally:
            stopping.cancel()
            await self.drain()

    def submit(self, update: Update) -> bool:
        """Queue an update behind its chat's earlier ones (a copy still in hand is ignored);
        True if it was new."""
        if update.update_id in self._unfinished:
            return False
        if self._seen_up_to is not None and update.update_id <= self._seen_up_to:
            # Telegram re-sent it because the offset was held back: already done (handled or
            # answered), or still queued above (then it is in `_unfinished`).
            return False
        self._seen_up_to = update.update_id
        self._unfinished.add(update.update_id)
        chat = self._chats.setdefault(chat_of(update), _Chat())
        chat.queue.append(update)
        if chat.worker is None or chat.worker.done():
            chat.worker = asyncio.create_task(self._work(chat))
        return True

    async def _one_finished(self, stopping: asyncio.Task[bool], most: float = 1.0) -> None:
        """Wait until an update in hand is done (the offset can move), `most` seconds at most."""
        self._finished.clear()
        finished = asyncio.create_task(self._finished.wait())
        try:
            await asyncio.wait({finished, stopping}, timeout=most, return_when=FIRST_COMPLETED)
        finally:
            finished.cancel()

    async def drain(self) -> None:
        """Finish each chat's update in hand; leave the rest unconfirmed."""
        self._stopping = True
        workers = [chat.worker for chat in self._chats.values() if chat.worker is not None]
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until every update received so far is done (for tests and shutdown)."""
        while True:
            workers = [c.worker for c in self._chats.values() if c.worker and not c.worker.done()]
            if not workers:
                return
            await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, chat: _Chat) -> None:
        while chat.queue and not self._stopping:
            update = chat.queue[0]
            async with self._slots:
                done = await self._handle(update)
            if not done:
                return  # stopping while retrying: this and the rest stay with Telegram
            chat.queue.popleft()
            self._unfinished.discard(update.update_id)
            self._finished.set()

    async def _handle(self, update: Update) -> bool:
        """Handle one update, trying a transient failure again; False if stopped meanwhile."""

        async def feed(last: bool) -> None:
            await self.dispatcher.feed_update(self.bot, update, **{LAST_ATTEMPT: last})

        return await handled(
            feed,
            f"update {update.update_id}",
            attempts=self.attempts,
            backoff=self.backoff,
            sleep=self._sleep,
            stopping=lambda: self._stopping,
        )


async def handled(
    feed: Callable[[bool], Awaitable[None]],
    name: str,
    *,
    attempts: int,
    backoff: Sequence[float],
    sleep: Callable[[float], Awaitable[object]],
    stopping: Callable[[], bool],
) -> bool:
    """Handle one update through `feed(last_attempt)`, trying a transient failure again after
    the `backoff` pauses, up to `attempts` times; False if stopping meanwhile (the update stays
    with the messenger). Any other error was answered by the error handler: not ours to retry.
    Telegram's poller and MAX's share this policy."""
    for attempt in range(1, attempts + 1):
        try:
            await feed(attempt == attempts)
        except TransientFailure as error:
            if stopping():
                return False
            pause = backoff[min(attempt, len(backoff)) - 1]
            log.warning(
                "%s failed (%s); attempt %s, again in %s s",
                name,
                error.__cause__ or error,
                attempt,
                pause,
            )
            await sleep(pause)
            continue
        except Exception:
            log.exception("%s failed", name)
        return True
    return True
