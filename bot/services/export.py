"""Everything of a roadmap in one workbook, within a person's reach (`/export`, `export --xlsx`).

Four tables: the tasks with their shares (how many organisations owe each, have done it, were
excused, still owe it), the indicators as organisation x week, who answered each week, and the
change log. `export_tables` gathers them; bot.render.workbooks.export_workbook lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from bot.domain.access import Action, Person, Role, may, visible_organisations
from bot.domain.indicators import Indicator, Rollup, denominator_of, reporting_week
from bot.domain.model import Organisation, TaskStatus
from bot.domain.shares import ShareState, is_late, occurrence_of, share_state
from bot.domain.status import standing
from bot.render.texts import Texts
from bot.render.workbooks import ExportSheet, Value
from bot.services.people import Forbidden
from bot.services.reports import ReportService
from bot.services.tasks import TaskService
from storage.tables import audit_log, weekly_reports

EXPORT_WEEKS = 26  # the indicators' last half-year
AUDIT_ROWS = 50_000

HEADINGS = {
    "ru": {
        "title": "{title} — выгрузка на {day}",
        "tasks": "Задачи",
        "indicators": "Показатели",
        "coverage": "Кто отчитался",
        "audit": "Журнал изменений",
        "number": "№",
        "task": "Мероприятие",
        "deadline": "Срок",
        "status": "Статус",
        "owed": "Должны",
        "done": "Выполнили",
        "excused": "Освобождены",
        "owing": "Ещё должны",
        "overdue": "Просрочили",
        "percent": "Выполнено, %",
        "indicator": "Показатель",
        "municipality": "Муниципалитет",
        "organisation": "Организация",
        "headcount": "Численность",
        "share": "Доля от численности",
        "answered": "Ответили, %",
        "on_time": "да",
        "late": "поздно",
        "total": "Итого",
        "at": "Когда",
        "actor": "Кто",
        "action": "Действие",
        "subject": "Что",
        "id": "№ записи",
        "field": "Поле",
        "old": "Было",
        "new": "Стало",
    },
    "en": {
        "title": "{title} — export of {day}",
        "tasks": "Tasks",
        "indicators": "Indicators",
        "coverage": "Who reported",
        "audit": "Change log",
        "number": "No.",
        "task": "Activity",
        "deadline": "Deadline",
        "status": "Status",
        "owed": "Owe it",
        "done": "Done",
        "excused": "Excused",
        "owing": "Still owe",
        "overdue": "Overdue",
        "percent": "Done, %",
        "indicator": "Indicator",
        "municipality": "Municipality",
        "organisation": "Organisation",
        "headcount": "Headcount",
        "share": "Share of headcount",
        "answered": "Answered, %",
        "on_time": "yes",
        "late": "late",
        "total": "Total",
        "at": "When",
        "actor": "Who",
        "action": "Action",
        "subject": "What",
        "id": "Record",
        "field": "Field",
        "old": "Was",
        "new": "Now",
    },
}


@dataclass(frozen=True, slots=True)
class Export:
    title: str
    day: date
    sheets: tuple[ExportSheet, ...]

    @property
    def filename(self) -> str:
        return f"roadmap-{self.day.isoformat()}.xlsx"


def may_export(person: Person) -> bool:
    """Department staff (admins) and coordinators; not schools or observers."""
    return any(b.role in (Role.ADMIN, Role.COORDINATOR) for b in person.bindings)


async def export_tables(
    person: Person,
    tasks: TaskService,
    reports: ReportService,
    *,
    t: Texts,
    slug: str | None = None,
    as_of: date | None = None,
) -> Export:
    """Everything of the roadmap within `person`'s reach, said in `t`'s words (statuses,
    actions, who did them: never the codes the database keeps)."""
    h = HEADINGS["en" if t.language == "en" else "ru"]
    view = await tasks.snapshots.roadmap(slug)
    tree = view.tree
    if not may_export(person) or not may(person, Action.VIEW, tree):
        raise Forbidden(Action.VIEW)
    day = as_of or tasks.today(view.roadmap)
    reach = visible_organisations(person, tree)
    scope = await tasks.scope(person, slug, as_of=day)
    ids = await tasks.snapshots.organisation_ids()
    names = {number: name for name, number in ids.items()}

    def short(name: str | None) -> str | None:
        return tree.short_name(name) if name else name

    def municipality(name: str) -> str | None:
        return short(tree.by_name[name].parent) if name in tree.by_name else None

    # 1. Tasks with their shares.
    states = {
        ShareState.DONE: h["done"],
        ShareState.EXCUSED: h["excused"],
        ShareState.OVERDUE: h["overdue"],
        ShareState.OPEN: h["owing"],
    }
    task_rows: list[list[Value]] = []
    detail_rows: list[list[Value]] = []
    sums = [0, 0, 0, 0, 0]
    share_service = tasks.shares
    await share_service.ledger.catch_up(now=True)
    index = await share_service.index(view)
    for task in scope.tasks:
        counts = scope.shares.get(task.id or 0)
        row: list[Value] = [
            task.number,
            task.title,
            task.deadline.text,
            t(f"standing.{standing(task, day).value}"),
        ]
        if counts is None:
            row += [None] * 6
        else:
            owing = counts.owed - counts.settled
            values = [counts.owed, counts.done, counts.excused, owing, counts.overdue]
            sums = [a + b for a, b in zip(sums, values, strict=True)]
            row += [*values, counts.done / counts.owed if counts.owed else None]
        task_rows.append(row)
        if counts is None or task.id is None:
            continue
        owed = index.owed(task)
        reached = index.reach(person)
        if reached is not None:
            owed = owed & reached
        marks = share_service.ledger.marks(task.id, occurrence_of(task, day))
        late = is_late(task, day)
        for org_id in owed.ids():
            name = names.get(org_id)
            if name is None:
                continue
            state = (
                ShareState.DONE
                if task.status is TaskStatus.DONE
                else share_state(org_id, marks, late)
            )
            detail_rows.append([task.number, municipality(name), short(name), states[state]])
    task_sheet = ExportSheet(
        name=h["tasks"],
        header=[h[k] for k in ("number", "task", "deadline", "status", "owed", "done")]
        + [h[k] for k in ("excused", "owing", "overdue", "percent")],
        rows=task_rows,
        totals=[h["total"], None, None, None, *sums, sums[1] / sums[0] if sums[0] else None],
        formats={9: "0%"},
        widths={1: 60},
    )
    shares_sheet = ExportSheet(
        name=h["tasks"] + " — " + h["organisation"].lower(),
        header=[h["number"], h["municipality"], h["organisation"], h["status"]],
        rows=detail_rows,
        totals=[h["total"], None, len(detail_rows), None],
    )

    # 2 and 3. Indicators as organisation x week, and who answered.
    histories = await reports.histories(slug)
    indicator_rows: list[list[Value]] = []
    coverage_rows: list[list[Value]] = []
    all_weeks: list[date] = []
    for history in histories:
        week = reporting_week(day, history.current.weekday)
        first = history.first_week or week
        weeks = [
            week - timedelta(weeks=i)
            for i in range(EXPORT_WEEKS)
            if week - timedelta(weeks=i) >= first
        ][::-1]
        all_weeks = sorted(set(all_weeks) | set(weeks))
    for history in histories:
        indicator = history.at(reporting_week(day, history.current.weekday)) or history.current
        members = sorted(
            (
                org
                for org in tree.by_name.values()
                if (reach is None or org.name in reach) and indicator.reports(org)
            ),
            key=lambda org: (org.parent or "", org.name),
        )
        ids_wanted = {ids[org.name] for org in members}
        found: dict[int, list[tuple[date, date, int, bool]]] = {}

        version_ids = sorted({v.id for v in history.versions if v.id is not None})

        def read(connection: Connection, wanted: list[int] = version_ids) -> list[Any]:
            table = weekly_reports.c
            query = select(
                table.organisation_id, table.week, table.until_week, table.value, table.late
            ).where(table.indicator_id.in_(wanted))
            return list(connection.execute(query))

        for org_id, at, until, value, late in await reports.database.run(read):
            if org_id in ids_wanted:
                found.setdefault(org_id, []).append((at, until, value, bool(late)))
        latest = indicator.rollup is Rollup.LATEST
        for org in members:
            rows_of = found.get(ids[org.name], [])
            values_row: list[Value] = []
            answered_row: list[Value] = []
            for week in all_weeks:
                own = next((r for r in rows_of if r[0] == week), None)
                carried = next((r for r in rows_of if latest and r[0] <= week < r[1]), None)
                counted = own or carried
                values_row.append(counted[2] if counted else None)
                answered_row.append(
                    None if own is None else (h["late"] if own[3] else h["on_time"])
                )
            headcount = indicator.denominator and _headcount(indicator, org)
            last = next((v for v in reversed(values_row) if isinstance(v, int)), None)
            share = last / headcount if last is not None and headcount else None
            base: list[Value] = [indicator.name, short(org.parent), short(org.name)]
            indicator_rows.append([*base, headcount or None, *values_row, share])
            coverage_rows.append([*base, *answered_row])
    labels = [week.strftime("%d.%m.%Y") for week in all_weeks]
    n = len(all_weeks)
    sums_weeks: list[Value] = [
        sum(v for row in indicator_rows if isinstance(v := row[4 + i], int)) for i in range(n)
    ]
    answered: list[Value] = [
        (sum(1 for row in coverage_rows if row[3 + i] is not None) / len(coverage_rows))
        if coverage_rows
        else None
        for i in range(n)
    ]
    indicator_sheet = ExportSheet(
        name=h["indicators"],
        header=[
            h["indicator"],
            h["municipality"],
            h["organisation"],
            h["headcount"],
            *labels,
            h["share"],
        ],
        rows=indicator_rows,
        totals=[h["total"], None, None, None, *sums_weeks, None],
        formats={4 + n: "0.0%"},
        widths={0: 30, 1: 30, 2: 40},
    )
    coverage_sheet = ExportSheet(
        name=h["coverage"],
        header=[h["indicator"], h["municipality"], h["organisation"], *labels],
        rows=coverage_rows,
        totals=[h["answered"], None, None, *answered],
        totals_formats={3 + i: "0%" for i in range(n)},
        widths={0: 30, 1: 30, 2: 40},
    )

    # 4. The change log (all of it for the department; tasks only for coordinators).
    admin = any(b.role is Role.ADMIN for b in person.bindings)
    visible_tasks = {task.id for task in scope.tasks}

    def read_audit(connection: Connection) -> list[Any]:
        query = (
            select(
                audit_log.c.at,
                audit_log.c.actor,
                audit_log.c.action,
                audit_log.c.subject,
                audit_log.c.subject_id,
                audit_log.c.field,
                audit_log.c.old,
                audit_log.c.new,
            )
            .order_by(audit_log.c.id.desc())
            .limit(AUDIT_ROWS)
        )
        return list(connection.execute(query))

    audit_rows: list[list[Value]] = []
    logged = [
        entry
        for entry in await reports.database.run(read_audit)
        if admin or (entry[3] == "task" and entry[4] in visible_tasks)
    ]
    actors = await share_service.actor_names(list(dict.fromkeys(e[1] for e in logged)), tree)
    for at, actor, action, subject, subject_id, field, old, new in logged:
        named = actors.get(actor)
        audit_rows.append(
            [
                at.strftime("%Y-%m-%d %H:%M"),
                named if named and named != actor else _word(t, "actor", actor.split(":")[0]),
                _word(t, "audit.action", action),
                _word(t, "audit.subject", subject),
                subject_id,
                _word(t, "field", field) if field else field,
                old,
                new,
            ]
        )
    audit_sheet = ExportSheet(
        name=h["audit"],
        header=[h[k] for k in ("at", "actor", "action", "subject", "id", "field", "old", "new")],
        rows=audit_rows,
        totals=[h["total"], len(audit_rows), None, None, None, None, None, None],
        widths={6: 40, 7: 40},
    )
    title = h["title"].format(title=view.roadmap.title, day=day.strftime("%d.%m.%Y"))
    return Export(
        title,
        day,
        (task_sheet, indicator_sheet, coverage_sheet, audit_sheet, shares_sheet),
    )


def _word(t: Texts, prefix: str, code: str) -> str:
    """The word for a stored code («added» → «добавлено»), or the code when there is none."""
    key = f"{prefix}.{code}"
    return t(key) if key in t.messages else code


def _headcount(indicator: Indicator, org: Organisation) -> int | None:
    return denominator_of(indicator, org)


__all__: Sequence[str] = ("Export", "export_tables", "may_export")
