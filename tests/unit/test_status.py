from __future__ import annotations

from datetime import date

from bot.domain.model import Deadline, Task, TaskStatus
from bot.domain.status import Milestone, Standing, occurrences, standing, summarise


def task(number: str, deadline: Deadline, status: TaskStatus = TaskStatus.OPEN) -> Task:
    return Task(number, f"Мероприятие {number}", None, ("Департамент",), deadline, status=status)


DUE_APR_10 = Deadline("10.04.2023", due=date(2023, 4, 10))
DUE_APR_28 = Deadline("до 28.04.2023", due=date(2023, 4, 28))
FROM_APR_20 = Deadline("с 20.04.2023", start=date(2023, 4, 20))
FRIDAYS = Deadline("еженедельно, по пятницам", recurrence="FREQ=WEEKLY;BYDAY=FR")
UNDATED = Deadline("по согласованию", note="по согласованию")


def test_open_task_past_its_due_date_is_overdue() -> None:
    assert standing(task("1", DUE_APR_10), date(2023, 4, 11)) is Standing.OVERDUE


def test_task_due_today_is_not_yet_overdue() -> None:
    assert standing(task("1", DUE_APR_10), date(2023, 4, 10)) is Standing.OPEN


def test_done_task_is_never_overdue() -> None:
    assert standing(task("1", DUE_APR_10, TaskStatus.DONE), date(2023, 5, 1)) is Standing.DONE


def test_weekly_rule_falls_on_fridays_within_its_period() -> None:
    bounded = Deadline(
        "", start=date(2023, 4, 20), due=date(2023, 5, 5), recurrence="FREQ=WEEKLY;BYDAY=FR"
    )
    assert occurrences(bounded, date(2023, 4, 1), date(2023, 5, 31)) == [
        date(2023, 4, 21),
        date(2023, 4, 28),
        date(2023, 5, 5),
    ]


def test_unreadable_rule_yields_no_dates_rather_than_a_guess() -> None:
    broken = Deadline("", recurrence="FREQ=SOMETIMES")
    assert occurrences(broken, date(2023, 4, 1), date(2023, 4, 30)) == []


def test_summary_lists_overdue_coming_up_and_undated() -> None:
    tasks = [
        task("1", DUE_APR_10),
        task("7", DUE_APR_28),
        task("16", FROM_APR_20),
        task("18", FRIDAYS),
        task("20", UNDATED),
        task("2", DUE_APR_10, TaskStatus.DONE),
    ]
    summary = summarise(tasks, date(2023, 4, 18), horizon_days=14)
    assert summary.total == 6
    assert summary.by_standing == {
        Standing.OPEN: 4,
        Standing.OVERDUE: 1,
        Standing.DONE: 1,
        Standing.CANCELLED: 0,
    }
    assert [t.number for t in summary.overdue] == ["1"]
    assert [(u.day, u.milestone, u.task.number) for u in summary.upcoming] == [
        (date(2023, 4, 20), Milestone.START, "16"),
        (date(2023, 4, 21), Milestone.OCCURRENCE, "18"),
        (date(2023, 4, 28), Milestone.DUE, "7"),
    ]
    assert [t.number for t in summary.needs_date] == ["20"]


def test_due_date_beyond_the_horizon_is_not_coming_up() -> None:
    summary = summarise([task("7", DUE_APR_28)], date(2023, 4, 1), horizon_days=14)
    assert summary.upcoming == ()
