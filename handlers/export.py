"""/export: everything of the roadmap in one workbook, within the person's reach."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot.domain.access import Person
from bot.render.texts import Texts
from bot.render.workbooks import export_workbook
from bot.services.export import export_tables, may_export
from bot.services.reports import ReportService
from bot.services.tasks import TaskService


async def export(
    message: Message, person: Person, t: Texts, tasks: TaskService, reports: ReportService
) -> None:
    if not may_export(person):
        await message.answer(t("export.refused"))
        return
    found = await export_tables(person, tasks, reports, t=Texts(t.language))
    content = export_workbook(found.title, found.sheets)
    await message.answer_document(
        BufferedInputFile(content, filename=found.filename),
        caption=t("export.caption", day=t.day(found.day)),
    )


def make_router() -> Router:
    router = Router(name="export")
    router.message.register(export, Command("export"))
    return router
