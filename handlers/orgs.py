"""/orgs [name]: organisations below the person's own, with who has joined and who has not."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.access import Person
from bot.render.telegram import render_rosters
from bot.render.texts import Texts
from bot.services.organisations import OrganisationService
from handlers.replies import answer_long


async def orgs(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    organisations: OrganisationService,
) -> None:
    rosters = await organisations.roster(person, (command.args or "").strip() or None)
    await answer_long(message, render_rosters(rosters, t), t)


def make_router() -> Router:
    router = Router(name="orgs")
    router.message.register(orgs, Command("orgs"))
    return router
