"""/tasks, /mytasks, /task N and the buttons on task cards."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.access import Action, Person
from bot.domain.model import Task
from bot.domain.status import Standing
from bot.render.report import short
from bot.render.shares import render_mark_outcome
from bot.render.telegram import render_card, render_task_page, split_message
from bot.render.texts import Texts
from bot.services.people import Forbidden
from bot.services.tasks import (
    DateInThePast,
    DeadlineInDocument,
    Scope,
    TaskCard,
    TaskService,
    UnreadDate,
    filter_tasks,
)
from handlers.callbacks import ShareAction, TaskAction, TaskPage
from handlers.filters import TEXT
from handlers.middlewares import event_of
from handlers.replies import answer_long

MAX_NUMBER = 16  # "11.2.3": a longer "number" is not one, and would not fit in a reply
FILTERS = ("all", "mine", "overdue", "open", "done")
STANDINGS = {"overdue": Standing.OVERDUE, "open": Standing.OPEN, "done": Standing.DONE}


class Commenting(StatesGroup):
    text = State()


class Agreeing(StatesGroup):
    """Setting the date of a task «по согласованию»."""

    date = State()


def card_keyboard(card: TaskCard, t: Texts) -> InlineKeyboardMarkup | None:
    """Buttons for what this person may do with the task (built directly: the builder's
    copying costs more than the rest of a card)."""
    task_id = card.task.id or 0
    wanted = [
        ("done", "button.done", card.may_mark_done),
        ("reopen", "button.reopen", card.may_reopen),
        ("comment", "button.comment", card.may_comment),
        ("date", "button.agree", card.may_agree),
    ]
    buttons = [
        InlineKeyboardButton(
            text=t(label), callback_data=TaskAction(action=action, task_id=task_id).pack()
        )
        for action, label, allowed in wanted
        if allowed
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    shares = card.shares
    if shares is not None and shares.unsettled and shares.counts is not None:
        count = len(shares.unsettled)
        wide = [
            InlineKeyboardButton(
                text=t("button.unsettled", count=count),
                callback_data=ShareAction(action="list", task_id=task_id).pack(),
            ),
            InlineKeyboardButton(
                text=t("button.remind_unsettled"),
                callback_data=ShareAction(action="rm", task_id=task_id).pack(),
            ),
        ]
        rows.append(wide)
        if shares.may_mark_all:
            rows.append(
                [
                    InlineKeyboardButton(
                        text=t("button.mark_all", count=count),
                        callback_data=ShareAction(action="all", task_id=task_id).pack(),
                    )
                ]
            )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _page(
    scope: Scope, tasks: TaskService, page: int, f: str, t: Texts
) -> tuple[str, InlineKeyboardMarkup]:
    as_of = tasks.today(scope.roadmap)
    section = int(f[1:]) if f.startswith("s") and f[1:].isdigit() else None
    chosen = filter_tasks(
        scope, as_of=as_of, mine=f == "mine", section=section, standing_filter=STANDINGS.get(f)
    )
    text, pages = render_task_page(chosen, page, len(scope.tasks), as_of, t)
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    start = page * 8
    for task in chosen[start : start + 8]:
        builder.button(
            text=f"№ {task.number}", callback_data=TaskAction(action="open", task_id=task.id or 0)
        )
    builder.adjust(4)
    navigation = InlineKeyboardBuilder()
    if page > 0:
        navigation.button(text=t("button.previous"), callback_data=TaskPage(page=page - 1, f=f))
    if page < pages - 1:
        navigation.button(text=t("button.next"), callback_data=TaskPage(page=page + 1, f=f))
    builder.attach(navigation)
    filters = InlineKeyboardBuilder()
    labels = {
        "all": "button.all",
        "mine": "button.mine",
        "overdue": "button.overdue",
        "open": "button.open",
        "done": "button.done_filter",
    }
    for name in FILTERS:
        mark = "• " if name == f else ""
        filters.button(text=mark + t(labels[name]), callback_data=TaskPage(page=0, f=name))
    filters.adjust(5)
    builder.attach(filters)
    sections = InlineKeyboardBuilder()
    for index, title in enumerate(scope.sections):
        mark = "• " if f == f"s{index}" else ""
        sections.button(text=mark + short(title, 40), callback_data=TaskPage(page=0, f=f"s{index}"))
    sections.adjust(1)
    builder.attach(sections)
    return text, builder.as_markup()


async def list_tasks(message: Message, person: Person, t: Texts, tasks: TaskService) -> None:
    text, keyboard = _page(await tasks.scope(person), tasks, 0, "all", t)
    await message.answer(text, reply_markup=keyboard)


async def my_tasks(message: Message, person: Person, t: Texts, tasks: TaskService) -> None:
    text, keyboard = _page(await tasks.scope(person), tasks, 0, "mine", t)
    await message.answer(text, reply_markup=keyboard)


async def turn_page(
    query: CallbackQuery, callback_data: TaskPage, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    text, keyboard = _page(await tasks.scope(person), tasks, callback_data.page, callback_data.f, t)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=keyboard)


async def _send_card(
    message: Message, person: Person, t: Texts, tasks: TaskService, task_id: int
) -> None:
    card = await tasks.card(person, task_id)
    await answer_long(message, render_card(card, t, tasks.timezone), t, card_keyboard(card, t))


async def show_task(
    message: Message, command: CommandObject, person: Person, t: Texts, tasks: TaskService
) -> None:
    number = (command.args or "").strip().lstrip("№").strip()
    if not number or len(number) > MAX_NUMBER:
        await message.answer(t("task.usage"))
        return
    found: list[Task] = await tasks.find(person, number)
    if not found:
        await message.answer(t("task.not_found", number=number))
    elif len(found) == 1:
        await _send_card(message, person, t, tasks, found[0].id or 0)
    else:
        builder = InlineKeyboardBuilder()
        for task in found:
            builder.button(
                text=f"№ {task.number}: {short(task.title, 48)}",
                callback_data=TaskAction(action="open", task_id=task.id or 0),
            )
        builder.adjust(1)
        await message.answer(t("task.which", number=number), reply_markup=builder.as_markup())


async def open_card(
    query: CallbackQuery, callback_data: TaskAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _send_card(query.message, person, t, tasks, callback_data.task_id)


async def change_status(
    query: CallbackQuery, callback_data: TaskAction, person: Person, t: Texts, tasks: TaskService
) -> None:
    await query.answer()
    zone = ZoneInfo(tasks.timezone)
    if callback_data.action == "qd":  # from a reminder digest: say so, leave the digest be
        outcome = await tasks.mark_done(person, callback_data.task_id)
        if isinstance(query.message, Message):
            await query.message.answer(render_mark_outcome(outcome, t, zone))
        return
    if callback_data.action == "done":
        outcome = await tasks.mark_done(person, callback_data.task_id)
    else:
        outcome = await tasks.reopen(person, callback_data.task_id)
    note = render_mark_outcome(outcome, t, zone)
    card = await tasks.card(person, callback_data.task_id)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            split_message(render_card(card, t, tasks.timezone))[0],
            reply_markup=card_keyboard(card, t),
        )
        await query.message.answer(note)


async def ask_comment(
    query: CallbackQuery,
    callback_data: TaskAction,
    person: Person,
    t: Texts,
    tasks: TaskService,
    state: FSMContext,
) -> None:
    card = await _ask(query, callback_data, person, tasks, state, Commenting.text)
    if isinstance(query.message, Message):
        await query.message.answer(t("comment.ask", number=card.task.number))


async def _ask(
    query: CallbackQuery,
    callback_data: TaskAction,
    person: Person,
    tasks: TaskService,
    state: FSMContext,
    step: State,
) -> TaskCard:
    """A card button that starts a one-message flow: the card as the person may act on it,
    and the flow waiting at `step` for that task (refused when the button's action is not
    theirs)."""
    await query.answer()
    card = await tasks.card(person, callback_data.task_id)
    allowed = card.may_agree if step is Agreeing.date else card.may_comment
    if not allowed:
        raise Forbidden(Action.COMMENT)
    await state.set_state(step)
    await state.update_data(task_id=callback_data.task_id, number=card.task.number)
    return card


async def save_comment(
    message: Message,
    person: Person,
    t: Texts,
    tasks: TaskService,
    state: FSMContext,
    event_update: Update,
) -> None:
    text = (message.text or "").strip()
    data = await state.get_data()
    if not text:
        await message.answer(t("comment.empty"))
        return
    await tasks.comment(person, int(data["task_id"]), text, event=event_of(event_update))
    await state.clear()
    await message.answer(t("comment.ok", number=data["number"]))


async def ask_date(
    query: CallbackQuery,
    callback_data: TaskAction,
    person: Person,
    t: Texts,
    tasks: TaskService,
    state: FSMContext,
) -> None:
    card = await _ask(query, callback_data, person, tasks, state, Agreeing.date)
    if isinstance(query.message, Message):
        text, number = card.task.deadline.text, card.task.number
        await query.message.answer(t("agree.ask", number=number, text=text))


async def save_date(
    message: Message, person: Person, t: Texts, tasks: TaskService, state: FSMContext
) -> None:
    data = await state.get_data()
    written = (message.text or "").strip()
    try:
        task = await tasks.agree_deadline(person, int(data["task_id"]), written)
    except UnreadDate:
        await message.answer(t("agree.unread", text=written[:100]))
        return
    except DateInThePast as past:
        await message.answer(t("agree.past", day=t.day(past.day)))
        return
    except DeadlineInDocument as fixed:
        await state.clear()
        number, text = fixed.task.number, fixed.task.deadline.text
        await message.answer(t("agree.in_document", number=number, text=text))
        return
    await state.clear()
    deadline = task.deadline
    if deadline.agreed and deadline.due is not None:
        await message.answer(t("agree.done", number=task.number, due=t.day(deadline.due)))
    else:
        await message.answer(t("agree.cleared", number=task.number, text=deadline.text))


def make_router() -> Router:
    router = Router(name="tasks")
    router.message.register(list_tasks, Command("tasks"))
    router.message.register(my_tasks, Command("mytasks"))
    router.callback_query.register(turn_page, TaskPage.filter())
    router.message.register(show_task, Command("task"))
    router.callback_query.register(open_card, TaskAction.filter(F.action == "open"))
    router.callback_query.register(
        change_status, TaskAction.filter(F.action.in_({"done", "reopen", "qd"}))
    )
    router.callback_query.register(ask_comment, TaskAction.filter(F.action == "comment"))
    router.message.register(save_comment, StateFilter(Commenting.text), TEXT)
    router.callback_query.register(ask_date, TaskAction.filter(F.action == "date"))
    router.message.register(save_date, StateFilter(Agreeing.date), TEXT)
    return router
