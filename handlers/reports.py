"""Weekly numbers by message: answers, replies to questions, /report, buttons, bulk lines,
sheets, /template, and the coordinator's "remind them"."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.domain.access import Action, Person, Role
from bot.domain.bulk import LineProblem, parse_bulk
from bot.domain.indicator_form import TEMPLATE, parse_indicator_form
from bot.domain.indicators import label_map
from bot.importers.errors import DocumentError
from bot.render.progress import (
    MAX_REFUSED_SHOWN,
    refused_file,
    render_bulk,
    render_concerns,
    render_indicators,
    render_question,
    render_refused,
    render_stored,
)
from bot.render.texts import Texts
from bot.render.workbooks import TemplateRow, template_workbook
from bot.services.collection import QuestionPlanner
from bot.services.people import Forbidden
from bot.services.reports import (
    MAX_SHEET_BYTES,
    MAX_SHEET_ROWS,
    BulkOutcome,
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
from handlers.callbacks import ReportButton
from handlers.filters import NOT_A_COMMAND, PRIVATE, PRIVATE_TEXT, Checks
from handlers.replies import answer_long

SHEETS = (".xlsx", ".csv")
DOWNLOAD_CHUNK = 64 * 1024


def question_keyboard(
    questions: Sequence[Question], organisation_id: int, t: Texts
) -> InlineKeyboardMarkup | None:
    """One-tap answers for a single question: last week's number again, or zero."""
    if len(questions) != 1:
        return None
    question = questions[0]
    buttons = []
    if question.previous is not None:
        buttons.append(
            InlineKeyboardButton(
                text=t("button.same", value=question.previous),
                callback_data=ReportButton(
                    action="v", ref=organisation_id, value=question.previous
                ).pack(),
            )
        )
    buttons.append(
        InlineKeyboardButton(
            text=t("button.zero"),
            callback_data=ReportButton(action="v", ref=organisation_id, value=0).pack(),
        )
    )
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def confirm_keyboard(draft_id: int, t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("button.confirm"),
                    callback_data=ReportButton(action="ok", ref=draft_id).pack(),
                ),
                InlineKeyboardButton(
                    text=t("button.discard"),
                    callback_data=ReportButton(action="no", ref=draft_id).pack(),
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
    event_update: Update,
) -> None:
    """`/report` shows what is asked; `/report 38` answers it."""
    if command.args and command.args.strip():
        outcome = await reports.submit(person, command.args, update_id=event_update.update_id)
        await _answer_outcome(message, outcome, t, snapshots)
        return
    questions = await reports.my_questions(person)
    if not questions:
        await message.answer(t("report.none"))
        return
    ids = await snapshots.organisation_ids()
    for organisation in dict.fromkeys(q.organisation for q in questions):
        mine = [q for q in questions if q.organisation == organisation]
        await message.answer(
            render_question(mine, t), reply_markup=question_keyboard(mine, ids[organisation], t)
        )


async def reply_to_question(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    questions: QuestionPlanner,
    event_update: Update,
) -> None:
    """A reply to the bot's question is an answer for the organisation it asked about."""
    assert message.reply_to_message is not None
    assert message.text is not None
    organisation = await questions.asked_about(message.chat.id, message.reply_to_message.message_id)
    outcome = await reports.submit(
        person, message.text, organisation=organisation, update_id=event_update.update_id
    )
    await _answer_outcome(message, outcome, t, snapshots)


async def plain_text(
    message: Message,
    person: Person,
    t: Texts,
    reports: ReportService,
    snapshots: Snapshots,
    event_update: Update,
) -> None:
    """A representative's message is their answer; a coordinator's lines are bulk entry."""
    assert message.text is not None
    if _reports_for_someone(person) or not _enters_for_others(person):
        outcome = await reports.submit(person, message.text, update_id=event_update.update_id)
        await _answer_outcome(message, outcome, t, snapshots)
        return
    view = await snapshots.roadmap()
    histories = await snapshots.indicators(view.roadmap.id)
    current = [h.current for h in histories]
    single = current[0].code if len(current) == 1 else None
    reading = parse_bulk(
        message.text, label_map(current), single, lambda q: reports.resolve(person, q, view.tree)
    )
    if not reading.rows and not reading.problems:
        await message.answer(t("bulk.nothing"))
        return
    bulk = await reports.submit_rows(
        person, reading.rows, source=Source.BULK, update_id=event_update.update_id
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
        person, reading.rows, source=source, update_id=event_update.update_id
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
    event_update: Update,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    action = callback_data.action
    text: str | None = None
    markup = None
    if action == "ok":
        stored = await reports.confirm(person, callback_data.ref, update_id=event_update.update_id)
        text = render_stored(stored, t) if stored is not None else t("report.draft_gone")
    elif action == "no":
        settled = await reports.discard(person, callback_data.ref)
        text = t("report.discarded") if settled else t("report.draft_gone")
    elif action == "v":
        names = {number: name for name, number in (await snapshots.organisation_ids()).items()}
        outcome = await reports.submit(
            person,
            str(callback_data.value),
            organisation=names.get(callback_data.ref),
            update_id=event_update.update_id,
            source=Source.BUTTON,
        )
        await query.answer()
        if message is not None:
            await _answer_outcome(message, outcome, t, snapshots)
        return
    elif action == "rm":
        count = await questions.remind(person, callback_data.ref)
        text = t("missing.reminded", count=count) if count else t("missing.none")
    await query.answer()
    if message is not None and text is not None:
        await message.answer(text, reply_markup=markup)


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
