"""An indicator's weekly totals as a picture, a PNG for Telegram's sendPhoto.

`progress_chart(ChartSeries(...))` draws the totals week by week (a line with a marker per
week, the x axis in dd.mm), the target count as a dashed line, the target's date as a vertical
line, a dotted projection from the last total to the forecast day, and, when the headcount is
known, the share of it on a second axis at the right. A week whose total only carries earlier
values forward (nobody reported that week) is drawn hollow. The title is the indicator's name;
under it the place, the date and the verdict («успевает к сроку», «не успевает: прогноз …»).
The x axis ends near the target date. Labels are Russian, or English for `language="en"`.

It is read on phones, shown 390 px wide: 1200x1350 px, a figure of 8x9 inches at 150 dpi, so a
20-point label is 13 px there (the first version's 10 points on 12x6.75 inches were 4 px).
DejaVu Sans (it comes with matplotlib and has Cyrillic).

matplotlib is imported on the first call, not with this module: the CLI never draws and should
not pay for it (about half a second). Only the object-oriented API is used (a `Figure` of its own
on an Agg canvas, no pyplot), so there is no global figure state and no display is needed.
matplotlib does not promise that separate figures may be drawn from separate threads at once,
so drawing is serialised by a lock. A chart takes tens of milliseconds of CPU: from async code,
call it with `await asyncio.to_thread(progress_chart, series)`.

Equal input gives equal bytes (no timestamps or software version in the PNG).
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from bot.services.reports import Series

__all__ = ["ChartSeries", "progress_chart", "series_chart"]

WIDTH_INCHES = 8.0
HEIGHT_INCHES = 9.0
DPI = 150  # 1200x1350 px
FONT = "DejaVu Sans"
TITLE_WIDTH = 26  # characters on a line of the title at TITLE_SIZE
TITLE_LINES = 3
SUBTITLE_WIDTH = 36
TITLE_SIZE = 30
SUBTITLE_SIZE = 22
LABEL_SIZE = 22  # axis labels, the last total, the target's label
TICK_SIZE = 20
LEGEND_SIZE = 20
MAX_TICKS = 11
UPRIGHT_TICKS = 6  # more date labels than this are slanted to fit
# A target date or forecast further than this from the reported weeks would squash them into a
# sliver: the forecast's line runs to the edge instead, the date is in the legend.
HORIZON = timedelta(weeks=26)

TOTALS_COLOUR = "#1f6fb4"
TARGET_COLOUR = "#c0392b"
DUE_COLOUR = "#555555"
FORECAST_COLOUR = "#e67e22"

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "totals": "Итог за неделю",
        "target": "Цель: {count}",
        "due": "Срок цели: {day}",
        "forecast": "Прогноз: {day}",
        "count": "Количество",
        "share": "Доля от {denominator}",
        "week": "Неделя (понедельник), {years}",
        "no_data": "Данных пока нет",
        "carried": "Неделя без новых отчётов",
        "reached": "цель достигнута",
        "on_track": "успевает к сроку",
        "behind": "не успевает: прогноз {day}",
        "unknown": "срок не оценить: нет роста",
        "beyond": "не успевает к сроку при текущем темпе",
        "expected": "цель ожидается {day}",
    },
    "en": {
        "totals": "Weekly total",
        "target": "Target: {count}",
        "due": "Target date: {day}",
        "forecast": "Forecast: {day}",
        "count": "Count",
        "share": "Share of {denominator}",
        "week": "Week (Monday), {years}",
        "no_data": "No reports yet",
        "carried": "No new reports that week",
        "reached": "target reached",
        "on_track": "on track",
        "behind": "behind: forecast {day}",
        "unknown": "no forecast: no growth",
        "beyond": "not in time at the current pace",
        "expected": "target expected {day}",
    },
}

_drawing = threading.Lock()


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """What a progress chart shows.

    `weeks` are Mondays, oldest first, one for each of `totals` (None: nobody had reported
    yet). `target` is the count that meets the target, due on `target_due`; `denominator` the
    headcount it counts against; `forecast` the day the target is met at the present pace.
    `carried` says, week by week, that a total only carries earlier values forward (drawn
    hollow; empty: none does). `place` (the region, a municipality, a school) and `as_of` (by
    default the last week) go under the title with the verdict. `beyond`: the forecast is too
    far off to be a date (years past the target's date): the verdict says so, without a date.
    """

    title: str
    weeks: Sequence[date]
    totals: Sequence[int | None]
    target: int | None = None
    target_due: date | None = None
    denominator: int | None = None
    forecast: date | None = None
    carried: Sequence[bool] = ()
    place: str | None = None
    as_of: date | None = None
    beyond: bool = False

    def __post_init__(self) -> None:
        if len(self.weeks) != len(self.totals):
            raise ValueError("a chart has one total for each week")
        if self.carried and len(self.carried) != len(self.weeks):
            raise ValueError("a chart says for each week whether it is carried forward")
        object.__setattr__(self, "weeks", tuple(self.weeks))
        object.__setattr__(self, "totals", tuple(self.totals))
        object.__setattr__(self, "carried", tuple(self.carried) or (False,) * len(self.weeks))


def series_chart(series: Series, *, place: str | None = None) -> ChartSeries:
    """The chart of an indicator's series (`ReportService.series`/`chart`): its name as the
    title, weeks nobody reported hollow, and the forecast as the text says it."""
    progress = series.progress
    return ChartSeries(
        title=progress.indicator.name,
        weeks=series.weeks,
        totals=series.totals,
        target=progress.target,
        target_due=progress.target_due,
        denominator=progress.denominator,
        forecast=progress.forecast,
        carried=series.carried,
        place=place,
        beyond=progress.beyond,
    )


def verdict(series: ChartSeries, language: str = "ru") -> str:
    """Whether the target is met in time, in a few words ("" without a target)."""
    labels = LABELS["en" if language == "en" else "ru"]
    target = series.target
    if target is None:
        return ""
    reported = [total for total in series.totals if total is not None]
    if reported and reported[-1] >= target:
        return labels["reached"]
    if series.beyond:
        return labels["beyond"]
    forecast, due = series.forecast, series.target_due
    if forecast is None:
        return labels["unknown"]
    day = forecast.strftime("%d.%m.%Y")
    if due is None:
        return labels["expected"].format(day=day)
    return labels["on_track"] if forecast <= due else labels["behind"].format(day=day)


def subtitle(series: ChartSeries, language: str = "ru") -> str:
    """The line under the title: place · date · verdict."""
    day = series.as_of or (series.weeks[-1] if series.weeks else None)
    parts = [
        " ".join(series.place.split()) if series.place else "",
        day.strftime("%d.%m.%Y") if day else "",
        verdict(series, language),
    ]
    return "\n".join(
        textwrap.wrap(" · ".join(part for part in parts if part), SUBTITLE_WIDTH, max_lines=2)
    )


def progress_chart(series: ChartSeries, *, language: str = "ru") -> bytes:
    """The chart as PNG bytes."""
    with _drawing:
        figure = _figure(series, language)
        try:
            buffer = io.BytesIO()
            # Straight to the Agg canvas: `savefig` would lay the figure out and draw it once
            # more before the real drawing (about a tenth more time, the same bytes).
            canvas = cast("FigureCanvasAgg", figure.canvas)
            canvas.print_png(buffer, metadata={"Software": None})  # type: ignore[no-untyped-call]
        finally:
            figure.clear()  # no pyplot, so nothing else holds it: this frees it for good
    return buffer.getvalue()


def _figure(series: ChartSeries, language: str) -> Figure:
    """The chart drawn on a figure of its own, on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = LABELS["en" if language == "en" else "ru"]
    figure = Figure(
        figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, facecolor="white", layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    _draw(axes, series, labels, language)
    title = _wrap(series.title)
    if title:
        figure.suptitle(
            title, x=0.01, ha="left", fontfamily=FONT, fontsize=TITLE_SIZE, fontweight="bold"
        )
    under = subtitle(series, language)
    if under:
        axes.set_title(under, fontfamily=FONT, fontsize=SUBTITLE_SIZE, loc="left", pad=10)
    if axes.get_legend_handles_labels()[0]:
        figure.legend(
            loc="outside lower center",
            ncols=1,
            frameon=False,
            prop={"family": FONT, "size": LEGEND_SIZE},
            handlelength=1.6,
            columnspacing=1.2,
        )
    return figure


def _draw(axes: Axes, series: ChartSeries, labels: dict[str, str], language: str) -> None:
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    number = _number_format(language)
    reported = [
        (week.toordinal(), total)
        for week, total in zip(series.weeks, series.totals, strict=True)
        if total is not None
    ]

    # The span of x the chart shows.
    first = series.weeks[0] if series.weeks else None
    last = series.weeks[-1] if series.weeks else None
    horizon = max(last - first, HORIZON) if first is not None and last is not None else HORIZON
    due = series.target_due
    due_shown = due is not None and (
        first is None or last is None or first - horizon <= due <= last + horizon
    )
    shown = [d for d in (first, last) if d is not None]
    if due is not None and due_shown:
        shown.append(due)
    # The axis ends near the target's date when it is to come: a forecast past it is cut there.
    edge_day = due if due is not None and due_shown and (last is None or due > last) else None

    # Weekly totals: a gap where a week has none; a week only carried forward is hollow.
    if series.weeks:
        xs = [week.toordinal() for week in series.weeks]
        ys = [math.nan if total is None else total for total in series.totals]
        size = 6 if len(series.weeks) > 26 else 9
        axes.plot(xs, ys, color=TOTALS_COLOUR, linewidth=3, zorder=3, clip_on=False)
        for hollow in (False, True):
            picked = [
                (x, y)
                for x, y, carried in zip(xs, ys, series.carried, strict=True)
                if carried is hollow
            ]
            if not picked and hollow:
                continue
            axes.plot(
                [x for x, _ in picked],
                [y for _, y in picked],
                linestyle="none",
                marker="o",
                markersize=size,
                markeredgewidth=2.2,
                markeredgecolor=TOTALS_COLOUR,
                markerfacecolor="white" if hollow else TOTALS_COLOUR,
                color=TOTALS_COLOUR,
                label=labels["carried" if hollow else "totals"],
                zorder=4 if hollow else 3,
                clip_on=False,  # a zero's marker whole on the axis
            )
    if reported:
        x, y = reported[-1]
        share = _share(y, series.denominator, language)
        axes.annotate(
            number(y) + (f" ({share})" if share else ""),
            (x, y),
            xytext=(-6, 8),  # up and to the left: clear of the forecast's line
            textcoords="offset points",
            ha="right",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
            fontfamily=FONT,
            fontsize=LABEL_SIZE,
            fontweight="bold",
            color=TOTALS_COLOUR,
            zorder=4,
        )
    else:
        axes.text(
            0.5,
            0.5,
            labels["no_data"],
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontfamily=FONT,
            fontsize=2 * LABEL_SIZE,
            color="#888888",
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "none"},
            zorder=4,
        )

    # The target: a dashed line labelled with the count, a vertical line on its date.
    target = series.target
    if target is not None:
        label = labels["target"].format(count=number(target))
        axes.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=2.4, label=label)
        axes.text(
            0.005,
            target,
            label,
            transform=axes.get_yaxis_transform(),
            va="bottom",
            fontfamily=FONT,
            fontsize=LABEL_SIZE,
            color=TARGET_COLOUR,
        )
    if due is not None:
        label = labels["due"].format(day=due.strftime("%d.%m.%Y"))
        if due_shown:
            axes.axvline(
                due.toordinal(), color=DUE_COLOUR, linestyle="-.", linewidth=2.2, label=label
            )
        else:  # too far from the weeks shown: in the legend only
            axes.plot([], [], color=DUE_COLOUR, linestyle="-.", linewidth=2.2, label=label)

    # The forecast: from the last total to the target on the forecast day.
    forecast = series.forecast
    if forecast is not None and target is not None and reported and last is not None:
        x0, y0 = reported[-1]
        x1 = forecast.toordinal()
        if x1 > x0:
            edge = (edge_day or last + horizon).toordinal()
            end, y1 = (
                (x1, float(target)) if x1 <= edge else (edge, _between(x0, y0, x1, target, edge))
            )
            axes.plot(
                [x0, end],
                [y0, y1],
                color=FORECAST_COLOUR,
                linestyle=":",
                linewidth=3,
                markersize=10,
                marker="o" if end == x1 else ">",
                markevery=[1],
                label=labels["forecast"].format(day=forecast.strftime("%d.%m.%Y")),
                zorder=2,
            )
            shown.append(date.fromordinal(end))

    # x: dates, ticks on Mondays of the reported weeks' rhythm.
    if shown:
        low, high = min(shown), max(shown)
        pad = max((high - low) * 0.03, timedelta(days=3.5))
        axes.set_xlim((low - pad).toordinal(), (high + pad).toordinal())
        ticks = _ticks(first or low, low, high)
        axes.xaxis.set_major_locator(FixedLocator(ticks))
        axes.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _: date.fromordinal(round(x)).strftime("%d.%m"))
        )
        if len(ticks) > UPRIGHT_TICKS:
            axes.tick_params(axis="x", labelrotation=40)
        years = f"{low.year}" if low.year == high.year else f"{low.year}–{high.year}"
        axes.set_xlabel(labels["week"].format(years=years), fontfamily=FONT, fontsize=LABEL_SIZE)
    else:
        axes.set_xticks([])

    # y: counts from 0, and the share of the headcount on the right.
    values = [total for _, total in reported] + ([target] if target is not None else [])
    axes.set_ylim(0, max([*values, 1]) * 1.12)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: number(round(y))))
    axes.set_ylabel(labels["count"], fontfamily=FONT, fontsize=LABEL_SIZE)
    denominator = series.denominator
    if denominator is not None and denominator > 0:
        percent = axes.secondary_yaxis(
            "right",
            functions=(
                lambda y: np.asarray(y, dtype=float) * (100 / denominator),
                lambda p: np.asarray(p, dtype=float) * (denominator / 100),
            ),
        )
        percent.yaxis.set_major_formatter(FuncFormatter(lambda p, _: _percent(p, language)))
        percent.set_ylabel(
            labels["share"].format(denominator=number(denominator)),
            fontfamily=FONT,
            fontsize=LABEL_SIZE,
        )
        percent.tick_params(labelfontfamily=FONT, labelsize=TICK_SIZE)

    axes.tick_params(labelfontfamily=FONT, labelsize=TICK_SIZE)
    axes.grid(True, color="#e3e3e3", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _wrap(title: str) -> str:
    return "\n".join(
        textwrap.wrap(" ".join(title.split()), TITLE_WIDTH, max_lines=TITLE_LINES, placeholder=" …")
    )


def _ticks(anchor: date, low: date, high: date) -> list[float]:
    """Mondays every k weeks from `anchor` (the first week) across [low, high], at most
    MAX_TICKS of them."""
    weeks = (high - low).days // 7 + 1
    step = 7 * max(1, math.ceil(weeks / MAX_TICKS))
    start = anchor.toordinal() - step * math.ceil((anchor - low).days / step)
    return [float(x) for x in range(start, high.toordinal() + 1, step)]


def _between(x0: int, y0: float, x1: int, y1: float, x: int) -> float:
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _number_format(language: str) -> Callable[[int], str]:
    separator = "," if language == "en" else "\u00a0"
    return lambda n: f"{n:,}".replace(",", separator)


def _share(total: int, denominator: int | None, language: str) -> str:
    if not denominator:
        return ""
    return _percent(total * 100 / denominator, language)


def _percent(value: float, language: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text}%" if language == "en" else f"{text.replace('.', ',')}\u00a0%"
