"""The ticks keep coming when the wall clock steps back or forward (NTP, a VM resumed).

APScheduler 3's interval trigger slept until a wall-clock instant: after a step back of a day
no reminder or question was planned for a day. The ticks now wait on monotonic time; these
tests drive them with a controllable sleep and count ticks — no timed assertions.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.clock import FixedClock
from schedules import PLAN_QUESTIONS, PLAN_REMINDERS, build_scheduler


class FakeTime:
    """Monotonic time that moves only when the ticker sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.mark.parametrize("step", [timedelta(hours=-1), timedelta(days=-1), timedelta(days=1)])
async def test_a_step_of_the_wall_clock_does_not_stop_the_ticks(step: timedelta) -> None:
    wall = FixedClock(datetime(2024, 3, 4, 9, 0, tzinfo=UTC))
    seen: list[datetime] = []

    async def plan() -> None:
        seen.append(wall.now())
        if len(seen) == 3:
            wall.advance(step)  # the NTP step, between two ticks
        else:
            wall.advance(timedelta(minutes=1))

    fake = FakeTime()
    ticker = build_scheduler(plan, every_seconds=60, sleep=fake.sleep, monotonic=fake.monotonic)
    tick = ticker.get_job(PLAN_REMINDERS)
    assert tick is not None
    await ticker.run(tick, times=10)

    assert len(seen) == 10  # every tick came, before and after the step
    assert fake.sleeps == [60.0] * 9
    assert seen[3] - seen[2] == step  # the planners saw the stepped clock


async def test_started_ticks_run_both_jobs_and_survive_a_failure() -> None:
    fake = FakeTime()
    calls = {"plan": 0, "questions": 0}
    enough = asyncio.Event()

    async def plan() -> None:
        calls["plan"] += 1
        if calls["plan"] == 2:
            raise RuntimeError("database is locked")
        if calls["plan"] >= 5:
            enough.set()

    async def questions() -> None:
        calls["questions"] += 1

    ticker = build_scheduler(
        plan, questions=questions, every_seconds=60, sleep=fake.sleep, monotonic=fake.monotonic
    )
    assert ticker.get_job(PLAN_QUESTIONS) is not None
    ticker.start()
    await asyncio.wait_for(enough.wait(), 5)
    ticker.shutdown(wait=False)
    await asyncio.sleep(0)
    assert not ticker.running
    assert calls["plan"] >= 5  # the failing tick did not end the ticking
    assert calls["questions"] >= 4


async def test_a_slow_tick_shortens_the_wait_and_never_overlaps() -> None:
    fake = FakeTime()
    running = 0
    overlaps = 0

    async def plan() -> None:
        nonlocal running, overlaps
        running += 1
        overlaps += running > 1
        fake.now += 45  # the tick took 45 s
        running -= 1

    ticker = build_scheduler(plan, every_seconds=60, sleep=fake.sleep, monotonic=fake.monotonic)
    tick = ticker.get_job(PLAN_REMINDERS)
    assert tick is not None
    await ticker.run(tick, times=3)
    assert fake.sleeps == [15.0, 15.0]
    assert overlaps == 0
