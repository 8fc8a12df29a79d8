"""The senders of outbox messages: never lost, never doubled, within each messenger's limits,
never in the recipient's quiet hours.

One `Sender` per channel: it claims that channel's rows only and says them through the
channel's `Transport` (bot/delivery/transport.py), paced by a `Limiter` of that channel's
limits, so a channel that fails (MAX is down, Telegram took our token) holds up no other.
`Delivery` runs every channel's sender side by side.

How a drain goes. Due rows are claimed in batches (a lease, see storage/outbox.py) into a
queue. Each row is handed to its own task while fewer than `max_in_flight` are under way;
the task composes the text, books a send time from the `Limiter` (global, per-chat and
per-group limits), waits for it, sends, and hands the outcome to the recorder, the single
writer, which commits outcomes as they come in small grouped transactions (those arriving
within RECORD_WINDOW share one). Tasks book their times as soon as they start, so up to
`max_in_flight` sends are scheduled ahead and the limit is used to the full even when the
event loop is late now and then. A task's place is given back only once its outcome is
committed, so at any moment at most `max_in_flight` messages are sent and not yet recorded:
that is all a crash (kill -9) can duplicate. Rows claimed and not yet sent are not sent
twice: the next sender claims them once their lease has run out.

Quiet hours hold at send time, not only when planning. Everything in the outbox is said on
the bot's own initiative (digests, escalations, the weekly questions and their reminders),
so a row that comes due in its recipient's quiet hours — the bot was down all day and is back
at 22:30, or a long round ran past 21:00 — is not sent: it goes back to pending until the
quiet hours end, untried (the claim's attempt is undone), and goes in the morning unless the
morning's round for the same chat and kind supersedes it first (which folds it in). Replies
are not the outbox's: they go straight out, unless the messenger tells one to wait long
(bot/channels/telegram/retry.py); then it comes here, and quiet hours do not hold it (someone
is waiting for it).
`RecipientHours` says when the quiet hours end, and when a row's round ends (midnight after
its `round` day, the recipient's time).

What the transport says decides the row's end:

* sent: sent, with the messenger's message id.
* RetryAfter (a 429): a short one (up to CHAT_FLOOD_AFTER seconds) may be the bot's
  overall limit, so ALL sending pauses for `retry_after` (the limiter books nothing before the
  pause ends, and a task whose booked time fell inside the pause books again). A long one is
  that chat's flood control: only that chat waits `retry_after`, the others go on after a
  breath (CHAT_FLOOD_BREATH) — one chat under a 30 s wait must not hold a round for 355
  schools — unless CHAT_FLOOD_CHATS chats met long 429s within a minute, which is no chat's
  own matter any more: then everything pauses. The same row is sent again after its pause.
  Not a failed attempt, but bounded: after ``max_attempts * RATE_LIMITED_TRIES_PER_ATTEMPT``
  429s for one row it fails.
* Transient (5xx, network errors, undecodable answers): the messenger stumbles, the message
  is fine.
  Back to pending with the error as the reason and an exponential backoff (0.5 s, 1 s,
  2 s ... at most MAX_BACKOFF, five minutes; ``attempts`` counts the tries), for as long as
  the row's round is current: a minute of 502s at 10:00 must not cost anyone the day's
  reminder, as a fixed handful of tries in seconds did. Only a retry that would come after
  the round's end (or in the quiet hours that outlast it) ends the row: failed, ``stale: ...``
  with the last error. By then a newer round is what people should read, and the planner
  folds the stale row's lines into it (storage/outbox.py); if a newer round supersedes a
  waiting row first, it folds it in the same way. The round bounds retries, not a first try:
  a row held overnight by the quiet hours is still sent in the morning.
* Unreachable (403: blocked by the user, kicked from the group; MAX's 404 too): failed with
  the transport's reason (``forbidden: ...``), the chat is remembered as unreachable in its
  channel, its other pending rows are cancelled and the rows of it this sender holds fail
  with the same reason.
* Refused (400 and other refusals): failed with the messenger's description, no retry.
* AuthLost (401, the token no longer works): the row is given back untried and the drain
  stops; nothing is marked failed for a problem that is not the message's. The channel's
  next drain tries again; the other channels go on meanwhile.

A row's address is (channel, chat id, kind), the kind read from the identities when the row is
claimed (`OutboxStore.user_chats`): "user" when the chat id is a person's user id there and
not a chat id (a MAX user whose dialog's id the bot does not know: MAX writes to them by user
id), else "chat". Telegram's are all chats (a user id is the private chat's id).

A row whose `compose` returns None is cancelled (nothing left to say). Every row a drain
claims ends recorded as sent, failed, cancelled or pending again before `drain` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from functools import partial
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from bot.delivery.limits import Limiter, RateLimits
from bot.delivery.transport import (
    AuthLost,
    Refused,
    RetryAfter,
    Transient,
    Transport,
    Unreachable,
)
from bot.domain.channels import Address
from bot.messages import Outgoing
from bot.services.clock import Clock
from storage.db import Database
from storage.outbox import CANCELLED, FAILED, REPLY, OutboxRow, OutboxStore, stale_reason

log = logging.getLogger(__name__)

DIGEST_GRACE_MINUTES = 2  # the planner ticks every minute: let the morning's round come first
# A 429 asking for more than CHAT_FLOOD_AFTER seconds is taken as the chat's own flood
# control: that chat waits, the others go on after CHAT_FLOOD_BREATH seconds; unless
# CHAT_FLOOD_CHATS chats met one within CHAT_FLOOD_WINDOW seconds, and everything waits.
CHAT_FLOOD_AFTER = 5.0
CHAT_FLOOD_BREATH = 1.0
CHAT_FLOOD_CHATS = 3
CHAT_FLOOD_WINDOW = 60.0
BACKOFF = 0.5  # seconds before the second try; doubled for every further one
MAX_BACKOFF = 300.0  # ... up to five minutes between tries, for as long as the round lasts
RATE_LIMITED_TRIES_PER_ATTEMPT = 4
NOTHING_TO_SAY = "nothing left to say"
UNREACHABLE = "chat unreachable"
_SHORT_WAIT = 0.25  # waits up to this long are not worth racing against a stop
_WRITE_TRIES = 5
RECORD_WINDOW = 0.01  # seconds an outcome may wait for others to share its transaction


Compose = Callable[[OutboxRow], Awaitable[Outgoing | None]]
"""What to say for a row (None: nothing left to say). An attachment goes as one message with
the text as its caption, so a picture and its words are sent, retried and recorded as one."""


class RecipientHours(Protocol):
    """The recipient's clock, as far as sending goes."""

    def quiet_until(self, row: OutboxRow, now: datetime) -> datetime | None:
        """When the recipient's quiet hours end if `now` is in them; None: send away."""
        ...

    def round_ends(self, row: OutboxRow) -> datetime:
        """When the row's round stops being current: the end of its `round` day, locally."""
        ...


@dataclass(frozen=True, slots=True)
class QuietHours:
    """One time zone for every recipient, and its quiet hours (from `quiet[0]` o'clock to
    `quiet[1]` o'clock, across midnight when the first is later; equal hours or None: never
    quiet). The default: UTC, never quiet. `zone_of` may name a recipient's own time zone
    (None: `timezone`)."""

    timezone: str = "UTC"
    quiet: tuple[int, int] | None = None
    zone_of: Callable[[OutboxRow], str | None] | None = None
    # A reminder digest held overnight waits for the morning's round (planned from this hour)
    # rather than the end of the quiet hours, so the round supersedes it and folds its lines
    # in: one digest that morning, not yesterday's at 08:00 and today's at 10:00.
    digest_hour: int | None = None

    def _zone(self, row: OutboxRow) -> ZoneInfo:
        own = self.zone_of(row) if self.zone_of is not None else None
        return ZoneInfo(own or self.timezone)

    def quiet_until(self, row: OutboxRow, now: datetime) -> datetime | None:
        if self.quiet is None or row.kind.startswith(REPLY):
            return None
        start, end = self.quiet
        zone = self._zone(row)
        local = now.astimezone(zone)
        hour = local.hour
        inside = (start <= hour or hour < end) if start > end else (start <= hour < end)
        if not inside:
            return None
        day = local.date() if hour < end else local.date() + timedelta(days=1)
        resume = time_of_day(end)
        if self.digest_hour is not None and row.kind.startswith("digest"):
            resume = time_of_day(max(end, self.digest_hour), DIGEST_GRACE_MINUTES)
        return datetime.combine(day, resume, zone).astimezone(UTC)

    def round_ends(self, row: OutboxRow) -> datetime:
        day_after = row.round + timedelta(days=1)
        return datetime.combine(day_after, time_of_day(0), self._zone(row)).astimezone(UTC)


@dataclass(slots=True)
class DeliveryStats:
    """What a drain did: rows it ended, retries it scheduled, 429s it met, seconds it took."""

    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    retried: int = 0  # put back to pending for a later try (5xx, network)
    rate_limited: int = 0  # 429 answers (the row was sent again after the pause)
    elapsed: float = 0.0
    postponed: int = 0  # put back untried until the recipient's quiet hours end

    def __add__(self, other: DeliveryStats) -> DeliveryStats:
        return DeliveryStats(
            self.sent + other.sent,
            self.failed + other.failed,
            self.cancelled + other.cancelled,
            self.retried + other.retried,
            self.rate_limited + other.rate_limited,
            self.elapsed + other.elapsed,
            self.postponed + other.postponed,
        )

    @property
    def ended(self) -> int:
        return self.sent + self.failed + self.cancelled


def default_worker() -> str:
    """Unique per process and start: host-pid-random (fits outbox.claimed_by)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


OutcomeKind = Literal[
    "sent", "failed", "cancelled", "retry", "postpone", "release", "forbidden", "lost"
]


@dataclass(slots=True)
class _Outcome:
    row: OutboxRow
    kind: OutcomeKind
    reason: str | None = None
    message_id: str | None = None
    not_before: datetime | None = None
    done: asyncio.Future[None] | None = field(default=None, repr=False)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _forget_last(
    last_of_chat: dict[int, asyncio.Task[None]], chat_id: int, done: asyncio.Task[None]
) -> None:
    if last_of_chat.get(chat_id) is done:
        del last_of_chat[chat_id]


class Sender:
    """Sends what the outbox holds for one channel. One per channel and bot; safe to run beside
    another on one database (the claim decides who sends a row), though one is enough."""

    def __init__(
        self,
        database: Database,
        transport: Transport,
        clock: Clock,
        compose: Compose,
        *,
        hours: RecipientHours | None = None,
        limits: RateLimits | None = None,
        worker: str | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
        max_attempts: int = 5,
        max_in_flight: int = 64,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        :param transport: the channel's: its rows are the ones sent (a Telegram one over a
            plain Bot, without the reply middleware: the sender owns its retries).
        :param limits: the pace (default: the channel's limits, with a margin overall).
        :param hours: the recipients' quiet hours and when a round ends (default: never
            quiet, rounds end at midnight UTC).
        :param lease: how long a claim holds a row; rows held longer are renewed before
            they are sent, and a crashed sender's rows are claimed again after it.
        :param batch: rows per claim.
        :param max_attempts: claims of a row that never came back with an outcome (a sender
            died on it each time) before it fails; and, times RATE_LIMITED_TRIES_PER_ATTEMPT,
            the 429s one row may meet. 5xx and network errors are retried while the round
            is current, however many tries that takes.
        :param max_in_flight: messages being sent or recorded at once; also the most a
            crash can duplicate.
        """
        if batch < 1 or max_in_flight < 1 or max_attempts < 1:
            raise ValueError("batch, max_in_flight and max_attempts must be positive")
        self.database = database
        self.transport = transport
        self.channel = transport.channel
        self.clock = clock
        self.compose = compose
        self.hours: RecipientHours = hours or QuietHours()
        self.limits = limits or RateLimits.within(transport.limits)
        self.limiter = Limiter(self.limits)
        self.worker = worker or default_worker()
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self.max_in_flight = max_in_flight
        self.sleep = sleep
        self.monotonic = monotonic
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        # Per drain:
        self._halted = False
        self._stats = DeliveryStats()
        self._held: dict[int, datetime] = {}  # claimed and not yet recorded -> lease end
        self._users: set[int] = set()  # chat ids of held rows that are user ids (see module)
        self._unreachable: dict[int, str] = {}  # chat -> reason, learnt during this drain
        self._outcomes: asyncio.Queue[_Outcome | None] = asyncio.Queue()
        self._write_error: Exception | None = None
        self._renewing = asyncio.Lock()
        self._floods: deque[tuple[float, tuple[str, int]]] = deque()  # long 429s: (when, chat)

    # -- running -------------------------------------------------------------------------------

    def wake(self) -> None:
        """Something new was planned: look now rather than after the idle wait."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Drain again and again until `stop` is set; then finish the sends under way (rows
        claimed and not yet started are given back) and return.

        Between drains waits `idle` seconds, less when a row comes due sooner, and wakes at
        once on `wake()`. A drain that fails (the database is away) is logged and retried.
        """

        async def watch() -> None:
            await stop.wait()
            self._stop.set()
            self._wake.set()

        watcher = asyncio.create_task(watch())
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.drain()
                except Exception:
                    log.exception("delivery failed; trying again in %s s", idle)
                if stop.is_set():
                    break
                await self._idle(idle)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self._stop.clear()

    async def _idle(self, idle: float) -> None:
        wait = idle
        with contextlib.suppress(Exception):
            async with self.database.transaction() as connection:
                due = await OutboxStore(connection).next_due(self.channel)
            if due is not None:
                wait = min(idle, max(0.0, (due - self.clock.now()).total_seconds()))
        if wait > 0 and not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def drain(self, *, wait_for_retries: bool = False) -> DeliveryStats:
        """Send everything due now; return when every row this drain claimed is recorded.

        With `wait_for_retries`, keep going until nothing is pending or sending at all:
        sleep until retries come due and until a dead sender's leases run out.
        """
        started = self.monotonic()
        self._stats = DeliveryStats()
        self._halted = False
        self._unreachable = {}
        self._held = {}
        self._users = set()
        self._outcomes = asyncio.Queue()
        self._write_error = None
        recorder = asyncio.create_task(self._record_outcomes())
        try:
            while True:
                await self._send_due()
                if not wait_for_retries or self._stopping:
                    break
                async with self.database.transaction() as connection:
                    due = await OutboxStore(connection).next_due(self.channel)
                if due is None:
                    break
                await self._wait(max(0.0, (due - self.clock.now()).total_seconds()) + 0.01)
        except asyncio.CancelledError:
            # Cancelled from outside: like a crash, what is held stays `sending` until the
            # lease ends. (A stop through `run` is the orderly way.)
            recorder.cancel()
            raise
        finally:
            if not recorder.done():
                self._outcomes.put_nowait(None)
                await recorder
        if self._write_error is not None:
            # Rows stay `sending` until their lease ends and are claimed again then.
            raise self._write_error
        stats = self._stats
        stats.elapsed = self.monotonic() - started
        if stats.ended or stats.retried or stats.postponed:
            log.info(
                "delivery: %s sent, %s failed, %s cancelled, %s to retry, %s held for the"
                " quiet hours, %s × 429 in %.1f s",
                stats.sent,
                stats.failed,
                stats.cancelled,
                stats.retried,
                stats.postponed,
                stats.rate_limited,
                stats.elapsed,
            )
        return stats

    @property
    def _stopping(self) -> bool:
        return self._halted or self._stop.is_set()

    # -- claiming and dispatching -------------------------------------------------------------

    async def _send_due(self) -> None:
        """Claim and dispatch until nothing is due and nothing is under way."""
        queue: deque[OutboxRow] = deque()
        tasks: set[asyncio.Task[None]] = set()
        # Each chat's messages go in the order claimed (oldest first): a chat's next message
        # starts once its previous one is sent or given up.
        last_of_chat: dict[int, asyncio.Task[None]] = {}
        places = asyncio.Semaphore(self.max_in_flight)
        # At most what can be sent in a quarter of the lease, so a claim is not held idle.
        per_claim = max(1, min(self.batch, int(self.limits.per_second * self._lease_s / 4)))
        more = True  # the last claim was full: more may be due
        try:
            while not self._stopping:
                if more and len(queue) <= per_claim // 2:
                    asked = per_claim - len(queue)
                    claimed, count = await self._claim(asked)
                    queue.extend(claimed)
                    more = count >= asked
                if not queue:
                    if tasks:
                        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                        continue
                    if more:
                        continue
                    # Nothing in hand: one more look for rows that came due meanwhile.
                    claimed, count = await self._claim(per_claim)
                    if not count:
                        break
                    queue.extend(claimed)
                    more = count >= per_claim
                    continue
                await places.acquire()
                if self._stopping:
                    places.release()
                    break
                row = queue.popleft()
                earlier = last_of_chat.get(row.chat_id)
                task = asyncio.create_task(self._deliver(row, places, earlier))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                last_of_chat[row.chat_id] = task
                task.add_done_callback(partial(_forget_last, last_of_chat, row.chat_id))
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
        finally:
            current = asyncio.current_task()
            if queue and not (current is not None and current.cancelling()):
                # Stopping: claimed and never tried, so given back as they were.
                await self._record_all([_Outcome(row, "release") for row in queue])
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def _lease_s(self) -> float:
        return self.lease.total_seconds()

    async def _claim(self, limit: int) -> tuple[list[OutboxRow], int]:
        """Claim up to `limit` rows; returns those to send and how many were claimed
        (rows for unreachable chats and rows tried too often end at once)."""
        now = self.clock.now()
        async with self.database.transaction() as connection:
            store = OutboxStore(connection)
            claimed = await store.claim(self.worker, now, self.lease, limit, channel=self.channel)
            chats = {row.chat_id for row in claimed}
            unreachable = await store.unreachable(chats, channel=self.channel)
            self._users |= await store.user_chats(chats, channel=self.channel)
        fresh: list[OutboxRow] = []
        ended: list[_Outcome] = []
        for row in claimed:
            if row.id in self._held:  # our own claim ran out and we took it again
                self._held[row.id] = now + self.lease
                continue
            self._held[row.id] = now + self.lease
            if row.chat_id in unreachable:
                ended.append(_Outcome(row, "cancelled", f"{UNREACHABLE} (it told us to stop)"))
            elif row.reason is None and row.attempts > self.max_attempts + 1:
                # Claimed again and again without an outcome: a sender died on it each time.
                # (A row retried after 5xx carries the error as its reason and may be tried
                # many times; its round bounds it.)
                ended.append(_Outcome(row, "failed", f"gave up after {row.attempts} attempts"))
            else:
                fresh.append(row)
        if ended:
            await self._record_all(ended)
        return fresh, len(claimed)

    # -- one row -------------------------------------------------------------------------------

    async def _deliver(
        self, row: OutboxRow, places: asyncio.Semaphore, after: asyncio.Task[None] | None = None
    ) -> None:
        try:
            if after is not None:  # the chat's earlier message first: questions 1 and 2 in order
                await asyncio.wait([after])
            try:
                outcome = await self._attempt(row)
            except Exception as error:  # a bug (compose, us): end the row, say why
                log.exception("delivery of outbox row %s failed", row.id)
                outcome = _Outcome(row, "failed", f"error: {_describe(error)}")
            await self._record(outcome)
        finally:
            places.release()

    async def _attempt(self, row: OutboxRow) -> _Outcome:
        if row.chat_id in self._unreachable:
            return _Outcome(row, "failed", self._unreachable[row.chat_id])
        waiting = self._not_now(row)
        if waiting is not None:
            return waiting
        try:
            composed = await self.compose(row)
        except Exception as error:
            log.exception("composing outbox row %s failed", row.id)
            return _Outcome(row, "failed", f"compose failed: {_describe(error)}")
        if composed is None:
            return _Outcome(row, "cancelled", NOTHING_TO_SAY)
        address = Address(
            self.channel, row.chat_id, "user" if row.chat_id in self._users else "chat"
        )
        is_group = self.transport.is_group(address)
        chat = (self.channel, row.chat_id)  # the limiter's key
        rate_limited = 0
        while True:
            at = self.limiter.reserve(chat, is_group, self.monotonic())
            await self._wait(at - self.monotonic())
            if self._stopping:
                return _Outcome(row, "release")
            if self.limiter.paused_until > self.monotonic():
                self.limiter.cancel(chat, at)
                continue  # a 429 came while we waited: book again, after the pause
            if row.chat_id in self._unreachable:
                return _Outcome(row, "failed", self._unreachable[row.chat_id])
            if not await self._still_held(row):
                return _Outcome(row, "lost")
            waiting = self._not_now(row)  # the wait for a turn ran into the quiet hours
            if waiting is not None:
                return waiting
            late = self.limiter.chat_ready(chat) - self.monotonic()
            if late > 0:  # the chat's previous message left late: keep the gap all the same
                await self._wait(late)
                if self._stopping:
                    return _Outcome(row, "release")
            self.limiter.sent(chat, self.monotonic())
            try:
                ref = await self.transport.send(address, composed)
            except RetryAfter as error:
                self._stats.rate_limited += 1
                rate_limited += 1
                self._rate_limited(chat, error.seconds)
                if rate_limited >= self.max_attempts * RATE_LIMITED_TRIES_PER_ATTEMPT:
                    return _Outcome(row, "failed", f"rate limited {rate_limited} times")
                continue
            except Unreachable as error:
                self._unreachable.setdefault(row.chat_id, error.reason)
                return _Outcome(row, "forbidden", error.reason)
            except AuthLost as error:
                log.error(
                    "%s refused the bot's token (%s); its delivery stops", self.channel, error
                )
                self._halted = True
                return _Outcome(row, "release")
            except Transient as error:
                return self._transient(row, error.reason)
            except Refused as error:
                return _Outcome(row, "failed", error.reason)
            return _Outcome(row, "sent", message_id=ref)

    def _rate_limited(self, chat_id: tuple[str, int], retry_after: float) -> None:
        """A 429: pause the chat when it is the chat's flood control, else everything."""
        now = self.monotonic()
        floods = self._floods
        while floods and floods[0][0] < now - CHAT_FLOOD_WINDOW:
            floods.popleft()
        if retry_after > CHAT_FLOOD_AFTER:
            floods.append((now, chat_id))
            if len({chat for _, chat in floods}) < CHAT_FLOOD_CHATS:
                self.limiter.pause_chat(chat_id, now + retry_after)
                self.limiter.pause_until(now + min(retry_after, CHAT_FLOOD_BREATH))
                log.warning("429 on one chat: it waits %s s, the others go on", retry_after)
                return
        self.limiter.pause_until(now + retry_after)
        log.warning("429: all sending paused for %s s", retry_after)

    def _not_now(self, row: OutboxRow) -> _Outcome | None:
        """Why not to send the row now, if so: the recipient's quiet hours (postponed to
        their end), or a retry that outlived its round (stale)."""
        now = self.clock.now()
        retrying = row.reason is not None  # a 5xx put it back; it says so until it ends
        if retrying and now >= self.hours.round_ends(row):
            return _Outcome(row, "failed", stale_reason(row.round, row.reason or ""))
        until = self.hours.quiet_until(row, now)
        if until is None:
            return None
        if retrying and until >= self.hours.round_ends(row):
            return _Outcome(row, "failed", stale_reason(row.round, row.reason or ""))
        return _Outcome(row, "postpone", not_before=until)

    def _transient(self, row: OutboxRow, reason: str) -> _Outcome:
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** min(max(row.attempts - 1, 0), 32))
        not_before = self.clock.now() + timedelta(seconds=delay)
        if not_before >= self.hours.round_ends(row):
            return _Outcome(row, "failed", stale_reason(row.round, reason))
        # Once per row at warning level: an outage of hours retries every row many times.
        level = logging.WARNING if row.reason is None else logging.DEBUG
        log.log(level, "outbox row %s: %s; retrying in %s s", row.id, reason, delay)
        return _Outcome(row, "retry", reason, not_before=not_before)

    async def _wait(self, seconds: float) -> None:
        """Sleep, cut short by a stop when the wait is long enough to matter."""
        if seconds <= 0:
            return
        if seconds <= _SHORT_WAIT or self._stop.is_set():
            if not self._stop.is_set():
                await self.sleep(seconds)
            return
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sleeping, stopping):
                waiter.cancel()
            await asyncio.gather(sleeping, stopping, return_exceptions=True)

    async def _still_held(self, row: OutboxRow) -> bool:
        """True if our claim on the row has at least half a lease left, renewing the leases
        of every row we hold when it has less (long 429 pauses, slow per-chat queues).
        Never send a row whose claim another sender may have taken over."""
        until = self._held.get(row.id)
        if until is None:
            return False
        if until - self.clock.now() > self.lease / 2:
            return True
        async with self._renewing:
            until = self._held.get(row.id)
            if until is not None and until - self.clock.now() > self.lease / 2:
                return True
            now = self.clock.now()
            held_until = now + self.lease
            async with self.database.transaction() as connection:
                held = await OutboxStore(connection).renew(self.worker, self._held, held_until)
            for row_id in list(self._held):
                if row_id in held:
                    self._held[row_id] = held_until
                else:
                    log.warning("outbox row %s: our claim was taken over", row_id)
                    del self._held[row_id]
        return row.id in self._held

    # -- recording -----------------------------------------------------------------------------

    async def _record(self, outcome: _Outcome) -> None:
        outcome.done = asyncio.get_running_loop().create_future()
        self._outcomes.put_nowait(outcome)
        await outcome.done

    async def _record_all(self, outcomes: list[_Outcome]) -> None:
        await asyncio.gather(*(self._record(outcome) for outcome in outcomes))

    async def _record_outcomes(self) -> None:
        """The single writer: whatever outcomes are waiting go into one transaction."""
        closing = False
        while not closing:
            first = await self._outcomes.get()
            if first is None:
                break
            batch = [first]
            # A moment for the outcomes of the sends finishing now to join this transaction:
            # at hundreds of messages a second one commit per message would cost more CPU
            # than the sending. Short beside a send, and the places stay bounded meanwhile.
            await asyncio.sleep(RECORD_WINDOW)
            while not self._outcomes.empty():
                more = self._outcomes.get_nowait()
                if more is None:
                    closing = True
                    break
                batch.append(more)
            try:
                await self._write(batch)
            except Exception as error:
                self._write_error = error
                for outcome in batch:
                    if outcome.done is not None and not outcome.done.done():
                        outcome.done.set_exception(error)
                continue
            for outcome in batch:
                if outcome.done is not None and not outcome.done.done():
                    outcome.done.set_result(None)

    async def _write(self, batch: list[_Outcome]) -> None:
        for attempt in range(1, _WRITE_TRIES + 1):
            try:
                await self._write_once(batch)
                return
            except Exception:
                if attempt == _WRITE_TRIES:
                    log.exception("recording %s delivery outcomes failed", len(batch))
                    raise
                log.warning("recording delivery outcomes failed; again", exc_info=True)
                await asyncio.sleep(BACKOFF * attempt)

    async def _write_once(self, batch: list[_Outcome]) -> None:
        stats = DeliveryStats()
        worker = self.worker
        sent = [(o.row.id, o.message_id) for o in batch if o.kind == "sent" and o.message_id]
        failed = [(o.row.id, o.reason or "") for o in batch if o.kind == "failed"]
        cancelled = [(o.row.id, o.reason or "") for o in batch if o.kind == "cancelled"]
        async with self.database.transaction() as connection:
            store = OutboxStore(connection)
            now = self.clock.now()
            stats.sent = await store.mark_sent_many(sent, now, worker=worker)
            stats.failed = await store.end_many(FAILED, failed, worker=worker)
            stats.cancelled = await store.end_many(CANCELLED, cancelled, worker=worker)
            lost = len(sent) + len(failed) + len(cancelled) - stats.ended
            for outcome in batch:
                row, reason = outcome.row, outcome.reason or ""
                if outcome.kind == "retry":
                    assert outcome.not_before is not None
                    ours = await store.retry_later(
                        row.id, outcome.not_before, reason, worker=worker
                    )
                    stats.retried += ours
                    lost += not ours
                elif outcome.kind == "postpone":
                    assert outcome.not_before is not None
                    ours = await store.postpone(row.id, outcome.not_before, worker=worker)
                    stats.postponed += ours
                    lost += not ours
                elif outcome.kind == "release":
                    await store.release(worker, [row.id])
                elif outcome.kind == "forbidden":
                    ours = await store.mark_failed(row.id, reason, now, worker=worker)
                    stats.failed += ours
                    lost += not ours
                    await store.mark_unreachable(row.chat_id, reason, now, channel=self.channel)
                    stats.cancelled += await store.cancel_pending_for(
                        row.chat_id, f"{UNREACHABLE}: {reason}", channel=self.channel
                    )
        if lost:
            # Our lease ran out and another sender took the rows over before we recorded
            # them: they may be sent twice. (Leases are renewed; this takes a long stall.)
            log.warning("%s delivery outcomes were no longer ours to record", lost)
        # Counted once committed; a retried write does not count twice.
        for outcome in batch:
            self._held.pop(outcome.row.id, None)
        total = self._stats
        total.sent += stats.sent
        total.failed += stats.failed
        total.cancelled += stats.cancelled
        total.retried += stats.retried
        total.postponed += stats.postponed


class Delivery:
    """Every channel's sender, each on a loop of its own: one channel's trouble (its
    messenger down, its token refused, a bug) never stops another's sending."""

    def __init__(self, senders: Iterable[Sender]) -> None:
        self.senders: dict[str, Sender] = {}
        for sender in senders:
            if sender.channel in self.senders:
                raise ValueError(f"two senders for {sender.channel}")
            self.senders[sender.channel] = sender

    def wake(self) -> None:
        """Something new was planned: every sender looks now."""
        for sender in self.senders.values():
            sender.wake()

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Run every sender until `stop` is set (see `Sender.run`)."""

        async def one(sender: Sender) -> None:
            try:
                await sender.run(stop, idle)
            except Exception:  # Sender.run survives its drains' failures; this is a bug
                log.exception("the %s sender stopped", sender.channel)

        await asyncio.gather(*(one(sender) for sender in self.senders.values()))

    async def drain(self, *, wait_for_retries: bool = False) -> DeliveryStats:
        """Every channel's `Sender.drain`, side by side; their stats added up."""
        done = await asyncio.gather(
            *(s.drain(wait_for_retries=wait_for_retries) for s in self.senders.values())
        )
        return sum(done, DeliveryStats())
