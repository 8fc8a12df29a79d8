"""Each person's command menu shows their own commands (`setMyCommands` per chat).

A messenger with one menu for everyone (MAX: ``PATCH /me/commands``, no scopes, at most 32)
gets ``publish_shared``: every command, in the bot's language; /help tells each person which
are theirs. A menu of /help alone, as strangers see in Telegram, would hide every command from
the people who have joined, and they are the ones who use the bot."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.domain.access import Person
from bot.domain.channels import TELEGRAM
from bot.render.telegram import commands_for, every_command
from bot.render.texts import MESSAGES, Texts

log = logging.getLogger(__name__)


def _commands(names: list[str], t: Texts) -> list[BotCommand]:
    return [BotCommand(command=name, description=_description(name, t)) for name in names]


def _description(name: str, t: Texts) -> str:
    # "/status — дорожная карта: ..." -> "дорожная карта: ..." (menus show the command already)
    text = MESSAGES[t.language][f"help.{name}"]
    return text.split(" — ", 1)[-1][:256]


class MenuPublisher:
    def __init__(self, default_language: str) -> None:
        self.default = Texts("en" if default_language == "en" else "ru")

    async def publish_defaults(self, bot: Bot) -> None:
        """What strangers see: /start is implied, /help explains how to join."""
        for language, code in ((self.default, None), (Texts("en"), "en")):
            await bot.set_my_commands(
                _commands(["help"], language), scope=BotCommandScopeDefault(), language_code=code
            )

    async def publish_shared(self, bot: Bot) -> None:
        """The one menu of a messenger without scopes (see the module); a failure only costs
        the menu."""
        try:
            await bot.set_my_commands(_commands(every_command(), self.default))
        except TelegramAPIError as error:
            log.warning("could not set the bot's menu: %s", error)

    async def publish(self, bot: Bot, person: Person) -> None:
        """A person's own menu, in their language; a failure only costs the menu."""
        t = Texts("en") if (person.language or "").startswith("en") else self.default
        chat = person.address_in(TELEGRAM)
        if chat is None:  # not in Telegram: no Telegram menu to set
            return
        try:
            await bot.set_my_commands(
                _commands(commands_for(person), t),
                scope=BotCommandScopeChat(chat_id=chat.chat_id),
            )
        except TelegramAPIError as error:
            log.warning("could not set the menu of person %s: %s", person.id, error)
