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
correction of the value in doubt. Bad input gets a Russian answer and changes nothing."""

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
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.domain.access import Action, Person, Role, may
from bot.domain.bulk import BulkRow, LineProblem, parse_bulk
from bot.domain.channels import EventKey
from bot.domain.indicator_form import TEMPLATE, parse_indicator_form
from bot.domain.indicator_grammar import AnswerRefused, read_weekly_answer
from bot.domain.indicators import IndicatorHistory, label_map
from bot.domain.invites import invite_link
from bot.importers.errors import DocumentError
from bot.render.progress import (
    MAX_NAMES,
    MAX_REFUSED_SHOWN,
    refused_file,
    render_bulk,
    render_concerns,
    render_indicators,
    render_question,
    render_refused,
    render_stored,
)
from bot.render.progress import example as example_answer
from bot.render.texts import Texts
from bot.render.workbooks import TemplateRow, template_workbook
from bot.services.collection import QuestionPlanner, Reminded, Standing
from bot.services.people import Forbidden, PeopleService
from bot.services.reports import (
    MAX_SHEET_BYTES,
    MAX_SHEET_ROWS,
    BulkOutcome,
    ChooseOrganisation,
    NeedsConfirmation,
    Outcome,
    Question,
    Refusal,
    Refused,
    ReportService,
    SheetTooBig,
    Source,
    Stored,
)
from bot.services.snapshots import Snapshots
from handlers.callbacks import MissingAction, ReportButton
from handlers.filters import NOT_A_COMMAND, PRIVATE, PRIVATE_TEXT, TEXT, Checks
from handlers.middlewares import event_of
from handlers.replies import answer_long

SHEETS = (".xlsx", ".csv")
DOWNLOAD_CHUNK = 64 * 1024


def question_keyboard(
    questions: Sequence[Question], organisation_id: int, t: Texts
) -> InlineKeyboardMarkup | None:
    """One-tap answers under a single question: last week's number again, or zero; each
    button names the indicator, so it answers that question and no other."""
    if len(questions) != 1:
        return None
    question = questions[0]
    indicator_id = question.indicator.id or 0
    buttons = []
    if question.previous is not None:
        buttons.append(
            InlineKeyboardButton(
                text=t("button.same", value=question.previous),
                callback_data=ReportButton(
                    action="v", ref=organisation_id, value=question.previous, i=indicator_id
                ).pack(),
            )
        )
    buttons.append(
        InlineKeyboardButton(
            text=t("button.zero"),
            callback_data=ReportButton(
                action="v", ref=organisation_id, value=0, i=indicator_id
            ).pack(),
        )
    )
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


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


def _reports_for_someone(person: Person) -> bool:
    return any(binding.role is Role.REP for binding in person.bindings)


def _enters_for_others(person: Person) -> bool:
    return any(binding.role in (Role.COORDINATOR, Role.ADMIN) for binding in person.bindings)


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
        answer = message.model_copy(update={"text": command.args})
        await answer_questions(answer, person, t, reports, snapshots, state, event_of(event_update))
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
                reply_markup=question_keyboard([question], ids[organisation], t),
            )


CORRECTING = "report_correcting"  # FSM data: the question the next number corrects


def _asked_by(message: Message) -> tuple[int, int] | None:
    """The organisation and indicator ids a bot's question was about, read from the buttons
    under it (every question carries them)."""
    markup = message.reply_markup
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data or ""
            if not data.startswith(f"{ReportButton.__prefix__}:"):
                continue
            try:
                unpacked = ReportButton.unpack(data)
            except (TypeError, ValueError):
                continue
            if unpacked.action == "v":
                return unpacked.ref, unpacked.i
    return None


def _names(questions: Sequence[Question]) -> str:
    return "; ".join(
        f"{number}) {question.indicator.name}" for number, question in enumerate(questions, 1)
    )


async def answer_questions(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    state: FSMContext,
    event: EventKey,
    *,
    organisation: str | None = None,
    indicator_id: int = 0,
    source: Source = Source.MESSAGE,
) -> None:
    """A representative's answer (see the module docstring): for one organisation, to the
    question `indicator_id` if a reply, button or correction named it, else to those asked."""
    text = message.text or ""
    correcting = (await state.get_data()).get(CORRECTING)
    if organisation is None and correcting and source is Source.MESSAGE:
        organisation, indicator_id = correcting["organisation"], int(correcting["indicator"])
    if organisation is None:
        asked = await reports.my_questions(person)
        mine = tuple(dict.fromkeys(q.organisation for q in asked))
        if not mine and _reports_for_someone(person):
            await message.answer(t("report.nothing_asked"))
            return
        if len(mine) != 1:  # none (say why) or several (ask which): as before
            said = await reports.submit(person, text, event=event)
            await _answer_outcome(message, said, t, snapshots)
            return
        organisation = mine[0]
    questions = list(await reports.questions_for(organisation))
    if not questions:
        await message.answer(t("report.nothing_asked"))
        return
    histories = await reports.histories()
    reading = read_weekly_answer(text, label_map(h.current for h in histories))
    if isinstance(reading, AnswerRefused):
        await message.answer(
            render_refused(Refused(Refusal.UNREADABLE, tuple(questions), reading), t)
        )
        return
    by_code = {q.indicator.code: q for q in questions}
    values: dict[str, int] = {}
    if reading.labelled:
        for code, value in reading.labelled:
            if code not in by_code:
                refused = Refused(Refusal.NOT_ASKED_OF_THEM, tuple(questions))
                await message.answer(render_refused(refused, t))
                return
            values[code] = value
    else:
        targets = _targets(questions, indicator_id, histories)
        open_ = [q for q in targets if q.value is None]
        bare = reading.bare
        if len(bare) == len(targets) and len(open_) != len(bare):
            chosen = targets
        elif len(bare) <= len(open_):
            chosen = open_[: len(bare)]
        elif not open_ and len(bare) == 1:
            await message.answer(
                t(
                    "report.nothing_to_correct",
                    questions=_names(targets),
                    example=example_answer(targets),
                )
            )
            return
        else:
            await message.answer(
                t(
                    "report.too_many",
                    given=len(bare),
                    asked=len(targets),
                    questions=_names(targets),
                    example=example_answer(targets) if len(targets) == 1 else "30, 15",
                )
            )
            return
        values = {q.indicator.code: value for q, value in zip(chosen, bare, strict=False)}
    outcome = await reports.submit_rows(
        person, [BulkRow(1, organisation, values)], source=source, event=event
    )
    if any(problem.reason == "not_in_reach" for problem in outcome.refused):
        raise Forbidden(Action.REPORT)
    if correcting:
        await state.update_data({CORRECTING: None})
    await _answer_taken(message, outcome, questions, values, t)


def _targets(
    questions: Sequence[Question], indicator_id: int, histories: Sequence[IndicatorHistory]
) -> list[Question]:
    """The questions a bare number may answer: the one named (by any version's id), or all."""
    if indicator_id:
        code = next((h.code for h in histories for v in h.versions if v.id == indicator_id), None)
        named = [q for q in questions if q.indicator.code == code]
        if named:
            return named
    return list(questions)


async def _answer_taken(
    message: Message,
    outcome: BulkOutcome,
    questions: Sequence[Question],
    values: dict[str, int],
    t: Texts,
) -> None:
    """What was taken, by the indicators' names; what waits to be confirmed; what is open."""
    if outcome.repeated:
        await message.answer(t("report.repeated"))
        return
    still = [q for q in questions if q.value is None and q.indicator.code not in values]
    lines = []
    if outcome.stored:
        lines.append(render_stored(Stored(outcome.stored), t))
    if still and not outcome.doubtful:
        lines.append(t("report.still_open", questions=_names(still)))
    if lines:
        await message.answer("\n\n".join(lines))
    if outcome.doubtful and outcome.draft_id is not None:
        doubtful = outcome.doubtful
        single = doubtful[0].indicator.id or 0 if len(doubtful) == 1 else 0
        await message.answer(
            render_concerns(doubtful, t),
            reply_markup=confirm_keyboard(outcome.draft_id, t, single),
        )


async def reply_to_question(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    questions: QuestionPlanner,
    state: FSMContext,
    event_update: Update,
) -> None:
    """A reply to the bot's question is the answer to that question, for its organisation."""
    replied = message.reply_to_message
    assert replied is not None
    organisation: str | None = None
    indicator_id = 0
    asked = _asked_by(replied)
    if asked is not None:
        names = {number: name for name, number in (await snapshots.organisation_ids()).items()}
        organisation, indicator_id = names.get(asked[0]), asked[1]
    if organisation is None:
        organisation = await questions.asked_about(message.chat.id, replied.message_id)
    if organisation is None and not _reports_for_someone(person):
        await plain_text(message, person, t, reports, snapshots, state, event_update)
        return
    await answer_questions(
        message,
        person,
        t,
        reports,
        snapshots,
        state,
        event_of(event_update),
        organisation=organisation,
        indicator_id=indicator_id,
    )


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
    if _reports_for_someone(person) or not _enters_for_others(person):
        await answer_questions(
            message, person, t, reports, snapshots, state, event_of(event_update)
        )
        return
    view = await snapshots.roadmap()
    histories = await snapshots.indicators(view.roadmap.id)
    current = [h.current for h in histories]
    single = current[0].code if len(current) == 1 else None
    reading = parse_bulk(
        message.text, label_map(current), single, lambda q: reports.resolve(person, q, view.tree)
    )
    if not reading.rows and "\n" not in message.text.strip() and await reports.my_questions(person):
        # A coordinator asked for their own body's figure («12»): no organisation named,
        # so an answer to that question, not a line of bulk entry.
        await answer_questions(
            message, person, t, reports, snapshots, state, event_of(event_update)
        )
        return
    if not reading.rows and not reading.problems:
        await message.answer(t("bulk.nothing"))
        return
    bulk = await reports.submit_rows(
        person, reading.rows, source=Source.BULK, event=event_of(event_update)
    )
    await _answer_bulk(message, bulk, reading.problems, t)


async def _answer_bulk(
    message: Message, outcome: BulkOutcome, problems: Sequence[LineProblem], t: Texts
) -> None:
    """One reply listing the first refused rows; past those, a second: the file of them all.
    Composing it for a sheet's thousands of rows is done off the event loop."""
    markup = confirm_keyboard(outcome.draft_id, t) if outcome.draft_id is not None else None
    if len(problems) + len(outcome.refused) > MAX_REFUSED_SHOWN:
        text, refused = await asyncio.to_thread(_bulk_reply, outcome, problems, t)
    else:
        text, refused = _bulk_reply(outcome, problems, t)
    await answer_long(message, text, t, reply_markup=markup)
    if refused is not None:
        count = len(problems) + len(outcome.refused)
        await message.answer_document(
            BufferedInputFile(refused, filename="refused-rows.csv"),
            caption=t("bulk.file.caption", count=count),
        )


def _bulk_reply(
    outcome: BulkOutcome, problems: Sequence[LineProblem], t: Texts
) -> tuple[str, bytes | None]:
    return (
        render_bulk(outcome, problems, t, shown=MAX_REFUSED_SHOWN),
        refused_file(outcome, problems, t, shown=MAX_REFUSED_SHOWN),
    )


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
    if not _enters_for_others(person):
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
        reading = await reports.read_sheet(person, content, suffix)
    except SheetTooBig as error:
        if error.limit == "rows":
            await message.answer(t("bulk.too_many_rows", limit=MAX_SHEET_ROWS))
        else:
            await message.answer(too_big)
        return
    except DocumentError as error:
        await message.answer(t("bulk.sheet_error", detail=error.detail or error.problem.value))
        return
    source = Source.EXPORT if person.is_admin else Source.SHEET
    outcome = await reports.submit_rows(
        person, reading.rows, source=source, event=event_of(event_update)
    )
    await _answer_bulk(message, outcome, reading.problems, t)


async def template(message: Message, person: Person, t: Texts, reports: ReportService) -> None:
    """/template: the sheet of the person's organisations to fill in and send back."""
    if not person.known:  # a stranger gets what any other command gives them: a refusal
        raise Forbidden(Action.REPORT)
    sheet = await reports.template(person)
    content = template_workbook(
        sheet.title,
        t.day(sheet.week),
        sheet.indicators,
        [
            TemplateRow(row.organisation, row.municipality, row.headcount, row.values)
            for row in sheet.rows
        ],
        t.language,
    )
    await message.answer_document(
        BufferedInputFile(content, filename=f"report-{sheet.week.isoformat()}.xlsx"),
        caption=t("template.caption"),
    )


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
        correct = await _correction_of(person, callback_data.i, reports) if settled else None
        if correct is not None:
            organisation, question = correct
            assert question.indicator.id is not None
            await state.update_data(
                {CORRECTING: {"organisation": organisation, "indicator": question.indicator.id}}
            )
            text = t("report.correct_which", name=question.indicator.name)
    elif action == "v" and callback_data.i and message is not None:
        names = {number: name for name, number in (await snapshots.organisation_ids()).items()}
        await query.answer()
        pressed = message.model_copy(update={"text": str(callback_data.value)})
        await answer_questions(
            pressed,
            person,
            t,
            reports,
            snapshots,
            state,
            event_of(event_update),
            organisation=names.get(callback_data.ref),
            indicator_id=callback_data.i,
            source=Source.BUTTON,
        )
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
            t("invite_missing.item", name=name, link=invite_link(username, invite.token))
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
        by_id = {number: name for name, number in (await snapshots.organisation_ids()).items()}
        organisation = by_id.get(callback_data.ref)
        asked = await reports.questions_for(organisation) if organisation else ()
        if organisation is None or not asked:
            await message.answer(t("report.nothing_asked"))
            return
        tree = (await snapshots.roadmap()).tree
        if not may(person, Action.REPORT, tree, organisation=organisation):
            raise Forbidden(Action.REPORT)
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
    would be (`answer_questions`); the flow ends once nothing is open."""
    organisation = (await state.get_data()).get(ENTERING_FOR)
    if not organisation:
        await state.clear()
        return
    await answer_questions(
        message,
        person,
        t,
        reports,
        snapshots,
        state,
        event_of(event_update),
        organisation=str(organisation),
        source=Source.BULK,
    )
    if all(q.value is not None for q in await reports.questions_for(str(organisation))):
        await state.clear()
        await message.answer(t("enter.done", organisation=organisation))


async def _correction_of(
    person: Person, indicator_id: int, reports: ReportService
) -> tuple[str, Question] | None:
    """The question a "✏️ Исправлю" is about: the person's, for the indicator in doubt."""
    if not indicator_id:
        return None
    for question in await reports.my_questions(person):
        if question.indicator.id == indicator_id:
            return question.organisation, question
    return None


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
