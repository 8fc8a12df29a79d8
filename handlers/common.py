"""/start (with or without an invite token), /help, /whoami, /cancel, /delete_me."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.access import Person
from bot.render.telegram import (
    render_channel_offers,
    render_help,
    render_linked,
    render_welcome,
    render_whoami,
    scope_text,
)
from bot.render.texts import Texts
from bot.services.collection import QuestionPlanner
from bot.services.invites import BotNames, here_of, other_channel_links
from bot.services.people import InviteRefused, Linked, PeopleService, TooManyGuesses
from bot.services.reports import ReportService
from bot.services.welcome import welcome_plan
from handlers.callbacks import DeleteMe
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
    reports: ReportService,
    questions: QuestionPlanner,
    bot_names: BotNames,
) -> None:
    await people.reachable_again(person)
    try:
        joined = await people.redeem(person, command.args or "")
    except TooManyGuesses as throttled:
        seconds = max(1, int(throttled.retry_after.total_seconds() + 0.999))
        await message.answer(t("invite.throttled", seconds=seconds))
        return
    except InviteRefused as refused:  # a personal link's refusal names its messenger
        await message.answer(t(refused.key, **refused.values))
        return
    if isinstance(joined, Linked):  # a personal link: known in this messenger too now
        await message.answer(render_linked(joined, t))
        await menus.publish(bot, joined.person)
        return
    role = t(f"role.{joined.binding.role.value}")
    scope = scope_text(joined.binding, t)
    greeting = t("bot.joined" if joined.new else "bot.already", role=role, scope=scope)
    plan = await welcome_plan(joined.binding, reports, questions.settings.hour)
    text = f"{greeting}\n\n{render_welcome(plan, t)}\n\n{render_help(joined.person, t)}"
    offers = await _other_channels(joined.person, t, people, bot_names, bot)
    await message.answer(f"{text}\n\n{offers}" if offers else text)
    await menus.publish(bot, joined.person)  # the menu now, not after the next restart


async def _other_channels(
    person: Person, t: Texts, people: PeopleService, names: BotNames, bot: Bot
) -> str:
    """Personal links to the other messengers the bot speaks in where the person is not known
    yet ("" when there are none: one messenger configured, or known in every one)."""
    here = here_of(person)
    if not person.known or all(channel == here for channel in names.channels):
        return ""
    names.know(here, (await bot.me()).username or "")
    return render_channel_offers(await other_channel_links(people, names, person, here=here), t)


async def start(
    message: Message,
    person: Person,
    t: Texts,
    people: PeopleService,
    menus: MenuPublisher,
    bot: Bot,
    bot_names: BotNames,
) -> None:
    await people.reachable_again(person)  # /start after unblocking the bot
    text = render_help(person, t)
    # Someone who joined: a fresh personal link for each other messenger (one sent before
    # may have expired or been lost).
    offers = await _other_channels(person, t, people, bot_names, bot)
    await message.answer(f"{text}\n\n{offers}" if offers else text)
    if person.known:  # an admin from ADMIN_IDS meets the bot: their menu at once
        await menus.publish(bot, person)


async def help_(message: Message, person: Person, t: Texts) -> None:
    await message.answer(render_help(person, t))


async def whoami(message: Message, person: Person, t: Texts) -> None:
    await message.answer(render_whoami(person, t))


async def cancel(message: Message, t: Texts, state: FSMContext) -> None:
    had_something = await state.get_state() is not None
    await state.clear()
    await message.answer(t("cancel.done" if had_something else "cancel.nothing"))


async def delete_me(message: Message, person: Person, t: Texts) -> None:
    """Asks first: erasing cannot be undone."""
    if not person.known:
        await message.answer(t("delete_me.nothing"))
        return
    builder = InlineKeyboardBuilder()
    builder.button(text=t("button.delete_me"), callback_data=DeleteMe(sure=True))
    builder.button(text=t("button.keep_me"), callback_data=DeleteMe(sure=False))
    await message.answer(t("delete_me.ask"), reply_markup=builder.as_markup())


async def pressed_delete_me(
    query: CallbackQuery, callback_data: DeleteMe, person: Person, t: Texts, people: PeopleService
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not callback_data.sure:
        await query.message.answer(t("delete_me.kept"))
        return
    forgotten = await people.forget(person, person.id)
    await query.message.answer(t("delete_me.done" if forgotten else "delete_me.nothing"))


def make_router() -> Router:
    router = Router(name="common")
    router.message.register(start_with_invite, CommandStart(deep_link=True), PRIVATE)
    router.message.register(start, CommandStart(), PRIVATE)
    router.message.register(help_, Command("help"))
    router.message.register(whoami, Command("whoami"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(delete_me, Command("delete_me"), PRIVATE)
    router.callback_query.register(pressed_delete_me, DeleteMe.filter())
    return router
