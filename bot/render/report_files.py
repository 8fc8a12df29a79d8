"""The files of weekly reporting as neutral attachments (bytes and a file name), for any
channel's front end only to send: the progress chart, the drill-down workbook and the template
to fill in (the refused rows of a bulk entry are `bot.services.answers.bulk_reply`'s). Nothing
here knows a messenger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Attachment
from bot.render.charts import progress_chart, series_chart
from bot.render.texts import Texts
from bot.render.workbooks import SheetTable, TemplateRow, progress_workbook, template_workbook

if TYPE_CHECKING:
    from bot.services.reports import ProgressReport, Series, TemplateSheet

CHART_FILE = "progress.png"
PROGRESS_FILE = "progress.xlsx"


def chart_file(series: Series, *, place: str | None, language: str) -> Attachment:
    """An indicator's weeks as a picture (drawn here: slow, call it off the event loop)."""
    png = progress_chart(series_chart(series, place=place), language=language)
    return Attachment("photo", CHART_FILE, png)


def progress_file(report: ProgressReport, t: Texts) -> Attachment:
    """A drill-down as a workbook: a sheet per indicator, a line per part."""
    header = [
        t("sheet.name"),
        t("sheet.total"),
        t("sheet.denominator"),
        t("sheet.percent"),
        t("sheet.change"),
        t("sheet.reported"),
        t("sheet.expected"),
    ]
    tables = [
        SheetTable(
            name=block.progress.indicator.name,
            header=header,
            rows=[
                [
                    part.name,
                    part.total,
                    part.denominator,
                    part.percent,
                    part.change,
                    part.coverage.reported,
                    part.coverage.expected,
                ]
                for part in block.parts
            ],
        )
        for block in report.blocks
    ]
    return Attachment("document", PROGRESS_FILE, progress_workbook(report.roadmap, tables))


def template_file(sheet: TemplateSheet, t: Texts) -> Attachment:
    """The week's template of the person's organisations, to fill in and send back."""
    content = template_workbook(
        sheet.title,
        t.day(sheet.week),
        sheet.indicators,
        [
            TemplateRow(row.organisation, row.municipality, row.headcount, row.values)
            for row in sheet.rows
        ],
        t.language,
    )
    return Attachment("document", f"report-{sheet.week.isoformat()}.xlsx", content)
