"""A recurrence rule (the RRULE subset the deadline grammar writes) said in words:
"FREQ=WEEKLY;BYDAY=FR" is «каждую пятницу» / "every Friday". A rule these words do not cover
is returned as it is rather than said wrongly."""

from __future__ import annotations

from typing import Final

_WEEK: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Russian: "каждую пятницу" (one day), "по понедельникам и четвергам" (several).
_EVERY_RU: Final = {
    "MO": "каждый понедельник",
    "TU": "каждый вторник",
    "WE": "каждую среду",
    "TH": "каждый четверг",
    "FR": "каждую пятницу",
    "SA": "каждую субботу",
    "SU": "каждое воскресенье",
}
_ON_RU: Final = {
    "MO": "понедельникам",
    "TU": "вторникам",
    "WE": "средам",
    "TH": "четвергам",
    "FR": "пятницам",
    "SA": "субботам",
    "SU": "воскресеньям",
}
_DAY_EN: Final = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_MONTHS_RU: Final = (
    "январе", "феврале", "марте", "апреле", "мае", "июне",
    "июле", "августе", "сентябре", "октябре", "ноябре", "декабре",
)  # fmt: skip
_MONTHS_EN: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


_MONTHS_OF_RU: Final = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def _join(words: list[str], last: str) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def _parse(rule: str) -> dict[str, str] | None:
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not value:
            return None
        parts[key.strip().upper()] = value.strip().upper()
    return parts


def rhythm_words(rule: str, language: str) -> str:
    """`rule` in words of `language` ("ru" or "en"); the rule itself when it is not covered."""
    parts = _parse(rule)
    if parts is None or not set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH"}:
        return rule
    try:
        interval = int(parts.get("INTERVAL", "1"))
        monthdays = (
            [int(day) for day in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else []
        )
        months = [int(month) for month in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    except ValueError:
        return rule
    days = [day for day in parts.get("BYDAY", "").split(",") if day]
    if any(day not in _WEEK for day in days) or interval < 1:
        return rule
    if any(not 1 <= month <= 12 for month in months) or any(
        day == 0 or not -1 <= day <= 31 for day in monthdays
    ):
        return rule
    said = _say(parts["FREQ"], interval, days, monthdays, months, language == "ru")
    return said if said is not None else rule


def _say(
    freq: str, interval: int, days: list[str], monthdays: list[int], months: list[int], ru: bool
) -> str | None:
    if freq == "DAILY" and not monthdays and not months:
        if sorted(days, key=_WEEK.index) == list(_WEEK[:5]) and interval == 1:
            return "по рабочим дням" if ru else "on working days"
        if days:
            return None
        if interval == 1:
            return "ежедневно" if ru else "daily"
        return f"раз в {interval} дн." if ru else f"every {interval} days"
    if freq == "WEEKLY" and not monthdays and not months:
        if ru:
            if not days:
                head = "еженедельно"
            elif len(days) == 1:
                head = _EVERY_RU[days[0]]
            else:
                head = "по " + _join([_ON_RU[day] for day in days], "и")
            if interval == 1:
                return head
            weeks = f"раз в {interval} недели" if interval < 5 else f"раз в {interval} недель"
            return weeks + (", по " + _join([_ON_RU[day] for day in days], "и") if days else "")
        names = [_DAY_EN[day] for day in days]
        if interval == 1:
            if not days:
                return "weekly"
            return (
                f"every {names[0]}"
                if len(names) == 1
                else "on " + _join([name + "s" for name in names], "and")
            )
        return f"every {interval} weeks" + (f" on {_join(names, 'and')}" if days else "")
    if freq == "MONTHLY" and not days and not months:
        if interval == 3:
            head = "ежеквартально" if ru else "quarterly"
        elif interval == 1:
            head = "ежемесячно" if ru else "monthly"
        else:
            head = f"раз в {interval} мес." if ru else f"every {interval} months"
        if not monthdays:
            return head
        return f"{head}, {_monthdays(monthdays, ru)}"
    if freq == "YEARLY" and not days and interval == 1 and months and len(monthdays) == 1:
        return _days_of_year(months, monthdays[0], ru)
    if freq == "YEARLY" and not days and interval == 1:
        head = "ежегодно" if ru else "every year"
        if months:
            names = [(_MONTHS_RU if ru else _MONTHS_EN)[month - 1] for month in months]
            head += (" в " if ru else " in ") + _join(names, "и" if ru else "and")
        if monthdays:
            head += ", " + _monthdays(monthdays, ru)
        return head
    return None


def _days_of_year(months: list[int], day: int, ru: bool) -> str | None:
    """«ежеквартально: 10 января, 10 апреля, 10 июля и 10 октября»: a report after each period."""
    if day < -1:
        return None
    months = sorted(set(months))
    if day == -1:  # «ежеквартально: в последний день марта, июня, сентября и декабря»
        names = [_MONTHS_OF_RU[month - 1] if ru else _MONTHS_EN[month - 1] for month in months]
        lead = "в последний день " if ru else "on the last day of "
    else:
        names = [
            f"{day} {_MONTHS_OF_RU[month - 1]}" if ru else f"{day} {_MONTHS_EN[month - 1]}"
            for month in months
        ]
        lead = ""
    steps = {(month - months[0]) % 12 for month in months}
    if len(months) == 4 and steps == {0, 3, 6, 9}:
        head = "ежеквартально: " if ru else "quarterly: "
    elif len(months) == 2 and steps == {0, 6}:
        head = "раз в полгода: " if ru else "every six months: "
    else:
        head = "ежегодно, " if ru else "every year, "
    return head + lead + _join(names, "и" if ru else "and")


def _monthdays(monthdays: list[int], ru: bool) -> str:
    if monthdays == [-1]:
        return "в последний день месяца" if ru else "on the last day of the month"
    if any(day < 0 for day in monthdays):
        return ""
    if ru:
        return _join([f"{day}-го" for day in sorted(monthdays)], "и") + " числа"
    return "on day " + _join([str(day) for day in sorted(monthdays)], "and")


def on_weekday(index: int, language: str) -> str:
    """«по пятницам» / "on Fridays" for a weekday index (0 = Monday)."""
    day = _WEEK[index]
    return f"по {_ON_RU[day]}" if language == "ru" else f"on {_DAY_EN[day]}s"
