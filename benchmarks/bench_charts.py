"""How long a progress chart takes to draw, and how big the PNG is.

Run as `python benchmarks/bench_charts.py`. Draws a year of weekly totals (52 weeks, with a
target, its date, a headcount and a forecast) and prints: the first call, which includes
importing matplotlib (loaded only when a chart is first drawn, so the CLI never pays for it);
then the best of 5 calls after a warm-up, as in a running bot; and the size of the PNG sent to
Telegram. The target is under half a second a chart on a 2-core machine, so that a progress
reply does not keep anyone waiting. No assertion is made on time; the figures are for a person
to read.

Then the same for the whole region as the bot has it (`--region`, the default when run as a
script): the Smolensk roadmap and registry (355 schools and the colleges) with the example
indicators and eight weeks of plausible values for every organisation, in a fresh SQLite
database; it times the region's chart as /status draws it (ReportService.series and the
picture) and the /export workbook (export_tables + export_workbook), best of ROUNDS after a
warm-up. `--png PATH` also writes the region's chart there (docs/chart-example.png is made so:
`python benchmarks/bench_charts.py --png docs/chart-example.png`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.app import App, open_app
from bot.config import Settings
from bot.importers.indicators import read_indicators
from bot.render.charts import ChartSeries, progress_chart, series_chart
from bot.render.texts import Texts
from bot.render.workbooks import export_workbook
from bot.services.clock import FixedClock
from bot.services.export import export_tables
from bot.services.people import CLI
from storage.reports import FOREVER
from storage.tables import weekly_reports

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REGION_WEEKS = 5  # of reports, from the week of 17 April 2023
REGION_FIRST = date(2023, 4, 17)
PARTY_LINKS = {
    1: "Департамент Смоленской области",
    2: "все органы",
    3: "все школы",
    4: "все школы",
    5: "все колледжи",
    6: "Смоленский областной институт развития образования",
}

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


def main_chart() -> None:
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


async def region(app: App) -> None:
    """The region as the bot holds it, with REGION_WEEKS of plausible weekly values."""
    await app.roadmaps.import_document(EXAMPLES / "smolensk-order-319-OD.docx")
    await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
    for index, target in PARTY_LINKS.items():
        await app.parties.assign(CLI, index, target)
    await app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    tree = await app.snapshots.tree()
    ids = await app.snapshots.organisation_ids()
    rows = []
    now = datetime(2023, 5, 19, 15, tzinfo=UTC)
    for history in await app.reports.histories():
        indicator = history.current
        assert indicator.id is not None
        for number, org in enumerate(sorted(tree.by_name.values(), key=lambda o: o.name)):
            if not indicator.reports(org):
                continue
            headcount = org.teachers or org.staff or 40
            # Some start late, some never report; the rest climb towards the headcount.
            start = number % 5
            if number % 23 == 0:
                continue
            weeks = list(range(start, REGION_WEEKS))
            for position, week_number in enumerate(weeks):
                week = REGION_FIRST + timedelta(weeks=week_number)
                following = weeks[position + 1] if position + 1 < len(weeks) else None
                until = (
                    REGION_FIRST + timedelta(weeks=following) if following is not None else FOREVER
                )
                share = min(1.0, 0.15 + 0.1 * week_number + (number % 7) * 0.02)
                rows.append(
                    {
                        "indicator_id": indicator.id,
                        "organisation_id": ids[org.name],
                        "week": week,
                        "until_week": until,
                        "value": round(headcount * share),
                        "late": number % 11 == 0,
                        "reported_at": now,
                        "updated_at": now,
                        "reported_by": "cli",
                        "source": "cli",
                    }
                )
    async with app.database.transaction() as connection:
        await connection.execute(insert(weekly_reports), rows)


async def timed(make: object, rounds: int = ROUNDS) -> tuple[float, object]:
    assert callable(make)
    result = await make()  # warm-up
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        result = await make()
        best = min(best, time.perf_counter() - started)
    return best, result


async def main_region() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{folder}/bench.db")
        clock = FixedClock(datetime(2023, 5, 23, 7, tzinfo=UTC))  # Tuesday 23.05.2023, 10:00
        async with open_app(settings, clock=clock) as app:
            started = time.perf_counter()
            await region(app)
            setup = time.perf_counter() - started
            tree = await app.snapshots.tree()
            schools = sum(1 for org in tree.by_name.values() if org.kind.value == "school")
            code = (await app.reports.histories())[0].code

            async def chart() -> bytes:  # as the /status chart button draws it
                series = await app.reports.series(CLI, code)
                drawn = series_chart(series, place="Смоленская область")
                return await asyncio.to_thread(progress_chart, drawn)

            async def workbook() -> bytes:
                found = await export_tables(CLI, app.tasks, app.reports, t=Texts("ru"))
                return await asyncio.to_thread(export_workbook, found.title, found.sheets)

            chart_seconds, png = await timed(chart)
            book_seconds, book = await timed(workbook)
            assert isinstance(png, bytes)
            assert isinstance(book, bytes)
            organisations = len(tree.by_name)
            print(f"region: {schools} schools, {organisations} organisations, set up {setup:.1f} s")
            print(
                f"region chart (series + PNG): {chart_seconds * 1000:,.0f} ms, best of {ROUNDS}; "
                f"PNG {len(png) / 1024:,.1f} KiB"
            )
            print(
                f"/export workbook (export_tables + export_workbook): "
                f"{book_seconds * 1000:,.0f} ms, best of {ROUNDS}; {len(book) / 1024:,.1f} KiB"
            )
            return png


def write_png(path: Path, png: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    print(f"chart written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--png", type=Path, help="also write the region's chart here")
    args = parser.parse_args()
    main_chart()
    png = asyncio.run(main_region())
    if args.png is not None:
        write_png(args.png, png)


if __name__ == "__main__":
    main()
