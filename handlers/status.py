"""/status: the roadmap and its weekly indicators at a glance, within the person's reach;
`/status <municipality or organisation>` drills down into one of them (a name that fits several
is answered with a button for each, by short name)."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.domain.access import OrgTree, Person, visible_organisations
from bot.domain.short_names import order_key
from bot.render.charts import progress_chart, series_chart
from bot.render.progress import render_progress
from bot.render.report import render_status
from bot.render.texts import Texts
from bot.render.workbooks import SheetTable, progress_workbook
from bot.services.reports import ProgressReport, ReportService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from handlers.callbacks import ProgressView
from handlers.org_choice import OrgChoice, choice, pressed
from handlers.replies import answer_long

COMMAND = "s"


def progress_keyboard(
    report: ProgressReport, organisation_id: int, t: Texts
) -> InlineKeyboardMarkup | None:
    """A chart per indicator, and the drill-down as a workbook."""
    rows = [
        [
            InlineKeyboardButton(
                text=t("button.chart", name=block.progress.indicator.name[:40]),
                callback_data=ProgressView(what="chart", index=index, org=organisation_id).pack(),
            )
        ]
        for index, block in enumerate(report.blocks)
    ]
    if report.blocks:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("button.excel"),
                    callback_data=ProgressView(what="xlsx", index=0, org=organisation_id).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def resolve(person: Person, query: str, tree: OrgTree) -> list[str]:
    """The organisations `query` names, by name, short name or words of them, ordered by short
    name. A whole name (or short name) is that organisation even outside the person's reach
    (to be refused as such); words are looked for within the reach only."""
    exact = tree.exact(query)
    if exact is not None:
        return [exact]
    found = tree.search(query, visible_organisations(person, tree))
    return sorted(found, key=lambda name: (order_key(tree.short_name(name)), name))


async def drill_down(
    message: Message, person: Person, name: str, number: int, t: Texts, reports: ReportService
) -> None:
    drilled = await reports.progress(person, name)
    await answer_long(
        message,
        render_progress(drilled, t),
        t,
        reply_markup=progress_keyboard(drilled, number, t),
    )


async def status(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    tasks: TaskService,
    reports: ReportService,
    snapshots: Snapshots,
) -> None:
    query = (command.args or "").strip()
    if query:
        view = await snapshots.roadmap()
        matches = resolve(person, query, view.tree)
        if not matches:
            await message.answer(t("status.not_found", query=query))
            return
        ids = await snapshots.organisation_ids()
        if len(matches) > 1:
            text, keyboard = choice(COMMAND, query, matches, view.tree, ids, t)
            await message.answer(text, reply_markup=keyboard)
            return
        await drill_down(message, person, matches[0], ids[matches[0]], t, reports)
        return
    report = await tasks.status_for(person, horizon_days=7)
    progress = await reports.progress(person)
    text = render_status(report, t)
    if progress.blocks:
        text += "\n\n" + render_progress(progress, t)
    await answer_long(message, text, t, reply_markup=progress_keyboard(progress, 0, t))


async def on_choice(
    query: CallbackQuery,
    callback_data: OrgChoice,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
) -> None:
    """The organisation chosen among several a name fits: its drill-down (reach checked again)."""
    found = await pressed(query, snapshots, callback_data.org)
    if found is not None and found[1] is not None:
        await drill_down(found[0], person, found[1], callback_data.org, t, reports)


async def on_view(
    query: CallbackQuery,
    callback_data: ProgressView,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
) -> None:
    """A chart or a workbook of what /status showed (the person's reach is checked again)."""
    found = await pressed(query, snapshots, callback_data.org)
    if found is None:
        return
    message, organisation = found
    if callback_data.what == "chart":
        tree = await snapshots.tree()
        # The index is the place of the indicator in what /status showed this person (those
        # nobody in their reach reports are left out there), not in the roadmap's list.
        series = await reports.chart(person, callback_data.index, organisation)
        if series is None:
            return
        chart = series_chart(series, place=tree.short_name(organisation) if organisation else None)
        png = await asyncio.to_thread(progress_chart, chart, language=t.language)
        await message.answer_photo(BufferedInputFile(png, filename="progress.png"))
        return
    report = await reports.progress(person, organisation, details=True)
    tables = [
        SheetTable(
            name=block.progress.indicator.name,
            header=[
                t("sheet.name"),
                t("sheet.total"),
                t("sheet.denominator"),
                t("sheet.percent"),
                t("sheet.change"),
                t("sheet.reported"),
                t("sheet.expected"),
            ],
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
    content = progress_workbook(report.roadmap, tables)
    await message.answer_document(BufferedInputFile(content, filename="progress.xlsx"))


def make_router() -> Router:
    router = Router(name="status")
    router.message.register(status, Command("status"))
    router.callback_query.register(on_view, ProgressView.filter())
    router.callback_query.register(on_choice, OrgChoice.filter(F.command == COMMAND))
    return router
