"""How long /status takes on a region of 40,000 organisations with a year of weekly numbers.

    python benchmarks/bench_status_scale.py [organisations] [weeks] [--postgres URL]

On SQLite, then on PostgreSQL when a server answers at --postgres (default
postgresql://postgres@127.0.0.1/postgres; a database bench_status_<pid> is made there for the
run and dropped after it; 'none', or no server answering, skips it with one line saying so),
and the figures side by side at the end.

Builds, in a fresh database, a registry of `organisations` (40,000: the department,
100 municipal bodies, schools under them with their teachers and staff), the Smolensk roadmap
with its parties linked (the department, every body, every school), and the two headcount
indicators of examples/smolensk-indicators.yaml — teachers (asked of schools) and staff
(asked of the bodies) — with `from` moved to `weeks` (52) weeks before the clock's week, so
that every organisation reports one value a week: about 2 million values. (The chats
indicator is left out so that the volume is the one asked for; every indicator defined adds
its own scans, roughly in proportion to its values.) The values are inserted straight into
weekly_reports in one transaction, by SQLAlchemy Core's executemany in chunks of 50,000: the
INSERT is compiled from the table, each value is converted by its column's own bind processor
(memoised: a year has 53 weeks), and the rows go to the driver as tuples, which is four times
faster than `insert(table)` with dicts. On PostgreSQL they go in by COPY through psycopg's
own connection, in the same transaction, and VACUUM ANALYZE follows the load: what
autovacuum does soon after a bulk load (statistics, the visibility map), done before measuring.

Some organisations skip some weeks, some report late,
`until_week` is the week of the organisation's next report (FOREVER for its newest), and
this week, on Friday 10:00, a third have answered so far.

Then, with the clock on Friday 10:00 in Smolensk, it measures, best of 5:

* (a) `ReportService.progress(admin)`: where every indicator stands, the whole region;
* (b) `/status` of the admin through the real dispatcher: the tasks block, the indicator
  block, rendering and the reply;
* (c) `/status <municipality>` of that municipality's coordinator: the drill-down by school.

Each in three states. The bot keeps what people read in memory (the registry's tree, the
roadmap's view, names -> ids, the indicators, the audience), kept by the database's version:
a commit that changes what a snapshot shows moves it, and the next reader rebuilds them.

* after a report: the first call after a school's fresh correction (ReportService.submit,
  untimed, before each call). Reports are read by SQL, not from the snapshots, and no
  longer move the version (storage/db.py, BOOKKEEPING_TABLES), so this is what a /status
  among the Friday answers costs; whether a report moved the version is counted and printed;
* cold: the first call after a change the snapshots show — the admin's comment on a task
  (TaskService.comment, untimed): the snapshots are rebuilt, as after any change to the
  registry, the roadmap or a task, and on the first call after a start;
* warm: the same call again, nothing changed in between.

How often a call read the whole registry (the tree's query) is counted: it tells a cold call
from a warm one, and a call that rebuilt the snapshots twice. Target: < 300 ms. Peak memory:
tracemalloc's peak over one cold and one warm call of each (a separate pass, as tracemalloc
slows Python down; it sees Python's allocations, not SQLite's page cache), and the resident
set before the measurements and at its peak (ru_maxrss) of the measuring process: the
dataset is built in a process of its own (and measured in another, one per backend), so
these are a bot's figures, not the build's.
No assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import itertools
import math
import multiprocessing
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy import event, func, insert, make_url, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import App, bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.domain.access import Role
from bot.domain.indicators import Indicator, week_of
from bot.domain.model import Organisation, OrganisationKind
from bot.importers.indicators import read_indicators
from bot.services.clock import FixedClock
from bot.services.people import CLI
from bot.services.reports import Stored
from storage.organisations import OrganisationStore
from storage.reports import FOREVER
from storage.tables import weekly_reports

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' recording session, when run as a script
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_backends import (  # noqa: E402
    add_postgres_option,
    backend_name,
    plain,
    postgres_answers,
    postgres_database,
    sqlite_database,
)

from tests.bot.recording import RecordingSession, text_update  # noqa: E402

EXAMPLES = ROOT / "examples"
TARGET_MS = 300
REPEATS = 5
CHUNK = 50_000
DISTRICTS = 100
ADMIN, COORDINATOR, REP = 1001, 2001, 3001
FRIDAY = datetime(2023, 5, 19, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk, 12 days before the target
DEPARTMENT = "Департамент Смоленской области по образованию и науке"
INDICATORS = ("teachers_active", "staff_active")
SKIPS = 0.07  # an organisation misses a week now and then
LATE = 0.12  # and answers after Friday 18:00 now and then
ANSWERED_BY_NOW = 0.33  # of this week's answers, by Friday 10:00
PARTY_LINKS = {1: "Департамент Смоленской области", 2: "все органы", 3: "все школы", 4: "все школы"}


def district(d: int) -> str:
    return f"Отдел образования района № {d}"


def registry(organisations: int, generator: random.Random) -> list[Organisation]:
    orgs = [Organisation(DEPARTMENT, OrganisationKind.AUTHORITY, timezone="Europe/Moscow")]
    orgs += [
        Organisation(district(d), OrganisationKind.AUTHORITY, DEPARTMENT, staff=10 + d % 25)
        for d in range(DISTRICTS)
    ]
    for n in range(organisations - len(orgs)):
        teachers = generator.randint(12, 120)
        orgs.append(
            Organisation(
                f"МБОУ СШ № {n + 1} района № {n % DISTRICTS}",
                OrganisationKind.SCHOOL,
                district(n % DISTRICTS),
                teachers=teachers,
                staff=teachers + teachers // 2,
                pupils=teachers * 13,
            )
        )
    return orgs


def indicators(first_week: date) -> list[Indicator]:
    defined = read_indicators(EXAMPLES / "smolensk-indicators.yaml")
    return [
        dataclasses.replace(indicator, valid_from=first_week)
        for indicator in defined
        if indicator.code in INDICATORS
    ]


def report_rows(
    orgs: list[Organisation],
    ids: dict[str, int],
    indicator_ids: dict[str, int],
    weeks: list[date],
    generator: random.Random,
) -> Iterator[dict[str, Any]]:
    """Every organisation's reports, oldest first, with `until_week` chained."""
    this_week = weeks[-1]
    for org in orgs:
        code = "staff_active" if org.kind is OrganisationKind.AUTHORITY else "teachers_active"
        headcount = (org.staff if code == "staff_active" else org.teachers) or 0
        if headcount == 0:
            continue
        reported = [
            week
            for week in weeks
            if generator.random() >= SKIPS
            and (week != this_week or generator.random() < ANSWERED_BY_NOW)
        ]
        share = generator.uniform(0.05, 0.3)  # where it started a year ago
        for index, week in enumerate(reported):
            share = min(1.0, share + generator.uniform(0.0, 0.03))
            late = week != this_week and generator.random() < LATE
            at = datetime.combine(week + timedelta(days=4), datetime.min.time(), UTC)
            at += timedelta(hours=20 if late else 9)
            yield {
                "indicator_id": indicator_ids[code],
                "organisation_id": ids[org.name],
                "week": week,
                "until_week": reported[index + 1] if index + 1 < len(reported) else FOREVER,
                "value": round(headcount * share),
                "late": late,
                "reported_at": at,
                "updated_at": at,
                "reported_by": f"person:{10_000_000 + ids[org.name]}",
                "source": "message",
            }


def _memoised(convert: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    if convert is None:
        return None
    seen: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        if value not in seen:
            seen[value] = convert(value)
        return seen[value]

    return converted


async def insert_reports(connection: AsyncConnection, rows: Iterable[dict[str, Any]]) -> int:
    """executemany in chunks on SQLite, the values converted as SQLAlchemy would convert them;
    COPY on PostgreSQL."""
    dialect: Dialect = connection.dialect
    if dialect.name == "postgresql":
        return await copy_reports(connection, rows)
    columns = [column for column in weekly_reports.c if column.name != "id"]
    sql = str(
        insert(weekly_reports).compile(dialect=dialect, column_keys=[c.name for c in columns])
    )
    converters = [_memoised(column.type.bind_processor(dialect)) for column in columns]
    # A bigger page cache for the load only (the indexes are written in no particular order).
    cache_size = (await connection.exec_driver_sql("PRAGMA cache_size")).scalar()
    await connection.exec_driver_sql("PRAGMA cache_size = -400000")
    inserted = 0
    stream = iter(rows)
    while chunk := list(itertools.islice(stream, CHUNK)):
        await connection.exec_driver_sql(
            sql,
            [
                tuple(
                    row[column.name] if convert is None else convert(row[column.name])
                    for column, convert in zip(columns, converters, strict=True)
                )
                for row in chunk
            ],
        )
        inserted += len(chunk)
    await connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size or -2000)}")
    return inserted


async def copy_reports(connection: AsyncConnection, rows: Iterable[dict[str, Any]]) -> int:
    """COPY … FROM STDIN through psycopg's own connection, inside the unit's transaction
    (psycopg adapts dates, datetimes and booleans itself)."""
    columns = [column.name for column in weekly_reports.c if column.name != "id"]
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    inserted = 0
    statement = f"COPY weekly_reports ({', '.join(columns)}) FROM STDIN"
    async with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            await copy.write_row([row[name] for name in columns])
            inserted += 1
    return inserted


def message(update_id: int, user_id: int, text: str) -> Update:
    return Update.model_validate(
        text_update(
            update_id, user_id, text, date=int(FRIDAY.timestamp()), first_name=f"Человек {user_id}"
        )
    )


async def build(app: App, organisations: int, weeks_back: int) -> tuple[int, int, str]:
    """The registry, the roadmap, the indicators, a year of reports; a coordinator and a
    school's representative. Returns (organisations, values, the representative's school)."""
    generator = random.Random(319)
    clock = app.clock
    this_week = week_of(clock.now().date())
    first_week = this_week - timedelta(weeks=weeks_back)
    weeks = [first_week + timedelta(weeks=n) for n in range(weeks_back + 1)]
    orgs = registry(organisations, generator)
    async with app.database.transaction() as connection:
        await OrganisationStore(connection).save(orgs, clock.now())
    await app.roadmaps.import_document(EXAMPLES / "smolensk-order-319-OD.docx")
    for index, target in PARTY_LINKS.items():
        await app.parties.assign(CLI, index, target)
    await app.reports.define_all(CLI, indicators(first_week))
    ids = dict(await app.snapshots.organisation_ids())
    indicator_ids = {h.code: h.current.id or 0 for h in await app.reports.histories()}
    async with app.database.transaction() as connection:
        values = await insert_reports(
            connection, report_rows(orgs, ids, indicator_ids, weeks, generator)
        )
    # The people, by invite as in real life (the admin comes by ADMIN_IDS, in `main`).
    school = next(org for org in orgs if org.parent == district(7) and (org.teachers or 0) >= 30)
    coordinator = await app.people.identify(
        "telegram", COORDINATOR, f"Человек {COORDINATOR}", None, "ru"
    )
    invite = await app.people.create_invite(CLI, Role.COORDINATOR, district(7))
    await app.people.redeem(coordinator, invite.token)
    rep = await app.people.identify("telegram", REP, f"Человек {REP}", None, "ru")
    invite = await app.people.create_invite(CLI, Role.REP, school.name)
    await app.people.redeem(rep, invite.token)
    return len(orgs), values, school.name


class Changes:
    """What the untimed changes before the calls did: were they stored, did they move the
    version the snapshots are kept by?"""

    def __init__(self, app: App) -> None:
        self.app = app
        self.made: dict[str, list[int]] = {}  # what -> [made, stored, moved the version]

    async def local_version(self) -> int:
        """This process's commits, which count at once (the shared revision counter is read
        at most once a second, and would credit a report with a comment's move)."""
        return (await self.app.database.version(max_age=math.inf))[0]

    def note(self, what: str, stored: bool, before: int, after: int) -> None:
        counts = self.made.setdefault(what, [0, 0, 0])
        counts[0] += 1
        counts[1] += stored
        counts[2] += after != before

    def summary(self) -> str:
        return "; ".join(
            f"{made} {what}s made before the calls, {stored} stored, {moved} moved the version"
            for what, (made, stored, moved) in self.made.items()
        )


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, admin_ids=(ADMIN,))


def build_database(url: str, organisations: int, weeks_back: int) -> tuple[int, int, str]:
    """`build` in a process of its own, so that the measuring process's memory is a bot's."""

    async def run() -> tuple[int, int, str]:
        async with open_app(settings_for(url), clock=FixedClock(FRIDAY)) as app:
            return await build(app, organisations, weeks_back)

    built = asyncio.run(run())
    if not url.startswith("sqlite"):
        # What autovacuum does soon after a load (statistics, the visibility map), done now.
        with psycopg.connect(plain(url), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return built


class RegistryReads:
    """Counts the statements that read the whole registry: the tree's query (see
    OrganisationStore.all), run when the snapshots are rebuilt."""

    SIGNATURE = "FROM organisations LEFT OUTER JOIN organisations AS"

    def __init__(self, app: App) -> None:
        self.count = 0
        event.listen(app.database.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.SIGNATURE in statement:
            self.count += 1


@dataclass(frozen=True, slots=True)
class Timing:
    best: float  # ms
    median: float
    reads: float  # registry reads per call


async def timed(
    measure: Callable[[], Awaitable[None]],
    before: Callable[[], Awaitable[None]] | None,
    reads: RegistryReads,
) -> Timing:
    """REPEATS calls, `before` (untimed) before each."""
    times = []
    counted = 0
    for _ in range(REPEATS):
        if before is not None:
            await before()
        gc.collect()
        seen = reads.count
        started = time.perf_counter()
        await measure()
        times.append((time.perf_counter() - started) * 1000)
        counted += reads.count - seen
    return Timing(min(times), statistics.median(times), counted / REPEATS)


async def peak(
    measure: Callable[[], Awaitable[None]], before: Callable[[], Awaitable[None]] | None
) -> float:
    """tracemalloc's peak over one call, in MB (`before` untimed and untraced)."""
    if before is not None:
        await before()
    gc.collect()
    tracemalloc.start()
    try:
        await measure()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def resident() -> float | None:
    """The resident set now, in MB (Linux)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), None)
    return None if line is None else int(line.split()[1]) / 1024


async def database_size(app: App) -> float:
    """The SQLite file with its WAL, or PostgreSQL's database, in MB."""
    url = app.settings.database_url
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        sizes = [p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()]
        return sum(sizes) / 2**20
    async with app.database.transaction() as connection:
        size = await connection.scalar(text("SELECT pg_database_size(current_database())"))
    return int(size or 0) / 2**20


@dataclass(slots=True)
class Figures:
    backend: str
    orgs: int
    rows: int
    values: int
    size: float
    built: float
    results: dict[str, tuple[Timing, Timing, Timing]]
    peaks: dict[str, tuple[float, float]]
    changes: str
    before_measuring: float | None
    rss: float
    replies: dict[str, str]


def measure(url: str, organisations: int, weeks_back: int) -> Figures:
    """Build in a process of its own, measure in another: a bot's memory, not the build's."""
    context = multiprocessing.get_context("spawn")
    built = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        orgs, values, school = pool.submit(build_database, url, organisations, weeks_back).result()
    built = time.perf_counter() - built
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        figures: Figures = pool.submit(measure_built, url, orgs, values, school).result()
    figures.built = built
    return figures


def measure_built(url: str, orgs: int, values: int, school: str) -> Figures:
    return asyncio.run(timings(url, orgs, values, school))


async def timings(url: str, orgs: int, values: int, school: str) -> Figures:
    counter = itertools.count(1)
    async with open_app(settings_for(url), clock=FixedClock(FRIDAY)) as app:
        session = RecordingSession()
        bot = Bot(token="42:BENCH", session=session, default=bot_defaults())
        dispatcher: Dispatcher = build_dispatcher(app)
        await app.ledger.load()
        await dispatcher.feed_update(bot, message(next(counter), ADMIN, "/start"))
        admin = await app.people.identify("telegram", ADMIN, f"Человек {ADMIN}", None, "ru")
        rep = await app.people.identify("telegram", REP, f"Человек {REP}", None, "ru")
        await app.ledger.flush()
        [question] = await app.reports.questions_for(school)
        base = question.previous or question.value or 20
        # Always a different number from the one standing, so that each one is a change.
        first, second = (base - 1, base) if question.value == base else (base, base - 1)
        corrections = itertools.cycle((first, second))
        task = (await app.snapshots.roadmap()).tasks[0].id or 0
        changes = Changes(app)

        async def fresh_report() -> None:
            """A school corrects this week's number."""
            before = await changes.local_version()
            outcome = await app.reports.submit(rep, str(next(corrections)))
            stored = isinstance(outcome, Stored)
            changes.note("report", stored, before, await changes.local_version())

        async def fresh_change() -> None:
            """The admin comments on a task: a change the snapshots show."""
            before = await changes.local_version()
            done = await app.tasks.comment(admin, task, f"комментарий {next(counter)}")
            changes.note("comment", done, before, await changes.local_version())

        async def progress() -> None:
            await app.reports.progress(admin)

        replies: dict[str, str] = {}

        def command(user_id: int, text: str) -> Callable[[], Awaitable[None]]:
            async def feed() -> None:
                session.sent.clear()
                await dispatcher.feed_update(bot, message(next(counter), user_id, text))
                replies[text] = "\n".join(sent.text for sent in session.sent)

            return feed

        cases = {
            "(a) progress(admin)": progress,
            "(b) /status (admin)": command(ADMIN, "/status"),
            "(c) /status <municipality>": command(COORDINATOR, f"/status {district(7)}"),
        }
        reads = RegistryReads(app)
        before_measuring = resident()
        results: dict[str, tuple[Timing, Timing, Timing]] = {}
        for name, measure in cases.items():
            await measure()  # the first call of all: imports, compiled statements
            results[name] = (
                await timed(measure, fresh_report, reads),
                await timed(measure, fresh_change, reads),
                await timed(measure, None, reads),
            )
        peaks = {
            name: (await peak(measure, fresh_change), await peak(measure, None))
            for name, measure in cases.items()
        }
        async with app.database.transaction() as connection:
            rows = await connection.scalar(select(func.count()).select_from(weekly_reports))
        await app.ledger.flush()
        size = await database_size(app)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Figures(
        backend_name(url),
        orgs,
        int(rows or 0),
        values,
        size,
        0.0,
        results,
        peaks,
        changes.summary(),
        before_measuring,
        rss,
        replies,
    )


def report(f: Figures, weeks_back: int) -> None:
    orgs, rows, values, size, built = f.orgs, f.rows, f.values, f.size, f.built
    results, peaks, replies = f.results, f.peaks, f.replies
    before_measuring, rss = f.before_measuring, f.rss
    where = "SQLite file" if f.backend == "SQLite" else "PostgreSQL database"
    print(
        f"{f.backend}: /status on {orgs:,} organisations and {rows:,} weekly values "
        f"({values:,} inserted; {weeks_back} weeks and this one), {where} {size:,.0f} MB, "
        f"built in {built:.1f} s; ms, best and median of {REPEATS}, and whole-registry reads "
        f"per call:"
    )
    print(
        f"  {'':27} {'after a report':>22}   {'cold (after a change)':>22}   {'warm':>22}"
        f"   peak traced, cold / warm"
    )
    for name, timings in results.items():
        cold_peak, warm_peak = peaks[name]
        print(
            f"  {name:27} "
            + "   ".join(f"{t.best:6.0f} ms {t.median:6.0f} {t.reads:4.1f} r" for t in timings)
            + f"   {cold_peak:5.1f} / {warm_peak:4.1f} MB"
        )
    print(f"  (target < {TARGET_MS} ms) {f.changes}")
    print(
        f"  memory of the measuring process (the dataset was built in another): resident "
        f"{before_measuring or 0:,.0f} MB before the measurements, peak {rss:,.0f} MB "
        f"(ru_maxrss)"
    )
    for said, reply in replies.items():
        print(f"  {said}: a reply of {len(reply):,} characters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("organisations", nargs="?", type=int, default=40_000)
    parser.add_argument("weeks", nargs="?", type=int, default=52)
    add_postgres_option(parser)
    arguments = parser.parse_args()
    results: list[Figures] = []
    with sqlite_database() as url:
        results.append(measure(url, arguments.organisations, arguments.weeks))
    report(results[-1], arguments.weeks)
    why_not = postgres_answers(arguments.postgres)
    if why_not is not None:
        print(f"PostgreSQL: skipped, {why_not}")
    else:
        with postgres_database(arguments.postgres, "status") as url:
            results.append(measure(url, arguments.organisations, arguments.weeks))
        report(results[-1], arguments.weeks)
    print(f"side by side, ms, best of {REPEATS} (target < {TARGET_MS} ms warm):")
    states = ("after a report", "cold", "warm")
    print(f"  {'':27}" + "".join(f"{state:>{14 * len(results)}}" for state in states))
    print(f"  {'':27}" + "".join(f"{f.backend:>14}" for _ in states for f in results))
    for name in results[0].results:
        print(
            f"  {name:27}"
            + "".join(
                f"{f.results[name][state].best:11.0f} ms" for state in range(3) for f in results
            )
        )
    print(f"  {'built in':27}" + "".join(f"{f.built:12.1f} s" for f in results))


if __name__ == "__main__":
    main()
