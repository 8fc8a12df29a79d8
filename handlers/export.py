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

# Kept here, not in bot/render/texts.py, while that file is being reworked elsewhere.
REPLIES = {
    "ru": {
        "caption": "Всё по дорожной карте на {day}: задачи, показатели, отчёты, журнал.",
        "refused": "Выгрузка — для сотрудников департамента и координаторов.",
    },
    "en": {
        "caption": "Everything of the roadmap as of {day}: tasks, indicators, reports, log.",
        "refused": "The export is for the department's staff and coordinators.",
    },
}


async def export(
    message: Message, person: Person, t: Texts, tasks: TaskService, reports: ReportService
) -> None:
    replies = REPLIES["en" if t.language == "en" else "ru"]
    if not may_export(person):
        await message.answer(replies["refused"])
        return
    found = await export_tables(person, tasks, reports, language=t.language)
    content = export_workbook(found.title, found.sheets)
    await message.answer_document(
        BufferedInputFile(content, filename=found.filename),
        caption=replies["caption"].format(day=found.day.strftime("%d.%m.%Y")),
    )


def make_router() -> Router:
    router = Router(name="export")
    router.message.register(export, Command("export"))
    return router
