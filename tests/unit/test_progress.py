"""Where an indicator stands: every figure worked out by hand, as a coordinator would on paper.

The week assessed is that of Monday 17 April 2023; its due day is Friday the 21st.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.indicators import Indicator, IndicatorTarget
from bot.domain.progress import AT_RISK_DAYS, PACE_WEEKS, Coverage, Outlook, Progress, assess

D = date
WEEK = D(2023, 4, 17)
FRIDAY = D(2023, 4, 21)
MAY_31 = D(2023, 5, 31)
COVERAGE = Coverage(expected=10, on_time=7, late=2)
HUNDRED_BY_MAY = IndicatorTarget(value=100, due=MAY_31)


def chats(target: IndicatorTarget | None, weekday: int = 4) -> Indicator:
    return Indicator("chats", "Чаты классов", "Сколько чатов?", target=target, weekday=weekday)


def assess_chats(
    totals: list[int | None],
    target: IndicatorTarget | None = HUNDRED_BY_MAY,
    *,
    denominator: int | None = None,
    week: date = WEEK,
    weekday: int = 4,
    whole: bool = True,
    horizon: date | None = None,
) -> Progress:
    return assess(
        chats(target, weekday), week, totals, denominator, COVERAGE, whole=whole, horizon=horizon
    )


def test_the_rules_assumed_below() -> None:
    assert PACE_WEEKS == 4
    assert AT_RISK_DAYS == 14


# --- The first weeks -----------------------------------------------------------------------------


def test_the_first_week_has_no_pace_yet() -> None:
    progress = assess_chats([10])
    assert progress.indicator == chats(HUNDRED_BY_MAY)
    assert progress.week == WEEK
    assert progress.total == 10
    assert progress.change is None
    assert progress.target == 100
    assert progress.target_due == MAY_31
    assert progress.pace is None
    assert progress.forecast is None
    assert progress.outlook is Outlook.UNKNOWN
    assert progress.coverage == COVERAGE


def test_weeks_before_anyone_reported_are_not_a_start() -> None:
    progress = assess_chats([None, None, 10])
    assert (progress.total, progress.change, progress.pace) == (10, None, None)
    assert progress.outlook is Outlook.UNKNOWN


def test_totals_end_with_the_week_assessed() -> None:
    with pytest.raises(ValueError, match="totals end with the week assessed"):
        assess_chats([])


# --- Pace and forecast ---------------------------------------------------------------------------


def test_two_weeks() -> None:
    progress = assess_chats([10, 30])
    assert progress.change == 20
    assert progress.pace == 20.0
    # 70 to go at 20 a week: 3.5 weeks, so the fourth Friday from now.
    assert progress.forecast == D(2023, 5, 19)
    assert progress.outlook is Outlook.ON_TRACK


def test_pace_is_the_average_gain_over_the_last_four_weeks() -> None:
    progress = assess_chats([0, 50, 60, 70, 80, 90])
    assert progress.pace == 10.0  # (90 - 50) / 4, not (90 - 0) / 5
    assert progress.change == 10
    assert progress.forecast == D(2023, 4, 28)  # 10 to go: next Friday


def test_pace_over_three_weeks() -> None:
    progress = assess_chats([0, 10, 25])
    assert progress.pace == 12.5  # (25 - 0) / 2
    # 75 to go at 12.5 a week: 6 weeks, 2 June, two days after the target's date.
    assert progress.forecast == D(2023, 6, 2)
    assert progress.outlook is Outlook.AT_RISK


def test_a_forecast_of_whole_weeks_at_a_pace_in_thirds() -> None:
    # 110 gained over 3 weeks, 110 to go: exactly 3 more weeks, to the day of the target.
    progress = assess_chats(
        [1000, 1030, 1070, 1110], IndicatorTarget(value=1220, due=D(2023, 5, 12))
    )
    assert progress.pace == pytest.approx(110 / 3)
    assert progress.forecast == D(2023, 5, 12)
    assert progress.outlook is Outlook.ON_TRACK


def test_a_forecast_counts_from_the_due_day() -> None:
    monday = assess_chats([0, 25], weekday=0)  # due on Mondays: the 17th
    assert monday.forecast == D(2023, 5, 8)  # 75 to go at 25 a week: 3 weeks


def test_only_an_unbroken_run_of_weeks_tells_a_pace() -> None:
    progress = assess_chats([0, 40, None, 50, 60])
    assert progress.pace == 10.0  # 50 -> 60; nothing before the gap counts
    assert progress.change == 10
    progress = assess_chats([None, None, 10, 20, 30])
    assert progress.pace == 10.0  # over the two weeks since the first report


def test_a_gap_just_before_this_week_leaves_no_pace() -> None:
    progress = assess_chats([0, 40, None, 60])
    assert (progress.change, progress.pace, progress.forecast) == (None, None, None)
    assert progress.outlook is Outlook.UNKNOWN


# --- Percentages ---------------------------------------------------------------------------------


def test_a_percentage_target_against_the_headcount() -> None:
    progress = assess_chats([20, 30], IndicatorTarget(percent=90, due=MAY_31), denominator=45)
    assert progress.target == 41  # 40.5 rounded up
    assert progress.denominator == 45
    assert progress.percent == 66.7  # 30 / 45
    assert progress.forecast == D(2023, 5, 5)  # 11 to go at 10 a week: 2 weeks
    assert progress.outlook is Outlook.ON_TRACK


@pytest.mark.parametrize(
    ("total", "denominator", "percent"),
    [(30, 45, 66.7), (45, 45, 100.0), (0, 45, 0.0), (1, 3, 33.3), (2, 3, 66.7), (5, 0, None)],
)
def test_percent_of_the_headcount(total: int, denominator: int, percent: float | None) -> None:
    assert assess_chats([total], denominator=denominator).percent == percent


def test_no_headcount_no_percent() -> None:
    assert assess_chats([30]).percent is None


# --- Outlook -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target_due", "outlook"),
    [
        (None, Outlook.ON_TRACK),  # no date: any forecast will do
        (D(2023, 5, 31), Outlook.ON_TRACK),
        (D(2023, 5, 12), Outlook.ON_TRACK),  # forecast on the day
        (D(2023, 5, 11), Outlook.AT_RISK),  # a day late
        (D(2023, 4, 28), Outlook.AT_RISK),  # exactly 14 days late
        (D(2023, 4, 27), Outlook.OFF_TRACK),  # 15 days late
        (D(2023, 4, 21), Outlook.OFF_TRACK),  # due this very Friday, three weeks short
    ],
)
def test_outlook_by_forecast(target_due: date | None, outlook: Outlook) -> None:
    # 30 to go at 10 a week: three Fridays on, 12 May.
    progress = assess_chats([0, 10], IndicatorTarget(value=40, due=target_due))
    assert progress.forecast == D(2023, 5, 12)
    assert progress.outlook is outlook


@pytest.mark.parametrize("totals", [[30, 30], [40, 30], [50, 40, 30, 30, 30]])
def test_no_gain_is_off_track(totals: list[int | None]) -> None:
    progress = assess_chats(totals)
    assert progress.forecast is None
    assert progress.outlook is Outlook.OFF_TRACK


def test_after_the_targets_date_anything_short_is_off_track() -> None:
    june = D(2023, 6, 5)
    progress = assess_chats([10, 50], week=june)
    assert progress.forecast == D(2023, 6, 23)  # 50 to go at 40 a week: two Fridays on
    assert progress.outlook is Outlook.OFF_TRACK
    assert assess_chats([50], week=june).outlook is Outlook.OFF_TRACK  # even with no pace


def test_on_the_targets_date_itself_it_is_not_passed() -> None:
    progress = assess_chats([10], IndicatorTarget(value=100, due=FRIDAY))
    assert progress.outlook is Outlook.UNKNOWN
    progress = assess_chats([10], IndicatorTarget(value=100, due=D(2023, 4, 20)))
    assert progress.outlook is Outlook.OFF_TRACK


@pytest.mark.parametrize("totals", [[90, 100], [100], [120, 110], [None, 150]])
def test_reached(totals: list[int | None]) -> None:
    progress = assess_chats(totals)
    assert progress.outlook is Outlook.REACHED
    assert progress.forecast is None


def test_reached_stays_reached_after_the_date() -> None:
    assert assess_chats([100], week=D(2023, 6, 5)).outlook is Outlook.REACHED


def test_a_percentage_target_reached() -> None:
    progress = assess_chats([40, 41], IndicatorTarget(percent=90), denominator=45)
    assert progress.outlook is Outlook.REACHED


def test_no_target() -> None:
    progress = assess_chats([10, 30], None)
    assert progress.outlook is Outlook.NO_TARGET
    assert (progress.target, progress.target_due, progress.forecast) == (None, None, None)
    assert progress.pace == 20.0  # the pace is still worth showing


# --- Coverage ------------------------------------------------------------------------------------


def test_coverage() -> None:
    assert (COVERAGE.reported, COVERAGE.missing) == (9, 1)
    assert Coverage(expected=5).missing == 5
    assert Coverage(expected=2, on_time=3).missing == 0  # more than expected: none missing
    total = COVERAGE + Coverage(expected=5, on_time=1, late=1)
    assert total == Coverage(expected=15, on_time=8, late=3)
    assert (total.reported, total.missing) == (11, 4)


# --- At the person's own scale -------------------------------------------------------------------

ALL_BY_MAY = IndicatorTarget(percent=100, due=MAY_31)


def test_a_share_of_the_headcount_is_a_target_at_every_level() -> None:
    # A municipality of 4 schools with 180 teachers: 100 % of its own 180.
    progress = assess_chats([60, 100], ALL_BY_MAY, denominator=180, whole=False)
    assert progress.target == 180
    assert progress.outlook is Outlook.ON_TRACK


def test_a_number_is_a_target_for_the_whole_region_only() -> None:
    region = assess_chats([60, 100], IndicatorTarget(value=3500, due=MAY_31))
    assert region.target == 3500
    part = assess_chats([60, 100], IndicatorTarget(value=3500, due=MAY_31), whole=False)
    assert (part.target, part.target_due, part.forecast) == (None, None, None)
    assert part.outlook is Outlook.NO_TARGET


def test_a_forecast_more_than_a_year_past_the_date_is_not_a_date() -> None:
    # 2 a week towards 7 654: some 73 years.
    progress = assess_chats([1, 3], ALL_BY_MAY, denominator=7654)
    assert progress.beyond
    assert progress.forecast is None
    assert progress.outlook is Outlook.OFF_TRACK


def test_a_forecast_within_a_year_is_a_date() -> None:
    # 90 to go at 2 a week: 45 weeks, in March 2024, under a year past 31 May 2023.
    progress = assess_chats([8, 10])
    assert not progress.beyond
    assert progress.forecast == D(2024, 3, 1)


def test_a_forecast_past_the_roadmap_end_is_not_a_date() -> None:
    progress = assess_chats([8, 10], horizon=D(2023, 12, 29))
    assert progress.beyond
    assert progress.forecast is None
    # Before the roadmap's end it is a date.
    assert assess_chats([8, 10], horizon=D(2024, 12, 27)).forecast == D(2024, 3, 1)


def test_a_week_nobody_reported_carries_earlier_values() -> None:
    indicator = chats(HUNDRED_BY_MAY)
    carried = assess(indicator, WEEK, [10, 10], None, Coverage(expected=3))
    assert carried.carried
    fresh = assess(indicator, WEEK, [10, 12], None, Coverage(expected=3, on_time=1))
    assert not fresh.carried
    nothing = assess(indicator, WEEK, [None], None, Coverage(expected=3))
    assert not nothing.carried
