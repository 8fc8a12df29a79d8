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


def build_scheduler(
    plan: Callable[[], Awaitable[object]], *, every_seconds: float = 60
) -> AsyncIOScheduler:
    """A scheduler whose one job calls `plan` now and every `every_seconds` after."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        plan,
        IntervalTrigger(seconds=every_seconds, timezone=UTC),
        id=PLAN_REMINDERS,
        name="plan reminder rounds",
        next_run_time=datetime.now(UTC),  # at start: catch up after downtime at once
        coalesce=True,  # ticks missed while busy or asleep collapse into one
        max_instances=1,
        misfire_grace_time=None,
        replace_existing=True,
    )
    return scheduler
