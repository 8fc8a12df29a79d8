"""How long a progress chart takes to draw, and how big the PNG is.

Run as `python benchmarks/bench_charts.py`. Draws a year of weekly totals (52 weeks, with a
target, its date, a headcount and a forecast) and prints: the first call, which includes
importing matplotlib (loaded only when a chart is first drawn, so the CLI never pays for it);
then the best of 5 calls after a warm-up, as in a running bot; and the size of the PNG sent to
Telegram. The target is under half a second a chart on a 2-core machine, so that a progress
reply does not keep anyone waiting. No assertion is made on time; the figures are for a person
to read.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

from bot.render.charts import ChartSeries, progress_chart

TARGET_SECONDS = 0.5
WEEKS = 52
ROUNDS = 5
FIRST_WEEK = date(2023, 9, 4)
TEACHERS = 7654


def year_of_totals() -> ChartSeries:
    weeks = [FIRST_WEEK + timedelta(weeks=i) for i in range(WEEKS)]
    # A slow start, a steady climb, a dip over the winter holidays, a few weeks unreported.
    totals: list[int | None] = []
    for i in range(WEEKS):
        if i < 3:
            totals.append(None)
        elif i in (17, 18):
            totals.append(totals[-1])
        else:
            totals.append(40 + 118 * (i - 3))
    return ChartSeries(
        title="Педагоги, написавшие не менее 10 сообщений в ИКОП «Сферум» за неделю — доля "
        "от общего числа педагогических работников общеобразовательных организаций региона",
        weeks=weeks,
        totals=totals,
        target=TEACHERS,
        target_due=date(2024, 8, 30),
        denominator=TEACHERS,
        forecast=date(2024, 12, 27),  # at 118 a week, 17 weeks after the last Friday
    )


def main() -> None:
    series = year_of_totals()
    imported = "matplotlib" in sys.modules
    started = time.perf_counter()
    png = progress_chart(series)
    first = time.perf_counter() - started
    progress_chart(series)  # warm up: font cache, glyph cache
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        progress_chart(series)
        best = min(best, time.perf_counter() - started)
    note = " (matplotlib was already imported)" if imported else " (with importing matplotlib)"
    print(f"first chart: {first * 1000:,.0f} ms{note}")
    print(
        f"{WEEKS}-week chart: {best * 1000:,.0f} ms, best of {ROUNDS} "
        f"(target < {TARGET_SECONDS * 1000:,.0f} ms)"
    )
    print(f"PNG: {len(png) / 1024:,.1f} KiB")


if __name__ == "__main__":
    main()
