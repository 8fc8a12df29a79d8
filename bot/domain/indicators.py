"""Weekly indicators: what organisations report, when, against which headcount and target.

An indicator ("педагоги, написавшие не менее 10 сообщений за неделю") is defined per roadmap and
identified by a short `code`. Its definition is *versioned*: a change applies from a given week
on (`valid_from`, a Monday), and every earlier week keeps the meaning it had, because platforms
and rules change mid-campaign.

Weeks are named by their Monday. A week's report is asked for on its due day (`weekday`, 0 is
Monday) at 10:00 local time and is on time until `due_time` that day; a report made later is
accepted and marked late. The week a message reports on is the latest week whose due day has
come (a Monday answer to Friday's question is a late answer for the week before).

Pure: dates in, values out.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.model import Measure, Organisation, OrganisationKind

__all__ = [
    "Concern",
    "Indicator",
    "IndicatorHistory",
    "IndicatorTarget",
    "Rollup",
    "concerns",
    "deadline",
    "denominator_of",
    "due_day",
    "due_for",
    "label_map",
    "reporting_week",
    "versions_by_code",
    "week_of",
]

WEEK = timedelta(days=7)


class Rollup(enum.StrEnum):
    """How organisations' values add up to a region's.

    LATEST: each organisation's latest value as of the week (a school that skipped a week still
    counts with what it reported last). WEEK: only the values reported for that week.
    """

    LATEST = "latest"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class IndicatorTarget:
    """ "100% of the denominator by 31 May", or an absolute number ("300 communities")."""

    percent: float | None = None
    value: int | None = None
    due: date | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.value is None):
            raise ValueError("a target is a percentage or a number, exactly one of them")
        if self.percent is not None and not 0 < self.percent <= 1000:
            raise ValueError("a target percentage is above 0 (and not absurdly high)")
        if self.value is not None and self.value < 0:
            raise ValueError("a target number cannot be negative")

    def total(self, denominator: int | None) -> int | None:
        """The count that meets the target; None when a percentage has nothing to apply to."""
        if self.value is not None:
            return self.value
        if denominator is None or self.percent is None:
            return None
        # Ceiling without floats going astray: 100% of 7654 is 7654, 90% of 45 is 41.
        return -(-round(denominator * self.percent * 100) // 10_000)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One version of an indicator's definition."""

    code: str
    name: str
    question: str
    aliases: tuple[str, ...] = ()
    reported_by: frozenset[OrganisationKind] = frozenset({OrganisationKind.SCHOOL})
    denominator: Measure | None = None
    target: IndicatorTarget | None = None
    weekday: int = 4  # Friday
    due_time: time = time(18, 0)
    rollup: Rollup = Rollup.LATEST
    valid_from: date | None = None  # a Monday; None: from the beginning
    id: int | None = None  # the indicator's id once stored (shared by its versions)

    def __post_init__(self) -> None:
        if not self.code or not self.code.replace("_", "").isalnum() or not self.code.isascii():
            raise ValueError(f"an indicator code is latin letters, digits and _: {self.code!r}")
        if not self.name.strip():
            raise ValueError("an indicator needs a name")
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if not self.reported_by:
            raise ValueError("an indicator is reported by at least one kind of organisation")
        if self.denominator is Measure.ORGANISATIONS:
            raise ValueError("a denominator is a headcount: teachers, staff or pupils")
        if self.valid_from is not None and self.valid_from.weekday() != 0:
            raise ValueError("a definition applies from a week, named by its Monday")

    @property
    def labels(self) -> dict[str, str]:
        """What people may type for it -> its code (for `parse_report`)."""
        return dict.fromkeys(self.aliases, self.code)

    def reports(self, organisation: Organisation) -> bool:
        return organisation.kind in self.reported_by


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def due_day(week: date, weekday: int) -> date:
    return week + timedelta(days=weekday)


def reporting_week(today: date, weekday: int) -> date:
    """The latest week whose due day has come by `today`."""
    monday = week_of(today)
    return monday if today.weekday() >= weekday else monday - WEEK


def deadline(indicator: Indicator, week: date, zone: tzinfo) -> datetime:
    """The instant a week's report stops being on time, at the organisation's local time."""
    return datetime.combine(due_day(week, indicator.weekday), indicator.due_time, zone)


def denominator_of(indicator: Indicator, organisation: Organisation) -> int | None:
    """The organisation's headcount the indicator counts against (None: none, or unknown)."""
    match indicator.denominator:
        case Measure.TEACHERS:
            return organisation.teachers
        case Measure.STAFF:
            return organisation.staff
        case Measure.PUPILS:
            return organisation.pupils
        case _:
            return None


@dataclass(frozen=True, slots=True)
class IndicatorHistory:
    """Every version of one indicator, oldest first; `at(week)` is the one in force."""

    versions: tuple[Indicator, ...]
    _starts: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("an indicator has at least one version")
        if len({v.code for v in self.versions}) != 1:
            raise ValueError("versions of one indicator share its code")
        starts = tuple(v.valid_from or date.min for v in self.versions)
        if list(starts) != sorted(set(starts)):
            raise ValueError("versions are ordered by the week they apply from, one per week")
        object.__setattr__(self, "_starts", starts)

    @property
    def code(self) -> str:
        return self.versions[0].code

    @property
    def current(self) -> Indicator:
        return self.versions[-1]

    @property
    def first_week(self) -> date | None:
        return self.versions[0].valid_from

    def at(self, week: date) -> Indicator | None:
        """The definition in force in `week`; None before the first version applies."""
        found = None
        for start, version in zip(self._starts, self.versions, strict=True):
            if start <= week:
                found = version
        return found


class Concern(enum.StrEnum):
    """Why a value is put back to the person to confirm or correct."""

    ABOVE_DENOMINATOR = "above_denominator"  # more than the organisation's headcount
    SHARP_DROP = "sharp_drop"  # down by more than a third on last week


def concerns(value: int, denominator: int | None, last_week: int | None) -> tuple[Concern, ...]:
    """What is odd about `value`; empty when it can be taken as it is.

    A real zero is a report like any other; it is odd only as a drop from last week.
    """
    found = []
    if denominator is not None and value > denominator:
        found.append(Concern.ABOVE_DENOMINATOR)
    # "More than a third" in integers: last - value > last / 3.
    if last_week is not None and 3 * (last_week - value) > last_week:
        found.append(Concern.SHARP_DROP)
    return tuple(found)


def versions_by_code(definitions: Iterable[Indicator]) -> dict[str, IndicatorHistory]:
    """Group loose versions into histories, each ordered by the week it applies from."""
    grouped: dict[str, list[Indicator]] = {}
    for version in definitions:
        grouped.setdefault(version.code, []).append(version)
    return {
        code: IndicatorHistory(tuple(sorted(vs, key=lambda v: v.valid_from or date.min)))
        for code, vs in grouped.items()
    }


def due_for(
    histories: Sequence[IndicatorHistory], organisation: Organisation, week: date
) -> list[Indicator]:
    """The indicators `organisation` reports in `week`, as defined that week."""
    found = []
    for history in histories:
        version = history.at(week)
        if version is not None and version.reports(organisation):
            found.append(version)
    return found


def label_map(indicators: Iterable[Indicator]) -> Mapping[str, str]:
    """Aliases of several indicators, for a message that reports them together."""
    labels: dict[str, str] = {}
    for indicator in indicators:
        labels.update(indicator.labels)
    return labels
