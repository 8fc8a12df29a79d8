"""Reminder digests as Telegram messages: composed when the sender takes them from the outbox."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.sender import Compose, Composed
from bot.domain.reminders import Reason
from bot.render.telegram import render_digest
from bot.render.texts import Texts
from bot.services.reminders import Digest, DigestReader
from handlers.callbacks import ShareAction, TaskAction, TaskPage
from handlers.middlewares import texts_for
from storage.outbox import OutboxRow

MAX_BUTTONS = 100  # Telegram's limit for one inline keyboard
# Two buttons (✅, 📄) for every task a digest shows, and one for the full list.
MAX_TASKS = (MAX_BUTTONS - 1) // 2


def digest_composer(reader: DigestReader, default_language: str) -> Compose:
    """The sender's `compose`: the digest as it stands now, or None if nothing is left.

    The sender sends one message per outbox row, so a digest too long for one message (or with
    more tasks than a keyboard holds buttons for) shows its most urgent lines, says how many
    more there are and adds a button to the person's own task list: every task shown has its
    buttons, and nothing is cut silently."""

    async def compose(row: OutboxRow) -> Composed | None:
        digest = await reader.current(row.payload)
        if digest is None:
            return None
        t = texts_for(digest.language, default_language)
        message = render_digest(digest, t, max_tasks=MAX_TASKS)
        rows = [
            [*_done_button(digest, task_id, number, t), _card_button(task_id, number, t)]
            for task_id, number in message.tasks
        ]
        if message.rest:
            rows.append(
                [
                    InlineKeyboardButton(
                        text=t("button.full_list"),
                        callback_data=TaskPage(page=0, f="mine").pack(),
                    )
                ]
            )
        markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        return Composed(message.text, markup)

    return compose


def _done_button(digest: Digest, task_id: int, number: str, t: Texts) -> list[InlineKeyboardButton]:
    """✅ marks the reader's own share of what the digest said: the occurrence it was about for
    a recurring task (pressed next week it still means that one), none on an escalation (the
    schools below are to mark theirs; the card shows them)."""
    reasons = [line for line in digest.lines if line.task_id == task_id]
    if all(line.reason is Reason.ESCALATION for line in reasons):
        return []
    occurrence = next((line.day for line in reasons if line.reason is Reason.OCCURRENCE), None)
    data = (
        ShareAction(action="qd", task_id=task_id, day=occurrence.toordinal()).pack()
        if occurrence is not None
        else TaskAction(action="qd", task_id=task_id).pack()
    )
    return [InlineKeyboardButton(text=t("button.quick_done", number=number), callback_data=data)]


def _card_button(task_id: int, number: str, t: Texts) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t("button.open_card", number=number),
        callback_data=TaskAction(action="open", task_id=task_id).pack(),
    )
