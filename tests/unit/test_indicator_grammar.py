"""The words of an indicator's definition: weekday, time, kinds, denominator, target, roll-up."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.indicator_grammar import (
    parse_due_time,
    parse_kinds,
    parse_measure,
    parse_rollup,
    parse_target,
    parse_weekday,
)
from bot.domain.indicators import IndicatorTarget, Rollup
from bot.domain.model import Measure
from bot.domain.model import OrganisationKind as Kind

MAY_31 = date(2023, 5, 31)


def fails(message: str) -> AbstractContextManager[pytest.ExceptionInfo[ValueError]]:
    """A ValueError whose message starts with `message`."""
    return pytest.raises(ValueError, match="^" + re.escape(message))


# --- Weekdays ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("пятница", 4),
        ("Пятница", 4),
        ("пт", 4),
        ("ПТ.", 4),
        ("по пятницам", 4),
        ("в пятницу", 4),
        ("каждую пятницу", 4),
        ("friday", 4),
        ("Friday", 4),
        ("fri", 4),
        ("fridays", 4),
        ("on fridays", 4),
        ("5", 4),
        (" 5 ", 4),
        ("понедельник", 0),
        ("по понедельникам", 0),
        ("пн", 0),
        ("mon", 0),
        ("1", 0),
        ("вторник", 1),
        ("tue", 1),
        ("tues", 1),
        ("среда", 2),
        ("в среду", 2),
        ("по средам", 2),
        ("wed", 2),
        ("четверг", 3),
        ("по четвергам", 3),
        ("thu", 3),
        ("thurs", 3),
        ("суббота", 5),
        ("сб", 5),
        ("sat", 5),
        ("воскресенье", 6),
        ("по воскресеньям", 6),
        ("вс", 6),
        ("sunday", 6),
        ("7", 6),
    ],
)
def test_weekday(text: str, expected: int) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a weekday: ''"),
        ("пятн", "not a weekday: 'пятн'"),
        ("пятницаа", "not a weekday"),
        ("по пятницам и средам", "not a weekday"),  # one day a week, not two
        ("frid", "not a weekday"),
        ("0", "a weekday number is 1 (Monday) to 7 (Sunday): '0'"),
        ("8", "a weekday number is 1 (Monday) to 7 (Sunday): '8'"),
        ("12", "not a weekday: '12'"),
        ("٥", "not a weekday"),  # an Arabic-Indic five is not an ISO weekday
    ],
)
def test_not_a_weekday(text: str, message: str) -> None:
    with fails(message):
        parse_weekday(text)


# --- Time of day ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", time(18, 0)),
        ("18.00", time(18, 0)),
        ("18", time(18, 0)),
        ("9:30", time(9, 30)),
        ("09:05", time(9, 5)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("в 18:00", time(18, 0)),
        ("до 18:00", time(18, 0)),
        ("18:00:30", time(18, 0, 30)),
        (" 18:00 ", time(18, 0)),
    ],
)
def test_due_time(text: str, expected: time) -> None:
    assert parse_due_time(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a time of day"),
        ("вечером", "not a time of day (like 18:00): 'вечером'"),
        ("18:0", "not a time of day"),
        ("18-00", "not a time of day"),
        ("6 pm", "not a time of day"),
        ("24:00", "no such time of day: '24:00'"),
        ("18:60", "no such time of day"),
        ("18:00:60", "no such time of day"),
    ],
)
def test_not_a_time(text: str, message: str) -> None:
    with fails(message):
        parse_due_time(text)


# --- Kinds of organisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("school", {Kind.SCHOOL}),
        ("college", {Kind.COLLEGE}),
        ("authority", {Kind.AUTHORITY}),
        ("preschool", {Kind.PRESCHOOL}),
        ("additional", {Kind.ADDITIONAL}),
        ("schools, colleges", {Kind.SCHOOL, Kind.COLLEGE}),
        ("школы", {Kind.SCHOOL}),
        ("школа", {Kind.SCHOOL}),
        ("общеобразовательные", {Kind.SCHOOL}),
        ("общеобразовательные организации", {Kind.SCHOOL}),
        ("колледжи", {Kind.COLLEGE}),
        ("СПО", {Kind.COLLEGE}),
        ("профессиональные", {Kind.COLLEGE}),
        ("профессиональные образовательные организации", {Kind.COLLEGE}),
        ("органы", {Kind.AUTHORITY}),
        ("МОУО", {Kind.AUTHORITY}),
        ("органы управления", {Kind.AUTHORITY}),
        ("муниципальные органы управления образованием", {Kind.AUTHORITY}),
        ("детские сады", {Kind.PRESCHOOL}),
        ("ДОО", {Kind.PRESCHOOL}),
        ("дошкольные образовательные организации", {Kind.PRESCHOOL}),
        ("доп. образование", {Kind.ADDITIONAL}),
        ("доп.образование", {Kind.ADDITIONAL}),
        ("ДО", {Kind.ADDITIONAL}),
        ("организации дополнительного образования", {Kind.ADDITIONAL}),
        ("школы и колледжи", {Kind.SCHOOL, Kind.COLLEGE}),
        ("школы, колледжи", {Kind.SCHOOL, Kind.COLLEGE}),
        ("школа/СПО", {Kind.SCHOOL, Kind.COLLEGE}),
        ("школы, СПО и ДО", {Kind.SCHOOL, Kind.COLLEGE, Kind.ADDITIONAL}),
        ("общеобразовательные и профессиональные организации", {Kind.SCHOOL, Kind.COLLEGE}),
        ("школы, школы", {Kind.SCHOOL}),
        ("школы,", {Kind.SCHOOL}),
    ],
)
def test_kinds(text: str, expected: set[Kind]) -> None:
    assert parse_kinds(text) == frozenset(expected)


def test_kinds_as_a_list() -> None:
    assert parse_kinds(["school", "колледжи"]) == {Kind.SCHOOL, Kind.COLLEGE}
    assert parse_kinds(("органы управления", "ДОО, ДО")) == {
        Kind.AUTHORITY,
        Kind.PRESCHOOL,
        Kind.ADDITIONAL,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no kind of organisation given: ''"),
        (",", "no kind of organisation given"),
        ([], "no kind of organisation given: []"),
        ("замки", "not a kind of organisation: 'замки'"),
        ("школы и замки", "not a kind of organisation: 'замки'"),
        (["school", "castle"], "not a kind of organisation: 'castle'"),
        ("образовательные организации", "not a kind of organisation"),  # which ones?
    ],
)
def test_not_kinds(value: str | list[str], message: str) -> None:
    with fails(message):
        parse_kinds(value)


# --- Denominators --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("teachers", Measure.TEACHERS),
        ("педагоги", Measure.TEACHERS),
        ("педагогов", Measure.TEACHERS),
        ("учителя", Measure.TEACHERS),
        ("педагогические работники", Measure.TEACHERS),
        ("staff", Measure.STAFF),
        ("сотрудники", Measure.STAFF),
        ("работники", Measure.STAFF),
        ("pupils", Measure.PUPILS),
        ("обучающиеся", Measure.PUPILS),
        ("ученики", Measure.PUPILS),
        ("Ученики.", Measure.PUPILS),
        ("none", None),
        ("нет", None),
        ("Нет", None),
        ("-", None),
        ("—", None),
    ],
)
def test_measure(text: str, expected: Measure | None) -> None:
    assert parse_measure(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a denominator"),
        ("родители", "not a denominator (teachers, staff, pupils or none): 'родители'"),
        ("organisations", "a denominator is a headcount"),
        ("организации", "a denominator is a headcount"),
    ],
)
def test_not_a_measure(text: str, message: str) -> None:
    with fails(message):
        parse_measure(text)


# --- Targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100% до 31.05.2023", IndicatorTarget(percent=100, due=MAY_31)),
        ("90 % к 31 мая 2023 года", IndicatorTarget(percent=90, due=MAY_31)),
        ("100 процентов до 31.05.2023", IndicatorTarget(percent=100, due=MAY_31)),
        ("99,5%", IndicatorTarget(percent=99.5)),
        ("99.5% до 31.05.2023", IndicatorTarget(percent=99.5, due=MAY_31)),
        ("100%до 31.05.2023", IndicatorTarget(percent=100, due=MAY_31)),
        ("100% до конца мая 2023", IndicatorTarget(percent=100, due=MAY_31)),
        ("100% по 31.05.2023 включительно", IndicatorTarget(percent=100, due=MAY_31)),
        ("150%", IndicatorTarget(percent=150)),
        ("100%", IndicatorTarget(percent=100)),
        ("300 до 31.05.2023", IndicatorTarget(value=300, due=MAY_31)),
        ("300", IndicatorTarget(value=300)),
        ("3 500 до 31.05.2023", IndicatorTarget(value=3500, due=MAY_31)),
        ("3\u00a0500", IndicatorTarget(value=3500)),
        ("1 234 567", IndicatorTarget(value=1234567)),
        ("3500 к 31.05.2023 г.", IndicatorTarget(value=3500, due=MAY_31)),
        ("  300  ", IndicatorTarget(value=300)),
    ],
)
def test_target(text: str, expected: IndicatorTarget) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a target"),
        ("много", "not a target (a percentage or a number, then a date): 'много'"),
        ("-5%", "not a target"),
        ("все педагоги", "not a target"),
        ("0%", "a target is above zero: '0%'"),
        ("0", "a target is above zero"),
        ("0,0 %", "a target is above zero"),
        ("1001%", "a target percentage is above 0 (and not absurdly high): '1001%'"),
        ("1,5", "a target number is a whole number: '1,5'"),
        ("100% до 31 мая", "not the day a target is due: 'до 31 мая'"),  # which year?
        ("100% по пятницам", "not the day a target is due: 'по пятницам'"),
        ("100% с 01.05.2023", "not the day a target is due"),
        ("100% до 31.05.2023 всех", "not the day a target is due"),
        ("100% педагогов", "not the day a target is due: 'педагогов'"),
        ("100%%", "not the day a target is due"),
        ("9999999999999%", "a target too large to be meant"),
    ],
)
def test_not_a_target(text: str, message: str) -> None:
    with fails(message):
        parse_target(text)


# --- Roll-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latest", Rollup.LATEST),
        ("Latest", Rollup.LATEST),
        ("последнее", Rollup.LATEST),
        ("последнее значение", Rollup.LATEST),
        ("week", Rollup.WEEK),
        ("неделя", Rollup.WEEK),
        ("за неделю", Rollup.WEEK),
    ],
)
def test_rollup(text: str, expected: Rollup) -> None:
    assert parse_rollup(text) == expected


@pytest.mark.parametrize("text", ["", "сумма", "month"])
def test_not_a_rollup(text: str) -> None:
    with fails(f"not a roll-up (latest or week): {text!r}"):
        parse_rollup(text)


# --- Never anything but a value or a ValueError --------------------------------------------------

PARSERS: list[Callable[[str], object]] = [
    parse_weekday,
    parse_due_time,
    parse_kinds,
    parse_measure,
    parse_target,
    parse_rollup,
]
# Arbitrary text, and text made of the grammar's own pieces, where the mistakes hide.
PIECES = st.sampled_from(
    ["100", "3 500", "0", "%", ",", ".", ":", " ", " и ", "до", "к", "31.05.2023", "31 мая",
     "2023", "года", "пт", "по", "пятницам", "18", "00", "школы", "ДО", "-", "\u00a0", "9" * 30]
)  # fmt: skip
TEXTS = st.text() | st.lists(PIECES, max_size=8).map("".join)


@settings(max_examples=300)
@given(st.sampled_from(PARSERS), TEXTS)
def test_any_text_gives_a_value_or_a_value_error(parse: Callable[[str], object], text: str) -> None:
    with suppress(ValueError):
        parse(text)
