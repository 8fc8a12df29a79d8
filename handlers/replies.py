"""Sending a reply that may be longer than one Telegram message, and saying an `Outgoing`
(a channel-neutral message, maybe with a file) in Telegram."""

from __future__ import annotations

from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.messages import Outgoing
from bot.render.telegram import MESSAGE_LIMIT, split_message
from bot.render.texts import Texts

MAX_PARTS = 3  # a reply is at most this many messages; the rest is counted, not sent


async def answer_long(
    message: Message, text: str, t: Texts, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send `text` in as many messages as it takes, MAX_PARTS at most (the last then says
    how many lines were left out); buttons go under the last one."""
    parts = split_message(text)
    if len(parts) > MAX_PARTS:
        kept = split_message(text, MESSAGE_LIMIT - 200)[:MAX_PARTS]
        left = text.count("\n") + 1 - sum(part.count("\n") + 1 for part in kept)
        kept[-1] += "\n\n" + t("reply.cut", lines=t.count("line", left))
        parts = kept
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.answer(part, reply_markup=reply_markup if last else None)


async def send(
    message: Message, outgoing: Outgoing, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Say `outgoing` in the chat of `message`: its text, or its attachment with the text as
    the caption (none when the text is empty)."""
    attachment = outgoing.attachment
    if attachment is None:
        await message.answer(outgoing.text, reply_markup=reply_markup)
        return
    file = BufferedInputFile(attachment.content, filename=attachment.filename)
    caption = outgoing.text or None
    if attachment.kind == "photo":
        await message.answer_photo(file, caption=caption, reply_markup=reply_markup)
    else:
        await message.answer_document(file, caption=caption, reply_markup=reply_markup)
