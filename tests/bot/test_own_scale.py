"""Figures at the person's own scale (issue «Understood at first sight»), as people read them:
a share of the headcount is a target at every level, «3 500 чатов» only for the whole region; a
forecast years off is said in words; a school sees only what it reports; an authority's own
indicator is asked of its coordinators; a value carried from an earlier week says so; numbers
are written «4 240»; an indicator is named, never coded."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.importers.indicators import read_indicators
from bot.render.charts import progress_chart, series_chart
from bot.render.outbox import outbox_composer
from bot.services.people import CLI
from tests.bot.conftest import ADMIN, CITY, COORDINATOR, REP, SCHOOL, World
from tests.bot.test_reports import values
from tests.conftest import EXAMPLES

NBSP = "\u00a0"
FIRST_FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk
SECOND_FRIDAY = datetime(2023, 4, 28, 7, 0, tzinfo=UTC)
THIRD_FRIDAY = datetime(2023, 5, 5, 7, 0, tzinfo=UTC)
SCHOOLS_AND_COLLEGES = ("school", "college")


def teachers(parent: str | None = None) -> int:
    """Teachers of the schools and colleges (under `parent`), from the registry itself."""
    with (EXAMPLES / "smolensk-orgs.csv").open(encoding="utf-8") as file:
        return sum(
            int(row["teachers"] or 0)
            for row in csv.DictReader(file)
            if row["kind"] in SCHOOLS_AND_COLLEGES and parent in (None, row["parent"])
        )


def spaced(n: int) -> str:
    return f"{n:,}".replace(",", NBSP)


async def two_weeks(world: World) -> None:
    """The city school reports 1 teacher and 1 chat, then 2 and 2 a week later: a pace that
    would take decades."""
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FIRST_FRIDAY
    await world.send(REP, "учителей 1, чатов 1")
    world.clock.moment = SECOND_FRIDAY
    await world.send(REP, "учителей 2, чатов 2")


async def test_a_coordinator_is_judged_against_the_municipality_own_headcount(
    staffed: World,
) -> None:
    await two_weeks(staffed)
    [status] = await staffed.send(COORDINATOR, "/status")
    text = status.text
    city = teachers(CITY)
    assert city > 1000
    assert f"Цель: {spaced(city)} к 31.05.2023" in text  # 100 % of the city's teachers
    assert "3" + NBSP + "500" not in text
    assert "3500" not in text
    assert "Прогноз: не успеваем к сроку при текущем темпе." in text
    assert "Прогноз при текущем темпе" not in text
    # The city's own indicator (reported by the authority itself) is the coordinator's.
    assert "Сотрудники органов управления" in text


async def test_the_region_sees_its_absolute_target_with_spaced_thousands(staffed: World) -> None:
    await two_weeks(staffed)
    text = "\n".join(sent.text for sent in await staffed.send(ADMIN, "/status"))
    assert f"Цель: 3{NBSP}500 к 31.05.2023" in text
    assert f"из {spaced(teachers())}" in text
    assert f"Цель: {spaced(teachers())} к 31.05.2023" in text


async def test_a_school_sees_only_its_own_indicators_at_its_own_scale(staffed: World) -> None:
    await two_weeks(staffed)
    [status] = await staffed.send(REP, "/status")
    text = status.text
    assert "Сотрудники органов управления" not in text
    assert "0 из 0" not in text
    assert "Цель: 48 к 31.05.2023" in text  # 100 % of its 48 teachers
    assert "3" + NBSP + "500" not in text
    assert "3500" not in text
    assert "Прогноз при текущем темпе" not in text  # 46 weeks at 1 a week: not in time
    assert "не успеваем к сроку при текущем темпе" in text


async def test_a_value_carried_from_an_earlier_week_says_so(staffed: World) -> None:
    await two_weeks(staffed)
    staffed.clock.moment = THIRD_FRIDAY  # nothing reported this week
    [own] = await staffed.send(REP, "/status")
    assert "Педагоги, написавшие не менее 10 сообщений за неделю</b>: 2" in own.text
    assert "прежнее значение: за эту неделю отчётов нет" in own.text
    [drilled] = await staffed.send(COORDINATOR, "/status Гимназия № 4")
    assert "прежнее значение (за эту неделю нет отчёта)" in drilled.text


async def test_a_chart_draws_carried_weeks_hollow_and_says_not_in_time(staffed: World) -> None:
    await two_weeks(staffed)
    staffed.clock.moment = THIRD_FRIDAY
    series = await staffed.app.reports.chart(CLI, 0, SCHOOL)
    assert series is not None
    assert series.progress.indicator.name.startswith("Педагоги")
    assert series.carried == (False, False, True)
    chart = series_chart(series, place=SCHOOL)
    assert chart.carried == (False, False, True)
    assert chart.beyond
    assert chart.forecast is None
    assert progress_chart(chart).startswith(b"\x89PNG")
    # A school is not charted what it does not report.
    indicators = [(await staffed.app.reports.chart(CLI, index, SCHOOL)) for index in range(3)]
    assert [s.progress.indicator.code if s else None for s in indicators] == [
        "teachers_active",
        "chats",
        None,
    ]


async def test_bulk_replies_space_thousands(staffed: World) -> None:
    await two_weeks(staffed)
    [answer, *_] = await staffed.send(COORDINATOR, f"{SCHOOL} — учителей 4240, чатов 7")
    assert f"4{NBSP}240 — больше, чем всего педагогов (48)" in answer.text
    assert "4240" not in answer.text


async def test_indicators_are_named_not_coded(staffed: World) -> None:
    await staffed.app.reports.define_all(
        CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml")
    )
    [listed] = await staffed.send(ADMIN, "/indicators")
    for code in ("teachers_active", "chats", "staff_active", "authority", "school"):
        assert code not in listed.text
    assert "• Чаты классов в Сферуме — школы, пятница до 18:00; цель 3" + NBSP + "500" in (
        listed.text
    )
    assert "органы управления" in listed.text


def sender(world: World) -> Sender:
    compose = outbox_composer(world.app.snapshots, world.app.reports, world.app.shares, "ru")
    fast = RateLimits(per_second=100_000, per_chat_per_second=100_000, per_group_per_minute=1000)
    return Sender(
        world.app.database, TelegramTransport(world.bot), world.clock, compose, limits=fast
    )


async def test_the_authority_indicator_is_asked_of_the_authority_coordinators(
    staffed: World,
) -> None:
    await staffed.app.reports.define_all(
        CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml")
    )
    staffed.clock.moment = FIRST_FRIDAY
    await staffed.app.questions.plan()
    await sender(staffed).drain()
    asked = staffed.session.to(COORDINATOR)
    [question] = [m for m in asked if "Сколько сотрудников органов управления" in m.text]
    assert CITY in question.text
    assert not any("педагогов" in m.text for m in asked)  # the schools' questions are theirs
    assert not any("сотрудников органов управления" in m.text for m in staffed.session.to(REP))
    await staffed.press(COORDINATOR, question, "0")
    assert (await values(staffed))[f"staff_active@{CITY}"] == 0
