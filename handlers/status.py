"""/status: the roadmap and its weekly indicators at a glance, within the person's reach;
`/status <municipality or organisation>` drills down into one of them (a name that fits several
is answered with a button for each, by short name)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.domain.access import Person
from bot.messages import Outgoing
from bot.render.progress import render_progress
from bot.render.report import render_status
from bot.render.texts import Texts
from bot.services.organisations import NotOneOrganisation, OrganisationService
from bot.services.reports import ProgressReport, ReportService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from handlers.callbacks import ProgressView
from handlers.org_choice import OrgChoice, pressed
from handlers.orgs import not_one
from handlers.replies import answer_long, send

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
    organisations: OrganisationService,
    snapshots: Snapshots,
) -> None:
    query = (command.args or "").strip()
    if query:
        found = await organisations.drill_target(person, query)
        if isinstance(found, NotOneOrganisation):
            await not_one(message, COMMAND, found, t, snapshots, none="status.not_found")
            return
        ids = await snapshots.organisation_ids()
        await drill_down(message, person, found, ids[found], t, reports)
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
        # The index is the place of the indicator in what /status showed this person (those
        # nobody in their reach reports are left out there), not in the roadmap's list.
        chart = await reports.chart_file(
            person, callback_data.index, organisation, language=t.language
        )
        if chart is not None:
            await send(message, Outgoing("", attachment=chart))
        return
    workbook = await reports.progress_file(person, organisation, t)
    await send(message, Outgoing("", attachment=workbook))


def make_router() -> Router:
    router = Router(name="status")
    router.message.register(status, Command("status"))
    router.callback_query.register(on_view, ProgressView.filter())
    router.callback_query.register(on_choice, OrgChoice.filter(F.command == COMMAND))
    return router
