"""Weekly numbers by message: answers, replies to questions, /report, buttons, bulk lines,
sheets, /template, and the coordinator's "remind them".

How a school answers (the design): every indicator asked is its own message — "Вопрос 1 из 2"
— with its own buttons («Как на прошлой неделе (43)», «0»), so a reply to a question, or a
button under it, answers exactly that question. A plain message is read by
`read_weekly_answer`: labelled numbers anywhere in a short sentence ("учителей 30 чатов 15",
"У нас 45 педагогов и 16 чатов") go to their indicators; bare numbers ("38", "30, 15", "30 и
15") fill the questions still open in their numbered order (or, when as many numbers as
questions are given, all of them in order, correcting). Every answer is echoed back with the
indicators' names, and what is still open is said. After «✏️ Исправлю» the next number is the
correction of the value in doubt. Bad input gets a Russian answer and changes nothing.

Every rule of it is `bot.services.answers.WeeklyAnswers`'s (and the files are the services'
attachments): this module reads Telegram's updates, asks, and says the answer in Telegram."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
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

from bot.channels.telegram.markup import to_markup
from bot.domain.access import Action, Person, Role
from bot.domain.channels import TELEGRAM
from bot.domain.indicator_form import TEMPLATE, parse_indicator_form
from bot.domain.invites import deep_link
from bot.importers.errors import DocumentError
from bot.messages import Outgoing
from bot.render.outbox import question_buttons
from bot.render.progress import (
    MAX_NAMES,
    render_concerns,
    render_indicators,
    render_question,
    render_refused,
    render_stored,
)
from bot.render.progress import example as example_answer
from bot.render.texts import Texts
from bot.services.answers import (
    Asked,
    BulkTaken,
    MessageRef,
    NoLines,
    NothingAsked,
    NothingToCorrect,
    Taken,
    TextAnswer,
    TooMany,
    WeeklyAnswers,
    bulk_reply,
    enters_for_others,
)
from bot.services.collection import QuestionPlanner, Reminded, Standing
from bot.services.people import Forbidden, PeopleService
from bot.services.reports import (
    MAX_SHEET_BYTES,
    MAX_SHEET_ROWS,
    ChooseOrganisation,
    NeedsConfirmation,
    Outcome,
    Question,
    Refused,
    ReportService,
    SheetTooBig,
    Source,
    Stored,
)
from bot.services.snapshots import Snapshots
from handlers.callbacks import MissingAction, ReportButton
from handlers.filters import NOT_A_COMMAND, PRIVATE, PRIVATE_TEXT, TEXT, Checks
from handlers.middlewares import event_of, message_ref
from handlers.replies import answer_long, send

SHEETS = (".xlsx", ".csv")
DOWNLOAD_CHUNK = 64 * 1024


def confirm_keyboard(draft_id: int, t: Texts, indicator_id: int = 0) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("button.confirm"),
                    callback_data=ReportButton(action="ok", ref=draft_id).pack(),
                ),
                InlineKeyboardButton(
                    text=t("button.discard"),
                    callback_data=ReportButton(action="no", ref=draft_id, i=indicator_id).pack(),
                ),
            ]
        ]
    )


async def _answer_outcome(
    message: Message, outcome: Outcome, t: Texts, snapshots: Snapshots
) -> None:
    if isinstance(outcome, Stored):
        await message.answer(render_stored(outcome, t))
    elif isinstance(outcome, NeedsConfirmation):
        await message.answer(
            render_concerns(outcome.entries, t), reply_markup=confirm_keyboard(outcome.draft_id, t)
        )
    elif isinstance(outcome, Refused):
        await message.answer(render_refused(outcome, t))
    elif isinstance(outcome, ChooseOrganisation):
        value = outcome.report.value
        if value is None or len(outcome.report.values) != 1:
            await message.answer(t("report.choose_reply"))
            return
        ids = await snapshots.organisation_ids()
        buttons = [
            [
                InlineKeyboardButton(
                    text=name[:60],
                    callback_data=ReportButton(action="v", ref=ids[name], value=value).pack(),
                )
            ]
            for name in outcome.organisations[:10]
        ]
        await message.answer(
            t("report.choose"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )


async def _say(message: Message, answer: TextAnswer, t: Texts, snapshots: Snapshots) -> None:
    """What `WeeklyAnswers` made of a message, said in Telegram."""
    if isinstance(answer, NothingAsked):
        await message.answer(t("report.nothing_asked"))
    elif isinstance(answer, NothingToCorrect):
        targets = answer.questions
        await message.answer(
            t(
                "report.nothing_to_correct",
                questions=_names(targets),
                example=example_answer(targets),
            )
        )
    elif isinstance(answer, TooMany):
        targets = answer.questions
        await message.answer(
            t(
                "report.too_many",
                given=answer.given,
                asked=len(targets),
                questions=_names(targets),
                example=example_answer(targets) if len(targets) == 1 else "30, 15",
            )
        )
    elif isinstance(answer, Taken):
        await _answer_taken(message, answer, t)
    elif isinstance(answer, NoLines):
        await message.answer(t("bulk.nothing"))
    elif isinstance(answer, BulkTaken):
        await _answer_bulk(message, answer, t)
    else:
        await _answer_outcome(message, answer, t, snapshots)


async def report_command(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    state: FSMContext,
    event_update: Update,
) -> None:
    """`/report` shows what is asked; `/report 38` answers it."""
    if command.args and command.args.strip():
        correcting = await _correcting(state)
        answer = await WeeklyAnswers(reports).take(
            person, command.args, correcting=correcting, event=event_of(event_update)
        )
        await _said(message, answer, t, snapshots, state)
        return
    questions = await reports.my_questions(person)
    if not questions:
        await message.answer(t("report.none"))
        return
    ids = await snapshots.organisation_ids()
    for organisation in dict.fromkeys(q.organisation for q in questions):
        mine = [q for q in questions if q.organisation == organisation]
        for number, question in enumerate(mine, start=1):
            await message.answer(
                render_question([question], t, position=(number, len(mine))),
                reply_markup=to_markup(question_buttons([question], ids[organisation], t)),
            )


CORRECTING = "report_correcting"  # FSM data: the question the next number corrects


async def _correcting(state: FSMContext) -> Asked | None:
    """The correction the conversation waits for (after «✏️ Исправлю»), if any."""
    correcting = (await state.get_data()).get(CORRECTING)
    if not correcting:
        return None
    return Asked(correcting["organisation"], indicator_id=int(correcting["indicator"]))


async def _said(
    message: Message, answer: TextAnswer, t: Texts, snapshots: Snapshots, state: FSMContext
) -> None:
    """Say the answer; a correction it settled is no longer waited for."""
    if isinstance(answer, Taken) and answer.settles_correction:
        await state.update_data({CORRECTING: None})
    await _say(message, answer, t, snapshots)


def _buttons(message: Message) -> list[str]:
    """The data of the buttons under a message."""
    markup = message.reply_markup
    if markup is None:
        return []
    return [
        button.callback_data
        for row in markup.inline_keyboard
        for button in row
        if button.callback_data
    ]


def _names(questions: Sequence[Question]) -> str:
    return "; ".join(
        f"{number}) {question.indicator.name}" for number, question in enumerate(questions, 1)
    )


async def _answer_taken(message: Message, taken: Taken, t: Texts) -> None:
    """What was taken, by the indicators' names; what waits to be confirmed; what is open."""
    outcome = taken.outcome
    if outcome.repeated:
        await message.answer(t("report.repeated"))
        return
    still = taken.still_open
    lines = []
    if outcome.stored:
        lines.append(render_stored(Stored(outcome.stored), t))
    if still and not outcome.doubtful:
        lines.append(t("report.still_open", questions=_names(still)))
    if lines:
        await message.answer("\n\n".join(lines))
    if outcome.doubtful and outcome.draft_id is not None:
        await message.answer(
            render_concerns(outcome.doubtful, t),
            reply_markup=confirm_keyboard(outcome.draft_id, t, taken.doubt_about),
        )


async def reply_to_question(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    state: FSMContext,
    event_update: Update,
    channel: str = TELEGRAM,
) -> None:
    """A reply to the bot's question is the answer to that question, for its organisation."""
    replied = message.reply_to_message
    assert replied is not None
    assert message.text is not None
    answer = await WeeklyAnswers(reports).take_reply(
        person,
        message.text,
        MessageRef(channel, message.chat.id, str(message_ref(replied))),
        buttons=_buttons(replied),
        correcting=await _correcting(state),
        event=event_of(event_update),
    )
    await _said(message, answer, t, snapshots, state)


async def plain_text(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    state: FSMContext,
    event_update: Update,
) -> None:
    """A representative's message is their answer; a coordinator's lines are bulk entry."""
    assert message.text is not None
    answer = await WeeklyAnswers(reports).take_text(
        person, message.text, correcting=await _correcting(state), event=event_of(event_update)
    )
    await _said(message, answer, t, snapshots, state)


async def _answer_bulk(message: Message, taken: BulkTaken, t: Texts) -> None:
    """One reply listing the first refused rows; past those, a second: the file of them all."""
    outcome = taken.outcome
    markup = confirm_keyboard(outcome.draft_id, t) if outcome.draft_id is not None else None
    text, refused = await bulk_reply(outcome, taken.problems, t)
    await answer_long(message, text, t, reply_markup=markup)
    if refused is not None:
        await send(message, refused)


async def _download(bot: Bot, file_id: str, limit: int) -> bytes | None:
    """The file's bytes, counted as they arrive; None as soon as they pass `limit` (whatever
    size Telegram declared, or none)."""
    file = await bot.get_file(file_id)
    if file.file_size is not None and file.file_size > limit:
        return None
    if file.file_path is None:
        return b""
    received = bytearray()
    if bot.session.api.is_local:  # a local Bot API server: the file is on this machine's disk
        local = Path(bot.session.api.wrap_local_file.to_local(file.file_path))
        return await asyncio.to_thread(_read_local, local, limit)
    stream = bot.session.stream_content(
        url=bot.session.api.file_url(bot.token, file.file_path),
        timeout=30,
        chunk_size=DOWNLOAD_CHUNK,
        raise_for_status=True,
    )
    try:
        async for chunk in stream:
            received += chunk
            if len(received) > limit:
                return None
    finally:
        await stream.aclose()
    return bytes(received)


def _read_local(path: Path, limit: int) -> bytes | None:
    with path.open("rb") as file:
        content = file.read(limit + 1)
    return None if len(content) > limit else content


async def sheet_upload(
    message: Message,
    bot: Bot,
    person: Person,
    t: Texts,
    reports: ReportService,
    event_update: Update,
) -> None:
    """An .xlsx/.csv: a coordinator's filled template, or an admin's platform export.

    The bytes are counted as they arrive and the download stops past MAX_SHEET_BYTES; the
    sheet is read on a worker thread (ReportService.read_sheet), so everyone else is answered
    meanwhile; the reply lists the first refused rows and attaches a file of them all."""
    document = message.document
    assert document is not None
    if not enters_for_others(person):
        await message.answer(t("bulk.not_allowed"))
        return
    too_big = t("bulk.too_big", limit=MAX_SHEET_BYTES // (1024 * 1024))
    if document.file_size is not None and document.file_size > MAX_SHEET_BYTES:
        await message.answer(too_big)
        return
    content = await _download(bot, document.file_id, MAX_SHEET_BYTES)
    if content is None:
        await message.answer(too_big)
        return
    suffix = Path(document.file_name or "").suffix.lower()
    try:
        taken = await WeeklyAnswers(reports).take_sheet(
            person, content, suffix, event=event_of(event_update)
        )
    except SheetTooBig as error:
        if error.limit == "rows":
            await message.answer(t("bulk.too_many_rows", limit=MAX_SHEET_ROWS))
        else:
            await message.answer(too_big)
        return
    except DocumentError as error:
        await message.answer(t("bulk.sheet_error", detail=error.detail or error.problem.value))
        return
    await _answer_bulk(message, taken, t)


async def template(message: Message, person: Person, t: Texts, reports: ReportService) -> None:
    """/template: the sheet of the person's organisations to fill in and send back."""
    if not person.known:  # a stranger gets what any other command gives them: a refusal
        raise Forbidden(Action.REPORT)
    sheet = await reports.template_file(person, t)
    await send(message, Outgoing(t("template.caption"), attachment=sheet))


async def on_button(
    query: CallbackQuery,
    callback_data: ReportButton,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    questions: QuestionPlanner,
    state: FSMContext,
    event_update: Update,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    action = callback_data.action
    text: str | None = None
    markup = None
    if action == "ok":
        stored = await reports.confirm(person, callback_data.ref, event=event_of(event_update))
        text = render_stored(stored, t) if stored is not None else t("report.draft_gone")
    elif action == "no":
        settled = await reports.discard(person, callback_data.ref)
        text = t("report.discarded") if settled else t("report.draft_gone")
        answers = WeeklyAnswers(reports)
        correct = await answers.correction_of(person, callback_data.i) if settled else None
        if correct is not None:
            asked, question = correct
            await state.update_data(
                {CORRECTING: {"organisation": asked.organisation, "indicator": asked.indicator_id}}
            )
            text = t("report.correct_which", name=question.indicator.name)
    elif action == "v" and callback_data.i and message is not None:
        answers = WeeklyAnswers(reports)
        asked = await answers.asked_by_ids(callback_data.ref, callback_data.i)
        await query.answer()
        answer = await answers.take(
            person,
            str(callback_data.value),
            asked=asked,
            correcting=await _correcting(state),
            source=Source.BUTTON,
            event=event_of(event_update),
        )
        await _said(message, answer, t, snapshots, state)
        return
    elif action == "v":
        names = {number: name for name, number in (await snapshots.organisation_ids()).items()}
        outcome = await reports.submit(
            person,
            str(callback_data.value),
            organisation=names.get(callback_data.ref),
            event=event_of(event_update),
            source=Source.BUTTON,
        )
        await query.answer()
        if message is not None:
            await _answer_outcome(message, outcome, t, snapshots)
        return
    elif action == "rm":
        said = await questions.remind(person, callback_data.ref)
        text = render_reminded(said, t, ZoneInfo(questions.settings.timezone))
    await query.answer()
    if message is not None and text is not None:
        await message.answer(text, reply_markup=markup)


def missing_keyboard(due: date, nobody: bool, t: Texts) -> InlineKeyboardMarkup:
    """Under a list of the missing: remind them; invite those nobody represents (when any);
    enter the numbers for one of them."""
    ordinal = due.toordinal()
    second = [
        InlineKeyboardButton(
            text=t("button.enter_for_them"),
            callback_data=MissingAction(action="in", ref=ordinal).pack(),
        )
    ]
    if nobody:
        second.insert(
            0,
            InlineKeyboardButton(
                text=t("button.invite_them"),
                callback_data=MissingAction(action="inv", ref=ordinal).pack(),
            ),
        )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("button.remind_them"),
                    callback_data=ReportButton(action="rm", ref=ordinal).pack(),
                )
            ],
            second,
        ]
    )


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES})" if len(names) > MAX_NAMES else "")


def render_reminded(said: Reminded, t: Texts, zone: ZoneInfo) -> str:
    """What «🔔 Напомнить им» did, truthfully: who was reminded, who was asked a moment ago,
    who cannot be reached and why."""
    if not said.anything:
        return t("remind.all_done")
    lines = []
    if said.reminded:
        lines.append(t("remind.sent", count=len(said.reminded), names=_listed(said.reminded)))
        held = [name for name in said.held if name in said.reminded]
        if held:
            lines.append(t("remind.held", names=_listed(held)))
    if said.recently:
        items = [
            t("remind.recently.item", name=name, time=at.astimezone(zone).strftime("%H:%M"))
            for name, at in said.recently
        ]
        lines.append(t("remind.recently", count=len(items), names=_listed(items)))
    if said.unreachable:
        lines.append(
            t("remind.unreachable", count=len(said.unreachable), names=_listed(said.unreachable))
        )
    if said.nobody:
        lines.append(t("remind.nobody", count=len(said.nobody), names=_listed(said.nobody)))
    return "\n\n".join(lines)


class Entering(StatesGroup):
    """A coordinator enters the numbers for one organisation (FSM data: ENTERING_FOR)."""

    numbers = State()


ENTERING_FOR = "entering_for"


async def on_missing(
    query: CallbackQuery,
    callback_data: MissingAction,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    questions: QuestionPlanner,
    people: PeopleService,
    state: FSMContext,
    bot: Bot,
    channel: str = TELEGRAM,
) -> None:
    """The buttons under a list of the missing: «✉️ Пригласить», «✍️ Ввести за них»."""
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    if message is None:
        return
    action = callback_data.action
    if action == "inv":
        found = await questions.owing_within(person, date.fromordinal(callback_data.ref))
        nobody = found.named(Standing.NOBODY)
        if not nobody:
            await message.answer(t("invite_missing.none"))
            return
        # One single-use link per organisation: a link makes its holder the school's voice
        # (its numbers, its tasks), so it should enrol one known person, not whoever sees it
        # forwarded in a staff chat; a colleague gets a link of their own by /invite.
        invites = [
            await people.create_invite(person, Role.REP, name) for name in nobody[:MAX_NAMES]
        ]
        username = (await bot.me()).username or ""
        lines = [
            t(
                "invite_missing.header",
                count=len(invites),
                until=t.day(invites[0].expires_at.date()),
            )
        ]
        lines += [
            t("invite_missing.item", name=name, link=deep_link(channel, username, invite.token))
            for name, invite in zip(nobody, invites, strict=False)
        ]
        if len(nobody) > MAX_NAMES:
            lines.append(t("missing.more", count=len(nobody) - MAX_NAMES))
        await answer_long(message, "\n".join(lines), t)
    elif action == "in":
        found = await questions.owing_within(person, date.fromordinal(callback_data.ref))
        if not found.standing:
            await message.answer(t("enter.none"))
            return
        ids = await snapshots.organisation_ids()
        buttons = [
            [
                InlineKeyboardButton(
                    text=name[:60],
                    callback_data=MissingAction(action="ef", ref=ids[name]).pack(),
                )
            ]
            for name in list(found.standing)[:MAX_NAMES]
        ]
        await message.answer(
            t("enter.choose"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )
    elif action == "ef":
        chosen = await WeeklyAnswers(reports).enter_for(person, callback_data.ref)
        if chosen is None:
            await message.answer(t("report.nothing_asked"))
            return
        organisation, asked = chosen
        await state.set_state(Entering.numbers)
        await state.update_data({ENTERING_FOR: organisation})
        await message.answer(
            t("enter.ask", organisation=organisation, example=example_answer(asked))
            + "\n"
            + _names(asked)
        )


async def enter_for_them(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    state: FSMContext,
    event_update: Update,
) -> None:
    """The numbers a coordinator enters for the organisation chosen: read as its own answer
    would be (`WeeklyAnswers.take`); the flow ends once nothing is open."""
    organisation = (await state.get_data()).get(ENTERING_FOR)
    if not organisation:
        await state.clear()
        return
    assert message.text is not None
    answers = WeeklyAnswers(reports)
    answer = await answers.take(
        person,
        message.text,
        asked=Asked(str(organisation)),
        correcting=await _correcting(state),
        source=Source.BULK,
        event=event_of(event_update),
    )
    await _said(message, answer, t, snapshots, state)
    if await answers.all_answered(str(organisation)):
        await state.clear()
        await message.answer(t("enter.done", organisation=organisation))


async def indicators_list(
    message: Message, person: Person, t: Texts, reports: ReportService
) -> None:
    if not person.known:
        raise Forbidden(Action.VIEW)
    await answer_long(message, render_indicators(await reports.histories(), t), t)


async def indicator_define(
    message: Message, command: CommandObject, person: Person, t: Texts, reports: ReportService
) -> None:
    """/indicator with the form: define an indicator (or its new version from a week on)."""
    if not person.is_admin:
        await message.answer(t("indicators.forbidden"))
        return
    if not command.args or not command.args.strip():
        await message.answer(t("indicators.form") + "\n\n" + html.escape(TEMPLATE))
        return
    try:
        indicator = parse_indicator_form(command.args)
    except ValueError as error:
        await message.answer(t("indicators.bad", detail=str(error)))
        return
    changed = await reports.define(person, indicator)
    key = "indicators.saved" if changed else "indicators.unchanged"
    week = t.day(indicator.valid_from) if indicator.valid_from else "—"
    await message.answer(t(key, name=indicator.name, week=week))


def make_router() -> Router:
    router = Router(name="reports")
    router.message.register(indicators_list, Command("indicators"))
    router.message.register(indicator_define, Command("indicator"))
    router.message.register(report_command, Command("report"))
    router.message.register(template, Command("template"))
    router.callback_query.register(on_button, ReportButton.filter())
    router.callback_query.register(on_missing, MissingAction.filter())
    router.message.register(enter_for_them, StateFilter(Entering.numbers), TEXT)
    return router


def make_answers_router() -> Router:
    """Answers to the weekly question and bulk entry: a private chat's free text with no flow
    in progress, or a sheet. No command (text starting with "/") and no flow (a state) is
    ever theirs, so this router can be tried first — a campaign week's most common update
    then skips every command's filter."""
    router = Router(name="answers")
    router.message.filter(PRIVATE, NOT_A_COMMAND)  # a command passes by with one check
    router.message.register(
        sheet_upload,
        Checks(
            F.chat.type == "private",
            F.document,
            F.document.file_name.lower().endswith(SHEETS),
        ),
    )
    router.message.register(
        reply_to_question,
        PRIVATE_TEXT,  # before the state: a command fails here, without a storage lookup
        Checks(F.reply_to_message.from_user.is_bot),
        StateFilter(None),
    )
    router.message.register(plain_text, PRIVATE_TEXT, StateFilter(None))
    router.edited_message.register(edited, Checks(F.chat.type == "private", F.text))
    return router


async def edited(message: Message, person: Person, t: Texts) -> None:
    """An edited message is not read again (a number changed in place would silently change
    nothing): the person is told how to correct instead."""
    if person.known:
        await message.answer(t("edit.not_read"))
