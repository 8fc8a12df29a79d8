"""Plain-text and JSON views of roadmaps, imports, status and organisations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.domain.model import Deadline, Organisation, OrganisationKind, Task
from bot.domain.shares import ShareCounts
from bot.domain.status import Standing, standing
from bot.render.rhythm import rhythm_words
from bot.render.shares import render_counts
from bot.render.texts import Texts
from bot.services.roadmaps import ImportOutcome, StatusReport

TITLE_WIDTH = 90


def short(text: str, width: int = TITLE_WIDTH) -> str:
    """`text` on one line, at most `width` characters: cut at a word when one ends in its
    second half, with "…" to say so."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    head = text[:cut] if cut > width // 2 else text[: width - 1]
    return head.rstrip(" ,;:—-") + "…"


def distinct_shorts(texts: Sequence[str], width: int = TITLE_WIDTH) -> list[str]:
    """`short` of each text, except that texts whose shorts would read the same keep what
    tells them apart: their first words, "…", and the words from where they differ. Tasks 9,
    10 and 11 of the Smolensk order all begin «Перевод 100% внутренних коммуникаций (ВКС,
    чаты) системы управления образованием Смоленской области в ИКОП Сферум» and differ only
    in the brackets at the end."""
    shorts = [short(text, width) for text in texts]
    seen = Counter(shorts)
    result = []
    for text, said in zip(texts, shorts, strict=True):
        if seen[said] == 1:
            result.append(said)
            continue
        words = text.split()
        alike = [other.split() for other, its in zip(texts, shorts, strict=True) if its == said]
        shared = (
            min(_common_words(words, other) for other in alike if other != words)
            if len(alike) > 1
            else 0
        )
        if shared <= 3:
            result.append(said)
            continue
        tail = " ".join(words[shared:]) or " ".join(words[-3:])
        result.append(short(" ".join(words[:3]) + " … " + tail, width))
    return result


def _common_words(one: list[str], other: list[str]) -> int:
    count = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        count += 1
    return count


def responsible(task: Task, t: Texts) -> str:
    return ", ".join(task.responsible) or t("status.nobody")


def understood(deadline: Deadline, t: Texts) -> str:
    """How the grammar read a deadline, in words: "до 28.04.2023", "с 20.04.2023", ..."""
    parts = []
    if deadline.start and deadline.due:
        parts.append(t("deadline.range", start=t.day(deadline.start), due=t.day(deadline.due)))
    elif deadline.due:
        parts.append(t("deadline.due", due=t.day(deadline.due)))
    elif deadline.start:
        parts.append(t("deadline.start", start=t.day(deadline.start)))
    if deadline.recurrence:
        parts.append(t("deadline.every", rule=rhythm_words(deadline.recurrence, t.language)))
    return "; ".join(parts) or t("deadline.none")


def render_import(outcome: ImportOutcome, t: Texts) -> str:
    roadmap, revision = outcome.roadmap, outcome.revision
    common = {
        "title": short(roadmap.title),
        "slug": outcome.slug,
        "tasks": t.count("task", len(roadmap.tasks)),
        "sections": t.count("section", len(roadmap.sections)),
        "parties": t.count("party", len(roadmap.parties)),
    }
    lines = [t("import.created" if outcome.created else "import.revised", **common)]
    lines.append(
        t(
            "import.figures",
            figures=t.count("figure", len(roadmap.baseline)),
            targets=t.count("target", len(roadmap.targets)),
        )
    )
    lines += [t("import.warning", warning=warning) for warning in outcome.warnings]
    undated = [task for task in roadmap.tasks if not task.deadline.fixed]
    if undated:
        lines.append(
            t("import.needs_date", tasks=", ".join(f"№ {task.number}" for task in undated))
        )
    if not outcome.created:
        if revision.is_empty:
            lines.append(t("import.no_changes"))
        else:
            lines.append(
                t(
                    "import.summary",
                    added=len(revision.added),
                    changed=len(revision.changed),
                    removed=len(revision.removed),
                )
            )
            lines += [
                t("import.added", number=x.number, title=short(x.title)) for x in revision.added
            ]
            lines += [
                t(
                    "import.changed",
                    number=change.after.number,
                    title=short(change.after.title),
                    fields=", ".join(t(f"field.{name}") for name in change.fields),
                )
                for change in revision.changed
            ]
            lines += [
                t("import.removed", number=x.number, title=short(x.title)) for x in revision.removed
            ]
    return "\n".join(lines)


# The status said last for a report (TaskService keeps a report while nothing it reads
# changed, so /status asked again hands the same object in): by the report's identity and
# the texts' language and markup. The report is kept with it, so an id is never reused.
_SAID: dict[tuple[int, str, bool], tuple[StatusReport, str]] = {}
_SAID_MAX = 256


def render_status(report: StatusReport, t: Texts) -> str:
    key = (id(report), t.language, t.html)
    said = _SAID.get(key)
    if said is not None and said[0] is report:
        return said[1]
    text = _render_status(report, t)
    if len(_SAID) >= _SAID_MAX:
        _SAID.clear()
    _SAID[key] = (report, text)
    return text


def _render_status(report: StatusReport, t: Texts) -> str:
    summary = report.summary
    counts = summary.by_standing
    lines = [
        t(
            "status.header",
            title=short(report.roadmap.title),
            slug=report.roadmap.slug,
            day=t.day(summary.as_of),
        ),
        t(
            "status.totals",
            total=summary.total,
            done=counts[Standing.DONE],
            open=counts[Standing.OPEN],
            overdue=counts[Standing.OVERDUE],
            cancelled=counts[Standing.CANCELLED],
        ),
    ]
    shared = [
        (task, share)
        for task in report.tasks
        if (share := report.shares.get(task.id or 0)) is not None and share.owed > 1
    ]
    if shared:
        lines += ["", t("shares.status_header")]
        lines += [
            t("shares.status_item", number=task.number, counts=render_counts(share, t))
            for task, share in shared
        ]
    lines += ["", t("status.overdue", count=len(summary.overdue))]
    lines += [
        t(
            "status.overdue_item",
            number=task.number,
            title=short(task.title),
            due=t.day(task.deadline.due),
            days=t.count("day", (summary.as_of - task.deadline.due).days),
            responsible=responsible(task, t),
        )
        for task in summary.overdue
        if task.deadline.due is not None
    ] or [t("status.nothing")]
    lines += ["", t("status.upcoming", days=t.count("day", summary.horizon_days))]
    lines += [
        t(
            f"status.upcoming.{item.milestone.value}",
            day=t.weekday_day(item.day),
            number=item.task.number,
            title=short(item.task.title),
            responsible=responsible(item.task, t),
        )
        for item in summary.upcoming
    ] or [t("status.nothing")]
    lines += ["", t("status.needs_date", count=len(summary.needs_date))]
    lines += [
        t(
            "status.needs_date_item",
            number=task.number,
            title=short(task.title),
            text=task.deadline.text,
            responsible=responsible(task, t),
        )
        for task in summary.needs_date
    ] or [t("status.nothing")]
    if report.nobody_to_remind:
        lines += ["", t("status.nobody_to_remind", parties=", ".join(report.nobody_to_remind))]
    if report.unreachable:
        lines += ["", t("status.unreachable", people=", ".join(report.unreachable))]
    return "\n".join(lines)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def task_json(task: Task, as_of: date, shares: ShareCounts | None = None) -> dict[str, Any]:
    """The scripting form of a task: exactly these keys, documented in the README. `shares`:
    the organisations' shares within the scope asked (all zero when nobody owes it)."""
    deadline = task.deadline
    counts = shares or ShareCounts(0)
    return {
        "id": task.id,
        "number": task.number,
        "section": task.section,
        "title": task.title,
        "responsible": list(task.responsible),
        "deadline": {
            "text": deadline.text,
            "start": _iso(deadline.start),
            "due": _iso(deadline.due),
            "recurrence": deadline.recurrence,
            "fixed": deadline.fixed,
        },
        "result": task.result,
        "status": standing(task, as_of).value,
        "shares": {
            "owed": counts.owed,
            "done": counts.done,
            "overdue": counts.overdue,
            "excused": counts.excused,
        },
    }


def render_tasks(tasks: Sequence[Task], as_of: date, t: Texts) -> str:
    lines = [t("tasks.header")]
    for task in tasks:
        lines.append(
            " | ".join(
                (
                    task.number,
                    task.section or "",
                    " ".join(task.title.split()),
                    responsible(task, t),
                    task.deadline.text,
                    understood(task.deadline, t),
                    t(f"standing.{standing(task, as_of).value}"),
                )
            )
        )
    return "\n".join(lines)


def render_organisations(organisations: Sequence[Organisation], t: Texts) -> str:
    if not organisations:
        return t("orgs.empty")
    children: dict[str | None, list[Organisation]] = {}
    for org in organisations:
        children.setdefault(org.parent, []).append(org)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for org in children.get(parent, []):
            figures = [
                t(f"orgs.{measure}", count=value)
                for measure, value in (
                    ("teachers", org.teachers),
                    ("staff", org.staff),
                    ("pupils", org.pupils),
                )
                if value is not None
            ]
            details = ", ".join([t(f"kind.{org.kind.value}"), *figures])
            lines.append(f"{'  ' * depth}{org.name} ({details})")
            walk(org.name, depth + 1)

    walk(None, 0)
    kinds = Counter(org.kind for org in organisations)
    lines.append("")
    by_kind = ", ".join(
        f"{t(f'kind.{kind.value}')}: {kinds[kind]}" for kind in OrganisationKind if kinds[kind]
    )
    lines.append(f"{t('orgs.total', count=len(organisations))} {by_kind}")
    return "\n".join(lines)
