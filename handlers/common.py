"""/start (with or without an invite token), /help, /whoami, /cancel."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.domain.access import Person
from bot.render.telegram import render_help, render_whoami, scope_text
from bot.render.texts import Texts
from bot.services.people import InviteRefused, PeopleService
from handlers.filters import PRIVATE
from handlers.menus import MenuPublisher


async def start_with_invite(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    people: PeopleService,
    menus: MenuPublisher,
    bot: Bot,
) -> None:
    await people.reachable_again(person)
    try:
        joined = await people.redeem(person, command.args or "")
    except InviteRefused as refused:
        await message.answer(t(f"invite.{refused.problem.value}"))
        return
    role = t(f"role.{joined.binding.role.value}")
    scope = scope_text(joined.binding, t)
    greeting = t("bot.joined" if joined.new else "bot.already", role=role, scope=scope)
    await message.answer(f"{greeting}\n\n{render_help(joined.person, t)}")
    await menus.publish(bot, joined.person)


async def start(message: Message, person: Person, t: Texts, people: PeopleService) -> None:
    await people.reachable_again(person)  # /start after unblocking the bot
    await message.answer(render_help(person, t))


async def help_(message: Message, person: Person, t: Texts) -> None:
    await message.answer(render_help(person, t))


async def whoami(message: Message, person: Person, t: Texts) -> None:
    await message.answer(render_whoami(person, t))


async def cancel(message: Message, t: Texts, state: FSMContext) -> None:
    had_something = await state.get_state() is not None
    await state.clear()
    await message.answer(t("cancel.done" if had_something else "cancel.nothing"))


def make_router() -> Router:
    router = Router(name="common")
    router.message.register(start_with_invite, CommandStart(deep_link=True), PRIVATE)
    router.message.register(start, CommandStart(), PRIVATE)
    router.message.register(help_, Command("help"))
    router.message.register(whoami, Command("whoami"))
    router.message.register(cancel, Command("cancel"))
    return router
