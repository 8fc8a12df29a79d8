"""Where an indicator stands in a week: total, share of the headcount, pace, forecast, outlook.

Rules, as a coordinator would work them out on paper:

* `total` is the rolled-up value for the week (see `Rollup`); `percent` is total / denominator,
  to one decimal; `change` is the total minus the week before's (None in the first week).
* The target count is the target's percentage of the denominator rounded up, at any level
  (the region, a municipality, a school: each against its own headcount); or its number, which
  was set for the whole region and means nothing for a part of it (`whole=False`: no target).
* Pace is the average weekly gain over the last `PACE_WEEKS` weeks (fewer at the start of a
  campaign): (total now - total k weeks ago) / k.
* The forecast is the day the target is met at that pace: this week's due day plus as many
  whole weeks as the remaining count needs, ceil(remaining / pace) * 7 days.
* The outlook: REACHED once the total meets the target; otherwise ON_TRACK when the forecast is
  on or before the target's date, AT_RISK when it is at most `AT_RISK_DAYS` later, OFF_TRACK
  when later still, when nothing is gained week on week, or when the date has passed. With a
  single week reported there is no pace yet: UNKNOWN. An indicator without a target: NO_TARGET.
* A forecast more than `FAR` past the target's date, or past the roadmap's end (`horizon`), is
  not a date anyone can plan by: `forecast` is None and `beyond` says the target is not met in
  time at this pace.
* `carried`: nobody in scope reported for the week, so the total only carries earlier weeks'
  values forward (under Rollup.LATEST).

Pure: numbers in, numbers out.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from bot.domain.indicators import Indicator, due_day

PACE_WEEKS = 4
AT_RISK_DAYS = 14
FAR = timedelta(days=365)


class Outlook(enum.StrEnum):
    REACHED = "reached"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    UNKNOWN = "unknown"
    NO_TARGET = "no_target"


@dataclass(frozen=True, slots=True)
class Coverage:
    """Who reported a week: on time, late, and (the rest of those expected) not at all."""

    expected: int
    on_time: int = 0
    late: int = 0

    @property
    def reported(self) -> int:
        return self.on_time + self.late

    @property
    def missing(self) -> int:
        return max(self.expected - self.reported, 0)

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(
            self.expected + other.expected, self.on_time + other.on_time, self.late + other.late
        )


@dataclass(frozen=True, slots=True)
class Progress:
    indicator: Indicator
    week: date
    total: int
    denominator: int | None
    percent: float | None
    change: int | None
    target: int | None
    target_due: date | None
    pace: float | None
    forecast: date | None
    outlook: Outlook
    coverage: Coverage
    beyond: bool = False  # the forecast is too far off to be a date (see the module's rules)
    carried: bool = False  # nobody reported this week: the total is earlier weeks' values


def percent_of(total: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(total * 100 / denominator, 1)


def assess(
    indicator: Indicator,
    week: date,
    totals: Sequence[int | None],
    denominator: int | None,
    coverage: Coverage,
    *,
    whole: bool = True,
    horizon: date | None = None,
) -> Progress:
    """`totals` are the rolled-up values of consecutive weeks ending with `week`, oldest
    first; None for a week before anyone reported. `whole`: the scope is the whole region (an
    absolute target applies); `horizon`: the roadmap's last day, when known."""
    if not totals:
        raise ValueError("totals end with the week assessed")
    total = totals[-1] or 0
    previous = totals[-2] if len(totals) >= 2 else None
    change = total - previous if previous is not None and totals[-1] is not None else None
    target = indicator.target
    if target is not None and target.percent is None and not whole:
        target = None  # «3 500 чатов» was set for the region, not for a municipality or school
    target_total = target.total(denominator) if target else None
    target_due = target.due if target else None
    pace = _pace(totals)
    forecast = None
    if target_total is not None and total < target_total and pace is not None and pace > 0:
        weeks = math.ceil((target_total - total) / pace)  # exact: no float lands past a whole week
        forecast = due_day(week, indicator.weekday) + timedelta(days=7 * weeks)
    outlook = _outlook(
        total, target_total, target_due, pace, forecast, due_day(week, indicator.weekday)
    )
    beyond = forecast is not None and _too_far(forecast, target_due, horizon)
    return Progress(
        indicator=indicator,
        week=week,
        total=total,
        denominator=denominator,
        percent=percent_of(total, denominator),
        change=change,
        target=target_total,
        target_due=target_due,
        pace=None if pace is None else float(pace),
        forecast=None if beyond else forecast,
        outlook=outlook,
        coverage=coverage,
        beyond=beyond,
        carried=totals[-1] is not None and coverage.reported == 0,
    )


def _too_far(forecast: date, target_due: date | None, horizon: date | None) -> bool:
    """A forecast more than FAR past the target's date, or past the roadmap's end (when that
    is not before the target's date)."""
    if target_due is not None and forecast > target_due + FAR:
        return True
    if horizon is not None and forecast > horizon:
        return target_due is None or forecast > target_due
    return False


def _pace(totals: Sequence[int | None]) -> Fraction | None:
    # Only an unbroken run of reported weeks ending now tells a pace.
    run: list[int] = []
    for total in reversed(totals[-(PACE_WEEKS + 1) :]):
        if total is None:
            break
        run.append(total)
    if len(run) < 2:
        return None
    weeks = len(run) - 1
    return Fraction(run[0] - run[-1], weeks)


def _outlook(
    total: int,
    target: int | None,
    target_due: date | None,
    pace: Fraction | None,
    forecast: date | None,
    today: date,
) -> Outlook:
    if target is None:
        return Outlook.NO_TARGET
    if total >= target:
        return Outlook.REACHED
    if target_due is not None and today > target_due:
        return Outlook.OFF_TRACK
    if pace is None:
        return Outlook.UNKNOWN
    if forecast is None:  # no gain week on week
        return Outlook.OFF_TRACK
    if target_due is None or forecast <= target_due:
        return Outlook.ON_TRACK
    if forecast <= target_due + timedelta(days=AT_RISK_DAYS):
        return Outlook.AT_RISK
    return Outlook.OFF_TRACK
