"""Sending a reply that may be longer than one Telegram message."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, Message

from bot.render.telegram import split_message


async def answer_long(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send `text` in as many messages as it takes; buttons go under the last one."""
    parts = split_message(text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.answer(part, reply_markup=reply_markup if last else None)
