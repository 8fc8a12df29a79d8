"""/status: the roadmap at a glance, within the person's reach."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.domain.access import Person
from bot.render.report import render_status
from bot.render.texts import Texts
from bot.services.tasks import TaskService
from handlers.replies import answer_long


async def status(message: Message, person: Person, t: Texts, tasks: TaskService) -> None:
    report = await tasks.status_for(person, horizon_days=7)
    await answer_long(message, render_status(report, t))


def make_router() -> Router:
    router = Router(name="status")
    router.message.register(status, Command("status"))
    return router
