from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.model import Deadline, Task, TaskStatus
from bot.domain.reminders import (
    Item,
    Reason,
    ReminderPolicy,
    WorkCalendar,
    escalation_for,
    merge,
    reminders_for,
)

POLICY = ReminderPolicy()
MAY_HOLIDAYS = WorkCalendar(frozenset({date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 9)}))
PLAIN = WorkCalendar()


def task(deadline: Deadline, status: TaskStatus = TaskStatus.OPEN) -> Task:
    return Task("7", "Регистрация", None, ("Школы",), deadline, status=status, id=7)


def days_with(
    t: Task, first: date, last: date, calendar: WorkCalendar = PLAIN
) -> dict[date, list[tuple[Reason, int]]]:
    found = {}
    day = first
    while day <= last:
        items = reminders_for(t, day, POLICY, calendar)
        if items:
            found[day] = [(item.reason, item.days) for item in items]
        day += timedelta(days=1)
    return found


def test_reminders_come_7_3_1_days_ahead_and_on_the_day() -> None:
    friday_28 = task(Deadline("до 28.04.2023", due=date(2023, 4, 28)))
    assert days_with(friday_28, date(2023, 4, 17), date(2023, 4, 28)) == {
        date(2023, 4, 21): [(Reason.BEFORE, 7)],
        date(2023, 4, 25): [(Reason.BEFORE, 3)],
        date(2023, 4, 27): [(Reason.BEFORE, 1)],
        date(2023, 4, 28): [(Reason.DUE_TODAY, 0)],
    }


def test_a_reminder_falling_on_a_weekend_comes_on_the_friday_before() -> None:
    monday_17 = task(Deadline("до 17.04.2023", due=date(2023, 4, 17)))
    # 7 days ahead is Monday the 10th; 3 ahead Friday the 14th; 1 ahead is Sunday -> Friday.
    # Friday's line says how far Monday truly is: 3 days, not the policy's 1.
    assert days_with(monday_17, date(2023, 4, 3), date(2023, 4, 17)) == {
        date(2023, 4, 10): [(Reason.BEFORE, 7)],
        date(2023, 4, 14): [(Reason.BEFORE, 3)],
        date(2023, 4, 17): [(Reason.DUE_TODAY, 0)],
    }


def test_a_friday_reminder_of_a_monday_due_date_says_three_days_left() -> None:
    monday_10 = task(Deadline("до 10.04.2023", due=date(2023, 4, 10)))
    friday = date(2023, 4, 7)
    # Only the "1 day ahead" reminder (Sunday the 9th) moves to Friday.
    policy = ReminderPolicy(before=(1, 0))
    assert reminders_for(monday_10, friday, policy, PLAIN) == [
        Item(7, Reason.BEFORE, date(2023, 4, 10), 3)
    ]


def test_a_due_date_on_a_weekend_is_not_due_today_on_the_friday() -> None:
    sunday_16 = task(Deadline("до 16.04.2023", due=date(2023, 4, 16)))
    # "On the day" (Sunday) and "1 ahead" (Saturday) both come on Friday the 14th: one line,
    # 2 days left; the due date itself has no working day to be "today" on.
    assert days_with(sunday_16, date(2023, 4, 3), date(2023, 4, 16)) == {
        date(2023, 4, 7): [(Reason.BEFORE, 9)],  # 7 ahead is Sunday the 9th -> Friday the 7th
        date(2023, 4, 13): [(Reason.BEFORE, 3)],
        date(2023, 4, 14): [(Reason.BEFORE, 2)],
    }


def test_every_line_states_the_true_distance_to_its_day() -> None:
    for due in (date(2023, 4, 10) + timedelta(days=n) for n in range(60)):
        late = task(Deadline(f"до {due}", due=due))
        for today, items in days_with(late, due - timedelta(days=14), due, MAY_HOLIDAYS).items():
            for reason, days in items:
                assert days == (due - today).days, (due, today)
                assert (reason is Reason.DUE_TODAY) == (today == due), (due, today)


def test_overdue_every_two_working_days_up_to_the_limit() -> None:
    due = date(2023, 4, 14)  # a Friday
    late = task(Deadline("14.04.2023", due=due))
    found = days_with(late, date(2023, 4, 15), date(2023, 5, 31))
    assert list(found) == [
        date(2023, 4, 17),  # the first working day after
        date(2023, 4, 19),
        date(2023, 4, 21),
        date(2023, 4, 25),
        date(2023, 4, 27),
    ]
    assert found[date(2023, 4, 17)] == [(Reason.OVERDUE, 3)]


def test_holidays_are_not_working_days() -> None:
    due = task(Deadline("до 10.05.2023", due=date(2023, 5, 10)))
    found = days_with(due, date(2023, 5, 1), date(2023, 5, 10), MAY_HOLIDAYS)
    # 3 days ahead is the 7th (Sunday) -> Friday the 5th; 1 ahead is the 9th (holiday) -> 5th,
    # which says what is true on the 5th: 5 days left.
    assert found == {
        date(2023, 5, 3): [(Reason.BEFORE, 7)],
        date(2023, 5, 5): [(Reason.BEFORE, 5)],
        date(2023, 5, 10): [(Reason.DUE_TODAY, 0)],
    }


def test_escalation_starts_after_three_working_days_overdue_on_the_overdue_days() -> None:
    late = task(Deadline("14.04.2023", due=date(2023, 4, 14)))  # a Friday
    # The 17th is 1 working day late (3 calendar days), the 19th 3 working days: not yet.
    assert escalation_for(late, date(2023, 4, 17), POLICY, PLAIN) is None
    assert escalation_for(late, date(2023, 4, 19), POLICY, PLAIN) is None
    assert escalation_for(late, date(2023, 4, 20), POLICY, PLAIN) is None  # not a cadence day
    escalated = escalation_for(late, date(2023, 4, 21), POLICY, PLAIN)  # 5 working days
    assert escalated == Item(7, Reason.ESCALATION, date(2023, 4, 14), 7)  # 7 calendar days


def test_a_weekend_and_a_holiday_do_not_make_a_task_three_days_late_overnight() -> None:
    friday_28 = task(Deadline("до 28.04.2023", due=date(2023, 4, 28)))
    # Saturday, Sunday and the May 1 holiday: the first overdue notice comes on Tuesday the
    # 2nd, 4 calendar days late but 1 working day. The coordinator does not hear of it then.
    first_notice = date(2023, 5, 2)
    assert reminders_for(friday_28, first_notice, POLICY, MAY_HOLIDAYS) == [
        Item(7, Reason.OVERDUE, date(2023, 4, 28), 4)
    ]
    assert escalation_for(friday_28, first_notice, POLICY, MAY_HOLIDAYS) is None
    assert escalation_for(friday_28, date(2023, 5, 4), POLICY, MAY_HOLIDAYS) is None  # 3 working
    escalations = [
        day
        for day in (first_notice + timedelta(days=n) for n in range(30))
        if escalation_for(friday_28, day, POLICY, MAY_HOLIDAYS) is not None
    ]
    # The 5th working day late is the 10th (the 8th and 9th are holidays), then every 2nd.
    assert escalations == [date(2023, 5, 10), date(2023, 5, 12), date(2023, 5, 16)]


def test_escalation_never_comes_with_the_first_overdue_notice() -> None:
    late = task(Deadline("14.04.2023", due=date(2023, 4, 14)))
    at_once = ReminderPolicy(escalate_after=0)
    assert reminders_for(late, date(2023, 4, 17), at_once, PLAIN)  # the school hears first
    assert escalation_for(late, date(2023, 4, 17), at_once, PLAIN) is None
    assert escalation_for(late, date(2023, 4, 19), at_once, PLAIN) is not None


def test_done_tasks_say_nothing() -> None:
    done = task(Deadline("до 28.04.2023", due=date(2023, 4, 28)), TaskStatus.DONE)
    assert days_with(done, date(2023, 4, 1), date(2023, 5, 31)) == {}


def test_a_starting_task_gets_a_kickoff() -> None:
    starts = task(Deadline("с 20.04.2023", start=date(2023, 4, 20)))
    assert days_with(starts, date(2023, 4, 1), date(2023, 5, 31)) == {
        date(2023, 4, 20): [(Reason.KICKOFF, 0)]
    }


def test_a_weekly_friday_task_speaks_every_friday() -> None:
    weekly = task(Deadline("еженедельно, по пятницам", recurrence="FREQ=WEEKLY;BYDAY=FR"))
    found = days_with(weekly, date(2023, 4, 10), date(2023, 5, 7))
    assert list(found) == [
        date(2023, 4, 14),
        date(2023, 4, 21),
        date(2023, 4, 28),
        date(2023, 5, 5),
    ]


def test_an_undated_task_is_put_to_coordinators_on_mondays() -> None:
    undated = task(Deadline("по согласованию", note="по согласованию"))
    found = days_with(undated, date(2023, 4, 10), date(2023, 4, 30))
    assert list(found) == [date(2023, 4, 10), date(2023, 4, 17), date(2023, 4, 24)]
    assert found[date(2023, 4, 10)] == [(Reason.UNDATED, 0)]


def test_nothing_on_weekends() -> None:
    due_saturday = task(Deadline("до 29.04.2023", due=date(2023, 4, 29)))
    assert reminders_for(due_saturday, date(2023, 4, 29), POLICY, PLAIN) == []


def test_after_downtime_the_latest_news_wins() -> None:
    items = [
        Item(7, Reason.BEFORE, date(2023, 4, 28), 7),
        Item(7, Reason.BEFORE, date(2023, 4, 28), 3),
        Item(7, Reason.OVERDUE, date(2023, 4, 28), 3),
        Item(9, Reason.OCCURRENCE, date(2023, 4, 21)),
        Item(9, Reason.OCCURRENCE, date(2023, 4, 28)),
    ]
    assert merge(items) == [
        Item(7, Reason.OVERDUE, date(2023, 4, 28), 3),
        Item(9, Reason.OCCURRENCE, date(2023, 4, 28)),
    ]


def test_merging_true_distances_keeps_the_nearest_before_line() -> None:
    # A digest over Wednesday to Friday of a task due Monday: 5 days left, then 3.
    items = [
        Item(7, Reason.BEFORE, date(2023, 4, 17), 5),
        Item(7, Reason.BEFORE, date(2023, 4, 17), 3),
        Item(8, Reason.DUE_TODAY, date(2023, 4, 14), 0),
        Item(9, Reason.OVERDUE, date(2023, 4, 12), 2),
    ]
    assert merge(items) == [
        Item(9, Reason.OVERDUE, date(2023, 4, 12), 2),
        Item(8, Reason.DUE_TODAY, date(2023, 4, 14), 0),
        Item(7, Reason.BEFORE, date(2023, 4, 17), 3),
    ]


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="cadence"):
        ReminderPolicy(overdue_every=0)
    with pytest.raises(ValueError, match="negative"):
        ReminderPolicy(before=(7, -1))
