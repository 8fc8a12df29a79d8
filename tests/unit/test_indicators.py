"""Weekly indicators: definitions, targets, the week a report is for, versions and concerns."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.indicators import (
    Concern,
    Indicator,
    IndicatorHistory,
    IndicatorTarget,
    concerns,
    deadline,
    denominator_of,
    due_day,
    due_for,
    label_map,
    reporting_week,
    versions_by_code,
    week_of,
)
from bot.domain.model import Measure, Organisation
from bot.domain.model import OrganisationKind as Kind

D = date
MOSCOW = ZoneInfo("Europe/Moscow")
# The week of 17 April 2023 (a Monday); its Friday is the 21st.
WEEK = D(2023, 4, 17)
SCHOOL = Organisation("Школа № 1", Kind.SCHOOL, teachers=45, staff=60, pupils=540)
COLLEGE = Organisation("Колледж", Kind.COLLEGE, teachers=50)
AUTHORITY = Organisation("МОУО", Kind.AUTHORITY, staff=12)


def teachers(**changes: object) -> Indicator:
    fields: dict[str, object] = {
        "code": "teachers_active",
        "name": "Педагоги, написавшие не менее 10 сообщений за неделю",
        "question": "Сколько педагогов написали не менее 10 сообщений за неделю?",
        **changes,
    }
    return Indicator(**fields)  # type: ignore[arg-type]


# --- Definitions ---------------------------------------------------------------------------------


def test_defaults_are_a_schools_friday_report_by_six() -> None:
    indicator = teachers()
    assert indicator.reported_by == {Kind.SCHOOL}
    assert indicator.weekday == 4
    assert indicator.due_time == time(18, 0)
    assert indicator.denominator is None
    assert indicator.target is None
    assert indicator.valid_from is None


@pytest.mark.parametrize("code", ["teachers_active", "chats", "k12", "A_1", "x"])
def test_good_codes(code: str) -> None:
    assert teachers(code=code).code == code


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": ""}, "an indicator code is latin letters, digits and _"),
        ({"code": "_"}, "an indicator code"),
        ({"code": "teachers-active"}, "an indicator code"),
        ({"code": "teachers active"}, "an indicator code"),
        ({"code": "педагоги"}, "an indicator code"),
        ({"code": "²"}, "an indicator code"),
        ({"name": ""}, "an indicator needs a name"),
        ({"name": "  \n"}, "an indicator needs a name"),
        ({"weekday": 7}, "weekday is 0 (Monday) to 6 (Sunday)"),
        ({"weekday": -1}, "weekday is 0"),
        ({"reported_by": frozenset()}, "at least one kind of organisation"),
        ({"denominator": Measure.ORGANISATIONS}, "a denominator is a headcount"),
        ({"valid_from": D(2023, 4, 21)}, "a definition applies from a week, named by its Monday"),
    ],
)
def test_bad_definitions(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        teachers(**changes)


@pytest.mark.parametrize("measure", [None, Measure.TEACHERS, Measure.STAFF, Measure.PUPILS])
def test_headcount_denominators(measure: Measure | None) -> None:
    assert teachers(denominator=measure).denominator is measure


def test_labels_and_who_reports() -> None:
    indicator = teachers(aliases=("педагогов", "учителей"), reported_by={Kind.SCHOOL, Kind.COLLEGE})
    assert indicator.labels == {"педагогов": "teachers_active", "учителей": "teachers_active"}
    assert indicator.reports(SCHOOL)
    assert indicator.reports(COLLEGE)
    assert not indicator.reports(AUTHORITY)


def test_label_map_joins_aliases() -> None:
    chats = Indicator("chats", "Чаты", "Сколько чатов?", aliases=("чатов", "чаты"))
    assert label_map([teachers(aliases=("педагогов",)), chats]) == {
        "педагогов": "teachers_active",
        "чатов": "chats",
        "чаты": "chats",
    }
    assert label_map([]) == {}


@pytest.mark.parametrize(
    ("measure", "expected"),
    [(Measure.TEACHERS, 45), (Measure.STAFF, 60), (Measure.PUPILS, 540), (None, None)],
)
def test_denominator_of(measure: Measure | None, expected: int | None) -> None:
    assert denominator_of(teachers(denominator=measure), SCHOOL) == expected


def test_denominator_of_an_unknown_headcount() -> None:
    assert denominator_of(teachers(denominator=Measure.PUPILS), COLLEGE) is None


# --- Targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "exactly one of them"),
        ({"percent": 100.0, "value": 300}, "exactly one of them"),
        ({"percent": 0.0}, "a target percentage is above 0"),
        ({"percent": -5.0}, "a target percentage is above 0"),
        ({"percent": 1000.5}, "a target percentage is above 0"),
        ({"value": -1}, "a target number cannot be negative"),
    ],
)
def test_bad_targets(changes: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IndicatorTarget(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("percent", "denominator", "total"),
    [
        (90, 45, 41),  # 40.5 teachers: rounded up
        (100, 7654, 7654),  # no float residue pushes it to 7655
        (100, 989, 989),
        (100, 1, 1),
        (100, 0, 0),
        (50, 7, 4),
        (50, 8, 4),
        (1, 1, 1),  # any share of someone is someone
        (33.33, 3, 1),  # 0.9999 of a teacher
        (99.5, 200, 199),
        (99.9, 95868, 95773),  # 95772.132
        (70, 10, 7),  # 0.7 * 10 is 7.000000000000001 in floats; still 7
        (150, 10, 15),
        (1000, 3, 30),
    ],
)
def test_a_percentage_of_the_headcount_rounds_up(
    percent: float, denominator: int, total: int
) -> None:
    assert IndicatorTarget(percent=percent).total(denominator) == total


def test_a_percentage_without_a_headcount_has_no_total() -> None:
    assert IndicatorTarget(percent=100).total(None) is None


@pytest.mark.parametrize("denominator", [None, 0, 45])
def test_a_number_is_its_own_total(denominator: int | None) -> None:
    assert IndicatorTarget(value=3500).total(denominator) == 3500
    assert IndicatorTarget(value=0).total(denominator) == 0


# --- Weeks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (D(2023, 4, 17), D(2023, 4, 17)),
        (D(2023, 4, 21), D(2023, 4, 17)),
        (D(2023, 4, 23), D(2023, 4, 17)),
        (D(2023, 1, 1), D(2022, 12, 26)),  # a Sunday: the week began last year
    ],
)
def test_week_of(day: date, monday: date) -> None:
    assert week_of(day) == monday


def test_due_day() -> None:
    assert due_day(WEEK, 4) == D(2023, 4, 21)
    assert due_day(WEEK, 0) == WEEK
    assert due_day(WEEK, 6) == D(2023, 4, 23)


@pytest.mark.parametrize(
    ("today", "week"),
    [
        (D(2023, 4, 17), D(2023, 4, 10)),  # Monday: Friday's question was last week's
        (D(2023, 4, 18), D(2023, 4, 10)),
        (D(2023, 4, 19), D(2023, 4, 10)),
        (D(2023, 4, 20), D(2023, 4, 10)),  # Thursday: this week's question is not asked yet
        (D(2023, 4, 21), D(2023, 4, 17)),  # Friday, the due day
        (D(2023, 4, 22), D(2023, 4, 17)),
        (D(2023, 4, 23), D(2023, 4, 17)),
        (D(2023, 4, 24), D(2023, 4, 17)),  # the next Monday: a late answer for the week before
        (D(2023, 4, 27), D(2023, 4, 17)),
        (D(2023, 4, 28), D(2023, 4, 24)),
    ],
)
def test_reporting_week_around_a_friday_due_day(today: date, week: date) -> None:
    assert reporting_week(today, 4) == week


def test_reporting_week_with_a_monday_or_sunday_due_day() -> None:
    for offset in range(7):
        assert reporting_week(WEEK + timedelta(days=offset), 0) == WEEK
    for offset in range(6):
        assert reporting_week(WEEK + timedelta(days=offset), 6) == WEEK - timedelta(days=7)
    assert reporting_week(D(2023, 4, 23), 6) == WEEK


@given(st.dates(D(2000, 1, 1), D(2100, 12, 31)), st.integers(0, 6))
def test_reporting_week_is_the_latest_whose_due_day_has_come(today: date, weekday: int) -> None:
    week = reporting_week(today, weekday)
    assert week.weekday() == 0
    assert due_day(week, weekday) <= today < due_day(week + timedelta(days=7), weekday)


def test_deadline_is_the_due_day_at_due_time_local() -> None:
    at = deadline(teachers(), WEEK, MOSCOW)
    assert at == datetime(2023, 4, 21, 18, 0, tzinfo=MOSCOW)
    assert at.utcoffset() == timedelta(hours=3)
    monday_noon = teachers(weekday=0, due_time=time(12, 30))
    assert deadline(monday_noon, WEEK, MOSCOW) == datetime(2023, 4, 17, 12, 30, tzinfo=MOSCOW)


# --- Versions ------------------------------------------------------------------------------------

FIRST = teachers(target=IndicatorTarget(percent=100))
SECOND = teachers(valid_from=D(2023, 5, 1), target=IndicatorTarget(percent=90))
THIRD = teachers(valid_from=D(2023, 5, 15), weekday=3)


def test_history_at_each_week() -> None:
    history = IndicatorHistory((FIRST, SECOND, THIRD))
    assert history.code == "teachers_active"
    assert history.current is THIRD
    assert history.first_week is None
    assert history.at(D(2000, 1, 3)) is FIRST
    assert history.at(D(2023, 4, 24)) is FIRST
    assert history.at(D(2023, 5, 1)) is SECOND  # from its week on
    assert history.at(D(2023, 5, 8)) is SECOND
    assert history.at(D(2023, 5, 15)) is THIRD
    assert history.at(D(2024, 1, 1)) is THIRD


def test_history_before_its_first_version() -> None:
    history = IndicatorHistory((SECOND, THIRD))
    assert history.first_week == D(2023, 5, 1)
    assert history.at(D(2023, 4, 24)) is None
    assert history.at(D(2023, 5, 1)) is SECOND


@pytest.mark.parametrize(
    ("versions", "message"),
    [
        ((), "at least one version"),
        ((FIRST, teachers(code="chats", valid_from=D(2023, 5, 1))), "share its code"),
        ((SECOND, FIRST), "ordered by the week"),
        ((THIRD, SECOND), "ordered by the week"),
        ((SECOND, teachers(valid_from=D(2023, 5, 1))), "one per week"),
        ((FIRST, teachers()), "one per week"),  # two versions "from the beginning"
    ],
)
def test_bad_histories(versions: tuple[Indicator, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IndicatorHistory(versions)


def test_versions_by_code_groups_and_orders() -> None:
    chats = Indicator("chats", "Чаты", "Сколько чатов?")
    histories = versions_by_code([THIRD, chats, FIRST, SECOND])
    assert list(histories) == ["teachers_active", "chats"]
    assert histories["teachers_active"].versions == (FIRST, SECOND, THIRD)
    assert histories["chats"].versions == (chats,)
    assert versions_by_code([]) == {}


def test_versions_by_code_refuses_two_versions_in_one_week() -> None:
    with pytest.raises(ValueError, match="one per week"):
        versions_by_code([SECOND, teachers(valid_from=D(2023, 5, 1), name="Другое имя")])


def test_due_for_takes_each_indicator_as_defined_that_week() -> None:
    staff = Indicator(
        "staff_active",
        "Сотрудники",
        "Сколько сотрудников?",
        reported_by=frozenset({Kind.AUTHORITY}),
        valid_from=D(2023, 5, 1),
    )
    histories = list(versions_by_code([FIRST, SECOND, staff]).values())
    assert due_for(histories, SCHOOL, D(2023, 4, 24)) == [FIRST]
    assert due_for(histories, SCHOOL, D(2023, 5, 1)) == [SECOND]
    assert due_for(histories, AUTHORITY, D(2023, 4, 24)) == []  # not yet defined
    assert due_for(histories, AUTHORITY, D(2023, 5, 1)) == [staff]
    assert due_for(histories, COLLEGE, D(2023, 5, 1)) == []


# --- Concerns ------------------------------------------------------------------------------------

ABOVE, DROP = Concern.ABOVE_DENOMINATOR, Concern.SHARP_DROP


@pytest.mark.parametrize(
    ("value", "denominator", "last_week", "expected"),
    [
        (38, 45, 30, ()),
        (45, 45, 30, ()),  # all of them: fine
        (46, 45, 30, (ABOVE,)),
        (38, None, None, ()),
        (10_000, None, None, ()),  # nothing to compare with
        (20, None, 30, ()),  # down by exactly a third: not "more than"
        (19, None, 30, (DROP,)),
        (0, None, 0, ()),  # a zero after a zero is a zero
        (0, 45, None, ()),  # a real zero is a report like any other
        (0, None, 1, (DROP,)),
        (2, None, 3, ()),  # 3 -> 2 is a third
        (1, None, 2, (DROP,)),
        (31, None, 30, ()),
        (30, 45, 30, ()),
        (50, 45, 90, (ABOVE, DROP)),
        (0, 0, None, ()),
        (1, 0, None, (ABOVE,)),
    ],
)
def test_concerns(
    value: int, denominator: int | None, last_week: int | None, expected: tuple[Concern, ...]
) -> None:
    assert concerns(value, denominator, last_week) == expected
