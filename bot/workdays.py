"""Russia's working-day calendar: public holidays and the government's transfers of days off
(2024-04-27 a working Saturday, 2024-04-29 and 30 days off), from the maintained `holidays`
package, with the department's own changes on top: HOLIDAYS adds days off, WORKDAYS makes
days working (a built-in day off taken back, or a weekend day worked).

The domain's WorkCalendar stays pure: it is handed the dates worked out here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Literal

from bot.domain.reminders import WorkCalendar

CalendarName = Literal["ru", "none"]
YEARS = range(2015, 2041)  # the package knows the transfers as they are decreed; later years
# get the fixed holidays only


@lru_cache(maxsize=4)
def _russia(language: str) -> tuple[dict[date, str], frozenset[date]]:
    import holidays  # a few hundred milliseconds: only when a calendar is needed

    russia = holidays.country_holidays("RU", years=YEARS, language=language)
    return dict(russia.items()), frozenset(getattr(russia, "weekend_workdays", ()))


def official_days(
    name: CalendarName, language: str = "ru"
) -> tuple[dict[date, str], frozenset[date]]:
    """The built-in days off (with their names) and working weekend days."""
    if name == "none":
        return {}, frozenset()
    return _russia("ru" if language == "ru" else "en_US")


def work_calendar(
    name: CalendarName = "ru",
    *,
    holidays: Iterable[date] = (),
    workdays: Iterable[date] = (),
) -> WorkCalendar:
    """The built-in calendar `name`, plus the days off in `holidays`, minus `workdays`."""
    days_off, working_weekends = official_days(name)
    taken_back = frozenset(workdays)
    off = (frozenset(days_off) | frozenset(holidays)) - taken_back
    return WorkCalendar(off, working_weekends | taken_back)
