"""What every update passes through before a handler: once-only, and who is writing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update, User

from bot.domain.channels import TELEGRAM, EventKey
from bot.render.texts import Texts
from bot.services.people import PeopleService
from bot.services.updates import UpdateLedger


def event_of(update: Update) -> EventKey:
    """How the ledger knows a Telegram update: by its update id."""
    return EventKey.telegram(update.update_id)


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
        async with self.ledger.handling(event_of(event)) as first_time:
            result = await handler(event, data) if first_time else None
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
        person = await self.people.identify(
            TELEGRAM, user.id, user.full_name, user.username, user.language_code
        )
        data["person"] = person
        data["t"] = texts_for(user.language_code, self.default_language)
        return await handler(event, data)


_TEXTS = {"ru": Texts("ru", html=True), "en": Texts("en", html=True)}


def texts_for(language_code: str | None, default: str) -> Texts:
    """English for people whose Telegram speaks English, else the bot's language."""
    if language_code and language_code.lower().startswith("en"):
        return _TEXTS["en"]
    return _TEXTS["en" if default == "en" else "ru"]
