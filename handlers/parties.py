"""/parties: who acts for each responsible party of the roadmap (admins edit it)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.domain.access import Person
from bot.render.telegram import render_parties
from bot.render.texts import Texts
from bot.services.parties import PartyService
from handlers.replies import answer_long


async def parties(
    message: Message, command: CommandObject, person: Person, t: Texts, parties: PartyService
) -> None:
    index, _, target = (command.args or "").strip().partition(" ")
    if index.isdigit() and target.strip():
        view = await parties.assign(person, int(index), target)
        await message.answer(render_parties([view], t, header=False))
        return
    await answer_long(message, render_parties(await parties.overview(person), t), t)


def make_router() -> Router:
    router = Router(name="parties")
    router.message.register(parties, Command("parties"))
    return router
