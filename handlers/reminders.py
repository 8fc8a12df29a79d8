"""Reminder digests as Telegram messages: composed when the sender takes them from the outbox,
and their «📋 список» buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import actions
from bot.delivery.sender import Compose
from bot.domain.access import Person
from bot.domain.reminders import Reason
from bot.messages import Button, Outgoing
from bot.render.report import short
from bot.render.telegram import MAX_BUTTONS, DigestMessage, render_digest
from bot.render.texts import Texts
from bot.services.reminders import DigestLine, DigestReader, LateBelow
from bot.services.tasks import TaskService
from handlers.callbacks import DigestList
from handlers.middlewares import texts_for
from storage.outbox import OutboxRow

__all__ = ["MAX_BUTTONS", "digest_composer", "make_router"]

PER_PAGE = 20  # organisations on a page of a «📋 список»


def digest_composer(reader: DigestReader, default_language: str) -> Compose:
    """The sender's `compose`: the digest as it stands now, or None if nothing is left.

    The sender sends one message per outbox row, so a digest too long for one message (or with
    more tasks than a keyboard holds buttons for) shows its most urgent tasks, says how many
    more there are and adds a button to the person's task list: every task shown has its
    buttons, every task is either shown or counted, and the closing hint is always there."""

    async def compose(row: OutboxRow) -> Outgoing | None:
        digest = await reader.current(row.payload)
        if digest is None:
            return None
        t = texts_for(digest.language, default_language)
        message = render_digest(digest, t, max_buttons=MAX_BUTTONS)
        rows = [_task_row(line, t) for line in message.shown]
        if message.rest:
            rows.append(
                [
                    Button(
                        t("button.full_list"),
                        data=actions.TaskPage(page=0, f=_rest_filter(message)).pack(),
                    )
                ]
            )
        return Outgoing(message.text, tuple(tuple(row) for row in rows))

    return compose


def _rest_filter(message: DigestMessage) -> str:
    """The task list that holds what the digest left out: the person's own tasks, the overdue
    ones when only subordinates' late tasks were left out, or all of them."""
    if all(line.own and not line.escalated for line in message.hidden):
        return "mine"
    if all(line.reason is Reason.ESCALATION for line in message.hidden):
        return "overdue"
    return "all"


def _task_row(line: DigestLine, t: Texts) -> list[Button]:
    """✅ marks the reader's own share of what the digest said: the occurrence it was about for
    a recurring task (pressed next week it still means that one), none on an escalation alone
    (the organisations below are to mark theirs); 📄 opens the card; 📋 lists who is late below
    them."""
    row = []
    if line.own:
        occurrence = line.day if line.reason is Reason.OCCURRENCE else line.occurrence
        data = (
            actions.ShareAction(
                action="qd", task_id=line.task_id, day=occurrence.toordinal()
            ).pack()
            if occurrence is not None
            else actions.TaskAction(action="qd", task_id=line.task_id).pack()
        )
        row.append(Button(t("button.quick_done", number=line.number), data=data))
    row.append(
        Button(
            t("button.open_card", number=line.number),
            data=actions.TaskAction(action="open", task_id=line.task_id).pack(),
        )
    )
    if line.escalated:
        row.append(
            Button(
                t("button.digest_list", number=line.number),
                data=actions.DigestList(task_id=line.task_id).pack(),
            )
        )
    return row


def render_late_list(found: LateBelow, page: int, t: Texts) -> tuple[str, int, int]:
    """A page of the late organisations below: the text, the page shown and the pages."""
    task = found.task
    if not found.late:
        return t("digest.list.none", number=task.number), 0, 1
    pages = -(-len(found.late) // PER_PAGE)
    page = min(max(page, 0), pages - 1)
    among = t.count("of_org", found.owed)
    header = t(
        "digest.list.header",
        number=task.number,
        title=short(task.title, 80),
        late=len(found.late),
        among=among,
    )
    lines = [header]
    if pages > 1:
        lines.append(t("digest.list.page", page=page + 1, pages=pages))
    first = page * PER_PAGE
    lines += [
        t("digest.list.item", index=first + n + 1, name=short(name, 150))
        for n, name in enumerate(found.late[first : first + PER_PAGE])
    ]
    return "\n".join(lines), page, pages


async def late_list(
    query: CallbackQuery, callback_data: DigestList, person: Person, t: Texts, tasks: TaskService
) -> None:
    """«📋 список»: a new message under the digest; its ◀️ ▶️ turn its pages in place. Only the
    person's reach is listed, and a task outside it is refused (errors.py says so)."""
    await query.answer()
    reader = DigestReader(tasks.snapshots, tasks.shares)
    found = await reader.late_below(person, callback_data.task_id)
    text, page, pages = render_late_list(found, callback_data.page, t)
    navigation = []
    if page > 0:
        navigation.append(
            InlineKeyboardButton(
                text=t("button.previous"),
                callback_data=DigestList(
                    task_id=callback_data.task_id, page=page - 1, edit=1
                ).pack(),
            )
        )
    if page < pages - 1:
        navigation.append(
            InlineKeyboardButton(
                text=t("button.next"),
                callback_data=DigestList(
                    task_id=callback_data.task_id, page=page + 1, edit=1
                ).pack(),
            )
        )
    markup = InlineKeyboardMarkup(inline_keyboard=[navigation]) if navigation else None
    if not isinstance(query.message, Message):
        return
    if callback_data.edit:
        await query.message.edit_text(text, reply_markup=markup)
    else:
        await query.message.answer(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="reminders")
    router.callback_query.register(late_list, DigestList.filter())
    return router
