"""How long one reminder planning tick takes on a large region.

    python benchmarks/bench_planning.py [tasks] [organisations]

Builds, in a fresh SQLite database, a region of `organisations` (40,000 by default: the
department, 100 municipal bodies, schools under them) with a coordinator bound to every
municipal body and a representative to every tenth school, and a roadmap of `tasks` (10,000)
whose deadlines spread over the year, each task the business of a district's body, a
district's schools or (a few) the whole region. Then it runs the planning tick at 10:05 on a
working day: once cold (snapshots read from the database) and, for the next day, warm (the
snapshots already in memory, as in a running bot), and prints the times with how many digests
each wrote. Target: < 200 ms for a tick. No assertions.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.domain.links import PartyLink
from bot.domain.model import Deadline, Organisation, OrganisationKind, Party, Roadmap, Section, Task
from bot.services.clock import FixedClock
from bot.services.parties import PartyService
from bot.services.people import CLI
from bot.services.reminders import ReminderPlanner, ReminderSettings
from bot.services.roadmaps import RoadmapService
from bot.services.shares import ShareLedger, ShareService
from bot.services.snapshots import Snapshots
from storage.db import Database
from storage.organisations import OrganisationStore
from storage.people import PeopleStore
from storage.tables import bindings, people
from storage.tables import parties as parties_table

TARGET_MS = 200
DEPARTMENT = "Департамент образования"
DISTRICTS = 100
START = date(2024, 1, 9)


def registry(organisations: int) -> list[Organisation]:
    orgs = [Organisation(DEPARTMENT, OrganisationKind.AUTHORITY, timezone="Europe/Moscow")]
    orgs += [
        Organisation(f"Управление образования района {d}", OrganisationKind.AUTHORITY, DEPARTMENT)
        for d in range(DISTRICTS)
    ]
    schools = organisations - len(orgs)
    orgs += [
        Organisation(
            f"Школа № {n} района {n % DISTRICTS}",
            OrganisationKind.SCHOOL,
            f"Управление образования района {n % DISTRICTS}",
            teachers=30,
            pupils=400,
        )
        for n in range(schools)
    ]
    return orgs


def roadmap(tasks: int, generator: random.Random) -> Roadmap:
    parties = [Party("Департамент"), Party("Все школы")]
    parties += [Party(f"МОУО района {d}") for d in range(DISTRICTS)]
    parties += [Party(f"Школы района {d}") for d in range(DISTRICTS)]
    rows = []
    for n in range(tasks):
        district = generator.randrange(DISTRICTS)
        roll = generator.random()
        if roll < 0.6:
            responsible: tuple[str, ...] = (f"МОУО района {district}",)
        elif roll < 0.95:
            responsible = (f"Школы района {district}",)
        elif roll < 0.99:
            responsible = ("Департамент",)
        else:
            responsible = ("Все школы",)
        due = START + timedelta(days=generator.randrange(-30, 330))
        rows.append(
            Task(
                number=str(n + 1),
                title=f"Мероприятие {n + 1}",
                section="Раздел",
                responsible=responsible,
                deadline=Deadline(f"до {due:%d.%m.%Y}", due=due),
            )
        )
    return Roadmap(
        title="Большая дорожная карта",
        document_number="1-ОД",
        document_date=START,
        sections=(Section("Раздел"),),
        tasks=tuple(rows),
        parties=tuple(parties),
    )


async def build(database: Database, clock: FixedClock, tasks: int, organisations: int) -> int:
    generator = random.Random(319)
    orgs = registry(organisations)
    async with database.transaction() as connection:
        await OrganisationStore(connection).save(orgs, clock.now())
    await RoadmapService(database, clock, "Europe/Moscow").import_roadmap(roadmap(tasks, generator))
    snapshots = Snapshots(database)
    links = PartyService(database, clock, snapshots)
    await links.assign(CLI, 1, DEPARTMENT)
    await links.assign(CLI, 2, "все школы")
    async with database.transaction() as connection:
        rows = await connection.execute(select(parties_table.c.name, parties_table.c.id))
        party_ids = {row.name: row.id for row in rows}
        for d in range(DISTRICTS):
            body = f"Управление образования района {d}"
            await PeopleStore(connection).set_party_links(
                party_ids[f"МОУО района {d}"], [PartyLink(f"МОУО района {d}", body)]
            )
            await PeopleStore(connection).set_party_links(
                party_ids[f"Школы района {d}"],
                [
                    PartyLink(
                        f"Школы района {d}",
                        f"Управление образования района {d}",
                        OrganisationKind.SCHOOL,
                    )
                ],
            )
    ids = {org.name: index + 1 for index, org in enumerate(orgs)}
    # Bind the people straight into the tables: the onboarding path is not what is measured.
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
    return len(bound)


async def tick(planner: ReminderPlanner, clock: FixedClock, day: date) -> tuple[float, int]:
    clock.moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=7, minutes=5)
    started = time.perf_counter()
    outcome = await planner.plan()
    return (time.perf_counter() - started) * 1000, outcome.planned


async def main(tasks: int, organisations: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite:///{Path(directory) / 'bench.db'}")
        await database.upgrade()
        try:
            clock = FixedClock(datetime(2024, 1, 1, 7, tzinfo=UTC))
            built = time.perf_counter()
            listeners = await build(database, clock, tasks, organisations)
            built = time.perf_counter() - built
            snapshots = Snapshots(database)
            planner = ReminderPlanner(
                database,
                clock,
                snapshots,
                ShareService(database, clock, snapshots, ShareLedger(database), "Europe/Moscow"),
                ReminderSettings(),
            )
            cold, cold_rows = await tick(planner, clock, date(2024, 3, 12))  # a Tuesday
            warm, warm_rows = await tick(planner, clock, date(2024, 3, 13))
            idle, _ = await tick(planner, clock, date(2024, 3, 13))
        finally:
            await database.dispose()
    print(
        f"planning tick with {tasks:,} tasks, {organisations:,} organisations, "
        f"{listeners:,} people bound (set-up {built:.1f} s):"
    )
    print(f"  cold (snapshots read from the database): {cold:7.1f} ms, {cold_rows:,} digests")
    print(
        f"  warm (a running bot's next round):       {warm:7.1f} ms, {warm_rows:,} digests"
        f"  (target < {TARGET_MS} ms)"
    )
    print(f"  a tick with nothing due:                 {idle:7.1f} ms")


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    asyncio.run(main(*(arguments or [10_000, 40_000])))
