"""Shares at the region's scale: a warm planning tick and the department's /status.

    python benchmarks/bench_shares.py [organisations] [tasks ...]

Builds, in a fresh SQLite database, a registry of `organisations` (40,000: the department,
100 municipal bodies, schools under them) with a coordinator bound to every body and a
representative to every tenth school, and a roadmap of `tasks` (25, then 100) each owed by
every school (about 39,900 shares a task) — deadlines spread around the measured days, one
in ten weekly — with a third of the shares marked done (inserted straight into share_marks:
1.3 million marks at 100 tasks; the marking path is not what is measured).

Then, best of 5, with tracemalloc's peak in a separate pass:
* a warm planning tick: the snapshots and the share ledger already in memory, as in a running
  bot; each tick plans a new working day, so every one writes its round's digests;
* /status at the department's scope (TaskService.status_for + render_status): every task's
  shares counted over 40,000 organisations.

The sizes are run one after another to show that a warm call's memory does not grow with
tasks × organisations (the masks hold a byte per organisation and task; counting allocates a
few integers). Targets: < 300 ms each, warm. No assertions.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from bot.domain.model import Deadline, Organisation, OrganisationKind, Party, Roadmap, Section, Task
from bot.render.report import render_status
from bot.render.texts import Texts
from bot.services.clock import FixedClock
from bot.services.parties import PartyService
from bot.services.people import CLI
from bot.services.reminders import ReminderPlanner, ReminderSettings
from bot.services.roadmaps import RoadmapService
from bot.services.shares import ShareLedger, ShareService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from storage.db import Database
from storage.organisations import OrganisationStore
from storage.tables import bindings, outbox, people

TARGET_MS = 300
DEPARTMENT = "Департамент образования"
DISTRICTS = 100
FIRST_DAY = date(2024, 3, 12)  # a Tuesday


def registry(organisations: int) -> list[Organisation]:
    orgs = [Organisation(DEPARTMENT, OrganisationKind.AUTHORITY, timezone="Europe/Moscow")]
    orgs += [
        Organisation(f"Управление образования района {d}", OrganisationKind.AUTHORITY, DEPARTMENT)
        for d in range(DISTRICTS)
    ]
    orgs += [
        Organisation(
            f"Школа № {n} района {n % DISTRICTS}",
            OrganisationKind.SCHOOL,
            f"Управление образования района {n % DISTRICTS}",
        )
        for n in range(organisations - len(orgs))
    ]
    return orgs


def roadmap(tasks: int, generator: random.Random) -> Roadmap:
    rows = []
    for n in range(tasks):
        if n % 10 == 9:
            deadline = Deadline("еженедельно, по пятницам", recurrence="FREQ=WEEKLY;BYDAY=FR")
        else:
            due = FIRST_DAY + timedelta(days=generator.randrange(-40, 40))
            deadline = Deadline(f"до {due:%d.%m.%Y}", due=due)
        rows.append(Task(str(n + 1), f"Мероприятие {n + 1}", "Раздел", ("Все школы",), deadline))
    return Roadmap(
        title="Дорожная карта",
        document_number="1-ОД",
        document_date=FIRST_DAY,
        sections=(Section("Раздел"),),
        tasks=tuple(rows),
        parties=(Party("Все школы"),),
    )


async def build(path: Path, database: Database, clock: FixedClock, tasks: int, size: int) -> int:
    generator = random.Random(319)
    orgs = registry(size)
    async with database.transaction() as connection:
        await OrganisationStore(connection).save(orgs, clock.now())
    await RoadmapService(database, clock, "Europe/Moscow").import_roadmap(roadmap(tasks, generator))
    await PartyService(database, clock, Snapshots(database)).assign(CLI, 1, "все школы")
    ids = {org.name: index + 1 for index, org in enumerate(orgs)}
    bound = [(f"Управление образования района {d}", "coordinator") for d in range(DISTRICTS)]
    bound += [(org.name, "rep") for org in orgs[1 + DISTRICTS :: 10]]
    now = clock.now()
    async with database.transaction() as connection:
        await connection.execute(
            insert(people),
            [
                {"id": 10_000 + n, "name": f"Человек {n}", "created_at": now, "seen_at": now}
                for n in range(len(bound))
            ],
        )
        await connection.execute(
            insert(bindings),
            [
                {
                    "person_id": 10_000 + n,
                    "role": role,
                    "organisation_id": ids[name],
                    "created_at": now,
                }
                for n, (name, role) in enumerate(bound)
            ],
        )
    # A third of every task's shares done, straight into the table.
    schools = [ids[org.name] for org in orgs if org.kind is OrganisationKind.SCHOOL]
    raw = sqlite3.connect(path)
    task_rows = raw.execute("SELECT id, deadline_recurrence FROM tasks").fetchall()
    at = "2024-03-01 07:00:00.000000"
    with raw:
        for task_id, recurrence in task_rows:
            occurrence = "2024-03-15" if recurrence else "0001-01-01"
            raw.executemany(
                "INSERT INTO share_marks (task_id, organisation_id, occurrence, state, actor, at)"
                " VALUES (?, ?, ?, 'done', 'person:1', ?)",
                [
                    (task_id, org_id, occurrence, at)
                    for org_id in generator.sample(schools, len(schools) // 3)
                ],
            )
    raw.close()
    return len(bound)


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def peak(call: Callable[[], Awaitable[object]]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    await call()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 1e6


async def measure(size: int, tasks: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        database = Database(f"sqlite:///{path}")
        await database.upgrade()
        try:
            clock = FixedClock(datetime(2024, 3, 1, 7, tzinfo=UTC))
            started = time.perf_counter()
            listeners = await build(path, database, clock, tasks, size)
            built = time.perf_counter() - started
            snapshots = Snapshots(database)
            ledger = ShareLedger(database)
            shares = ShareService(database, clock, snapshots, ledger, "Europe/Moscow")
            planner = ReminderPlanner(database, clock, snapshots, shares, ReminderSettings())
            service = TaskService(database, clock, snapshots, "Europe/Moscow", shares=shares)
            texts = Texts("ru")
            days = iter(
                day for n in range(60) if (day := FIRST_DAY + timedelta(days=n)).weekday() < 5
            )
            digests: list[int] = []

            async def sent() -> None:
                # The sender's part, untimed: yesterday's round went out (a pending one would
                # be superseded and folded into today's, which is not what a tick costs).
                async with database.transaction() as connection:
                    await connection.execute(
                        update(outbox).where(outbox.c.status == "pending").values(status="sent")
                    )

            async def tick() -> None:
                day = next(days)
                clock.moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                    hours=7, minutes=5
                )
                digests.append((await planner.plan()).planned)

            async def status() -> None:
                render_status(await service.status_for(CLI), texts)

            cold_ledger = await timed(ledger.catch_up)
            cold_tick = await timed(tick)
            cold_status = await timed(status)
            ticks = []
            for _ in range(5):
                await sent()
                ticks.append(await timed(tick))
            statuses = [await timed(status) for _ in range(5)]
            await sent()
            tick_memory = await peak(tick)
            status_memory = await peak(status)
            # A school marks its share, then the department asks: the tallies are counted
            # again (the marks changed), the snapshots are not rebuilt (marks do not move them).
            school = await shares.index(await snapshots.roadmap())
            first_task = (await snapshots.roadmap()).tasks[0]
            schools = iter(school.owed(first_task).ids())
            admin_marks = []
            for _ in range(5):
                organisation = school.names[next(schools)]
                await service.mark_done(CLI, first_task.id or 0, organisation=organisation)
                admin_marks.append(await timed(status))
            await service.mark_done(
                CLI, first_task.id or 0, organisation=school.names[next(schools)]
            )
            after_mark_memory = await peak(status)
            report = await service.status_for(CLI)
        finally:
            await database.dispose()
    marks = sum(counts.done for counts in report.shares.values())
    print(
        f"{tasks} tasks x {size:,} organisations, {marks:,} shares marked done, "
        f"{listeners:,} people bound (set-up {built:.0f} s)"
    )
    print(
        f"  cold: ledger read {cold_ledger:6.0f} ms, first tick {cold_tick:6.0f} ms, "
        f"first /status {cold_status:6.0f} ms"
    )
    print(
        f"  warm planning tick: best {min(ticks):6.1f} ms, median {statistics.median(ticks):6.1f}"
        f" ms, {statistics.median(digests):,.0f} digests a round, peak traced "
        f"{tick_memory:5.1f} MB   (target < {TARGET_MS} ms)"
    )
    print(
        f"  warm /status (department): best {min(statuses):6.1f} ms, median "
        f"{statistics.median(statuses):6.1f} ms, peak traced {status_memory:5.1f} MB"
        f"   (target < {TARGET_MS} ms)"
    )
    print(
        f"  /status right after a school's mark: best {min(admin_marks):6.1f} ms, median "
        f"{statistics.median(admin_marks):6.1f} ms, peak traced {after_mark_memory:5.1f} MB"
    )


async def main(size: int, sizes: list[int]) -> None:
    for tasks in sizes:
        await measure(size, tasks)


if __name__ == "__main__":
    organisations = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    task_counts = [int(arg) for arg in sys.argv[2:]] or [25, 100]
    asyncio.run(main(organisations, task_counts))
