"""A reminder digest's «📋 список» buttons: the late organisations below, page by page. (The
digest itself is composed for the sender in bot/render/outbox.py.)"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.domain.access import Person
from bot.render.report import short
from bot.render.texts import Texts
from bot.services.reminders import DigestReader, LateBelow
from bot.services.tasks import TaskService
from handlers.callbacks import DigestList

PER_PAGE = 20  # organisations on a page of a «📋 список»


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
