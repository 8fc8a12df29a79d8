"""What people read about organisations' shares of tasks: progress lines, notices."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.domain.shares import MarkState, ShareCounts
from bot.render.texts import Safe, Texts
from bot.services.shares import MarkOutcome, Notice, TaskShares

MAX_NOTICE_LINES = 30


def render_counts(counts: ShareCounts, t: Texts) -> str:
    """«выполнили 120 из 355 (34 %), просрочено у 143, освобождены: 2». Only numbers go into
    these templates, so they are formatted straight (a /status has a line per task)."""
    messages = t.messages
    parts = [
        messages["shares.done_of"].format(
            done=counts.done, owed=counts.owed, percent=counts.percent
        )
    ]
    if counts.overdue:
        parts.append(messages["shares.overdue"].format(count=counts.overdue))
    if counts.excused:
        parts.append(messages["shares.excused"].format(count=counts.excused))
    return Safe(", ".join(parts))


def render_notice(notice: Notice, t: Texts) -> str:
    lines = [t("notice.header", organisation=notice.organisation)]
    for line in notice.lines[:MAX_NOTICE_LINES]:
        key = {
            MarkState.DONE: "notice.done",
            MarkState.OPEN: "notice.reopened",
            MarkState.EXCUSED: "notice.excused",
        }[line.state]
        lines.append(t(key, organisation=line.organisation, number=line.number, by=line.by))
    if len(notice.lines) > MAX_NOTICE_LINES:
        lines.append(t("digest.more", count=len(notice.lines) - MAX_NOTICE_LINES))
    for number, title, count in notice.complete:
        lines.append(t("notice.complete", count=count, number=number, title=title))
    return "\n".join(lines)


def render_unsettled(names: Sequence[str], page: int, per_page: int, t: Texts) -> str:
    start = page * per_page
    shown = names[start : start + per_page]
    lines = [t("shares.unsettled_header", count=len(names))]
    lines += [f"{start + n + 1}. {name}" for n, name in enumerate(shown)]
    return "\n".join(lines)


MAX_GROUPS = 30


def render_card_shares(shares: TaskShares, t: Texts, zone: ZoneInfo) -> list[str]:
    """The card's lines about shares: the person's own, then the roll-up for a wider scope."""
    lines: list[str] = []
    if shares.occurrence is not None:
        lines.append(t("card.occurrence", day=t.day(shares.occurrence)))
    for own in shares.own:
        state = t(f"share.{own.state.value}")
        if own.by and own.at:
            at = own.at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            lines.append(
                t("card.own_share_by", organisation=own.organisation, state=state, by=own.by, at=at)
            )
        else:
            lines.append(t("card.own_share", organisation=own.organisation, state=state))
        if own.note:
            lines.append(t("card.share_note", note=own.note))
    if shares.counts is not None:
        lines.append(t("card.rollup", counts=render_counts(shares.counts, t)))
        for name, counts in shares.groups[:MAX_GROUPS]:
            lines.append(t("card.group", name=name, counts=render_counts(counts, t)))
        if len(shares.groups) > MAX_GROUPS:
            lines.append(t("digest.more", count=len(shares.groups) - MAX_GROUPS))
    return lines


def render_mark_outcome(outcome: MarkOutcome, t: Texts, zone: ZoneInfo) -> str:
    """What a person is told after marking: what changed, and what already was so (by whom,
    when) — an old button pressed twice says so instead of acting again."""
    number = outcome.task.number
    lines: list[str] = []
    if outcome.changed == ("",):  # a task nobody owes: one status for all
        key = "done.ok" if outcome.state is MarkState.DONE else "reopen.ok"
        return t(key, number=number)
    if len(outcome.changed) > 3:
        key = "shares.reopened_all" if outcome.state is MarkState.OPEN else "shares.marked_all"
        lines.append(t(key, number=number, count=len(outcome.changed)))
    elif outcome.changed:
        key = {
            MarkState.DONE: "shares.done_for",
            MarkState.OPEN: "shares.reopened_for",
            MarkState.EXCUSED: "shares.done_for",
        }[outcome.state]
        lines.append(t(key, number=number, organisation=", ".join(outcome.changed)))
    for already in outcome.already[:3]:
        if already.by and already.at:
            at = already.at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            lines.append(
                t(
                    "shares.already",
                    number=number,
                    organisation=already.organisation,
                    by=already.by,
                    at=at,
                )
            )
    if not lines:
        lines.append(t("shares.nothing_changed", number=number))
    return "\n".join(lines)
