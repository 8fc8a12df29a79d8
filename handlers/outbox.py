"""What each kind of outbox row says when the sender takes it: reminder digests, the weekly
question and its reminder, the coordinator's list of the missing, the hourly notice of what
the organisations below a coordinator marked, and the replies Telegram told us to hold. Each
is checked against the database as it is now: nothing left to say cancels the row."""

from __future__ import annotations

import json
from datetime import date

from bot.actions import TaskAction
from bot.channels.telegram.markup import from_markup
from bot.delivery.sender import Compose
from bot.domain.indicators import week_of
from bot.messages import Button, Outgoing
from bot.render.changes import render_changed
from bot.render.progress import render_missing, render_question
from bot.render.shares import render_notice
from bot.render.summary import compose_summary
from bot.render.telegram import split_message
from bot.services.collection import ASK, MISSING, NUDGE, Standing, missing_standing
from bot.services.overwrites import CHANGED, Overwrites
from bot.services.reminders import DigestReader
from bot.services.replies import HeldReplies
from bot.services.reports import ReportService
from bot.services.shares import NOTICE, ShareService
from bot.services.shares import NUDGE as SHARE_NUDGE
from bot.services.snapshots import Snapshots
from bot.services.summary import SUMMARY, SummaryReader
from handlers.middlewares import texts_for
from handlers.reminders import digest_composer
from handlers.reports import missing_keyboard, question_keyboard
from storage.outbox import REPLY, OutboxRow


def outbox_composer(
    snapshots: Snapshots,
    reports: ReportService,
    shares: ShareService,
    default_language: str,
    *,
    summaries: SummaryReader | None = None,
) -> Compose:
    digest = digest_composer(DigestReader(snapshots, shares), default_language)
    overwrites = Overwrites(reports.database, snapshots)

    async def nudge(row: OutboxRow) -> Outgoing | None:
        said = await shares.nudge(row.payload)
        if said is None:
            return None  # their share is done meanwhile
        t = texts_for(said.language, default_language)
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
        t = texts_for(said.language, default_language)
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
        t = texts_for(data.get("language"), default_language)
        ids = await snapshots.organisation_ids()
        position = data.get("position")
        said = render_question(
            open_questions,
            t,
            nudge=nudge,
            position=(int(position[0]), int(position[1])) if position else None,
        )
        return Outgoing(
            split_message(said)[0],
            from_markup(question_keyboard(open_questions, ids[organisation], t)),
        )

    async def missing(row: OutboxRow) -> Outgoing | None:
        data = json.loads(row.payload)
        due = date.fromisoformat(data["due"])
        found = await missing_standing(reports, snapshots, data["organisations"], due)
        if not found.standing:
            return None
        t = texts_for(data.get("language"), default_language)
        return Outgoing(
            split_message(render_missing(found.standing, week_of(due), t))[0],
            from_markup(missing_keyboard(due, bool(found.named(Standing.NOBODY)), t)),
        )

    async def changed(row: OutboxRow) -> Outgoing | None:
        said = await overwrites.read(row.payload)
        if said is None:
            return None
        t = texts_for(said.language, default_language)
        return Outgoing(split_message(render_changed(said, t))[0])

    def reply(row: OutboxRow) -> Outgoing:
        return HeldReplies.read(row.payload)

    async def compose(row: OutboxRow) -> Outgoing | None:
        kind = row.kind.split(":", 1)[0]
        if kind == REPLY:
            return reply(row)
        if kind == SUMMARY and summaries is not None:
            return await compose_summary(summaries, row, default_language)
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
