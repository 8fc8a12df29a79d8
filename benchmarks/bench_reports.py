"""Weekly report submissions handled per second, end to end, through the real dispatcher.

    python benchmarks/bench_reports.py [submissions] [--postgres URL]

On SQLite, then on PostgreSQL when a server answers at --postgres (default
postgresql://postgres@127.0.0.1/postgres; a database bench_reports_<pid> is made there for the
run and dropped after it; 'none', or no server answering, skips it with one line saying so),
and the rates side by side at the end.

The Smolensk roadmap, the region's registry and its three weekly indicators are loaded into a
fresh SQLite database, and every school and college gets a representative, onboarded by an
invite link (`/start <token>`) as in real life. Then the representatives answer the weekly
question by message — a school "учителей 38, чатов 12", a college (asked one number) "30",
and one in fifteen sends a correction afterwards ("учителей 39") — through everything a real
update passes: the once-only ledger, who-is-writing, the `reports` router's free-text handler,
parsing, the checks (headcount, last week's value), one transaction per submission (the
update-id claim, the values, the audit history) and the reply.

The clock stands on Friday 10:00 in Smolensk (the due day, on time). So that a run stores new
values rather than correcting the same ones over and over, the stream goes on week after
week: once every school and college has answered, the clock moves on to the next Friday 10:00
(each answer then is checked against the previous week's value, and the previous report's
`until_week` is closed). A week is answered before the timed runs (warm-up), then each run
takes `submissions` (2,000) more. A bare aiogram echo runs in the same process on the same
recording session, for reference. Target: >= 500 submissions/s.

Then three processes at once (spawned: nothing shared but the database), each with its own
Database, services, ledger and dispatcher on the same database, as a bot run as several
processes: each takes every third representative, answers a week untimed (from the week after
the single process's last), waits for the other two, then feeds `submissions` more. Their
rate together is all their submissions over the wall-clock window from the first start to the
last end. On SQLite the three share one writer, so this shows what the lock costs.

No assertions: the rows stored and the replies are counted and printed, so a fast run that
stored nothing shows.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import multiprocessing
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update
from sqlalchemy import Engine, event, func, select

from bot.app import App, bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.domain.access import Role
from bot.importers.indicators import read_indicators
from bot.services.clock import FixedClock
from bot.services.people import CLI
from storage.tables import audit_log, report_drafts, weekly_reports

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' recording session, when run as a script
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_backends import (  # noqa: E402
    add_postgres_option,
    backend_name,
    postgres_answers,
    postgres_database,
    sqlite_database,
)

from tests.bot.recording import RecordingSession, text_update  # noqa: E402

EXAMPLES = ROOT / "examples"
ADMIN = 1001
FIRST_REP = 100_000
FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk, the first due day
TARGET = 500.0
BATCH = 100  # the ledger is written before each getUpdates, as polling does
RUNS = 3
CORRECTION_EVERY = 15
PROCESSES = 3


@dataclass(frozen=True, slots=True)
class Reporter:
    user_id: int
    organisation: str
    school: bool  # a school answers two indicators, a college one
    teachers: int


@dataclass(frozen=True, slots=True)
class Submission:
    week: int  # weeks after FRIDAY
    user_id: int
    text: str
    values: int  # values it stores (1 or 2)
    correction: bool


def message(update_id: int, user_id: int, text: str) -> Update:
    return Update.model_validate(
        text_update(
            update_id,
            user_id,
            text,
            date=int(FRIDAY.timestamp()),
            first_name=f"Представитель {user_id}",
        )
    )


def reporters() -> list[Reporter]:
    with (EXAMPLES / "smolensk-orgs.csv").open(encoding="utf-8") as registry:
        rows = [row for row in csv.DictReader(registry) if row["kind"] in ("school", "college")]
    return [
        Reporter(FIRST_REP + index, row["name"], row["kind"] == "school", int(row["teachers"]))
        for index, row in enumerate(rows)
    ]


def stream(people: list[Reporter], first_week: int = 0) -> Iterator[Submission]:
    """Week after week: everyone answers, one in fifteen corrects afterwards. The numbers
    grow a little each week and stay within the headcount, so the checks let them through."""
    for week in itertools.count(first_week):
        corrections = []
        for index, person in enumerate(people):
            teachers = min(person.teachers - 1, person.teachers // 2 + week)
            chats = 5 + index % 7 + 2 * week
            if person.school:
                text, values = f"учителей {teachers}, чатов {chats}", 2
            else:
                text, values = str(teachers), 1
            yield Submission(week, person.user_id, text, values, correction=False)
            if index % CORRECTION_EVERY == 0:
                fixed = f"учителей {teachers + 1}" if person.school else str(teachers + 1)
                corrections.append(Submission(week, person.user_id, fixed, 1, correction=True))
        yield from corrections


async def onboard(app: App, dispatcher: Dispatcher, bot: Bot, people: list[Reporter]) -> None:
    ids = itertools.count(1)
    await dispatcher.feed_update(bot, message(next(ids), ADMIN, "/start"))
    for person in people:
        invite = await app.people.create_invite(CLI, Role.REP, person.organisation)
        await dispatcher.feed_update(
            bot, message(next(ids), person.user_id, f"/start {invite.token}")
        )
    await app.ledger.flush()


async def feed(
    dispatcher: Dispatcher,
    bot: Bot,
    submissions: list[Submission],
    ids: Callable[[], int],
    clock: FixedClock | None,
    between_batches: Callable[[], Awaitable[None]],
) -> float:
    """Seconds to feed `submissions`, writing the ledger every BATCH updates."""
    started = time.perf_counter()
    for index, submission in enumerate(submissions, 1):
        if clock is not None:
            clock.moment = FRIDAY + timedelta(weeks=submission.week)
        await dispatcher.feed_update(bot, message(ids(), submission.user_id, submission.text))
        if index % BATCH == 0:
            await between_batches()
    await between_batches()
    return time.perf_counter() - started


def echo_dispatcher() -> Dispatcher:
    router = Router()

    async def echo(incoming: Message) -> None:
        await incoming.answer(incoming.text or "")

    router.message.register(echo)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def counts(app: App) -> tuple[int, int, int]:
    """Rows in weekly_reports, corrections in the audit history, drafts put back."""
    async with app.database.transaction() as connection:
        rows = await connection.scalar(select(func.count()).select_from(weekly_reports))
        corrected = await connection.scalar(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.subject == "report", audit_log.c.old.is_not(None))
        )
        drafts = await connection.scalar(select(func.count()).select_from(report_drafts))
    return int(rows or 0), int(corrected or 0), int(drafts or 0)


@dataclass(slots=True)
class Parallel:
    """The three processes' run: each process's window on the wall clock and its replies."""

    seconds: list[float]  # each process's own time for its submissions
    wall: float  # from the first start to the last end
    accepted: int
    other: int
    expected_values: int  # stored by the warm-ups and the runs


@dataclass(slots=True)
class Figures:
    backend: str
    people: int
    set_up: float
    count: int
    ours_times: list[float]
    echo_times: list[float]
    statements: int
    transactions: int
    accepted: int
    other: int
    expected_values: int
    next_week: int  # the first week no one has answered yet
    parallel: Parallel | None = None
    rows: int = 0
    corrected: int = 0
    drafts: int = 0
    weeks: int = 0


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, admin_ids=(ADMIN,))


async def one_process(url: str, count: int) -> Figures:
    """Set-up, onboarding, a week of warm-up, then RUNS runs of `count`, the echo between."""
    people = reporters()
    submissions = stream(people)
    week = len(people) + len(range(0, len(people), CORRECTION_EVERY))
    warm_up = list(itertools.islice(submissions, week))  # the first week, untimed
    runs = [list(itertools.islice(submissions, count)) for _ in range(RUNS)]
    expected_values = sum(s.values for s in warm_up if not s.correction) + sum(
        s.values for run in runs for s in run if not s.correction
    )
    counter = itertools.count(1_000_000)

    def ids() -> int:
        return next(counter)

    clock = FixedClock(FRIDAY)
    async with open_app(settings_for(url), clock=clock) as app:
        set_up = time.perf_counter()
        await app.roadmaps.import_document(EXAMPLES / "smolensk-order-319-OD.docx")
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        await app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
        await app.ledger.load()
        session = RecordingSession()
        bot = Bot(token="42:BENCH", session=session, default=bot_defaults())
        ours = build_dispatcher(app)
        echo = echo_dispatcher()
        await onboard(app, ours, bot, people)
        set_up = time.perf_counter() - set_up
        await feed(ours, bot, warm_up, ids, clock, app.ledger.flush)
        await feed(echo, bot, warm_up, ids, None, app.ledger.flush)
        session.sent.clear()

        statements = transactions = 0

        def count_statement(*_: Any) -> None:
            nonlocal statements
            statements += 1

        def count_transaction(*_: Any) -> None:
            nonlocal transactions
            transactions += 1

        ours_times: list[float] = []
        echo_times: list[float] = []
        accepted = other = 0
        for run in runs:  # interleaved, so a noisy neighbour hurts both sides alike
            echo_times.append(await feed(echo, bot, run, ids, None, app.ledger.flush))
            session.sent.clear()
            # Every engine: the bot's async one and the one its units of work run on.
            event.listen(Engine, "after_cursor_execute", count_statement)
            event.listen(Engine, "commit", count_transaction)
            ours_times.append(await feed(ours, bot, run, ids, clock, app.ledger.flush))
            event.remove(Engine, "after_cursor_execute", count_statement)
            event.remove(Engine, "commit", count_transaction)
            accepted, other = tally(session, accepted, other)
    return Figures(
        backend_name(url),
        len(people),
        set_up,
        count,
        ours_times,
        echo_times,
        statements,
        transactions,
        accepted,
        other,
        expected_values,
        next_week=runs[-1][-1].week + 1,
    )


def tally(session: RecordingSession, accepted: int, other: int) -> tuple[int, int]:
    for sent in session.sent:
        if "Принято" in sent.text:
            accepted += 1
        else:
            other += 1
    session.sent.clear()
    return accepted, other


async def worker_run(url: str, part: int, first_week: int, count: int, barrier: Any) -> Any:
    """One of the PROCESSES: its own Database, services and dispatcher on the same database;
    its share of the representatives (every PROCESSES-th) answers a week untimed, then, once
    every process is ready, `count` more submissions."""
    people = reporters()[part::PROCESSES]
    submissions = stream(people, first_week)
    week = len(people) + len(range(0, len(people), CORRECTION_EVERY))
    warm_up = list(itertools.islice(submissions, week))
    run = list(itertools.islice(submissions, count))
    expected = sum(s.values for s in [*warm_up, *run] if not s.correction)
    counter = itertools.count(10_000_000 * (part + 1))  # update ids no other process uses

    def ids() -> int:
        return next(counter)

    clock = FixedClock(FRIDAY + timedelta(weeks=first_week))
    async with open_app(settings_for(url), clock=clock) as app:
        await app.ledger.load()
        session = RecordingSession()
        bot = Bot(token="42:BENCH", session=session, default=bot_defaults())
        ours = build_dispatcher(app)
        await feed(ours, bot, warm_up, ids, clock, app.ledger.flush)
        session.sent.clear()
        await asyncio.to_thread(barrier.wait)
        started = time.time()
        seconds = await feed(ours, bot, run, ids, clock, app.ledger.flush)
        ended = time.time()
        accepted, other = tally(session, 0, 0)
    return started, ended, seconds, accepted, other, expected


def worker(url: str, part: int, first_week: int, count: int, barrier: Any, out: Any) -> None:
    out.put(asyncio.run(worker_run(url, part, first_week, count, barrier)))


def three_processes(url: str, first_week: int, count: int) -> Parallel:
    """PROCESSES processes (spawned: nothing shared but the database) submit at once."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    out = context.Queue()
    processes = [
        context.Process(target=worker, args=(url, part, first_week, count, barrier, out))
        for part in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    results = [out.get() for _ in processes]
    for process in processes:
        process.join()
    return Parallel(
        seconds=[r[2] for r in results],
        wall=max(r[1] for r in results) - min(r[0] for r in results),
        accepted=sum(r[3] for r in results),
        other=sum(r[4] for r in results),
        expected_values=sum(r[5] for r in results),
    )


async def stored(url: str, figures: Figures) -> None:
    clock = FixedClock(FRIDAY)
    async with open_app(settings_for(url), clock=clock) as app:
        figures.rows, figures.corrected, figures.drafts = await counts(app)
        async with app.database.transaction() as connection:
            oldest, newest = (
                await connection.execute(
                    select(func.min(weekly_reports.c.week), func.max(weekly_reports.c.week))
                )
            ).one()
        figures.weeks = (newest - oldest).days // 7 + 1 if oldest and newest else 0


def measure(url: str, count: int) -> Figures:
    figures = asyncio.run(one_process(url, count))
    figures.parallel = three_processes(url, figures.next_week, count)
    asyncio.run(stored(url, figures))
    return figures


def report(f: Figures) -> None:
    best = min(f.ours_times)
    best_echo = min(f.echo_times)
    measured = RUNS * f.count
    print(
        f"{f.backend}: report submissions through the dispatcher, end to end ({f.people} "
        f"representatives onboarded by invite, set-up {f.set_up:.1f} s; {f.count:,} "
        f"submissions a run, best of {RUNS}; ledger written every {BATCH} updates):"
    )
    print(
        f"  bare aiogram echo:   {f.count / best_echo:8,.0f}/s  "
        f"{best_echo / f.count * 1000:6.2f} ms"
    )
    print(
        f"  report submissions:  {f.count / best:8,.0f}/s  {best / f.count * 1000:6.2f} ms each "
        f"(target >= {TARGET:g}/s; {best / best_echo:.0f}x the echo's cost)"
    )
    ours_runs = ", ".join(f"{f.count / seconds:,.0f}" for seconds in f.ours_times)
    echo_runs = ", ".join(f"{f.count / seconds:,.0f}" for seconds in f.echo_times)
    print(f"  every run, per second: ours {ours_runs}; echo {echo_runs}")
    print(
        f"  per submission: {f.statements / measured:.1f} SQL statements, "
        f"{f.transactions / measured:.1f} transactions committed (the ledger's writes included)"
    )
    print(
        f"  replies to the {measured:,} timed submissions: {f.accepted:,} 'Принято', "
        f"{f.other:,} other"
    )
    p = f.parallel
    if p is not None:
        each = ", ".join(f"{f.count / seconds:,.0f}" for seconds in p.seconds)
        print(
            f"  {PROCESSES} processes at once ({PROCESSES} x {f.count:,} submissions, each its own "
            f"Database, services and dispatcher): {PROCESSES * f.count / p.wall:8,.0f}/s "
            f"together over {p.wall:.1f} s (each process: {each}/s); replies: "
            f"{p.accepted:,} 'Принято', {p.other:,} other"
        )
    expected = f.expected_values + (p.expected_values if p is not None else 0)
    print(
        f"  stored: {f.rows:,} rows in weekly_reports over {f.weeks} weeks (expected "
        f"{expected:,}), {f.corrected:,} corrections in the audit history, {f.drafts} drafts "
        f"put back"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("submissions", nargs="?", type=int, default=2000)
    add_postgres_option(parser)
    arguments = parser.parse_args()
    results: list[Figures] = []
    with sqlite_database() as url:
        results.append(measure(url, arguments.submissions))
    report(results[-1])
    why_not = postgres_answers(arguments.postgres)
    if why_not is not None:
        print(f"PostgreSQL: skipped, {why_not}")
    else:
        with postgres_database(arguments.postgres, "reports") as url:
            results.append(measure(url, arguments.submissions))
        report(results[-1])
    print("side by side, submissions per second:")
    print(f"  {'':36}" + "".join(f"{f.backend:>12}" for f in results))
    print(
        f"  {'one process (best of ' + str(RUNS) + ')':36}"
        + "".join(f"{f.count / min(f.ours_times):12,.0f}" for f in results)
    )
    print(
        f"  {str(PROCESSES) + ' processes together':36}"
        + "".join(
            f"{PROCESSES * f.count / f.parallel.wall:12,.0f}" if f.parallel else f"{'-':>12}"
            for f in results
        )
    )


if __name__ == "__main__":
    main()
