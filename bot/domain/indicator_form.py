"""An indicator defined in a chat message: one "field: value" per line, Russian or English.

    код: teachers_active
    название: Педагоги, написавшие не менее 10 сообщений за неделю
    вопрос: Сколько педагогов написали не менее 10 сообщений за неделю?
    синонимы: педагогов, учителей
    кто отчитывается: школы, колледжи
    знаменатель: педагоги
    цель: 100% до 31.05.2023
    день: пятница
    время: 18:00
    сводка: последнее
    с: 17.04.2023

`код`, `название` and `вопрос` are required; the rest default as in the YAML form. The week a
definition applies from (`с`) is the week of the date given. Pure: text in, an Indicator or a
ValueError naming the field at fault out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.indicator_grammar import (
    parse_due_time,
    parse_kinds,
    parse_measure,
    parse_rollup,
    parse_target,
    parse_weekday,
)
from bot.domain.indicators import Indicator, week_of

FIELDS: dict[str, str] = {
    "код": "code",
    "code": "code",
    "название": "name",
    "name": "name",
    "вопрос": "question",
    "question": "question",
    "синонимы": "aliases",
    "aliases": "aliases",
    "кто отчитывается": "reported_by",
    "кто": "reported_by",
    "reported by": "reported_by",
    "знаменатель": "denominator",
    "denominator": "denominator",
    "цель": "target",
    "target": "target",
    "день": "weekday",
    "weekday": "weekday",
    "время": "due_time",
    "time": "due_time",
    "сводка": "rollup",
    "rollup": "rollup",
    "с": "from",
    "from": "from",
}

TEMPLATE = """код: teachers_active
название: Педагоги, написавшие не менее 10 сообщений за неделю
вопрос: Сколько педагогов написали не менее 10 сообщений за неделю?
синонимы: педагогов, учителей
кто отчитывается: школы, колледжи
знаменатель: педагоги
цель: 100% до 31.05.2023
день: пятница
время: 18:00
с: 17.04.2023"""


def _day(text: str) -> date:
    day, month, year = [*text.strip().split("."), "", "", ""][:3]
    try:
        if day.isascii() and month.isascii() and year.isascii():
            return date(int(year), int(month), int(day))
        raise ValueError
    except ValueError:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"not a date (ДД.ММ.ГГГГ): {text!r}") from None


def parse_indicator_form(text: str) -> Indicator:
    found: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        key, colon, value = line.partition(":")
        field = FIELDS.get(" ".join(key.casefold().split()))
        if not colon or field is None:
            raise ValueError(f"line {number}: expected «поле: значение», got {line[:60]!r}")
        if field in found:
            raise ValueError(f"line {number}: {key.strip()} given twice")
        found[field] = value.strip()
    for required in ("code", "name", "question"):
        if not found.get(required):
            raise ValueError(f"missing field: {required}")
    values: dict[str, Any] = {
        "code": found["code"],
        "name": found["name"],
        "question": found["question"],
    }
    try:
        if "aliases" in found:
            values["aliases"] = tuple(
                alias.strip() for alias in found["aliases"].split(",") if alias.strip()
            )
        if "reported_by" in found:
            values["reported_by"] = parse_kinds(found["reported_by"])
        if "denominator" in found:
            values["denominator"] = parse_measure(found["denominator"])
        if "target" in found:
            values["target"] = parse_target(found["target"])
        if "weekday" in found:
            values["weekday"] = parse_weekday(found["weekday"])
        if "due_time" in found:
            values["due_time"] = parse_due_time(found["due_time"])
        if "rollup" in found:
            values["rollup"] = parse_rollup(found["rollup"])
        if "from" in found:
            values["valid_from"] = week_of(_day(found["from"]))
        return Indicator(**values)
    except ValueError as error:
        raise ValueError(str(error)) from None
