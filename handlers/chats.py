"""/bind in a group: an admin makes the group a reminder target for a responsible party."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.access import Action, Person
from bot.domain.channels import TELEGRAM
from bot.render.texts import Texts
from bot.services.clock import Clock
from bot.services.parties import PartyService
from bot.services.people import Forbidden
from handlers.callbacks import BindParty
from handlers.filters import PRIVATE


async def bind_in_private(message: Message, t: Texts) -> None:
    await message.answer(t("bind.private"))


async def bind(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    parties: PartyService,
    clock: Clock,
    channel: str = TELEGRAM,
) -> None:
    """`/bind`: choose a party by button; `/bind <organisation>`: bind to that organisation."""
    if not person.is_admin:
        raise Forbidden(Action.BIND_CHAT)
    if command.args and command.args.strip():
        chat = message.chat
        name, new = await parties.bind_chat_to_organisation(
            person, chat.id, chat.title, command.args.strip(), clock.now(), channel=channel
        )
        key = "bind.ok" if new else "bind.already"
        await message.answer(t(key, title=chat.title or str(chat.id), target=name))
        return
    builder = InlineKeyboardBuilder()
    for view in await parties.overview(person):
        builder.button(text=view.name[:60], callback_data=BindParty(index=view.index))
    builder.adjust(1)
    await message.answer(t("bind.ask"), reply_markup=builder.as_markup())


async def bind_party(
    query: CallbackQuery,
    callback_data: BindParty,
    person: Person,
    t: Texts,
    parties: PartyService,
    clock: Clock,
    channel: str = TELEGRAM,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    chat = query.message.chat
    name, new = await parties.bind_chat(
        person, chat.id, chat.title, callback_data.index, clock.now(), channel=channel
    )
    key = "bind.ok" if new else "bind.already"
    await query.message.answer(t(key, title=chat.title or str(chat.id), target=name))


def make_router() -> Router:
    router = Router(name="chats")
    router.message.register(bind_in_private, Command("bind"), PRIVATE)
    router.message.register(bind, Command("bind"))
    router.callback_query.register(bind_party, BindParty.filter())
    return router
