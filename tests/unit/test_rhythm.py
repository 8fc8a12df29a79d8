"""Recurrence rules in words: what a card and a digest say instead of "FREQ=WEEKLY;BYDAY=FR"."""

from __future__ import annotations

import pytest

from bot.render.rhythm import rhythm_words


@pytest.mark.parametrize(
    ("rule", "ru", "en"),
    [
        ("FREQ=WEEKLY;BYDAY=FR", "каждую пятницу", "every Friday"),
        ("FREQ=WEEKLY;BYDAY=WE", "каждую среду", "every Wednesday"),
        ("FREQ=WEEKLY;BYDAY=MO", "каждый понедельник", "every Monday"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "по понедельникам и четвергам", "on Mondays and Thursdays"),
        ("FREQ=WEEKLY", "еженедельно", "weekly"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            "раз в 2 недели, по пятницам",
            "every 2 weeks on Friday",
        ),
        ("FREQ=DAILY", "ежедневно", "daily"),
        ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "по рабочим дням", "on working days"),
        ("FREQ=MONTHLY", "ежемесячно", "monthly"),
        ("FREQ=MONTHLY;BYMONTHDAY=10", "ежемесячно, 10-го числа", "monthly, on day 10"),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=8",
            "ежеквартально, 8-го числа",
            "quarterly, on day 8",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "ежемесячно, в последний день месяца",
            "monthly, on the last day of the month",
        ),
        ("FREQ=YEARLY;BYMONTH=5", "ежегодно в мае", "every year in May"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "ежемесячно, 1-го числа", "monthly, on day 1"),
        (
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10",
            "ежеквартально: 10 января, 10 апреля, 10 июля и 10 октября",
            "quarterly: 10 January, 10 April, 10 July and 10 October",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10",
            "раз в полгода: 10 января и 10 июля",
            "every six months: 10 January and 10 July",
        ),
        (
            "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
            "ежеквартально: в последний день марта, июня, сентября и декабря",
            "quarterly: on the last day of March, June, September and December",
        ),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=1", "ежегодно, 1 февраля", "every year, 1 February"),
        (
            "FREQ=YEARLY;BYMONTH=2,8;BYMONTHDAY=1",
            "раз в полгода: 1 февраля и 1 августа",
            "every six months: 1 February and 1 August",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2,9;BYMONTHDAY=1",
            "ежегодно, 1 февраля и 1 сентября",
            "every year, 1 February and 1 September",
        ),
    ],
)
def test_rules_in_words(rule: str, ru: str, en: str) -> None:
    assert rhythm_words(rule, "ru") == ru
    assert rhythm_words(rule, "en") == en


@pytest.mark.parametrize(
    "rule",
    ["FREQ=HOURLY", "garbage", "FREQ=WEEKLY;BYDAY=XX", "FREQ=MONTHLY;BYMONTHDAY=40", "FREQ="],
)
def test_a_rule_not_covered_is_shown_as_it_is_never_said_wrongly(rule: str) -> None:
    assert rhythm_words(rule, "ru") == rule
