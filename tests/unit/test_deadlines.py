from __future__ import annotations

import ast
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import deadlines
from bot.domain.deadlines import parse_deadline
from bot.domain.model import Deadline

D = date
YEAR = 2023  # the Smolensk roadmap's year, the context for phrases that give none


def read(text: str, year: int | None = YEAR) -> tuple[date | None, date | None, str | None]:
    result = parse_deadline(text, year=year)
    assert result.text == text
    return result.start, result.due, result.recurrence


# --- The Smolensk order 319-ОД, exactly as printed -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.04..2023", Deadline("10.04..2023", due=D(2023, 4, 10))),
        ("11.04.2023", Deadline("11.04.2023", due=D(2023, 4, 11))),
        ("до 17.04.2023", Deadline("до 17.04.2023", due=D(2023, 4, 17))),
        ("с 05.04.2023", Deadline("с 05.04.2023", start=D(2023, 4, 5))),
        (
            "еженедельно, по пятницам",
            Deadline("еженедельно, по пятницам", recurrence="FREQ=WEEKLY;BYDAY=FR"),
        ),
        ("май 2023 года", Deadline("май 2023 года", start=D(2023, 5, 1), due=D(2023, 5, 31))),
        ("по согласованию", Deadline("по согласованию", note="по согласованию")),
        (
            "с 10.04.2023, в течении 2 суток после получения",
            Deadline(
                "с 10.04.2023, в течении 2 суток после получения",
                start=D(2023, 4, 10),
                note="в течении 2 суток после получения",
            ),
        ),
    ],
)
def test_smolensk_order_deadlines_read_as_the_coordinator_reads_them(
    text: str, expected: Deadline
) -> None:
    assert parse_deadline(text, year=YEAR) == expected


def test_smolensk_weekly_report_is_fixed_without_any_date() -> None:
    result = parse_deadline("еженедельно, по пятницам", year=YEAR)
    assert result.fixed
    assert (result.start, result.due) == (None, None)


def test_smolensk_by_agreement_needs_a_date_from_a_person() -> None:
    assert not parse_deadline("по согласованию", year=YEAR).fixed


# --- Exact dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("10.04.2023", D(2023, 4, 10)),
        ("10.04..2023", D(2023, 4, 10)),
        ("10.04.23", D(2023, 4, 10)),
        ("10 .04.2023", D(2023, 4, 10)),
        ("10. 04. 2023", D(2023, 4, 10)),
        ("10/04/2023", D(2023, 4, 10)),
        ("2023-04-10", D(2023, 4, 10)),
        ("1.9.2023", D(2023, 9, 1)),
        ("01.09.2023г.", D(2023, 9, 1)),
        ("01.09.2023 г.", D(2023, 9, 1)),
        ("01.09.2023 года", D(2023, 9, 1)),
        ("31 мая 2023 г.", D(2023, 5, 31)),
        ("31 мая 2023 года", D(2023, 5, 31)),
        ("31 мая 2023", D(2023, 5, 31)),
        ("«31» мая 2023 г.", D(2023, 5, 31)),
        ("1-го сентября 2023 года", D(2023, 9, 1)),
        ("1 сент. 2023", D(2023, 9, 1)),
        ("  10.04.2023  ", D(2023, 4, 10)),
        ("10.04.2023\u00a0г.", D(2023, 4, 10)),
    ],
)
def test_bare_date_is_a_due_date_despite_typos_and_spacing(text: str, due: date) -> None:
    assert read(text) == (None, due, None)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("10.04", D(2023, 4, 10)),
        ("до 15.05", D(2023, 5, 15)),
        ("1 сентября", D(2023, 9, 1)),
        ("до 1 сентября", D(2023, 9, 1)),
    ],
)
def test_date_without_year_falls_in_the_roadmap_year(text: str, due: date) -> None:
    assert read(text) == (None, due, None)


# --- Operators ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("до 17.04.2023", None, D(2023, 4, 17)),
        ("до17.04.2023", None, D(2023, 4, 17)),
        ("не позднее 01.09.2023", None, D(2023, 9, 1)),
        ("не позже 01.09.2023", None, D(2023, 9, 1)),
        ("к 01.09.2023", None, D(2023, 9, 1)),
        ("по 20.04.2023", None, D(2023, 4, 20)),
        ("в срок до 20.04.2023", None, D(2023, 4, 20)),
        ("Срок: до 01.09.2023", None, D(2023, 9, 1)),
        ("до 31 мая 2023 года", None, D(2023, 5, 31)),
        ("с 05.04.2023", D(2023, 4, 5), None),
        ("со 2 мая 2023", D(2023, 5, 2), None),
        ("начиная с 01.09.2023", D(2023, 9, 1), None),
        ("не ранее 01.09.2023", D(2023, 9, 1), None),
        ("после 10.04.2023", D(2023, 4, 11), None),
        ("c 10.04.2023", D(2023, 4, 10), None),  # a Latin "c"
        ("С 10.04.2023", D(2023, 4, 10), None),
    ],
)
def test_operator_word_decides_whether_a_date_starts_or_ends_the_task(
    text: str, start: date | None, due: date | None
) -> None:
    assert read(text) == (start, due, None)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("с 10.04.2023 по 20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("с 10.04.2023 до 20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("10.04.2023 - 20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("10.04.2023 – 20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("10.04.2023 — 20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("10.04.2023-20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("10.04 - 20.04.2023", D(2023, 4, 10), D(2023, 4, 20)),
        ("с 10.12 по 15.01.2024", D(2023, 12, 10), D(2024, 1, 15)),
        ("10-15.04.2023", D(2023, 4, 10), D(2023, 4, 15)),
        ("с 1 по 15 мая 2023", D(2023, 5, 1), D(2023, 5, 15)),
        ("1-15 мая 2023", D(2023, 5, 1), D(2023, 5, 15)),
        ("в период с 01.09.2023 по 30.09.2023", D(2023, 9, 1), D(2023, 9, 30)),
        ("с 10.04.2023, до 17.04.2023", D(2023, 4, 10), D(2023, 4, 17)),
        ("с 01.09.2023 до конца 2023 года", D(2023, 9, 1), D(2023, 12, 31)),
    ],
)
def test_date_range_sets_start_and_due(text: str, start: date, due: date) -> None:
    assert read(text) == (start, due, None)


# --- Months ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "май 2023 года",
        "Май 2023",
        "МАЙ 2023 г.",
        "в мае 2023",
        "в мае 2023 года",
        "мая 2023",
        "до конца мая 2023",
        "до конца мая 2023 года",
        "к концу мая 2023",
        "май",
        "в мае",
    ],
)
def test_month_only_deadline_falls_due_on_last_day(text: str) -> None:
    assert read(text) == (D(2023, 5, 1), D(2023, 5, 31), None)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("Апрель 2023", D(2023, 4, 1), D(2023, 4, 30)),
        ("февраль 2024", D(2024, 2, 1), D(2024, 2, 29)),
        ("в феврале 2023", D(2023, 2, 1), D(2023, 2, 28)),
        ("марта 2023", D(2023, 3, 1), D(2023, 3, 31)),
        ("в июне 2023", D(2023, 6, 1), D(2023, 6, 30)),
        ("в августе 2023 г.", D(2023, 8, 1), D(2023, 8, 31)),
        ("сентябрь 2023", D(2023, 9, 1), D(2023, 9, 30)),
        ("в декабре 2023 года", D(2023, 12, 1), D(2023, 12, 31)),
        ("сент. 2023", D(2023, 9, 1), D(2023, 9, 30)),
        ("ноябрь текущего года", D(2023, 11, 1), D(2023, 11, 30)),
    ],
)
def test_month_in_any_case_form_covers_the_whole_month(text: str, start: date, due: date) -> None:
    assert read(text) == (start, due, None)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("Октябрь-ноябрь 2023", D(2023, 10, 1), D(2023, 11, 30)),
        ("Сентябрь 2023 – май 2024", D(2023, 9, 1), D(2024, 5, 31)),
        ("сентябрь - декабрь 2023", D(2023, 9, 1), D(2023, 12, 31)),
        ("с сентября по декабрь 2023", D(2023, 9, 1), D(2023, 12, 31)),
        ("с сентября 2023 года по май 2024 года", D(2023, 9, 1), D(2024, 5, 31)),
        ("сентябрь – май 2024", D(2023, 9, 1), D(2024, 5, 31)),
        ("сентябрь 2023 – май", D(2023, 9, 1), D(2024, 5, 31)),
        ("октябрь - ноябрь", D(2023, 10, 1), D(2023, 11, 30)),
        ("с 01.09.2023 по май 2024", D(2023, 9, 1), D(2024, 5, 31)),
    ],
)
def test_month_range_runs_from_first_of_first_to_last_of_last(
    text: str, start: date, due: date
) -> None:
    assert read(text) == (start, due, None)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("до мая 2023", D(2023, 4, 30)),
        ("к сентябрю 2023", D(2023, 8, 31)),
        ("до 2024 года", D(2023, 12, 31)),
        ("по май 2023", D(2023, 5, 31)),
        ("не позднее мая 2023", D(2023, 5, 31)),
        ("не позднее II квартала 2024 года", D(2024, 6, 30)),
    ],
)
def test_until_a_period_means_before_it_and_not_later_than_means_through_it(
    text: str, due: date
) -> None:
    assert read(text) == (None, due, None)


def test_range_until_a_month_stops_before_that_month() -> None:
    assert read("с сентября до декабря 2023") == (D(2023, 9, 1), D(2023, 11, 30), None)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("с мая 2023", D(2023, 5, 1)),
        ("с 2024 года", D(2024, 1, 1)),
        ("начиная со II квартала 2024 г.", D(2024, 4, 1)),
        ("после мая 2023", D(2023, 6, 1)),
    ],
)
def test_since_a_period_starts_on_its_first_day_open_ended(text: str, start: date) -> None:
    assert read(text) == (start, None, None)


# --- Quarters, half-years, years ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("I квартал 2024", D(2024, 1, 1), D(2024, 3, 31)),
        ("1 квартал 2024", D(2024, 1, 1), D(2024, 3, 31)),
        ("1-й квартал 2024 г.", D(2024, 1, 1), D(2024, 3, 31)),
        ("II квартал 2024", D(2024, 4, 1), D(2024, 6, 30)),
        ("III квартал 2023", D(2023, 7, 1), D(2023, 9, 30)),
        ("IV кв. 2023", D(2023, 10, 1), D(2023, 12, 31)),
        ("4 кв. 2023 г.", D(2023, 10, 1), D(2023, 12, 31)),
        ("в течение I квартала 2024 года", D(2024, 1, 1), D(2024, 3, 31)),
        ("во II квартале 2024 года", D(2024, 4, 1), D(2024, 6, 30)),
        ("третий квартал 2023", D(2023, 7, 1), D(2023, 9, 30)),
        ("ІІ квартал 2024", D(2024, 4, 1), D(2024, 6, 30)),  # Cyrillic "І"
        ("I квартал", D(2023, 1, 1), D(2023, 3, 31)),
        ("I-II квартал 2024", D(2024, 1, 1), D(2024, 6, 30)),
        ("III-IV кв. 2023", D(2023, 7, 1), D(2023, 12, 31)),
        ("IV квартал 2023 – I квартал 2024", D(2023, 10, 1), D(2024, 3, 31)),
        ("2 полугодие 2023", D(2023, 7, 1), D(2023, 12, 31)),
        ("II полугодие 2023", D(2023, 7, 1), D(2023, 12, 31)),
        ("первое полугодие 2024", D(2024, 1, 1), D(2024, 6, 30)),
        ("в первом полугодии 2024 года", D(2024, 1, 1), D(2024, 6, 30)),
        ("1 пол. 2024", D(2024, 1, 1), D(2024, 6, 30)),
    ],
)
def test_quarter_or_half_year_covers_its_months(text: str, start: date, due: date) -> None:
    assert read(text) == (start, due, None)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("в течение 2023 года", D(2023, 1, 1), D(2023, 12, 31)),
        ("2023 год", D(2023, 1, 1), D(2023, 12, 31)),
        ("2023 г.", D(2023, 1, 1), D(2023, 12, 31)),
        ("в 2024 году", D(2024, 1, 1), D(2024, 12, 31)),
        ("2023", D(2023, 1, 1), D(2023, 12, 31)),
        ("2023-2024 гг.", D(2023, 1, 1), D(2024, 12, 31)),
        ("в течение года", D(2023, 1, 1), D(2023, 12, 31)),
        ("в течение всего года", D(2023, 1, 1), D(2023, 12, 31)),
        ("до конца года", D(2023, 1, 1), D(2023, 12, 31)),
        ("в течение текущего года", D(2023, 1, 1), D(2023, 12, 31)),
        ("2023/2024 учебный год", D(2023, 9, 1), D(2024, 8, 31)),
        ("2023-2024 уч. год", D(2023, 9, 1), D(2024, 8, 31)),
        ("2023/24 учебного года", D(2023, 9, 1), D(2024, 8, 31)),
        ("в течение 2023-2024 учебного года", D(2023, 9, 1), D(2024, 8, 31)),
        ("2023/2024", D(2023, 9, 1), D(2024, 8, 31)),
    ],
)
def test_year_or_school_year_covers_the_whole_period(text: str, start: date, due: date) -> None:
    assert read(text) == (start, due, None)


YEARS_2013_2015 = (D(2013, 1, 1), D(2015, 12, 31))  # «План ... в 2013-2015 году»
SCHOOL_2012 = (D(2012, 9, 1), D(2013, 8, 31))  # «Перечень ... в 2012-2013 учебном году»


@pytest.mark.parametrize(
    ("text", "period", "start", "due"),
    [
        # «в течение года» in a plan for 2013-2015 is throughout the plan, not only 2013
        ("в течение года", YEARS_2013_2015, D(2013, 1, 1), D(2015, 12, 31)),
        ("в течение всего года", YEARS_2013_2015, D(2013, 1, 1), D(2015, 12, 31)),
        ("в течение года", SCHOOL_2012, D(2012, 9, 1), D(2013, 8, 31)),
        ("в течение учебного года", SCHOOL_2012, D(2012, 9, 1), D(2013, 8, 31)),
        ("до конца учебного года", SCHOOL_2012, D(2012, 9, 1), D(2013, 8, 31)),
        ("в течение всего периода", YEARS_2013_2015, D(2013, 1, 1), D(2015, 12, 31)),
        # the calendar year, the current one, and dates keep to the roadmap's year
        ("в течение календарного года", YEARS_2013_2015, D(2013, 1, 1), D(2013, 12, 31)),
        ("в течение текущего года", YEARS_2013_2015, D(2013, 1, 1), D(2013, 12, 31)),
        ("до конца года", YEARS_2013_2015, D(2013, 1, 1), D(2013, 12, 31)),
        ("май", YEARS_2013_2015, D(2013, 5, 1), D(2013, 5, 31)),
        ("в течение 2014 года", YEARS_2013_2015, D(2014, 1, 1), D(2014, 12, 31)),
    ],
)
def test_throughout_the_year_is_the_roadmaps_whole_period(
    text: str, period: tuple[date, date], start: date, due: date
) -> None:
    assert parse_deadline(text, year=2013, period=period) == Deadline(text, start, due)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("в течение всего периода", None),  # no period known: nothing to hold anyone to
        ("в течение учебного года", None),
        ("в течение учебного года", YEARS_2013_2015),  # which of the school years?
    ],
)
def test_a_whole_period_phrase_without_that_period_needs_a_date(
    text: str, period: tuple[date, date] | None
) -> None:
    assert parse_deadline(text, year=2013, period=period) == Deadline(text, note=text)


# --- Recurrence -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("еженедельно, по пятницам", "FREQ=WEEKLY;BYDAY=FR"),
        ("еженедельно по пятницам", "FREQ=WEEKLY;BYDAY=FR"),
        ("ЕЖЕНЕДЕЛЬНО, ПО ПЯТНИЦАМ", "FREQ=WEEKLY;BYDAY=FR"),
        ("по пятницам", "FREQ=WEEKLY;BYDAY=FR"),
        ("по понедельникам и средам", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("по средам и понедельникам", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("по пн, ср и пт", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        ("по вторникам и по четвергам", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("еженедельно", "FREQ=WEEKLY"),
        ("Еженедельно", "FREQ=WEEKLY"),
        ("каждую неделю", "FREQ=WEEKLY"),
        ("каждую пятницу", "FREQ=WEEKLY;BYDAY=FR"),
        ("каждый понедельник", "FREQ=WEEKLY;BYDAY=MO"),
        ("каждое воскресенье", "FREQ=WEEKLY;BYDAY=SU"),
        ("еженедельно, в пятницу", "FREQ=WEEKLY;BYDAY=FR"),
        ("еженедельно (пт)", "FREQ=WEEKLY;BYDAY=FR"),
        ("еженедельно, по субботам", "FREQ=WEEKLY;BYDAY=SA"),
        ("ежемесячно", "FREQ=MONTHLY"),
        ("каждый месяц", "FREQ=MONTHLY"),
        ("не реже одного раза в месяц", "FREQ=MONTHLY"),
        ("1 раз в месяц", "FREQ=MONTHLY"),
        ("ежемесячно, до 5 числа", "FREQ=MONTHLY;BYMONTHDAY=5"),
        ("ежемесячно до 5-го числа", "FREQ=MONTHLY;BYMONTHDAY=5"),
        ("до 10 числа каждого месяца", "FREQ=MONTHLY;BYMONTHDAY=10"),
        ("ежемесячно, в последний день месяца", "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("ежедневно", "FREQ=DAILY"),
        ("каждый день", "FREQ=DAILY"),
        ("ежедневно по рабочим дням", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
        ("ежеквартально", "FREQ=MONTHLY;INTERVAL=3"),
        ("раз в квартал", "FREQ=MONTHLY;INTERVAL=3"),
        ("раз в полгода", "FREQ=MONTHLY;INTERVAL=6"),
        ("ежегодно", "FREQ=YEARLY"),
        ("раз в две недели", "FREQ=WEEKLY;INTERVAL=2"),
        ("1 раз в 2 недели", "FREQ=WEEKLY;INTERVAL=2"),
        ("каждые две недели по средам", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
    ],
)
def test_recurrence_becomes_an_rrule_without_dates(text: str, rule: str) -> None:
    result = parse_deadline(text, year=YEAR)
    assert (result.start, result.due, result.recurrence, result.note) == (None, None, rule, None)
    assert result.fixed
    assert rrulestr(rule, dtstart=datetime(2023, 1, 2)).after(datetime(2023, 1, 2)) is not None


@pytest.mark.parametrize(
    ("text", "start", "due", "rule"),
    [
        (
            "еженедельно с 20.04.2023 по 31.05.2023",
            D(2023, 4, 20),
            D(2023, 5, 31),
            "FREQ=WEEKLY",
        ),
        ("с 20.04.2023 еженедельно", D(2023, 4, 20), None, "FREQ=WEEKLY"),
        ("по пятницам до 31.05.2023", None, D(2023, 5, 31), "FREQ=WEEKLY;BYDAY=FR"),
        ("ежемесячно в течение 2023 года", D(2023, 1, 1), D(2023, 12, 31), "FREQ=MONTHLY"),
        ("еженедельно, по пятницам, с 20.04.2023", D(2023, 4, 20), None, "FREQ=WEEKLY;BYDAY=FR"),
    ],
)
def test_recurrence_combines_with_dates(
    text: str, start: date | None, due: date | None, rule: str
) -> None:
    assert read(text) == (start, due, rule)


@pytest.mark.parametrize(
    ("text", "rule", "note"),
    [
        ("2 раза в месяц", None, "2 раза в месяц"),
        ("ежемесячно, по понедельникам", "FREQ=MONTHLY", "по понедельникам"),
        ("еженедельно, в 10.00", "FREQ=WEEKLY", "в 10.00"),
        ("в пятницу", None, "в пятницу"),
        ("по итогам полугодия", None, "по итогам полугодия"),
    ],
)
def test_recurrence_words_without_a_rule_stay_in_the_note(
    text: str, rule: str | None, note: str
) -> None:
    result = parse_deadline(text, year=YEAR)
    assert (result.start, result.due, result.recurrence, result.note) == (None, None, rule, note)


# --- Periodic reports: the month after the reporting period, days of the year ------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("до 1 числа месяца, следующего за отчетным", "FREQ=MONTHLY;BYMONTHDAY=1"),
        ("до 5 числа месяца, следующего за отчетным месяцем", "FREQ=MONTHLY;BYMONTHDAY=5"),
        ("ежемесячно, до 15 числа месяца, следующего за отчетным", "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("ежемесячно до 5 числа", "FREQ=MONTHLY;BYMONTHDAY=5"),
        ("ежемесячно, не позднее 25 числа", "FREQ=MONTHLY;BYMONTHDAY=25"),
        (
            "до 10 числа месяца, следующего за отчетным кварталом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10",
        ),
        (
            "ежеквартально не позднее 8-го числа месяца, следующего за отчетным кварталом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=8",
        ),
        (
            "ежеквартально до 15 числа месяца, следующего за отчетным периодом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=15",
        ),
        (
            "ежеквартально, до 5 числа месяца, следующего за отчетным",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5",
        ),
        (
            "Ежеквартально, не позднее 20-го числа месяца, следующего за отчётным кварталом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=20",
        ),
        (
            "до 10 числа месяца, следующего за отчетным полугодием",
            "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10",
        ),
        # Without "месяца, следующего за …" a quarterly day still falls after each quarter: the
        # months, not the day the rule happens to start, fix the dates.
        ("ежеквартально до 15 числа", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=15"),
        ("ежеквартально, до 5 числа", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5"),
        ("Ежеквартально, не позднее 10-го числа", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10"),
        ("раз в квартал до 10 числа", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10"),
        ("1 раз в полугодие до 10 числа", "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10"),
        (
            "ежеквартально, в последний день месяца",
            "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
        ),
        ("ежегодно до 1 февраля", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=1"),
        ("ежегодно, не позднее 1-го марта", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1"),
        (
            "ежегодно, до 20 января года, следующего за отчетным",
            "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=20",
        ),
        ("ежегодно, в мае", "FREQ=YEARLY;BYMONTH=5"),
        ("ежегодно до 1 февраля и 1 августа", "FREQ=YEARLY;BYMONTH=2,8;BYMONTHDAY=1"),
        ("по итогам полугодия, до 10 июля и 10 января", "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10"),
        (
            "по итогам квартала, до 10 апреля, 10 июля, 10 октября и 10 января",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10",
        ),
    ],
)
def test_periodic_report_is_a_recurrence_not_an_undated_task(text: str, rule: str) -> None:
    result = parse_deadline(text, year=YEAR)
    assert (result.start, result.due, result.recurrence, result.note) == (None, None, rule, None)
    assert result.fixed
    after = rrulestr(rule, dtstart=datetime(2023, 1, 2)).after(datetime(2023, 1, 2))
    assert after is not None


@pytest.mark.parametrize(
    ("text", "start", "due", "rule"),
    [
        # a parents' meeting every August: one reminder a year, not two competing dates
        (
            "Август 2022 года, август 2023 года",
            D(2022, 8, 1),
            D(2023, 8, 31),
            "FREQ=YEARLY;BYMONTH=8",
        ),
        (
            "май 2023, май 2024, май 2025",
            D(2023, 5, 1),
            D(2025, 5, 31),
            "FREQ=YEARLY;BYMONTH=5",
        ),
        (
            "1 сентября 2022 г., 1 сентября 2023 г.",
            D(2022, 9, 1),
            D(2023, 9, 1),
            "FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=1",
        ),
        (
            "ежегодно: август 2022 года, август 2023 года",
            D(2022, 8, 1),
            D(2023, 8, 31),
            "FREQ=YEARLY;BYMONTH=8",
        ),
    ],
)
def test_one_month_in_consecutive_years_is_a_yearly_rule(
    text: str, start: date, due: date, rule: str
) -> None:
    assert parse_deadline(text, year=YEAR) == Deadline(text, start, due, rule)


@pytest.mark.parametrize(
    "text",
    [
        "август 2022 года, сентябрь 2023 года",  # different months
        "август 2022 года, август 2024 года",  # a year skipped
        "до августа 2022 года, до августа 2023 года",  # two due dates
        "ежемесячно, август 2022 года, август 2023 года",
    ],
)
def test_other_pairs_of_dates_still_compete(text: str) -> None:
    assert parse_deadline(text, year=YEAR) == Deadline(text, note=text)


def test_yearly_month_from_a_year_starts_that_year() -> None:
    result = parse_deadline("май, ежегодно с 2023", year=2024)
    assert result == Deadline(
        "май, ежегодно с 2023", start=D(2023, 1, 1), recurrence="FREQ=YEARLY;BYMONTH=5"
    )


@pytest.mark.parametrize(
    ("rule", "as_of", "next_day"),
    [
        ("FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10", D(2024, 4, 11), D(2024, 7, 10)),
        ("FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=8", D(2024, 11, 20), D(2025, 1, 8)),
        ("FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10", D(2024, 2, 1), D(2024, 7, 10)),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=1", D(2024, 2, 2), D(2025, 2, 1)),
        ("FREQ=MONTHLY;BYMONTHDAY=1", D(2024, 3, 15), D(2024, 4, 1)),
    ],
)
def test_quarterly_and_yearly_rules_fall_on_the_same_days_whatever_the_day_asked(
    rule: str, as_of: date, next_day: date
) -> None:
    # The rule carries its months, so it needs no DTSTART: status.occurrences anchors a rule
    # without a start on the day asked about, and the next report date must not drift with it.
    found = rrulestr(rule, dtstart=datetime.combine(as_of, datetime.min.time())).after(
        datetime.combine(as_of, datetime.min.time()), inc=True
    )
    assert found is not None
    assert found.date() == next_day


@pytest.mark.parametrize(
    "text",
    [
        "по итогам полугодия, до 10 июля и 15 января",  # two days: no single rule
        "по итогам полугодия, до 10 июля и 10 августа",  # not one in each half-year
        "ежемесячно, до 15 числа месяца, следующего за отчетным кварталом",
        "ежегодно до 30 февраля",
        "ежегодно в мае-июне",
    ],
)
def test_periodic_report_that_no_single_rule_states_is_not_guessed(text: str) -> None:
    result = parse_deadline(text, year=YEAR)
    assert result == Deadline(text, note=text)


@pytest.mark.parametrize(
    "text",
    [
        "25 августа X - 1 года",
        "25 августа Х-1 года",
        "до 1 марта N-го года",
        "декабрь года X",
        "10 января года X+1",
        "в N году",
        "до 1 июня 20ХХ года",
        "до 1 июня 20__ г.",
    ],
)
def test_a_year_the_document_leaves_open_is_never_taken_for_the_roadmaps(text: str) -> None:
    result = parse_deadline(text, year=YEAR)
    assert (result.start, result.due, result.recurrence) == (None, None, None)
    assert not result.fixed
    assert result.note is not None
    assert text.startswith(result.note)  # the whole wording, for a person to date


def test_conflicting_frequencies_are_not_guessed() -> None:
    result = parse_deadline("еженедельно, ежемесячно", year=YEAR)
    assert result == Deadline("еженедельно, ежемесячно", note="еженедельно, ежемесячно")


# --- Notes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "due", "note"),
    [
        (
            "с 10.04.2023, в течении 2 суток после получения",
            D(2023, 4, 10),
            None,
            "в течении 2 суток после получения",
        ),
        (
            "С 10.04.2023; В течение 2 суток после получения.",
            D(2023, 4, 10),
            None,
            "В течение 2 суток после получения",
        ),
        ("до 01.09.2023 (по итогам года)", None, D(2023, 9, 1), "по итогам года"),
        ("до 01.09.2023, по согласованию", None, D(2023, 9, 1), "по согласованию"),
        ("по согласованию, не позднее 01.09.2023", None, D(2023, 9, 1), "по согласованию"),
        ("постоянно, с 01.09.2023", D(2023, 9, 1), None, "постоянно"),
        ("с 10.04.2023 по мере необходимости", D(2023, 4, 10), None, "по мере необходимости"),
        ("до 31.05.2023 включительно", None, D(2023, 5, 31), None),
        ("до 31.05.2023 (включительно)", None, D(2023, 5, 31), None),
        ("до 31 мая 2023 г.", None, D(2023, 5, 31), None),
        ("Срок: до 01.09.2023", None, D(2023, 9, 1), None),
        ("до 01.09.2023.", None, D(2023, 9, 1), None),
    ],
)
def test_trailing_condition_is_kept_as_note(
    text: str, start: date | None, due: date | None, note: str | None
) -> None:
    result = parse_deadline(text, year=YEAR)
    assert (result.start, result.due, result.note) == (start, due, note)


def test_note_keeps_the_brackets_it_owns_and_drops_the_ones_it_lost() -> None:
    result = parse_deadline("по мере необходимости (не реже 1 раза в месяц)", year=YEAR)
    assert (result.recurrence, result.note) == ("FREQ=MONTHLY", "по мере необходимости")


# --- Nothing to date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("по согласованию", "по согласованию"),
        ("по мере необходимости", "по мере необходимости"),
        ("постоянно", "постоянно"),
        ("Постоянно.", "Постоянно"),
        ("в течение всего периода", "в течение всего периода"),
        ("в течение учебного года", "в течение учебного года"),
        ("в течение года после получения", "в течение года после получения"),
        ("не позднее 3 рабочих дней", "не позднее 3 рабочих дней"),
        ("(по согласованию)", "(по согласованию)"),
        ("  по запросу;  ", "по запросу"),
        ("абракадабра 42", "абракадабра 42"),
        ("", None),
        ("   ", None),
        (" , ; . ", None),
        ("\x00\x01\x1f", None),
        ("—", None),
    ],
)
def test_phrase_without_a_date_is_not_fixed_and_kept_as_note(text: str, note: str | None) -> None:
    assert parse_deadline(text, year=YEAR) == Deadline(text, note=note)


# --- Never a guess --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2023",
        "до 31.02.2023",
        "30 февраля 2023",
        "31.04.2023",
        "99.99.9999",
        "00.00.0000",
        "10.13.2023",
        "01.01.1899",
        "01.01.2101",
        "май 3000",
        "в 1800 году",
        "2023/2025",
        "5 квартал 2023",
        "3 полугодие 2023",
        "с 20.04.2023 по 10.04.2023",
        "с 31.02.2023 по 10.03.2023",
        "с 25 по 5 мая 2023",
        "до 10.04.2023, до 20.04.2023",
        "10.04.2023 и 20.04.2023",
        "10.04.2023, 11.04.2023",
        "май 2023, июнь 2023",
        "за 10 дней до 01.09.2023",
        "1 этап – до 01.05.2023, 2 этап – до 01.09.2023",
        "еженедельно, за 2 дня до 01.09.2023",
        "29.02.2023",
        "10.04.20233",
        "ежеквартально до 31 числа",  # April and others have no 31st
    ],
)
def test_impossible_reversed_or_competing_dates_are_not_guessed(text: str) -> None:
    assert parse_deadline(text, year=YEAR) == Deadline(text, note=text.strip())


@pytest.mark.parametrize(
    "text",
    [
        "май",
        "в мае",
        "10.04",
        "1 сентября",
        "I квартал",
        "в течение года",
        "до конца года",
        "текущего года",
        "октябрь - ноябрь",
    ],
)
def test_period_without_year_is_not_fixed_when_roadmap_year_is_unknown(text: str) -> None:
    assert parse_deadline(text, year=None) == Deadline(text, note=text)


@pytest.mark.parametrize("year", [1000, 1899, 2101, 99999, -5])
def test_roadmap_year_out_of_range_is_ignored(year: int) -> None:
    assert not parse_deadline("май", year=year).fixed
    assert parse_deadline("май 2023", year=year).due == D(2023, 5, 31)


def test_month_range_wrapping_a_year_end_with_no_year_written_is_not_guessed() -> None:
    assert not parse_deadline("с сентября по май", year=YEAR).fixed


def test_leap_day_is_a_date_in_a_leap_year() -> None:
    assert read("29.02.2024") == (None, D(2024, 2, 29), None)


def test_time_of_day_after_v_is_not_read_as_a_date() -> None:
    assert parse_deadline("в 9.30", year=YEAR) == Deadline("в 9.30", note="в 9.30")
    assert parse_deadline("в 9.05", year=YEAR) == Deadline("в 9.05", note="в 9.05")


def test_years_in_two_digits_are_this_century() -> None:
    assert read("01.09.99") == (None, D(2099, 9, 1), None)
    assert read("01.09.00") == (None, D(2000, 9, 1), None)


@pytest.mark.parametrize(
    "text",
    [
        "1" + " " * 50_000 + "x",
        "1" + "\t" * 50_000 + "квартал",
        "пн" + " " * 50_000 + "x",
        "10.04.2023" + " " * 50_000 + "x",
        "(" * 50_000 + "10.04.2023",
        "10.04.2023" + ")" * 50_000 + "x" + "(" * 50_000,
        "\u2003," * 50_000 + "x",
        ", 10.04" * 10_000,
    ],
    ids=["spaces", "tabs", "weekday", "date", "open-brackets", "brackets", "em-spaces", "clauses"],
)
def test_long_runs_of_spaces_or_brackets_parse_without_stalling(text: str) -> None:
    # A regex with two adjacent \s* (or an end-anchored class) backtracks quadratically here.
    check_invariants(text, parse_deadline(text, year=YEAR))


# --- Purity ---------------------------------------------------------------------------------------


def test_module_imports_only_the_standard_library_and_the_domain_model() -> None:
    tree = ast.parse(Path(deadlines.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    outside = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names and name != "bot.domain.model"
    }
    assert outside == set()


# --- Properties -----------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "10.04.2023",
        "10.04..2023",
        "31.02.2023",
        "99.99.9999",
        "10 .04.23",
        "2023-04-10",
        "10.04",
        "9.30",
        "31 мая 2023 г.",
        "«1» сентября",
        "1-го",
        "май",
        "Мая",
        "в мае",
        "сентябрь",
        "декабря",
        "сент.",
        "2023",
        "2024 года",
        "г.",
        "2023/2024",
        "2023-2024",
        "учебный год",
        "уч.",
        "I",
        "IV",
        "ii",
        "1",
        "15",
        "0",
        "квартал",
        "кв.",
        "полугодие",
        "первое",
        "с",
        "со",
        "по",
        "до",
        "к",
        "не позднее",
        "начиная с",
        "до конца",
        "после",
        "в течение",
        "в течении",
        "года",
        "текущего года",
        "еженедельно",
        "ежемесячно",
        "ежеквартально",
        "раз в",
        "две недели",
        "2 раза",
        "каждую",
        "пятницу",
        "по пятницам",
        "пн",
        "и",
        "5 числа",
        "каждого месяца",
        "последнего числа",
        "по рабочим дням",
        "месяца, следующего за отчетным",
        "кварталом",
        "периодом",
        "ежегодно",
        "по итогам полугодия",
        "10 июля",
        "и",
        "X - 1 года",
        "N-го года",
        "года X",
        "постоянно",
        "по согласованию",
        "после получения",
        "включительно",
        "-",
        "–",
        "—",
        "..",
        ".",
        ",",
        ";",
        ":",
        "(",
        ")",
        "«",
        "»",
        "\n",
        "\x00",
        "\u00a0",
        "İ",
        "ё",
        "9" * 60,
    ]
)
SEPARATORS = st.sampled_from(["", " ", "  ", ", ", "-", " – ", ".", "\t"])
YEARS = st.one_of(st.none(), st.integers(min_value=1850, max_value=2150), st.integers())


@st.composite
def grammar_phrases(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.one_of(FRAGMENTS, st.text(max_size=3)), max_size=8))
    out = ""
    for word in words:
        out += draw(SEPARATORS) + word
    return out


def check_invariants(text: str, result: Deadline) -> None:
    assert result.text == text
    if result.start is not None and result.due is not None:
        assert result.start <= result.due
    has_date = result.start is not None or result.due is not None
    assert result.fixed == (has_date or result.recurrence is not None)
    assert result.note is None or (result.note and result.note == result.note.strip())
    if not result.fixed:
        assert result.note is None or result.note in text


@settings(max_examples=500)
@given(text=st.text(), year=YEARS)
def test_never_raises_for_arbitrary_text(text: str, year: int | None) -> None:
    check_invariants(text, parse_deadline(text, year=year))


@settings(max_examples=1500)
@given(text=grammar_phrases(), year=YEARS)
def test_never_raises_for_phrases_built_from_grammar_fragments(text: str, year: int | None) -> None:
    check_invariants(text, parse_deadline(text, year=year))


@settings(max_examples=300)
@given(
    day=st.integers(min_value=1, max_value=28),
    month=st.integers(min_value=1, max_value=12),
    year=st.integers(min_value=1900, max_value=2100),
)
def test_every_real_date_reads_back_as_its_due_date(day: int, month: int, year: int) -> None:
    text = f"до {day:02d}.{month:02d}.{year}"
    assert parse_deadline(text) == Deadline(text, due=D(year, month, day))


@settings(max_examples=300)
@given(
    first=st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
    second=st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
)
def test_range_is_read_only_when_it_runs_forward(first: date, second: date) -> None:
    text = f"с {first:%d.%m.%Y} по {second:%d.%m.%Y}"
    result = parse_deadline(text)
    if first <= second:
        assert (result.start, result.due) == (first, second)
    else:
        assert not result.fixed


@settings(max_examples=200)
@given(text=st.text(max_size=40), pad=st.text(alphabet=" \t\n", max_size=3))
def test_surrounding_whitespace_does_not_change_the_reading(text: str, pad: str) -> None:
    plain, padded = parse_deadline(text, year=YEAR), parse_deadline(pad + text + pad, year=YEAR)
    assert (plain.start, plain.due, plain.recurrence) == (
        padded.start,
        padded.due,
        padded.recurrence,
    )
