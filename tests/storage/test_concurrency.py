"""Many writers at once, as several bot processes would be: eight apps, each with a Database of
its own (its own pool, as a process has), on one database, through the services.

Reports for overlapping organisations and weeks (new values closing the ones before them,
corrections of one another), marks of the same shares, two people racing on a single-use
invite, one person opening a multi-use invite twice at once, two planners planning the same
round. Afterwards the totals, the history and the audit log are exact: every report's history
is one unbroken chain (each "old" the "new" before it), each week's total is the sum of each
organisation's latest value, each share's history ends in its stored state, the invite was
used once, the round planned once.

On PostgreSQL (TEST_DATABASE_URL) this is the test of the units' row locks; on SQLite, where
the write lock taken at BEGIN serialises writers, it is a sanity check of the same.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select

from bot.app import App, open_app
from bot.config import Settings
from bot.domain.access import Binding, Person, Role
from bot.domain.channels import Identity
from bot.domain.indicators import Rollup
from bot.domain.invites import InviteProblem, token_hash
from bot.domain.shares import MarkState
from bot.importers.indicators import read_indicators
from bot.services.clock import FixedClock
from bot.services.people import CLI, InviteRefused, Joined
from bot.services.reports import Stored
from bot.services.shares import MarkOutcome
from storage.reports import ReportStore
from storage.tables import (
    audit_log,
    bindings,
    chat_bindings,
    indicators,
    invites,
    organisations,
    outbox,
    people,
    question_rounds,
    reminder_rounds,
    share_marks,
    weekly_reports,
)
from tests.bot.conftest import CITY, PARTY_LINKS
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

T = TypeVar("T")

APPS = 8
SCHOOLS = 6
# Fridays at 10:00 in Smolensk: each reports the week it ends (two apps on each).
FRIDAYS = [datetime(2023, 4, 21, 7, 0, tzinfo=UTC) + timedelta(weeks=n) for n in range(4)]
CORRECTIONS = 4  # values of each organisation's week, sent at once (each corrects another)
TASKS = ("5", "7")  # tasks every school owes
LOCK_WAIT = 120.0
# Units each app has in hand at once, as a process's handlers would: eight pools of fifteen
# would ask more of the server than its hundred connections.
IN_FLIGHT = 4
MARKS = (MarkState.DONE, MarkState.OPEN, MarkState.EXCUSED, MarkState.DONE) * 2


def _value(week: int, attempt: int) -> int:
    """Growing by week, close within one (no value is a sharp drop from another)."""
    return 10 * (week + 1) + attempt


async def test_many_writers_at_once_leave_exact_totals_history_and_audit(
    database_url: str,
) -> None:
    async with AsyncExitStack() as stack:
        apps: list[App] = []
        for number in range(APPS):
            clock = FixedClock(FRIDAYS[number // 2])
            # SQLite has one writer at a time for all eight; its waiters poll, and a loaded
            # machine may keep one waiting past the default 10 s: here nothing gives up.
            settings = Settings(
                _env_file=None, database_url=database_url, database_lock_wait=LOCK_WAIT
            )
            apps.append(await stack.enter_async_context(open_app(settings, clock=clock)))
        first = apps[0]
        await first.roadmaps.import_document(SMOLENSK_DOCX)
        await first.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        for index, target in PARTY_LINKS.items():
            await first.parties.assign(CLI, index, target)
        await first.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
        view = await first.snapshots.roadmap()
        schools = sorted(view.tree.children[CITY])[:SCHOOLS]
        task_ids = {t.number: t.id for t in view.tasks if t.number in TASKS and t.id is not None}
        coordinator = Person(900, "Координатор", (Binding(Role.COORDINATOR, CITY),))
        reps = {
            school: Person(1000 + n, f"Представитель {n}", (Binding(Role.REP, school),))
            for n, school in enumerate(schools)
        }
        single = await first.people.create_invite(CLI, Role.REP, schools[0])
        # Someone who joined before, and opens a multi-use invite twice at once (a double tap).
        regular = Person(0, "Завсегдатай", via=Identity("telegram", "7003"))
        joined = await first.people.redeem(
            regular, (await first.people.create_invite(CLI, Role.REP, schools[1])).token
        )
        assert isinstance(joined, Joined)
        multi = await first.people.create_invite(CLI, Role.REP, schools[2], multi_use=True)

        gates = {id(app): asyncio.Semaphore(IN_FLIGHT) for app in apps}
        limited = {id(app): _gate(gates[id(app)]) for app in apps}
        work: list[Awaitable[object]] = []
        for w in range(len(FRIDAYS)):
            for school in schools:
                for attempt in range(CORRECTIONS):
                    app = apps[2 * w + attempt % 2]
                    text = f"чатов {_value(w, attempt)}"
                    work.append(
                        limited[id(app)](
                            app.reports.submit(reps[school], text, organisation=school)
                        )
                    )
        reports_sent = len(work)
        n = 0
        for task in TASKS:
            for school in schools:
                for mark in MARKS:
                    note = "нет связи" if mark is MarkState.EXCUSED else None
                    app = apps[n % APPS]
                    n += 1
                    work.append(
                        limited[id(app)](
                            app.tasks.mark(
                                coordinator, task_ids[task], mark, organisation=school, note=note
                            )
                        )
                    )
        marks_sent = len(work) - reports_sent
        strangers = [Person(0, f"Гость {k}", via=Identity("telegram", f"700{k}")) for k in (1, 2)]
        # (On the first Friday's two apps: the invites are a week old on the others.)
        work.append(apps[0].people.redeem(strangers[0], single.token))
        work.append(apps[1].people.redeem(strangers[1], single.token))
        work.append(apps[1].people.redeem(joined.person, multi.token))
        work.append(apps[0].people.redeem(joined.person, multi.token))

        started = time.perf_counter()
        outcomes = await asyncio.gather(*work, return_exceptions=True)
        took = time.perf_counter() - started
        backend = "SQLite" if first.database.is_sqlite else "PostgreSQL"
        print(
            f"\n{backend}: {reports_sent} reports, {marks_sent} share marks and 4 invite "
            f"openings at once through {APPS} databases: {took:.2f} s"
        )

        report_outcomes = outcomes[:reports_sent]
        assert all(isinstance(o, Stored) and o.entries for o in report_outcomes), [
            o for o in report_outcomes if not isinstance(o, Stored)
        ]
        mark_outcomes = outcomes[reports_sent : reports_sent + marks_sent]
        assert not [o for o in mark_outcomes if isinstance(o, BaseException)]
        race, second_race, tap, second_tap = outcomes[reports_sent + marks_sent :]
        # The single-use invite: one of the two joined, the other was told it is used.
        assert sorted(type(o).__name__ for o in (race, second_race)) == [
            "InviteRefused",
            "Joined",
        ]
        refused = race if isinstance(race, InviteRefused) else second_race
        assert isinstance(refused, InviteRefused)
        assert refused.problem is InviteProblem.USED
        # The double tap: both say joined, once as new.
        assert isinstance(tap, Joined)
        assert isinstance(second_tap, Joined)
        assert sorted([tap.new, second_tap.new]) == [False, True]

        async with first.database.transaction(write=False) as connection:
            ids = {
                name: id_
                for id_, name in await connection.execute(
                    select(organisations.c.id, organisations.c.name).where(
                        organisations.c.name.in_(schools)
                    )
                )
            }
            names = {id_: name for name, id_ in ids.items()}
            chats = await connection.scalar(
                select(indicators.c.id).where(indicators.c.code == "chats")
            )
            rows = (
                await connection.execute(
                    select(weekly_reports).where(weekly_reports.c.indicator_id == chats)
                )
            ).all()
            report_history = (
                await connection.execute(
                    select(audit_log.c.subject_id, audit_log.c.old, audit_log.c.new)
                    .where(audit_log.c.subject == "report")
                    .order_by(audit_log.c.id)
                )
            ).all()
            weeks = [friday.date() - timedelta(days=4) for friday in FRIDAYS]
            assert chats is not None
            totals = await ReportStore(connection).totals(chats, weeks, Rollup.LATEST)

            # One report per organisation and week, each counting until the next one's week.
            assert len(rows) == SCHOOLS * len(FRIDAYS)
            by_org: defaultdict[int, list[tuple[date, date, int, int]]] = defaultdict(list)
            for row in rows:
                by_org[row.organisation_id].append((row.week, row.until_week, row.value, row.id))
            for standing in by_org.values():
                standing.sort()
                assert [week for week, *_ in standing] == weeks
                assert [until for _, until, *_ in standing][:-1] == weeks[1:]
            # Each report's history: one unbroken chain, ending in the value stored.
            chain: defaultdict[int, list[tuple[str | None, str]]] = defaultdict(list)
            for subject_id, old, new in report_history:
                chain[subject_id].append((old, new))
            stored = {row.id: row.value for row in rows}
            assert set(chain) == set(stored)
            for report_id, steps in chain.items():
                olds = [old for old, _ in steps]
                news = [new for _, new in steps]
                assert olds == [None, *news[:-1]], steps
                assert news[-1] == str(stored[report_id])
                assert len(steps) == CORRECTIONS  # every value of the week, each a change
            # Each week's total: every organisation's latest value.
            expected = [
                sum(
                    next(v for wk, _, v, _ in reversed(standing) if wk <= week)
                    for standing in by_org.values()
                )
                for week in weeks
            ]
            assert totals == expected
            for w, total in enumerate(totals):
                assert total is not None
                assert _value(w, 0) * SCHOOLS <= total <= _value(w, CORRECTIONS - 1) * SCHOOLS

            # Shares: one row each, its state the last of its history's unbroken chain.
            marks = {
                (row.task_id, row.organisation_id): row.state
                for row in await connection.execute(select(share_marks))
            }
            assert set(marks) == {(task_ids[t], ids[s]) for t in TASKS for s in schools}
            share_history = (
                await connection.execute(
                    select(
                        audit_log.c.subject_id, audit_log.c.field, audit_log.c.old, audit_log.c.new
                    )
                    .where(audit_log.c.subject == "share")
                    .order_by(audit_log.c.id)
                )
            ).all()
            share_chain: defaultdict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
            for task_id, school, old, new in share_history:
                state = re.match(r"[a-z]+", new)  # "done (2023-04-21): …" -> done
                assert state is not None
                share_chain[(task_id, ids[school])].append((old, state.group()))
            assert set(share_chain) == set(marks)
            for key, acts in share_chain.items():
                said_before = [old for old, _ in acts]
                said = [new for _, new in acts]
                assert said_before == [MarkState.OPEN.value, *said[:-1]], (names[key[1]], acts)
                assert all(old != new for old, new in acts)
                assert said[-1] == marks[key]
            changed = sum(len(o.changed) for o in mark_outcomes if isinstance(o, MarkOutcome))
            assert len(share_history) == changed

            # Invites: the single-use one used once, binding one person; the double tap bound once.
            single_id, uses = (
                await connection.execute(
                    select(invites.c.id, invites.c.uses).where(
                        invites.c.token_hash == token_hash(single.token)
                    )
                )
            ).one()
            assert uses == 1
            single_bound = await connection.scalar(
                select(func.count()).select_from(bindings).where(bindings.c.invite_id == single_id)
            )
            assert single_bound == 1
            tapped = await connection.scalar(
                select(func.count())
                .select_from(bindings)
                .where(
                    bindings.c.person_id == joined.person.id,
                    bindings.c.organisation_id == ids[schools[2]],
                )
            )
            assert tapped == 1
            bound_history = await connection.scalar(
                select(func.count())
                .select_from(audit_log)
                .where(audit_log.c.subject == "person", audit_log.c.action == "bound")
            )
            assert bound_history == 3  # the regular twice (two organisations), one guest
            assert await connection.scalar(select(func.count()).select_from(people)) == 2

        # Two planners (two processes) plan the same round at the same moment: planned once.
        for planner in ("questions", "planner"):
            before = await _outbox_rows(first)
            a, b = await asyncio.gather(
                getattr(apps[0], planner).plan(), getattr(apps[1], planner).plan()
            )
            winner, loser = (a, b) if a.timezones else (b, a)
            assert winner.timezones, (a, b)
            assert not loser.timezones, (a, b)
            assert winner.planned > 0
            assert loser.planned == 0
            assert await _outbox_rows(first) == before + winner.planned
        async with first.database.transaction(write=False) as connection:
            for table in (question_rounds, reminder_rounds):
                days = (await connection.execute(select(table.c.day))).scalars().all()
                assert days == [FRIDAYS[0].date()], table.name


async def test_the_same_indicators_defined_twice_at_once_are_defined_once(
    database_url: str,
) -> None:
    """The indicators' file imported by two processes at once: each indicator and its history
    once; one of the two says it changed them, the other that nothing changed."""
    async with _two_apps(database_url) as apps:
        wanted = read_indicators(EXAMPLES / "smolensk-indicators.yaml")
        changed = await asyncio.gather(
            *(app.reports.define_all(CLI, wanted) for app in apps), return_exceptions=True
        )
        counts = [c for c in changed if isinstance(c, int)]
        assert sorted(counts) == [0, len(wanted)], changed
        async with apps[0].database.transaction(write=False) as connection:
            count = select(func.count())
            assert await connection.scalar(count.select_from(indicators)) == len(wanted)
            defined = count.select_from(audit_log).where(audit_log.c.action == "define")
            assert await connection.scalar(defined) == len(wanted)


async def test_the_same_group_bound_twice_at_once_and_two_link_edits_at_once(
    database_url: str,
) -> None:
    """/bind of one group to one party from two processes at once: one binding, one "bound" in
    the audit. Two edits of one party's links at once: the second one's "old" is the first
    one's "new", so the audit tells the links' history without a gap."""
    async with _two_apps(database_url) as apps:
        bound = await asyncio.gather(
            *(app.parties.bind_chat(CLI, -100_777, "Школы района", 3, FRIDAYS[0]) for app in apps)
        )
        assert sorted(new for _, new in bound) == [False, True]
        edits = await asyncio.gather(
            apps[0].parties.assign(CLI, 2, "все органы"),
            apps[1].parties.assign(CLI, 2, "все школы"),
        )
        assert len(edits) == 2
        async with apps[0].database.transaction(write=False) as connection:
            count = select(func.count())
            assert await connection.scalar(count.select_from(chat_bindings)) == 1
            said = count.select_from(audit_log).where(audit_log.c.action == "bound")
            assert await connection.scalar(said) == 1
            history = list(
                await connection.execute(
                    select(audit_log.c.old, audit_log.c.new)
                    .where(audit_log.c.action == "links")
                    .order_by(audit_log.c.id)
                )
            )
        assert len(history) == 2
        assert history[1].old == history[0].new


@asynccontextmanager
async def _two_apps(database_url: str) -> AsyncIterator[list[App]]:
    """Two processes' apps on one database, the order and its registry imported by the first."""
    async with AsyncExitStack() as stack:
        apps = [
            await stack.enter_async_context(
                open_app(
                    Settings(_env_file=None, database_url=database_url),
                    clock=FixedClock(FRIDAYS[0]),
                )
            )
            for _ in range(2)
        ]
        await apps[0].roadmaps.import_document(SMOLENSK_DOCX)
        await apps[0].organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        yield apps


def _gate(gate: asyncio.Semaphore) -> Callable[[Awaitable[T]], Awaitable[T]]:
    """Run an app's unit when one of its IN_FLIGHT places is free."""

    async def run(unit: Awaitable[T]) -> T:
        async with gate:
            return await unit

    return run


async def _outbox_rows(app: App) -> int:
    async with app.database.transaction(write=False) as connection:
        return int(await connection.scalar(select(func.count()).select_from(outbox)) or 0)
