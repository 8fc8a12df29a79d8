"""Reminder digests as Telegram messages: composed when the sender takes them from the outbox."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.sender import Compose, Composed
from bot.render.telegram import render_digest, split_message
from bot.services.reminders import DigestReader
from handlers.callbacks import TaskAction
from handlers.middlewares import texts_for
from storage.outbox import OutboxRow

MAX_BUTTONS = 8


def digest_composer(reader: DigestReader, default_language: str) -> Compose:
    """The sender's `compose`: the digest as it stands now, or None if nothing is left."""

    async def compose(row: OutboxRow) -> Composed | None:
        digest = await reader.current(row.payload)
        if digest is None:
            return None
        t = texts_for(digest.language, default_language)
        numbers = dict.fromkeys((line.task_id, line.number) for line in digest.lines)
        rows = [
            [
                InlineKeyboardButton(
                    text=t("button.quick_done", number=number),
                    callback_data=TaskAction(action="qd", task_id=task_id).pack(),
                ),
                InlineKeyboardButton(
                    text=t("button.open_card", number=number),
                    callback_data=TaskAction(action="open", task_id=task_id).pack(),
                ),
            ]
            for task_id, number in list(numbers)[:MAX_BUTTONS]
        ]
        markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        return Composed(split_message(render_digest(digest, t))[0], markup)

    return compose
