"""A task «по согласованию» gets its date in the bot (admins, the coordinators acting for it)
or the CLI; reminders and /status then count it; a re-import of the same order keeps it."""

from __future__ import annotations

from datetime import date

from bot.services.people import CLI
from tests.bot.conftest import ADMIN, COORDINATOR, REP, World
from tests.conftest import SMOLENSK_DOCX

AGREED = "20"  # «Очная встреча … для получения обратной связи», по согласованию


async def task_20(world: World) -> tuple[int, str]:
    [task] = await world.app.tasks.find(CLI, AGREED)
    assert task.id is not None
    return task.id, task.deadline.text


async def test_an_admin_sets_the_date_and_everything_counts_it(staffed: World) -> None:
    (card,) = await staffed.send(ADMIN, f"/task {AGREED}")
    assert "Срок: по согласованию" in card.text
    (ask,) = await staffed.press(ADMIN, card, "Назначить срок")
    assert ask.text.startswith(f"Срок № {AGREED} «по согласованию». Напишите дату")
    (unread,) = await staffed.send(ADMIN, "когда-нибудь")
    assert unread.text.startswith("Не понял дату в «когда-нибудь»")
    (past,) = await staffed.send(ADMIN, "01.04.2023")
    assert past.text == "01.04.2023 уже прошло. Напишите дату не раньше сегодняшней."
    (done,) = await staffed.send(ADMIN, "до 15 мая")
    assert (
        done.text == f"Срок № {AGREED} назначен: до 15.05.2023. Напоминания пойдут, как по "
        "другим срокам."
    )
    (card,) = await staffed.send(ADMIN, f"/task {AGREED}")
    assert "Срок: по согласованию — назначен: до 15.05.2023" in card.text
    [task] = await staffed.app.tasks.find(CLI, AGREED)
    assert task.deadline.due == date(2023, 5, 15)
    assert task.deadline.agreed
    # The same order imported again keeps the date the department set.
    await staffed.app.roadmaps.import_document(SMOLENSK_DOCX)
    [again] = await staffed.app.tasks.find(CLI, AGREED)
    assert (again.deadline.due, again.deadline.agreed) == (date(2023, 5, 15), True)


async def test_a_school_cannot_and_a_dated_task_has_no_button(staffed: World) -> None:
    (card,) = await staffed.send(REP, "/task 7")
    assert "Назначить срок" not in [label for label, _ in card.buttons()]
    (admin_card,) = await staffed.send(ADMIN, "/task 7")  # «до 28.04.2023»: the order's own
    assert "Назначить срок" not in [label for label, _ in admin_card.buttons()]


async def test_the_date_can_be_taken_back(staffed: World) -> None:
    task_id, text = await task_20(staffed)
    await staffed.app.tasks.agree_deadline(CLI, task_id, "15.05.2023")
    (card,) = await staffed.send(ADMIN, f"/task {AGREED}")
    await staffed.press(ADMIN, card, "Назначить срок")
    (cleared,) = await staffed.send(ADMIN, "нет")
    assert cleared.text == f"Назначенный срок № {AGREED} снят: снова «{text}»."
    [task] = await staffed.app.tasks.find(CLI, AGREED)
    assert (task.deadline.due, task.deadline.agreed) == (None, False)


async def test_undated_no_more_once_agreed(staffed: World) -> None:
    task_id, _ = await task_20(staffed)
    status = await staffed.app.tasks.status_for(CLI, horizon_days=60)
    assert any(task.number == AGREED for task in status.summary.needs_date)
    await staffed.app.tasks.agree_deadline(CLI, task_id, "15.05.2023")
    status = await staffed.app.tasks.status_for(CLI, horizon_days=60)
    assert not any(task.number == AGREED for task in status.summary.needs_date)


async def test_a_coordinator_of_the_acting_organisations_may_too(staffed: World) -> None:
    (card,) = await staffed.send(COORDINATOR, f"/task {AGREED}")
    labels = [label for label, _ in card.buttons()]
    assert "📅 Назначить срок" in labels
