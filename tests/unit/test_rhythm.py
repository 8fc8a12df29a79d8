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
