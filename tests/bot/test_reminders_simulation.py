"""April–May 2023 with the Smolensk roadmap on a fake clock: who hears what, on which days.

Every working day at 10:05 Moscow time the planner ticks and the sender drains the outbox
through a recording Bot session. The expected schedules below were worked out by hand from
the order's deadlines and the policy (7/3/1/0 days ahead, overdue every 2 working days up to
5 times, escalation after 3 working days overdue), with May 1, 8 and 9 as holidays.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.access import Role
from bot.domain.reminders import WorkCalendar
from bot.importers import read_roadmap
from bot.render.outbox import digest_composer
from bot.services.people import CLI
from bot.services.reminders import DigestReader
from storage.outbox import OutboxStore
from tests.bot.conftest import ADMIN, CITY, SCHOOL, World
from tests.bot.recording import Sent
from tests.conftest import SMOLENSK_DOCX

CITY_COORDINATOR, VELIZH_COORDINATOR, CITY_SCHOOL, VK_GROUP = 2001, 2002, 3001, -100777
VELIZH = (
    "Отдел образования Администрации муниципального образования «Велижский район» "
    "Смоленской области"
)
HOLIDAYS = frozenset({date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 9)})

Schedule = dict[date, set[tuple[str, str, int]]]


async def prepare(world: World) -> Sender:
    app = world.app
    app.planner.settings = replace(app.planner.settings, holidays=HOLIDAYS)
    app.planner.calendar = WorkCalendar(HOLIDAYS)
    await world.send(ADMIN, "/start")
    await world.join(CITY_COORDINATOR, Role.COORDINATOR, CITY)
    await world.join(VELIZH_COORDINATOR, Role.COORDINATOR, VELIZH)
    await world.join(CITY_SCHOOL, Role.REP, SCHOOL)
    admin = await app.people.identify("telegram", ADMIN, f"Person {ADMIN}", None, "ru")
    await app.parties.bind_chat(admin, VK_GROUP, "ЦО VK", 7, world.clock.now())  # ЦО/VK
    compose = digest_composer(DigestReader(app.snapshots, app.shares), "ru")
    # The limiter runs on real time, and a simulated day lasts milliseconds.
    fast = RateLimits(per_second=1000, per_chat_per_second=1000, per_group_per_minute=1000)
    return Sender(app.database, TelegramTransport(world.bot), world.clock, compose, limits=fast)


async def run_days(world: World, sender: Sender, first: date, last: date) -> None:
    day = first
    while day <= last:
        world.clock.moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            hours=7, minutes=5
        )
        await world.app.planner.plan()
        await sender.drain()
        day += timedelta(days=1)


async def schedules(world: World) -> dict[int, Schedule]:
    """chat -> day -> {(task number, reason, days)} as planned and sent."""
    numbers = {t.id: t.number for t in (await world.app.roadmaps.roadmap()).tasks}
    heard: defaultdict[int, Schedule] = defaultdict(dict)
    async with world.app.database.transaction() as connection:
        rows = await OutboxStore(connection).rows()
    for row in rows:
        assert row.status == "sent", (row.chat_id, row.round, row.status, row.reason)
        lines = json.loads(row.payload)["lines"]
        heard[row.chat_id][row.round] = {
            (numbers[line["task"]], line["reason"], line["days"]) for line in lines
        }
    return heard


async def test_april_and_may_2023_day_by_day(world: World) -> None:
    """One season, run once (it takes a while), checked from several sides."""
    sender = await prepare(world)
    await run_days(world, sender, date(2023, 4, 10), date(2023, 5, 31))
    heard = await schedules(world)
    a_school_hears_its_own_tasks_ahead_on_the_day_and_when_late(heard)
    await the_municipal_coordinator_hears_escalations_for_its_schools(world, heard)
    the_weekly_friday_task_reaches_its_group_every_friday(heard)
    one_digest_per_person_per_day_and_never_at_the_weekend(world, heard)
    undated_tasks_are_put_to_coordinators_on_mondays(heard)


def a_school_hears_its_own_tasks_ahead_on_the_day_and_when_late(
    heard: dict[int, Schedule],
) -> None:
    d = date
    assert heard[CITY_SCHOOL] == {
        d(2023, 4, 10): {("5", "before", 7)},
        d(2023, 4, 13): {("11", "before", 7)},
        d(2023, 4, 14): {("5", "before", 3)},  # Monday the 17th is 3 days off
        d(2023, 4, 17): {("5", "due_today", 0), ("11", "before", 3)},
        d(2023, 4, 18): {("5", "overdue", 1)},
        d(2023, 4, 19): {("11", "before", 1)},
        d(2023, 4, 20): {("5", "overdue", 3), ("11", "due_today", 0)},
        d(2023, 4, 21): {("7", "before", 7), ("11", "overdue", 1)},
        d(2023, 4, 24): {("5", "overdue", 7)},
        d(2023, 4, 25): {("7", "before", 3), ("11", "overdue", 5)},
        d(2023, 4, 26): {("5", "overdue", 9)},
        d(2023, 4, 27): {("7", "before", 1), ("11", "overdue", 7)},
        d(2023, 4, 28): {("5", "overdue", 11), ("7", "due_today", 0)},
        d(2023, 5, 2): {("7", "overdue", 4), ("11", "overdue", 12)},
        d(2023, 5, 4): {("7", "overdue", 6), ("11", "overdue", 14)},
        d(2023, 5, 10): {("7", "overdue", 12)},
        d(2023, 5, 12): {("7", "overdue", 14)},
        d(2023, 5, 16): {("7", "overdue", 18)},
    }


async def the_municipal_coordinator_hears_escalations_for_its_schools(
    world: World, heard: dict[int, Schedule]
) -> None:
    escalated = {
        day: sorted(number for number, reason, _ in lines if reason == "escalation")
        for day, lines in heard[CITY_COORDINATOR].items()
        if any(reason == "escalation" for _, reason, _ in lines)
    }
    d = date
    assert escalated == {
        d(2023, 4, 24): ["5"],
        d(2023, 4, 26): ["5"],
        d(2023, 4, 27): ["11"],  # not the 25th: 3 working days late, however many calendar days
        d(2023, 4, 28): ["5"],
        d(2023, 5, 2): ["11"],  # No. 7's first overdue day (after a weekend and a holiday)
        d(2023, 5, 4): ["11"],
        d(2023, 5, 10): ["7"],
        d(2023, 5, 12): ["7"],
        d(2023, 5, 16): ["7"],
    }
    # The escalation counts the organisations below this coordinator, and its «📋 список»
    # lists them, and only those.
    sent = [
        m for m in world.session.to(CITY_COORDINATOR) if "Просрочено у подведомственных" in m.text
    ]
    assert " из " in sent[-1].text
    assert "Гимназия" not in sent[-1].text
    assert ("Велиж" in await listed(world, CITY_COORDINATOR, sent[-1])) is False
    assert "Гимназия № 4" in await listed(world, CITY_COORDINATOR, sent[-1])
    velizh = [
        m for m in world.session.to(VELIZH_COORDINATOR) if "Просрочено у подведомственных" in m.text
    ]
    assert "Велижская СШ № 1" in await listed(world, VELIZH_COORDINATOR, velizh[-1])
    assert "Гимназия" not in await listed(world, VELIZH_COORDINATOR, velizh[-1])


async def listed(world: World, chat: int, digest: Sent) -> str:
    replies = await world.press(chat, digest, "📋 список")
    return "\n".join(reply.text for reply in replies)


def the_weekly_friday_task_reaches_its_group_every_friday(heard: dict[int, Schedule]) -> None:
    fridays = sorted(
        day for day, lines in heard[VK_GROUP].items() if ("18", "occurrence", 0) in lines
    )
    d = date
    assert fridays == [
        d(2023, 4, 14),
        d(2023, 4, 21),
        d(2023, 4, 28),
        d(2023, 5, 5),
        d(2023, 5, 12),
        d(2023, 5, 19),
        d(2023, 5, 26),
    ]


def one_digest_per_person_per_day_and_never_at_the_weekend(
    world: World, heard: dict[int, Schedule]
) -> None:
    for chat, schedule in heard.items():
        for day in schedule:
            assert day.weekday() < 5, (chat, day)
            assert day not in HOLIDAYS, (chat, day)
        digests = [m for m in world.session.to(chat) if "Напоминание" in m.text]
        assert len(digests) == len(schedule), chat


def undated_tasks_are_put_to_coordinators_on_mondays(heard: dict[int, Schedule]) -> None:
    mondays = sorted(
        day for day, lines in heard[CITY_COORDINATOR].items() if ("20", "undated", 0) in lines
    )
    assert [day.weekday() for day in mondays] == [0] * len(mondays)
    assert date(2023, 4, 10) in mondays
    assert date(2023, 5, 8) not in mondays  # a holiday
    assert not any(("20", "undated", 0) in lines for lines in heard[CITY_SCHOOL].values())


async def test_marking_done_cancels_what_was_still_pending(world: World) -> None:
    sender = await prepare(world)
    world.clock.moment = datetime(2023, 4, 17, 7, 5, tzinfo=UTC)
    await world.app.planner.plan()  # the school's digest: 5 due today, 11 three days ahead
    tasks = (await world.app.roadmaps.roadmap()).tasks
    for number in ("5",):
        task_id = next(t.id for t in tasks if t.number == number)
        assert task_id is not None
        await world.app.tasks.mark_done(CLI, task_id, organisation=SCHOOL)
    await sender.drain()
    (digest,) = [m for m in world.session.to(CITY_SCHOOL) if "Напоминание" in m.text]
    assert "№ 5 " not in digest.text
    assert "№ 11 «" in digest.text
    # On the 19th the school's digest holds only No. 11; done before it goes: not sent.
    world.clock.moment = datetime(2023, 4, 19, 7, 5, tzinfo=UTC)
    await world.app.planner.plan()
    eleven = next(t.id for t in tasks if t.number == "11" and t.id is not None)
    assert eleven is not None
    await world.app.tasks.mark_done(CLI, eleven, organisation=SCHOOL)
    before = len(world.session.to(CITY_SCHOOL))
    await sender.drain()
    assert len(world.session.to(CITY_SCHOOL)) == before
    async with world.app.database.transaction() as connection:
        rows = [r for r in await OutboxStore(connection).rows() if r.chat_id == CITY_SCHOOL]
    assert [(r.round.isoformat(), r.status) for r in rows] == [
        ("2023-04-17", "sent"),
        ("2023-04-19", "cancelled"),
    ]


async def test_after_a_week_down_one_current_digest_not_seven_stale_ones(world: World) -> None:
    sender = await prepare(world)
    world.clock.moment = datetime(2023, 4, 10, 7, 5, tzinfo=UTC)
    await world.app.planner.plan()
    await sender.drain()
    # Down from the 11th to the 20th: nothing planned, nothing sent.
    world.clock.moment = datetime(2023, 4, 21, 7, 5, tzinfo=UTC)
    await world.app.planner.plan()
    await sender.drain()
    digests = [m for m in world.session.to(CITY_SCHOOL) if "Напоминание" in m.text]
    assert len(digests) == 2  # the 10th's, then one for the whole gap
    latest = digests[-1].text
    assert "№ 5 «" in latest
    assert "просрочено на 4 дня" in latest  # where things stand now, on the 21st
    assert "осталось 3 дня" not in latest  # not the gap's history


async def test_a_revised_deadline_changes_what_is_planned_without_a_restart(world: World) -> None:
    sender = await prepare(world)
    document = read_roadmap(SMOLENSK_DOCX)
    revised = replace(
        document,
        tasks=tuple(
            replace(t, deadline=replace(t.deadline, text="до 12.05.2023", due=date(2023, 5, 12)))
            if t.number == "7"
            else t
            for t in document.tasks
        ),
    )
    await world.app.roadmaps.import_roadmap(revised)
    await run_days(world, sender, date(2023, 4, 21), date(2023, 4, 28))
    heard = await schedules(world)
    seen = {n for lines in heard[CITY_SCHOOL].values() for n, _, _ in lines}
    assert "7" not in seen  # was due on the 28th; now the 12th of May, more than 7 days off


async def test_a_digest_button_marks_the_task_done(world: World) -> None:
    sender = await prepare(world)
    world.clock.moment = datetime(2023, 4, 17, 7, 5, tzinfo=UTC)
    await world.app.planner.plan()
    await sender.drain()
    (digest,) = [m for m in world.session.to(CITY_SCHOOL) if "Напоминание" in m.text]
    assert [label for label, _ in digest.buttons()] == ["✅ № 5", "📄 № 5", "✅ № 11", "📄 № 11"]
    (note,) = await world.press(CITY_SCHOOL, digest, "✅ № 5")
    assert note.text == f"№ 5: выполнено — {SCHOOL}."
    (again,) = await world.press(CITY_SCHOOL, digest, "✅ № 5")  # an old button, used already
    assert again.text.startswith(f"№ 5 уже отмечено: {SCHOOL} — Person {CITY_SCHOOL}, ")
    assert again.text.endswith("Повторно ничего не сделано.")
    (card,) = await world.press(CITY_SCHOOL, digest, "📄 № 11")
    assert card.text.startswith("<b>№ 11. Перевод 100% внутренних коммуникаций")
