"""Organisations' shares of a task: /done, /reopen, /excuse and the share buttons of a card
(mark all after a confirmation, the list of those not done, mark one, remind them).

Thin: who may mark what, and what a mark changes, is decided by the services on every call —
a forged button is refused there like any other."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.access import Action, Person
from bot.domain.model import Task
from bot.domain.shares import MarkState
from bot.render.shares import render_mark_outcome, render_unsettled
from bot.render.texts import Texts
from bot.services.people import Forbidden
from bot.services.tasks import TaskService
from handlers.callbacks import ShareAction, TaskAction
from handlers.tasks import MAX_NUMBER

PER_PAGE = 10
MAX_NAME = 300  # an organisation's name; longer is not one
EVERYONE = frozenset({"все", "всем", "всех", "all", "everyone"})
_DASHES = (" — ", " – ", " - ", ": ")


def _zone(tasks: TaskService) -> ZoneInfo:
    return ZoneInfo(tasks.timezone)


async def _one_task(
    message: Message, person: Person, t: Texts, tasks: TaskService, number: str
) -> Task | None:
    found = await tasks.find(person, number)
    if not found:
        await message.answer(t("task.not_found", number=number))
        return None
    if len(found) > 1:
        builder = InlineKeyboardBuilder()
        for task in found:
            builder.button(
                text=f"№ {task.number}: {task.title[:48]}",
                callback_data=TaskAction(action="open", task_id=task.id or 0),
            )
        builder.adjust(1)
        await message.answer(t("task.which", number=number), reply_markup=builder.as_markup())
        return None
    return found[0]


async def mark_command(
    message: Message, command: CommandObject, person: Person, t: Texts, tasks: TaskService
) -> None:
    """/done N [organisation], /reopen N [organisation], /excuse N organisation — reason."""
    name = command.command
    state = {"done": MarkState.DONE, "reopen": MarkState.OPEN, "excuse": MarkState.EXCUSED}[name]
    args = (command.args or "").strip()
    number, _, rest = args.partition(" ")
    number = number.lstrip("№").strip()
    reason = None
    if state is MarkState.EXCUSED:
        for dash in _DASHES:
            if dash in rest:
                rest, reason = (part.strip() for part in rest.split(dash, 1))
                break
    if (
        not number
        or len(number) > MAX_NUMBER
        or len(rest) > MAX_NAME
        or (state is MarkState.EXCUSED and not (rest.strip() and reason))
    ):
        usage = "shares.usage_excuse" if state is MarkState.EXCUSED else "shares.usage"
        await message.answer(t(usage, command=name))
        return
    task = await _one_task(message, person, t, tasks, number)
    if task is None or task.id is None:
        return
    if rest.strip().casefold() in EVERYONE and state is not MarkState.EXCUSED:
        await _confirm_everyone(message, person, t, tasks, task.id, state)
        return
    organisation = await tasks.owing_named(person, task.id, rest) if rest.strip() else None
    outcome = await tasks.mark(person, task.id, state, organisation=organisation, note=reason)
    if state is MarkState.EXCUSED and outcome.changed:
        await message.answer(
            t(
                "shares.excused_for",
                organisation=", ".join(outcome.changed),
                number=task.number,
                reason=reason or "",
            )
        )
        return
    await message.answer(render_mark_outcome(outcome, t, _zone(tasks)))


async def ask_all(
    query: CallbackQuery, callback_data: ShareAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    """«Отметить всех»: say how many first; nothing is marked before the confirmation."""
    await query.answer()
    if isinstance(query.message, Message):
        await _confirm_everyone(
            query.message, person, t, tasks, callback_data.task_id, MarkState.DONE
        )


async def _confirm_everyone(
    message: Message, person: Person, t: Texts, tasks: TaskService, task_id: int, state: MarkState
) -> None:
    """Marking (or reopening) every organisation of one's reach asks first, with the number."""
    card = await tasks.card(person, task_id)
    shares = card.shares
    if shares is None or shares.counts is None or (not shares.may_mark_all and shares.unsettled):
        raise Forbidden(Action.MARK_DONE)
    if state is MarkState.DONE:
        count, ask, confirm, act = (
            len(shares.unsettled),
            "shares.confirm_all",
            "button.confirm_all",
            "ok",
        )
    else:
        count, ask, confirm, act = (
            shares.counts.settled,
            "shares.confirm_reopen_all",
            "button.confirm_reopen_all",
            "rok",
        )
    if not count:
        await message.answer(t("shares.nothing_changed", number=card.task.number))
        return
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(confirm, count=count),
                    callback_data=ShareAction(action=act, task_id=task_id).pack(),
                ),
                InlineKeyboardButton(
                    text=t("button.cancel"),
                    callback_data=ShareAction(action="no", task_id=task_id).pack(),
                ),
            ]
        ]
    )
    await message.answer(t(ask, number=card.task.number, count=count), reply_markup=keyboard)


async def confirm_all(
    query: CallbackQuery, callback_data: ShareAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    if callback_data.action == "rok":
        outcome = await tasks.reopen(person, callback_data.task_id, everyone=True)
    else:
        outcome = await tasks.mark_done(person, callback_data.task_id, everyone=True)
    await _edit(query, render_mark_outcome(outcome, t, _zone(tasks)))


async def cancel_all(query: CallbackQuery, t: Texts) -> None:
    await query.answer()
    await _edit(query, t("shares.cancelled"))


async def list_unsettled(
    query: CallbackQuery, callback_data: ShareAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    await _show_unsettled(query, callback_data.task_id, callback_data.page, person, t, tasks)


async def _show_unsettled(
    query: CallbackQuery, task_id: int, page: int, person: Person, t: Texts, tasks: TaskService
) -> None:
    card = await tasks.card(person, task_id)
    names = card.shares.unsettled if card.shares else ()
    pages = max(1, -(-len(names) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    text = render_unsettled(names, page, PER_PAGE, t)
    ids = await tasks.snapshots.organisation_ids()
    builder = InlineKeyboardBuilder()
    if card.shares is not None and card.shares.may_mark_all:
        for name in names[page * PER_PAGE : (page + 1) * PER_PAGE]:
            builder.button(
                text=t("button.mark_one", name=name[:40]),
                callback_data=ShareAction(action="one", task_id=task_id, org=ids[name], page=page),
            )
        builder.adjust(1)
    navigation = InlineKeyboardBuilder()
    if page > 0:
        navigation.button(
            text=t("button.previous"),
            callback_data=ShareAction(action="list", task_id=task_id, page=page - 1),
        )
    if page < pages - 1:
        navigation.button(
            text=t("button.next"),
            callback_data=ShareAction(action="list", task_id=task_id, page=page + 1),
        )
    builder.attach(navigation)
    await _edit(query, text, builder.as_markup())


async def mark_one(
    query: CallbackQuery, callback_data: ShareAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    names = {org_id: name for name, org_id in (await tasks.snapshots.organisation_ids()).items()}
    organisation = names.get(callback_data.org, f"#{callback_data.org}")
    outcome = await tasks.mark_done(person, callback_data.task_id, organisation=organisation)
    if isinstance(query.message, Message):
        await query.message.answer(render_mark_outcome(outcome, t, _zone(tasks)))
    await _show_unsettled(query, callback_data.task_id, callback_data.page, person, t, tasks)


async def remind(
    query: CallbackQuery, callback_data: ShareAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    count = await tasks.remind_unsettled(person, callback_data.task_id)
    await _reply(query, t("shares.reminded", count=count))


async def quick_done(
    query: CallbackQuery, callback_data: ShareAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    """A digest's ✅: the share of the occurrence the digest was about; pressed again (or
    after someone else marked it) it says who did it and when, and does nothing."""
    await query.answer()
    occurrence = date.fromordinal(callback_data.day) if callback_data.day else None
    outcome = await tasks.mark(
        person,
        callback_data.task_id,
        MarkState.DONE,
        occurrence=occurrence,
        explicit_occurrence=True,
    )
    await _reply(query, render_mark_outcome(outcome, t, _zone(tasks)))


async def _reply(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup)


async def _edit(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="shares")
    router.message.register(mark_command, Command("done", "reopen", "excuse"))
    router.callback_query.register(ask_all, ShareAction.filter(F.action == "all"))
    router.callback_query.register(confirm_all, ShareAction.filter(F.action.in_({"ok", "rok"})))
    router.callback_query.register(cancel_all, ShareAction.filter(F.action == "no"))
    router.callback_query.register(list_unsettled, ShareAction.filter(F.action == "list"))
    router.callback_query.register(mark_one, ShareAction.filter(F.action == "one"))
    router.callback_query.register(remind, ShareAction.filter(F.action == "rm"))
    router.callback_query.register(quick_done, ShareAction.filter(F.action == "qd"))
    return router
