"""Weekly report submissions handled per second, end to end, through the real dispatcher.

    python benchmarks/bench_reports.py [submissions]

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
recording session, for reference. Target: >= 500 submissions/s. No assertions: the rows
stored and the replies are counted and printed, so a fast run that stored nothing shows.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import sys
import tempfile
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
from tests.bot.recording import RecordingSession, text_update  # noqa: E402

EXAMPLES = ROOT / "examples"
ADMIN = 1001
FIRST_REP = 100_000
FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk, the first due day
TARGET = 500.0
BATCH = 100  # the ledger is written before each getUpdates, as polling does
RUNS = 3
CORRECTION_EVERY = 15


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


def stream(people: list[Reporter]) -> Iterator[Submission]:
    """Week after week: everyone answers, one in fifteen corrects afterwards. The numbers
    grow a little each week and stay within the headcount, so the checks let them through."""
    for week in itertools.count():
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


async def main(count: int) -> None:
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

    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            admin_ids=(ADMIN,),
        )
        clock = FixedClock(FRIDAY)
        async with open_app(settings, clock=clock) as app:
            set_up = time.perf_counter()
            await app.roadmaps.import_document(EXAMPLES / "smolensk-order-319-OD.docx")
            await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
            await app.reports.define_all(
                CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml")
            )
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
                for sent in session.sent:
                    if "Принято" in sent.text:
                        accepted += 1
                    else:
                        other += 1
                session.sent.clear()
            rows, corrected, drafts = await counts(app)
            weeks = runs[-1][-1].week + 1

    best = min(ours_times)
    best_echo = min(echo_times)
    measured = RUNS * count
    print(
        f"report submissions through the dispatcher, end to end ({len(people)} representatives "
        f"onboarded by invite, set-up {set_up:.1f} s; {count:,} submissions a run, best of "
        f"{RUNS}; ledger written every {BATCH} updates):"
    )
    print(f"  bare aiogram echo:   {count / best_echo:8,.0f}/s  {best_echo / count * 1000:6.2f} ms")
    print(
        f"  report submissions:  {count / best:8,.0f}/s  {best / count * 1000:6.2f} ms each "
        f"(target >= {TARGET:g}/s; {best / best_echo:.0f}x the echo's cost)"
    )
    ours_runs = ", ".join(f"{count / seconds:,.0f}" for seconds in ours_times)
    echo_runs = ", ".join(f"{count / seconds:,.0f}" for seconds in echo_times)
    print(f"  every run, per second: ours {ours_runs}; echo {echo_runs}")
    print(
        f"  per submission: {statements / measured:.1f} SQL statements, "
        f"{transactions / measured:.1f} transactions committed (the ledger's writes included)"
    )
    print(
        f"  stored: {rows:,} rows in weekly_reports over {weeks} weeks "
        f"(expected {expected_values:,}), {corrected:,} corrections in the audit history, "
        f"{drafts} drafts put back; replies to the {measured:,} timed submissions: "
        f"{accepted:,} 'Принято', {other:,} other"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
