"""The ticks: it only ticks. The database, not the scheduler's memory, is the truth.

No job per reminder (a restart would lose them, an edit would leave them wrong): one tick
plans reminder rounds from the database every minute, another the weekly questions; sending
is the outbox sender's. What is due is decided by the planners from the injected clock, so a
tick only has to come, every minute, whatever the wall clock does.

Why not APScheduler's IntervalTrigger any more: APScheduler 3 computes each next run as a wall
clock instant and sleeps until the wall clock reaches it. After an NTP-style step back (an
hour, a day) nothing ran until real time caught up with the old instant — reminders and
questions stopped for that long. These ticks wait on the monotonic clock (the event loop's
`sleep`), which a step of the wall clock does not move, so they keep coming in both
directions. Nothing else APScheduler offers (cron expressions, job stores, executors) is used
by two fixed-interval ticks; the dependency stays for whoever needs calendar jobs.

Semantics kept from the APScheduler setup: the first tick runs at start (catch up after
downtime at once); a tick never overlaps itself (max_instances=1), and ticks missed while one
was busy collapse into the next (coalesce); a tick that raises is logged and the next comes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

PLAN_REMINDERS = "plan-reminders"
PLAN_QUESTIONS = "plan-questions"
PLAN_SUMMARY = "plan-summary"

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Tick:
    id: str
    name: str
    job: Callable[[], Awaitable[object]]


class Ticker:
    """Runs each tick now and then every `every_seconds` of monotonic time.

    `sleep` and `monotonic` are injected so tests drive ticks without waiting; in production
    they are `asyncio.sleep` and `time.monotonic`, neither of which a wall-clock step moves.
    """

    def __init__(
        self,
        every_seconds: float = 60,
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.every_seconds = every_seconds
        self.ticks: list[Tick] = []
        self._sleep = sleep
        self._monotonic = monotonic
        self._running: list[asyncio.Task[None]] = []

    def add(self, job: Callable[[], Awaitable[object]], *, id: str, name: str) -> None:
        self.ticks.append(Tick(id, name, job))

    def get_job(self, job_id: str) -> Tick | None:
        return next((tick for tick in self.ticks if tick.id == job_id), None)

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._running)

    def start(self) -> None:
        """Start every tick as a task of the running loop."""
        if self.running:
            raise RuntimeError("the ticker is already running")
        self._running = [
            asyncio.create_task(self.run(tick), name=f"tick {tick.id}") for tick in self.ticks
        ]

    def shutdown(self, wait: bool = False) -> None:
        """Stop ticking: a tick in the middle of its job is cancelled with it (its unit of
        work rolls back; the next start plans again from the database)."""
        del wait  # the signature of APScheduler's shutdown, for the callers
        for task in self._running:
            task.cancel()
        self._running = []

    async def run(self, tick: Tick, *, times: int | None = None) -> None:
        """Run `tick` now and every `every_seconds` after (`times` of them, or forever)."""
        count = 0
        while times is None or count < times:
            started = self._monotonic()
            try:
                await tick.job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; the next tick comes as usual", tick.name)
            count += 1
            if times is not None and count >= times:
                return
            # A busy tick shortens the wait; ticks it overran collapse into one.
            elapsed = self._monotonic() - started
            await self._sleep(max(0.0, self.every_seconds - elapsed))


def build_scheduler(
    plan: Callable[[], Awaitable[object]],
    *,
    questions: Callable[[], Awaitable[object]] | None = None,
    summary: Callable[[], Awaitable[object]] | None = None,
    every_seconds: float = 60,
    sleep: Sleep = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Ticker:
    """Ticks that call `plan` (reminder rounds) and `questions` (the weekly numbers) now and
    every `every_seconds` after; and `summary` (the staff's weekly summary)."""
    ticker = Ticker(every_seconds, sleep=sleep, monotonic=monotonic)
    ticker.add(plan, id=PLAN_REMINDERS, name="plan reminder rounds")
    if questions is not None:
        ticker.add(questions, id=PLAN_QUESTIONS, name="plan weekly questions")
    if summary is not None:
        ticker.add(summary, id=PLAN_SUMMARY, name="plan the weekly summary")
    return ticker
