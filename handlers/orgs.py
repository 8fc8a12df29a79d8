"""/orgs [name]: organisations below the person's own, with who has joined and who has not;
a name that fits several organisations is answered with a button for each."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.access import Person
from bot.render.telegram import render_rosters
from bot.render.texts import Texts
from bot.services.organisations import OrganisationService
from bot.services.parties import AmbiguousOrganisation
from bot.services.snapshots import Snapshots
from handlers.org_choice import OrgChoice, choice, pressed
from handlers.replies import answer_long

COMMAND = "o"


async def orgs(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    organisations: OrganisationService,
    snapshots: Snapshots,
) -> None:
    query = (command.args or "").strip() or None
    try:
        rosters = await organisations.roster(person, query)
    except AmbiguousOrganisation as several:
        text, keyboard = choice(
            COMMAND,
            several.query,
            several.matches,
            await snapshots.tree(),
            await snapshots.organisation_ids(),
            t,
        )
        await message.answer(text, reply_markup=keyboard)
        return
    await answer_long(message, render_rosters(rosters, t), t)


async def on_choice(
    query: CallbackQuery,
    callback_data: OrgChoice,
    person: Person,
    t: Texts,
    organisations: OrganisationService,
    snapshots: Snapshots,
) -> None:
    """The organisation chosen among several: its roster (the reach is checked again)."""
    found = await pressed(query, snapshots, callback_data.org)
    if found is None or found[1] is None:
        return
    rosters = await organisations.roster(person, found[1])
    await answer_long(found[0], render_rosters(rosters, t), t)


def make_router() -> Router:
    router = Router(name="orgs")
    router.message.register(orgs, Command("orgs"))
    router.callback_query.register(on_choice, OrgChoice.filter(F.command == COMMAND))
    return router
