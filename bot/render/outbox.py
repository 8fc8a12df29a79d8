"""What each kind of outbox row says when the sender takes it, in no messenger's vocabulary:
reminder digests, the weekly question and its reminder, the coordinator's list of the
missing, the hourly notice of what the organisations below a coordinator marked, a nudge to
mark one's share, the weekly summary and the replies a messenger told us to hold. Each is
read from the database as it is now: nothing left to say (None) cancels the row.

Every message is one ``Outgoing`` (its text within one message, see ``split_message``) and
its buttons carry bot/actions.py payloads; each channel's transport says it its own way.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from bot.actions import DigestList, MissingAction, ReportButton, ShareAction, TaskAction, TaskPage
from bot.domain.indicators import week_of
from bot.domain.reminders import Reason
from bot.messages import Button, Keyboard, Outgoing
from bot.render.changes import render_changed
from bot.render.progress import render_missing, render_question
from bot.render.shares import render_notice
from bot.render.summary import compose_summary
from bot.render.telegram import MAX_BUTTONS, DigestMessage, render_digest, split_message
from bot.render.texts import Texts, texts_for
from bot.services.collection import ASK, MISSING, NUDGE, Standing, missing_standing
from bot.services.overwrites import CHANGED, Overwrites
from bot.services.reminders import DigestLine, DigestReader
from bot.services.replies import HeldReplies
from bot.services.reports import Question, ReportService
from bot.services.shares import NOTICE, ShareService
from bot.services.shares import NUDGE as SHARE_NUDGE
from bot.services.snapshots import Snapshots
from bot.services.summary import SUMMARY, SummaryReader
from storage.outbox import REPLY, OutboxRow

Compose = Callable[[OutboxRow], Awaitable[Outgoing | None]]
"""An outbox row's message now, or None when nothing is left to say (the sender's `compose`)."""

Speaks = Callable[[OutboxRow, "str | None"], Awaitable["str | None"]]
"""The language a row is said in now, given the one it was planned in."""


def speaks_now(snapshots: Snapshots) -> Speaks:
    """A person's language as it is when their message goes out, not as it was when the row
    was planned: someone who switched their messenger to English after the round was planned
    (or while it waited for quiet hours, or in another process) reads it in English. The
    snapshot follows the database's version, so a switch seen by another process counts
    within the snapshots' max age. A chat's row (no person) keeps the language it was planned
    in; so does the row of someone no longer stored."""

    async def speaks(row: OutboxRow, planned: str | None) -> str | None:
        if row.person_id is None:
            return planned
        languages = await snapshots.languages()
        return languages.get(row.person_id, planned)

    return speaks


def outbox_composer(
    snapshots: Snapshots,
    reports: ReportService,
    shares: ShareService,
    default_language: str,
    *,
    summaries: SummaryReader | None = None,
) -> Compose:
    """The sender's `compose` for every kind of row (a digest when the kind is no other)."""
    speaks = speaks_now(snapshots)
    digest = digest_composer(DigestReader(snapshots, shares), default_language, speaks=speaks)
    overwrites = Overwrites(reports.database, snapshots)

    async def nudge(row: OutboxRow) -> Outgoing | None:
        said = await shares.nudge(row.payload)
        if said is None:
            return None  # their share is done meanwhile
        t = texts_for(await speaks(row, said.language), default_language)
        task = said.task
        button = Button(
            t("button.quick_done", number=task.number),
            data=TaskAction(action="qd", task_id=task.id or 0).pack(),
        )
        text = t(
            "shares.remind_text",
            number=task.number,
            title=task.title,
            deadline=task.deadline.text,
        )
        return Outgoing(split_message(text)[0], ((button,),))

    async def notice(row: OutboxRow) -> Outgoing | None:
        said = await shares.notice(row.payload)
        if said is None:
            return None
        t = texts_for(await speaks(row, said.language), default_language)
        return Outgoing(split_message(render_notice(said, t))[0])

    async def question(row: OutboxRow, *, nudge: bool) -> Outgoing | None:
        data = json.loads(row.payload)
        wanted = set(data["indicators"])
        organisation = str(data["organisation"])
        open_questions = [
            q
            for q in await reports.questions_for(organisation)
            if q.indicator.code in wanted and q.value is None
        ]
        if not open_questions:
            return None  # answered meanwhile (by them or a colleague)
        t = texts_for(await speaks(row, data.get("language")), default_language)
        ids = await snapshots.organisation_ids()
        position = data.get("position")
        said = render_question(
            open_questions,
            t,
            nudge=nudge,
            position=(int(position[0]), int(position[1])) if position else None,
        )
        return Outgoing(
            split_message(said)[0], question_buttons(open_questions, ids[organisation], t)
        )

    async def missing(row: OutboxRow) -> Outgoing | None:
        data = json.loads(row.payload)
        due = date.fromisoformat(data["due"])
        found = await missing_standing(reports, snapshots, data["organisations"], due)
        if not found.standing:
            return None
        t = texts_for(await speaks(row, data.get("language")), default_language)
        return Outgoing(
            split_message(render_missing(found.standing, week_of(due), t))[0],
            missing_buttons(due, bool(found.named(Standing.NOBODY)), t),
        )

    async def changed(row: OutboxRow) -> Outgoing | None:
        said = await overwrites.read(row.payload)
        if said is None:
            return None
        t = texts_for(await speaks(row, said.language), default_language)
        return Outgoing(split_message(render_changed(said, t))[0])

    async def compose(row: OutboxRow) -> Outgoing | None:
        kind = row.kind.split(":", 1)[0]
        if kind == REPLY:
            return HeldReplies.read(row.payload)
        if kind == SUMMARY and summaries is not None:
            return await compose_summary(summaries, row, default_language, speaks=speaks)
        if kind == ASK:
            return await question(row, nudge=False)
        if kind == NUDGE:
            return await question(row, nudge=True)
        if kind == MISSING:
            return await missing(row)
        if kind == CHANGED:
            return await changed(row)
        if kind == NOTICE:
            return await notice(row)
        if kind == SHARE_NUDGE:
            return await nudge(row)
        return await digest(row)

    return compose


def digest_composer(
    reader: DigestReader, default_language: str, *, speaks: Speaks | None = None
) -> Compose:
    """A reminder digest as it stands now, or None if nothing is left.

    The sender sends one message per outbox row, so a digest too long for one message (or with
    more tasks than a keyboard holds buttons for) shows its most urgent tasks, says how many
    more there are and adds a button to the person's task list: every task shown has its
    buttons, every task is either shown or counted, and the closing hint is always there."""

    async def compose(row: OutboxRow) -> Outgoing | None:
        digest = await reader.current(row.payload)
        if digest is None:
            return None
        language = digest.language if speaks is None else await speaks(row, digest.language)
        t = texts_for(language, default_language)
        message = render_digest(digest, t, max_buttons=MAX_BUTTONS)
        rows = [_task_row(line, t) for line in message.shown]
        if message.rest:
            rest = TaskPage(page=0, f=_rest_filter(message)).pack()
            rows.append([Button(t("button.full_list"), data=rest)])
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
            ShareAction(action="qd", task_id=line.task_id, day=occurrence.toordinal()).pack()
            if occurrence is not None
            else TaskAction(action="qd", task_id=line.task_id).pack()
        )
        row.append(Button(t("button.quick_done", number=line.number), data=data))
    row.append(
        Button(
            t("button.open_card", number=line.number),
            data=TaskAction(action="open", task_id=line.task_id).pack(),
        )
    )
    if line.escalated:
        row.append(
            Button(
                t("button.digest_list", number=line.number),
                data=DigestList(task_id=line.task_id).pack(),
            )
        )
    return row


def question_buttons(questions: Sequence[Question], organisation_id: int, t: Texts) -> Keyboard:
    """One-tap answers under a single question: last week's number again, or zero; each
    button names the indicator, so it answers that question and no other. None under several
    questions (which number would a tap answer?)."""
    if len(questions) != 1:
        return ()
    question = questions[0]
    indicator_id = question.indicator.id or 0
    buttons = []
    if question.previous is not None:
        same = ReportButton(
            action="v", ref=organisation_id, value=question.previous, i=indicator_id
        )
        buttons.append(Button(t("button.same", value=question.previous), data=same.pack()))
    zero = ReportButton(action="v", ref=organisation_id, value=0, i=indicator_id)
    buttons.append(Button(t("button.zero"), data=zero.pack()))
    return (tuple(buttons),)


def missing_buttons(due: date, nobody: bool, t: Texts) -> Keyboard:
    """Under a list of the missing: remind them; invite those nobody represents (when any);
    enter the numbers for one of them."""
    ordinal = due.toordinal()
    second = [
        Button(t("button.enter_for_them"), data=MissingAction(action="in", ref=ordinal).pack())
    ]
    if nobody:
        invite = MissingAction(action="inv", ref=ordinal).pack()
        second.insert(0, Button(t("button.invite_them"), data=invite))
    remind = ReportButton(action="rm", ref=ordinal).pack()
    return ((Button(t("button.remind_them"), data=remind),), tuple(second))
