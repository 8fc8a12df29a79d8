"""What every update passes through before a handler: once-only, and who is writing.

Both channels feed the same dispatcher. Telegram's updates come as they are; another
channel's front end (bot/channels/max) passes `event_key=EventKey(channel, key)` to
`feed_update`: the ledger knows the event by that key, handlers get `channel` in their data,
and the person is identified in that channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, TelegramObject, Update, User

from bot.channels.message_ids import ref_of
from bot.domain.channels import TELEGRAM, EventKey
from bot.render.texts import texts_for
from bot.services.people import PeopleService
from bot.services.updates import UpdateLedger

# The update being handled and the key its channel gave it (set by OncePerUpdate).
_HANDLING: ContextVar[tuple[Update, EventKey] | None] = ContextVar("handling", default=None)
EVENT_KEY = "event_key"  # workflow data: the key a channel's front end passes to feed_update
CHANNEL = "channel"  # workflow data: the channel the update came from


def event_of(update: Update) -> EventKey:
    """How the ledger knows an update: the key its channel passed in (`event_key=`), else
    Telegram's update id."""
    handling = _HANDLING.get()
    if handling is not None and handling[0] is update:
        return handling[1]
    return EventKey.telegram(update.update_id)


def channel_of(data: dict[str, Any]) -> str:
    """The channel an update came from, as the middleware data says (Telegram by default)."""
    channel = data.get(CHANNEL)
    if isinstance(channel, str):
        return channel
    key = data.get(EVENT_KEY)
    return key.channel if isinstance(key, EventKey) else TELEGRAM


def message_ref(message: Message) -> int | str:
    """The channel's own id of a message: Telegram's integer, or the string id (a MAX `mid`)
    that stands behind the integer aiogram was given (bot/channels/message_ids.py)."""
    return ref_of(message.message_id) or message.message_id


class OncePerUpdate(BaseMiddleware):
    """An update Telegram delivers again (after a restart, a webhook retry) is handled once.

    The id is checked before handling and noted after the handler finished, so an update
    that failed half-way is handled again on redelivery instead of being lost. With a
    webhook, the answer confirms the update, so the ledger is written before answering.
    """

    def __init__(self, ledger: UpdateLedger, *, write_each: bool = False) -> None:
        self.ledger = ledger
        self.write_each = write_each

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        given = data.get(EVENT_KEY)
        key = given if isinstance(given, EventKey) else EventKey.telegram(event.update_id)
        data[EVENT_KEY] = key
        data[CHANNEL] = key.channel
        token = _HANDLING.set((event, key))
        try:
            async with self.ledger.handling(key) as first_time:
                result = await handler(event, data) if first_time else None
        finally:
            _HANDLING.reset(token)
        if first_time and self.write_each:
            await self.ledger.flush()
        return result


class WriteLedgerBeforeGetUpdates(BaseRequestMiddleware):
    """With polling, the next getUpdates confirms what was handled: the ledger must be on
    disk first. One write per batch of updates, not one per update."""

    def __init__(self, ledger: UpdateLedger) -> None:
        self.ledger = ledger

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:
            await self.ledger.flush()
        return await make_request(bot, method)


class KnowThePerson(BaseMiddleware):
    """Injects `person` (remembered, with their roles) and `t` (texts in their language).

    An outer middleware of the update, so the error handler sees them too.
    """

    def __init__(self, people: PeopleService, default_language: str) -> None:
        self.people = people
        self.default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        channel = channel_of(data)
        chat: Chat | None = data.get("event_chat")
        # A MAX dialog has a chat id of its own (Telegram's private chat is the user id).
        private = chat is not None and chat.type == "private"
        dialog = chat.id if channel != TELEGRAM and chat is not None and private else None
        private_chat = {} if dialog is None else {"chat_id": dialog}
        person = await self.people.identify(
            channel, user.id, user.full_name, user.username, user.language_code, **private_chat
        )
        data["person"] = person
        data["t"] = texts_for(user.language_code, self.default_language)
        return await handler(event, data)
