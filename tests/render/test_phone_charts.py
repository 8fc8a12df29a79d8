"""Charts read on a phone 390 px wide: the sizes of their text, the title line with place, date
and verdict, the x axis ending near the target date, weeks only carried forward drawn hollow.
Read from the matplotlib Figure, not from pixels."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from bot.render.charts import DPI, WIDTH_INCHES, ChartSeries, _figure, progress_chart, verdict

MONDAY = date(2024, 1, 8)
WEEKS = [MONDAY + timedelta(weeks=i) for i in range(12)]
SERIES = ChartSeries(
    "Педагоги в «Сферуме»",
    WEEKS,
    [None, None, 120, 800, 1900, 2600, 3300, 3300, 4400, 4800, 5300, 5700],
    target=7654,
    target_due=date(2024, 5, 31),
    denominator=7654,
    forecast=date(2024, 4, 26),
    carried=[False] * 7 + [True] + [False] * 4,
    place="Смоленская область",
)
# The first version: 10-point ticks, 11-point labels, a 15-point title, 12 inches wide.
BEFORE_SMALLEST, BEFORE_TITLE, BEFORE_WIDTH = 10, 15, 12.0


def drawn(series: ChartSeries, language: str = "ru") -> Figure:
    figure = _figure(series, language)
    figure.canvas.draw()
    return figure


def suptitle(figure: Figure) -> Text:
    found = figure.get_suptitle()
    [text] = [t for t in figure.texts if t.get_text() == found]
    return text


def xdata(line: Any) -> list[float]:
    return [float(x) for x in line.get_xdata()]


def visible_texts(figure: Figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]


def test_every_text_is_at_least_twice_the_first_versions() -> None:
    figure = drawn(SERIES)
    try:
        sizes = [float(t.get_fontsize()) for t in visible_texts(figure)]
        assert min(sizes) >= 2 * BEFORE_SMALLEST
        assert float(suptitle(figure).get_fontsize()) >= 2 * BEFORE_TITLE
    finally:
        figure.clear()
    # On 390 px the smallest letter is 13 px or more (it was about 4 px).
    assert min(sizes) * 390 / (72 * WIDTH_INCHES) >= 13
    assert BEFORE_SMALLEST * 390 / (72 * BEFORE_WIDTH) < 5


def test_the_picture_is_1200_px_wide_and_taller_than_wide() -> None:
    png = progress_chart(SERIES)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == WIDTH_INCHES * DPI == 1200
    assert height > width


def test_the_title_says_place_date_and_verdict() -> None:
    figure = drawn(SERIES)
    try:
        assert figure.get_suptitle() == "Педагоги в «Сферуме»"
        under = figure.axes[0].get_title(loc="left").replace("\n", " ")
    finally:
        figure.clear()
    assert under == "Смоленская область · 25.03.2024 · успевает к сроку"


@pytest.mark.parametrize(
    ("changes", "ru", "en"),
    [
        ({}, "успевает к сроку", "on track"),
        (
            {"forecast": date(2024, 7, 1)},
            "не успевает: прогноз 01.07.2024",
            "behind: forecast 01.07.2024",
        ),
        ({"forecast": None}, "срок не оценить: нет роста", "no forecast: no growth"),
        ({"target": 5000}, "цель достигнута", "target reached"),
        ({"target": None}, "", ""),
    ],
)
def test_verdicts(changes: dict[str, object], ru: str, en: str) -> None:
    series = replace(SERIES, **changes)  # type: ignore[arg-type]
    assert verdict(series) == ru
    assert verdict(series, "en") == en


def test_the_x_axis_ends_near_the_target_date() -> None:
    late = replace(SERIES, forecast=date(2024, 9, 30))  # past the target date: cut there
    for series in (SERIES, late):
        figure = drawn(series)
        try:
            low, high = figure.axes[0].get_xlim()
        finally:
            figure.clear()
        due = date(2024, 5, 31).toordinal()
        assert low < MONDAY.toordinal()
        assert due < high <= due + 14


def test_weeks_carried_forward_are_hollow() -> None:
    figure = drawn(SERIES)
    try:
        lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
        solid, hollow = lines["Итог за неделю"], lines["Неделя без новых отчётов"]
        assert [float(x) for x in xdata(hollow)] == [WEEKS[7].toordinal()]
        assert hollow.get_markerfacecolor() == "white"
        assert solid.get_markerfacecolor() != "white"
        assert WEEKS[7].toordinal() not in xdata(solid)
    finally:
        figure.clear()
    without = drawn(replace(SERIES, carried=()))
    try:
        labels = [line.get_label() for line in without.axes[0].get_lines()]
        assert "Неделя без новых отчётов" not in labels
    finally:
        without.clear()


def test_carried_needs_a_flag_for_each_week() -> None:
    with pytest.raises(ValueError, match="carried forward"):
        ChartSeries("x", WEEKS[:2], [1, 2], carried=[True])
