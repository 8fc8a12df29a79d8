"""Weekly numbers as people read them: questions, answers, drill-downs, missing lists.

The same functions serve Telegram (`Texts(html=True)`) and the CLI (plain text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date

from bot.domain.bulk import BulkProblem, LineProblem
from bot.domain.indicators import Indicator, IndicatorHistory
from bot.domain.progress import Outlook
from bot.render.texts import Safe, Texts, escape_html, plural_index
from bot.services.reports import (
    BulkOutcome,
    Entry,
    IndicatorBlock,
    ProgressReport,
    Question,
    Refusal,
    Refused,
    Stored,
)

MAX_NAMES = 30  # organisations listed by name in one message; the rest are counted
MAX_REFUSED_SHOWN = 20  # refused rows listed in a chat reply; all of them go in a file
MAX_DOUBTFUL_SHOWN = 10  # concerns listed in a chat reply; the draft holds them all
_REPLY_BUDGET = 3500  # characters of listed rows, so a reply stays one Telegram message


def _signed(n: int, t: Texts) -> str:
    """+1 240 (a no-break space between thousands in Russian), −7."""
    return f"+{_thousands(n, t)}" if n > 0 else _thousands(n, t)


def _figure(n: int | None, t: Texts) -> str:
    return "" if n is None else _thousands(n, t)


def _join(lines: Sequence[str]) -> str:
    return Safe("\n".join(lines))


def example(questions: Sequence[Question]) -> str:
    """What a good answer looks like for these questions."""
    if len(questions) == 1:
        question = questions[0]
        guess = question.previous if question.previous is not None else 38
        if question.denominator is not None:
            guess = min(guess, question.denominator)
        return str(guess)
    parts = []
    for number, question in enumerate(questions):
        label = question.indicator.aliases[0] if question.indicator.aliases else "?"
        parts.append(
            f"{label} {question.previous if question.previous is not None else 10 + number}"
        )
    return ", ".join(parts) if parts else "38"


def _measure(indicator: Indicator, t: Texts) -> str:
    return t(f"measure.{indicator.denominator.value}") if indicator.denominator else ""


def render_question(
    questions: Sequence[Question],
    t: Texts,
    *,
    nudge: bool = False,
    position: tuple[int, int] | None = None,
) -> str:
    """The weekly question; `position` (number, total) when it is one of several sent as
    separate messages, so that numbers given in order are clear."""
    first = questions[0]
    lines = [
        t(
            "ask.nudge" if nudge else "ask.header",
            organisation=first.organisation,
            week=t.day(first.week),
        )
    ]
    if position is not None and position[1] > 1:
        lines.append(t("ask.position", number=position[0], total=position[1]))
    for question in questions:
        indicator = question.indicator
        if question.denominator is not None:
            lines.append(
                t(
                    "ask.question",
                    question=indicator.question,
                    measure=_measure(indicator, t),
                    denominator=_thousands(question.denominator, t),
                )
            )
        else:
            lines.append(t("ask.question_bare", question=indicator.question))
        if question.previous is not None:
            lines.append(t("ask.previous", value=_thousands(question.previous, t)))
        if question.value is not None:
            lines.append(t("ask.reported", value=_thousands(question.value, t)))
    lines.append(
        t(
            "ask.deadline",
            deadline=f"{t.weekday_day(first.deadline.date())} {first.deadline:%H:%M}",
        )
    )
    how = "ask.how_one" if len(questions) == 1 else "ask.how_many"
    lines.append(t(how, example=example(questions)))
    return _join(lines)


def _share(entry: Entry, t: Texts) -> str:
    if not entry.denominator:
        return ""
    percent = round(entry.value * 100 / entry.denominator, 1)
    return t(
        "report.share", percent=_number(percent, t), denominator=_thousands(entry.denominator, t)
    )


def _number(value: float, t: Texts) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if t.language == "ru" else text


def render_stored(outcome: Stored, t: Texts) -> str:
    if outcome.repeated:
        return t("report.repeated")
    lines = []
    for organisation in dict.fromkeys(entry.organisation for entry in outcome.entries):
        entries = [entry for entry in outcome.entries if entry.organisation == organisation]
        lines.append(t("report.stored", organisation=organisation, week=t.day(entries[0].week)))
        for entry in entries:
            key = (
                "report.line_corrected"
                if entry.old is not None and entry.old != entry.value
                else "report.line"
            )
            lines.append(
                t(
                    key,
                    name=entry.indicator.name,
                    value=_thousands(entry.value, t),
                    old=_figure(entry.old, t),
                    share=Safe(_share(entry, t)),
                )
            )
    if any(entry.late for entry in outcome.entries):
        lines.append(t("report.late"))
    return _join(lines)


def render_concerns(entries: Sequence[Entry], t: Texts) -> str:
    first = entries[0]
    lines = [t("report.confirm", organisation=first.organisation, week=t.day(first.week))]
    for entry in entries:
        for concern in entry.concerns:
            lines.append(
                t(
                    f"report.concern.{concern.value}",
                    name=entry.indicator.name,
                    value=_thousands(entry.value, t),
                    measure=_measure(entry.indicator, t),
                    denominator=_figure(entry.denominator, t),
                    previous=_figure(entry.previous, t),
                )
            )
    lines.append(t("report.confirm_how"))
    return _join(lines)


def render_refused(outcome: Refused, t: Texts) -> str:
    sample = example(outcome.questions) if outcome.questions else "38"
    if outcome.reason is Refusal.UNREADABLE:
        detail = outcome.problem.detail if outcome.problem else ""
        return t("report.unreadable", detail=detail[:60], example=sample)
    return t(f"report.{outcome.reason.value}", example=sample)


def render_bulk(
    outcome: BulkOutcome,
    problems: Sequence[LineProblem],
    t: Texts,
    *,
    shown: int | None = None,
) -> str:
    """What a bulk message or a sheet did. With `shown`, at most that many refused rows (and
    concerns) are listed, and the rest counted: «и ещё 19 950 строк с ошибками — файл с ними
    приложен» (`refused_file` makes that file). Without it, every row is listed (the CLI)."""
    if outcome.repeated:
        return t("report.repeated")
    stored = len({entry.organisation for entry in outcome.stored})
    # «✅ Принято строк: 0» read as a success: nothing accepted says so plainly.
    lines = [t("bulk.stored", count=_thousands(stored, t)) if stored else t("bulk.none_stored")]
    if outcome.doubtful:
        lines.append(t("bulk.doubtful", count=_thousands(len(outcome.doubtful), t)))
        concerns = [(entry, concern) for entry in outcome.doubtful for concern in entry.concerns]
        limit = len(concerns) if shown is None else MAX_DOUBTFUL_SHOWN
        lines.extend(
            t(
                f"report.concern.{concern.value}",
                name=f"{entry.organisation}, {entry.indicator.name}",
                value=_thousands(entry.value, t),
                measure=_measure(entry.indicator, t),
                denominator=_figure(entry.denominator, t),
                previous=_figure(entry.previous, t),
            )
            for entry, concern in concerns[:limit]
        )
        if len(concerns) > limit:
            lines.append(t("missing.more", count=_thousands(len(concerns) - limit, t)))
    refused = _refusals(outcome, problems, t, cut=True)
    if refused:
        lines.append(t("bulk.refused", count=_thousands(len(refused), t)))
        listed = _listed(refused, shown)
        lines.extend(
            t("bulk.line", line=line, text=text, reason=reason)
            for line, text, reason in refused[:listed]
        )
        hidden = len(refused) - listed
        if hidden:
            key = f"bulk.more_refused.{plural_index(t.language, hidden)}"
            lines.append(t(key, count=_thousands(hidden, t)))
    return _join(lines)


def refused_file(
    outcome: BulkOutcome, problems: Sequence[LineProblem], t: Texts, *, shown: int
) -> bytes | None:
    """Every refused row as a CSV for Excel (";", UTF-8 with BOM), when `render_bulk` with
    this `shown` could not list them all; None when it did."""
    if outcome.repeated:
        return None
    plain = Texts(t.language)  # a file, not HTML: nothing escaped, nothing cut
    refused = _refusals(outcome, problems, plain, cut=False)
    if _listed(_refusals(outcome, problems, t, cut=True), shown) == len(refused):
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([plain("bulk.file.line"), plain("bulk.file.text"), plain("bulk.file.reason")])
    writer.writerows(refused)
    return buffer.getvalue().encode("utf-8-sig")


def _refusals(
    outcome: BulkOutcome, problems: Sequence[LineProblem], t: Texts, *, cut: bool
) -> list[tuple[int, str, str]]:
    """(row, what it said, why not) for every row not taken, in row order; `cut` shortens the
    text and detail for a chat reply."""
    text_limit, detail_limit = (80, 120) if cut else (None, None)
    refused = [
        (
            problem.line,
            problem.text[:text_limit],
            t(
                "bulk.reason.name_them"
                if problem.reason is BulkProblem.BAD_VALUE and problem.kind is None
                else f"bulk.reason.{problem.reason.value}",
                detail=(f"{problem.column}: " if problem.column else "")
                + problem.detail[:detail_limit],
            ),
        )
        for problem in problems
    ]
    refused += [
        (row.line, row.organisation[:text_limit], t(f"bulk.reason.{row.reason}", detail=""))
        for row in outcome.refused
    ]
    refused.sort(key=lambda item: item[0])
    return refused


def _listed(refused: Sequence[tuple[int, str, str]], shown: int | None) -> int:
    """How many refused rows a reply lists: up to `shown`, within the reply's budget."""
    if shown is None:
        return len(refused)
    budget = _REPLY_BUDGET
    for count, (_, text, reason) in enumerate(refused[:shown]):
        budget -= len(text) + len(reason) + 20
        if budget < 0:
            return count
    return min(shown, len(refused))


def _thousands(n: int, t: Texts) -> str:
    """19 950 in Russian (a no-break space between thousands), 19,950 in English."""
    return f"{n:,}".replace(",", "\u00a0") if t.language == "ru" else f"{n:,}"


def _names(names: Sequence[str], t: Texts) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    if len(names) > MAX_NAMES:
        shown += " " + t("missing.more", count=len(names) - MAX_NAMES)
    return shown


MISSING_GROUPS = ("silent", "held", "unreachable", "nobody")  # as collection.Standing says


def render_missing(standing: Mapping[str, str], due: date, t: Texts) -> str:
    """Who has no report for the week, told apart: joined and silent, answered and waiting
    for their own confirmation, joined but unreachable, nobody joined; and what to do."""
    lines = [t("missing.header", week=t.day(due), count=len(standing))]
    shown = 0
    for group in MISSING_GROUPS:
        names = [name for name, why in standing.items() if why == group]
        if not names:
            continue
        lines.append(t(f"missing.group.{group}", count=len(names)))
        for name in names:
            if shown == MAX_NAMES:
                break
            lines.append(t("missing.item", name=name))
            shown += 1
    if len(standing) > MAX_NAMES:
        lines.append(t("missing.more", count=len(standing) - MAX_NAMES))
    lines.append(t("missing.hint"))
    return _join(lines)


def _share_of(percent: float | None, denominator: int | None, t: Texts) -> str:
    if percent is None or denominator is None:
        return ""
    return t("progress.share", percent=_number(percent, t), denominator=_thousands(denominator, t))


def _block(block: IndicatorBlock, t: Texts) -> list[str]:
    progress = block.progress
    indicator = progress.indicator
    change = t("progress.change", change=_signed(progress.change, t)) if progress.change else ""
    lines = [
        t(
            "progress.total",
            name=Safe(f"<b>{escape_html(indicator.name)}</b>") if t.html else indicator.name,
            total=_thousands(progress.total, t),
            share=Safe(_share_of(progress.percent, progress.denominator, t)),
            change=Safe(change),
        )
        + (t("progress.carried") if progress.carried else "")
    ]
    if progress.target is not None:
        outlook = t(f"outlook.{progress.outlook.value}")
        target = _thousands(progress.target, t)
        if progress.target_due is not None:
            lines.append(
                t("progress.target", target=target, due=t.day(progress.target_due), outlook=outlook)
            )
        else:
            lines.append(t("progress.target_nodate", target=target, outlook=outlook))
        if progress.outlook is not Outlook.REACHED:
            if progress.beyond:
                lines.append(t("progress.forecast_beyond"))
            elif progress.forecast is not None:
                lines.append(t("progress.forecast", forecast=t.day(progress.forecast)))
    coverage = progress.coverage
    lines.append(
        t(
            "progress.coverage",
            on_time=_thousands(coverage.on_time, t),
            late=_thousands(coverage.late, t),
            missing=_thousands(coverage.missing, t),
            expected=_thousands(coverage.expected, t),
        )
    )
    for part in block.parts:
        expected = _thousands(part.coverage.expected, t)
        if part.total is None:
            lines.append(t("progress.part_empty", name=part.name, expected=expected))
            continue
        carried = (
            t("progress.part_carried", count=_thousands(part.carried, t))
            if part.carried > 1 or (part.carried and part.coverage.expected > 1)
            else t("progress.part_carried_one")
            if part.carried
            else ""
        )
        lines.append(
            t(
                "progress.part",
                name=part.name,
                total=_thousands(part.total, t),
                share=Safe(_share_of(part.percent, part.denominator, t)),
                change=Safe(t("progress.change", change=_signed(part.change, t)))
                if part.change
                else "",
                reported=_thousands(part.coverage.reported, t),
                expected=expected,
            )
            + carried
        )
    if block.missing and block.parts:
        lines.append(
            t(
                "progress.missing",
                count=_thousands(len(block.missing), t),
                names=_names(block.missing, t),
            )
        )
    if block.late and block.parts:
        lines.append(
            t("progress.late", count=_thousands(len(block.late), t), names=_names(block.late, t))
        )
    return lines


def render_indicators(histories: Sequence[IndicatorHistory], t: Texts) -> str:
    """The indicators by name (never by code), who reports them, when, and their targets."""
    if not histories:
        return t("progress.none")
    lines = [t("indicators.header")]
    for history in histories:
        indicator = history.current
        target = indicator.target
        if target is None:
            terms = t("indicators.no_target")
        elif target.percent is not None:
            terms = t("indicators.target_percent", percent=_number(target.percent, t))
        else:
            terms = t("indicators.target_value", value=_thousands(target.value or 0, t))
        if target is not None and target.due is not None:
            terms += t("indicators.target_due", due=t.day(target.due))
        lines.append(
            t(
                "indicators.item",
                name=indicator.name,
                who=", ".join(
                    t(f"indicators.who.{kind.value}")
                    for kind in sorted(indicator.reported_by, key=lambda kind: kind.value)
                ),
                weekday=t.weekday_name(indicator.weekday),
                time=indicator.due_time.strftime("%H:%M"),
                target=terms,
            )
        )
        if len(history.versions) > 1 and indicator.valid_from is not None:
            lines.append(
                t(
                    "indicators.versions",
                    count=len(history.versions),
                    week=t.day(indicator.valid_from),
                )
            )
    return _join(lines)


def render_progress(report: ProgressReport, t: Texts) -> str:
    if not report.blocks:
        return t("progress.none_here" if report.scope else "progress.none")
    week = max(block.progress.week for block in report.blocks)
    scope = t("progress.scope", name=report.scope) if report.scope else ""
    lines = [t("progress.header", week=t.day(week), scope=Safe(scope))]
    for block in report.blocks:
        lines.append("")
        lines.extend(_block(block, t))
    return _join(lines)
