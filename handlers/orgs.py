"""/orgs [name]: organisations below the person's own, with who has joined and who has not;
a name that fits several organisations is answered with a button for each."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.access import Person
from bot.render.telegram import render_rosters
from bot.render.texts import Texts
from bot.services.organisations import NotOneOrganisation, OrganisationService
from bot.services.snapshots import Snapshots
from handlers.org_choice import OrgChoice, choice, pressed
from handlers.replies import answer_long

COMMAND = "o"


async def not_one(
    message: Message,
    command: str,
    found: NotOneOrganisation,
    t: Texts,
    snapshots: Snapshots,
    *,
    none: str,
) -> None:
    """A name that fits no organisation (the text `none` says so) or several (a button for
    each; the press does `command` for that one)."""
    if not found.matches:
        await message.answer(t(none, query=found.query, name=found.query))
        return
    text, keyboard = choice(
        command,
        found.query,
        found.matches,
        await snapshots.tree(),
        await snapshots.organisation_ids(),
        t,
    )
    await message.answer(text, reply_markup=keyboard)


async def orgs(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    organisations: OrganisationService,
    snapshots: Snapshots,
) -> None:
    query = (command.args or "").strip() or None
    rosters = await organisations.roster(person, query)
    if isinstance(rosters, NotOneOrganisation):
        await not_one(message, COMMAND, rosters, t, snapshots, none="invite.unknown_org")
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
    if isinstance(rosters, NotOneOrganisation):  # renamed since: as if typed
        await not_one(found[0], COMMAND, rosters, t, snapshots, none="invite.unknown_org")
        return
    await answer_long(found[0], render_rosters(rosters, t), t)


def make_router() -> Router:
    router = Router(name="orgs")
    router.message.register(orgs, Command("orgs"))
    router.callback_query.register(on_choice, OrgChoice.filter(F.command == COMMAND))
    return router
