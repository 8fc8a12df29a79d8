"""APScheduler setup: it only ticks. The database, not the scheduler's memory, is the truth.

No job per reminder (a restart would lose them, an edit would leave them wrong): one interval
job plans reminder rounds from the database every minute; sending is the outbox sender's.
The job store is in memory on purpose — there is nothing in it worth persisting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

PLAN_REMINDERS = "plan-reminders"
PLAN_QUESTIONS = "plan-questions"


def build_scheduler(
    plan: Callable[[], Awaitable[object]],
    *,
    questions: Callable[[], Awaitable[object]] | None = None,
    every_seconds: float = 60,
) -> AsyncIOScheduler:
    """A scheduler whose jobs call `plan` (reminder rounds) and `questions` (the weekly
    numbers) now and every `every_seconds` after."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    _tick(scheduler, plan, PLAN_REMINDERS, "plan reminder rounds", every_seconds)
    if questions is not None:
        _tick(scheduler, questions, PLAN_QUESTIONS, "plan weekly questions", every_seconds)
    return scheduler


def _tick(
    scheduler: AsyncIOScheduler,
    job: Callable[[], Awaitable[object]],
    job_id: str,
    name: str,
    every_seconds: float,
) -> None:
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=every_seconds, timezone=UTC),
        id=job_id,
        name=name,
        next_run_time=datetime.now(UTC),  # at start: catch up after downtime at once
        coalesce=True,  # ticks missed while busy or asleep collapse into one
        max_instances=1,
        misfire_grace_time=None,
        replace_existing=True,
    )
