"""The weekly summary as the caption of its chart: read at a glance, at most 1024 characters.

Telegram allows a photo's caption 1024 characters, so the text is fitted: tasks are named with
their titles while that fits, by number only when not, and the lists are cut («…и ещё 4») last.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.domain.model import Task
from bot.messages import Attachment, Outgoing
from bot.render.charts import progress_chart
from bot.render.texts import Texts
from bot.services.summary import SummaryReader, WeeklySummary
from storage.outbox import OutboxRow

CAPTION_LIMIT = 1024
CHART_NAME = "chart.png"
TITLE_WIDTH = 48  # characters of a task's title in the summary


def render_summary(summary: WeeklySummary, t: Texts) -> str:
    """The summary's text, within CAPTION_LIMIT characters."""
    for titled, shown in ((True, 3), (False, 20), (False, 8), (False, 0)):
        text = _render(summary, t, titled=titled, shown=shown)
        if len(text) <= CAPTION_LIMIT:
            return text
    return text[: CAPTION_LIMIT - 1] + "…"


def _render(summary: WeeklySummary, t: Texts, *, titled: bool, shown: int) -> str:
    lines = [t("summary.title", day=t.day(summary.day), roadmap=summary.roadmap)]
    if summary.indicators:
        lines += ["", t("summary.indicators")]
        for progress in summary.indicators:
            share = (
                t("summary.share", percent=_decimal(progress.percent, t))
                if progress.percent is not None
                else ""
            )
            total = _thousands(progress.total, t)
            if progress.change is None:
                lines.append(
                    t(
                        "summary.indicator_first",
                        name=progress.indicator.name,
                        total=total,
                        share=share,
                    )
                )
            else:
                lines.append(
                    t(
                        "summary.indicator",
                        name=progress.indicator.name,
                        total=total,
                        share=share,
                        change=_signed(progress.change, t),
                    )
                )
    if summary.weakest and summary.weakest_of is not None:
        lines += ["", t("summary.weakest", name=summary.weakest_of.indicator.name)]
        lines += [
            t("summary.weakest_item", n=n, name=part.name, percent=_decimal(part.percent, t))
            if part.percent is not None
            else t("summary.weakest_silent", n=n, name=part.name)
            for n, part in enumerate(summary.weakest, start=1)
        ]
    lines += [
        "",
        t("summary.tasks", done=summary.done, total=summary.tasks, overdue=summary.overdue),
        t("summary.done", count=len(summary.done_this_week)),
        *_tasks(summary.done_this_week, t, titled=titled, shown=shown),
        t("summary.newly_overdue", count=len(summary.newly_overdue)),
        *_tasks(summary.newly_overdue, t, titled=titled, shown=shown),
    ]
    return "\n".join(lines)


def _tasks(tasks: Sequence[Task], t: Texts, *, titled: bool, shown: int) -> list[str]:
    if not tasks or shown == 0:
        return []
    said = tasks[:shown]
    if titled:
        lines = [t("summary.task", number=task.number, title=_cut(task.title)) for task in said]
    else:
        lines = [t("summary.numbers", numbers=", ".join(task.number for task in said))]
    if len(tasks) > shown:
        lines.append(t("summary.more", count=len(tasks) - shown))
    return lines


def _cut(title: str) -> str:
    words = " ".join(title.split())
    if len(words) <= TITLE_WIDTH:
        return words
    return words[:TITLE_WIDTH].rsplit(" ", 1)[0] + "…"


def _thousands(n: int, t: Texts) -> str:
    return f"{n:,}".replace(",", "\u00a0") if t.language == "ru" else f"{n:,}"


def _signed(n: int, t: Texts) -> str:
    sign = "+" if n > 0 else ("−" if n < 0 else "±")
    return sign + _thousands(abs(n), t)


def _decimal(value: float, t: Texts) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if t.language == "ru" else text


async def compose_summary(
    reader: SummaryReader,
    row: OutboxRow,
    default_language: str,
    *,
    speaks: Callable[[OutboxRow, str | None], Awaitable[str | None]] | None = None,
) -> Outgoing | None:
    """A summary row as one captioned chart (text alone when there is no indicator), in the
    language `speaks` says the person reads now (else the one it was planned in)."""
    summary = await reader.current(row.person_id, row.payload)
    if summary is None:
        return None
    language = (summary.language if speaks is None else await speaks(row, summary.language)) or ""
    t = Texts(
        "en" if language.lower().startswith("en") or default_language == "en" else "ru", html=True
    )
    text = render_summary(summary, t)
    if summary.chart is None:
        return Outgoing(text)
    png = await asyncio.to_thread(progress_chart, summary.chart, language=t.language)
    return Outgoing(text, attachment=Attachment("photo", CHART_NAME, png))
