from __future__ import annotations

import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.domain.indicators import Indicator
from bot.domain.progress import Coverage, assess
from bot.render.charts import (
    LABELS,
    TITLE_LINES,
    TITLE_WIDTH,
    ChartSeries,
    _figure,
    _wrap,
    series_chart,
    verdict,
)
from bot.render.charts import progress_chart as chart
from bot.services.reports import Series

ROOT = Path(__file__).parent.parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONDAY = date(2024, 1, 8)
TITLE = (
    "Педагоги, написавшие не менее 10 сообщений в ИКОП «Сферум» за неделю — доля от общего "
    "числа педагогических работников общеобразовательных организаций региона"
)


def weeks(n: int, start: date = MONDAY) -> list[date]:
    return [start + timedelta(weeks=i) for i in range(n)]


def size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, the first after the signature."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR"
    assert length == 13
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def texts(series: ChartSeries, language: str = "ru") -> list[str]:
    """Every piece of text on the chart: titles, labels, ticks, legend (after a draw, so the
    tick labels exist)."""
    from matplotlib.text import Text

    figure = _figure(series, language)
    try:
        figure.canvas.draw()
        return [t.get_text() for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    finally:
        figure.clear()


FULL = ChartSeries(
    TITLE,
    weeks(12),
    [None, None, 120, 800, 1900, 2600, 3300, 3900, 4400, 4800, 5300, 5700],
    target=7654,
    target_due=date(2024, 5, 31),
    denominator=7654,
    forecast=date(2024, 4, 26),
)


def assert_a_chart(png: bytes) -> None:
    """A whole PNG of about 1200x1350: portrait, to be read on a phone."""
    width, height = size(png)
    assert 1100 <= width <= 1300
    assert 1250 <= height <= 1450
    assert png.endswith(b"IEND\xaeB`\x82")


def test_a_png_of_about_1200_by_1350() -> None:
    assert_a_chart(chart(FULL))


def test_equal_input_gives_equal_bytes() -> None:
    assert chart(FULL) == chart(FULL)
    assert b"Software" not in chart(FULL)


EDGE_CASES = {
    "one week": ChartSeries("Одна неделя", weeks(1), [5]),
    "one week, target and forecast": ChartSeries(
        "x", weeks(1), [5], target=10, target_due=date(2024, 2, 2), forecast=date(2024, 1, 26)
    ),
    "all None": ChartSeries("Никто не отчитался", weeks(4), [None] * 4, target=300),
    "zero totals": ChartSeries("Нули", weeks(6), [0] * 6, denominator=100),
    "zero totals, zero target": ChartSeries("x", weeks(3), [0] * 3, target=0),
    "no target": ChartSeries("Без цели", weeks(8), [1, 2, 3, 5, 8, 13, 21, 34], denominator=50),
    "forecast far beyond": ChartSeries(
        "Далёкий прогноз",
        weeks(3),
        [10, 11, 12],
        target=7654,
        target_due=date(2024, 5, 31),
        denominator=7654,
        forecast=date(2080, 1, 1),
    ),
    "forecast without a target": ChartSeries("x", weeks(3), [1, 2, 3], forecast=date(2024, 3, 1)),
    "forecast before the last week": ChartSeries(
        "x", weeks(3), [1, 2, 3], target=5, forecast=date(2024, 1, 1)
    ),
    "target date long before": ChartSeries(
        "x", weeks(3), [1, 2, 3], target=5, target_due=date(2019, 1, 1)
    ),
    "target date long after": ChartSeries(
        "x", weeks(3), [1, 2, 3], target=5, target_due=date(2031, 1, 1)
    ),
    "no weeks": ChartSeries("", [], []),
    "no weeks, a target date": ChartSeries(
        "x", [], [], target=10, target_due=date(2024, 5, 31), forecast=date(2024, 6, 7)
    ),
    "gaps": ChartSeries("x", weeks(5), [None, 3, None, None, 7], target=10, denominator=20),
    "zero denominator": ChartSeries("x", weeks(2), [1, 2], denominator=0),
    "huge numbers": ChartSeries(
        "x", weeks(3), [10**8, 2 * 10**8, 3 * 10**8], target=10**9, denominator=10**9
    ),
    "a year across new year": ChartSeries(
        "Год", weeks(52, date(2023, 9, 4)), list(range(0, 5200, 100)), target=6000
    ),
    "a very long title": ChartSeries(TITLE * 5, weeks(2), [1, 2]),
}


@pytest.mark.parametrize("series", EDGE_CASES.values(), ids=EDGE_CASES.keys())
@pytest.mark.parametrize("language", ["ru", "en"])
def test_edge_cases_draw_without_raising(series: ChartSeries, language: str) -> None:
    assert_a_chart(chart(series, language=language))


def test_russian_labels() -> None:
    found = texts(FULL)
    assert "Цель: 7\u00a0654" in found
    assert "Срок цели: 31.05.2024" in found
    assert "Прогноз: 26.04.2024" in found
    assert "Итог за неделю" in found
    assert "Доля от 7\u00a0654" in found
    assert "5\u00a0700 (74,5\u00a0%)" in found
    assert "100\u00a0%" in found
    assert "Неделя (понедельник), 2024" in found
    assert {"08.01", "22.01", "05.02"} <= set(found)


def test_english_labels() -> None:
    found = texts(FULL, "en")
    assert "Target: 7,654" in found
    assert "Target date: 31.05.2024" in found
    assert "Forecast: 26.04.2024" in found
    assert "Weekly total" in found
    assert "Share of 7,654" in found
    assert "5,700 (74.5%)" in found
    assert "100%" in found
    assert {"08.01", "22.01", "05.02"} <= set(found)
    # Nothing Russian but the indicator's own name.
    cyrillic = [t for t in found if any("а" <= c.lower() <= "я" for c in t)]
    assert cyrillic == [_wrap(TITLE)]


def test_an_unknown_language_is_russian() -> None:
    assert chart(FULL, language="de") == chart(FULL)
    assert LABELS["ru"].keys() == LABELS["en"].keys()


def test_no_data_is_said() -> None:
    assert "Данных пока нет" in texts(EDGE_CASES["all None"])
    assert "No reports yet" in texts(EDGE_CASES["no weeks"], "en")
    assert "Данных пока нет" not in texts(EDGE_CASES["zero totals"])


def test_a_forecast_far_beyond_keeps_the_weeks_readable() -> None:
    series = EDGE_CASES["forecast far beyond"]
    figure = _figure(series, "ru")
    try:
        low, high = figure.axes[0].get_xlim()
    finally:
        figure.clear()
    assert low < MONDAY.toordinal() < high < date(2025, 1, 1).toordinal()  # not to 2080
    assert "Прогноз: 01.01.2080" in texts(series)


def test_the_y_axis_starts_at_zero_and_reaches_the_target() -> None:
    figure = _figure(EDGE_CASES["no weeks, a target date"], "ru")
    try:
        low, high = figure.axes[0].get_ylim()
    finally:
        figure.clear()
    assert low == 0
    assert high > 10


def test_title_is_wrapped() -> None:
    lines = _wrap(TITLE * 5).split("\n")
    assert len(lines) == TITLE_LINES
    assert all(len(line) <= TITLE_WIDTH for line in lines)
    assert lines[-1].endswith("…")
    assert _wrap("  Короткое\n  название ") == "Короткое название"


def test_series_needs_a_total_for_each_week() -> None:
    with pytest.raises(ValueError, match="one total for each week"):
        ChartSeries("x", weeks(3), [1, 2])


def test_series_keeps_its_own_copy() -> None:
    totals: list[int | None] = [1, 2]
    series = ChartSeries("x", weeks(2), totals)
    totals.append(3)
    assert series.totals == (1, 2)


def test_charts_drawn_from_threads_at_once_are_the_same_as_one_by_one() -> None:
    several = [FULL, *(EDGE_CASES[name] for name in ("one week", "all None", "gaps"))]
    alone = [chart(series) for series in several]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(chart, several))
    assert together == alone


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.render.charts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_forecast_too_far_off_is_said_in_words_not_a_date() -> None:
    series = ChartSeries(
        title=TITLE,
        weeks=weeks(3),
        totals=[1, 2, 3],
        target=7654,
        target_due=MONDAY + timedelta(days=60),
        beyond=True,
    )
    assert verdict(series) == "не успевает к сроку при текущем темпе"
    assert verdict(series, "en") == "not in time at the current pace"
    assert "не успевает к сроку при текущем темпе" in " ".join(" ".join(texts(series)).split())


def test_a_chart_of_a_series_draws_carried_weeks_hollow() -> None:
    indicator = Indicator("chats", "Чаты классов", "Сколько чатов?")
    progress = assess(indicator, weeks(3)[-1], [4, 4, 4], None, Coverage(expected=1))
    series = Series(indicator, tuple(weeks(3)), (4, 4, 4), progress, (False, True, True))
    drawn = series_chart(series, place="Гимназия № 4")
    assert drawn.title == "Чаты классов"
    assert drawn.carried == (False, True, True)
    assert drawn.place == "Гимназия № 4"
    assert LABELS["ru"]["carried"] in texts(drawn)
