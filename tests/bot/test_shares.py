"""Organisations' shares through the real dispatcher: marking one's own, one, all; refusals;
notices to coordinators; the migration of tasks marked done before shares."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.domain.access import Role
from bot.domain.shares import MarkState
from bot.render.outbox import outbox_composer
from bot.services.people import CLI, Forbidden
from bot.services.shares import NoOwnShare, NotOwed, ReasonNeeded, ShareLedger
from handlers.callbacks import ShareAction
from storage.outbox import OutboxStore
from storage.shares import ShareStore
from tests.bot.conftest import (
    ADMIN,
    CITY,
    COORDINATOR,
    OTHER_REP,
    OTHER_SCHOOL,
    REP,
    SCHOOL,
    World,
)


async def task_id(world: World, number: str) -> int:
    view = await world.app.snapshots.roadmap()
    return next(t.id for t in view.tasks if t.number == number and t.id is not None)


async def city_schools(world: World) -> list[str]:
    tree = (await world.app.snapshots.roadmap()).tree
    return sorted(tree.children[CITY])


async def test_a_schools_mark_is_its_own_share_and_the_department_sees_the_count(
    staffed: World,
) -> None:
    await staffed.send(REP, "/done 5")
    (status,) = await staffed.send(ADMIN, "/status")
    assert "№ 5 — выполнили 1 из 355 (0 %), просрочено у 354" in status.text
    (card,) = await staffed.send(OTHER_REP, "/task 5")
    assert f"Ваша часть ({OTHER_SCHOOL}): просрочено" in card.text
    (mine,) = await staffed.send(REP, "/task 5")
    assert f"Ваша часть ({SCHOOL}): выполнено — Person {REP}, {SCHOOL}" in mine.text


async def test_a_coordinator_marks_all_of_its_schools_after_a_confirmation_naming_them(
    staffed: World,
) -> None:
    schools = await city_schools(staffed)
    await staffed.send(REP, "/done 7")  # one of them already did
    (card,) = await staffed.send(COORDINATOR, "/task 7")
    assert f"Исполнение: выполнили 1 из {len(schools)}" in card.text
    left = len(schools) - 1
    (confirm,) = await staffed.press(COORDINATOR, card, f"✅ Отметить всех ({left})")
    assert confirm.text.startswith(f"Отметить № 7 выполненным за {left} организаций")
    view = await staffed.app.snapshots.roadmap()
    async with staffed.app.database.transaction() as connection:
        assert await ShareStore(connection).count() == 1  # nothing before the confirmation
    (done,) = await staffed.press(COORDINATOR, confirm, f"Да, отметить {left}")
    assert done.text == f"№ 7: отмечено выполненным у {left} организаций."
    (status,) = await staffed.send(COORDINATOR, "/status")
    assert f"№ 7 — выполнили {len(schools)} из {len(schools)} (100 %)" in status.text
    (other,) = await staffed.send(OTHER_REP, "/task 7")  # not a city school: still owes it
    assert f"Ваша часть ({OTHER_SCHOOL}): в работе" in other.text
    assert view.tree.by_name[OTHER_SCHOOL].parent != CITY


async def test_marking_outside_ones_scope_is_refused_and_changes_nothing(staffed: World) -> None:
    (reply,) = await staffed.send(REP, f"/done 5 {OTHER_SCHOOL}")
    assert reply.text == (
        f"Среди исполнителей, которые вам доступны, нет организации «{OTHER_SCHOOL}»."
    )
    (reply,) = await staffed.send(COORDINATOR, f"/done 5 {OTHER_SCHOOL}")
    assert "нет организации" in reply.text
    ids = await staffed.app.snapshots.organisation_ids()
    forged = ShareAction(action="one", task_id=await task_id(staffed, "5"), org=ids[OTHER_SCHOOL])
    replies = await staffed.feed(
        {
            "update_id": next(staffed.update_ids),
            "callback_query": {
                "id": "forged",
                "from": staffed._user(REP, "ru"),
                "chat_instance": "1",
                "data": forged.pack(),
                "message": {
                    "message_id": 1,
                    "date": int(staffed.clock.now().timestamp()),
                    "chat": {"id": REP, "type": "private"},
                    "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
                    "text": "…",
                },
            },
        }
    )
    assert [r.text for r in replies if r.text] == ["Это действие вам недоступно."]
    async with staffed.app.database.transaction() as connection:
        assert await ShareStore(connection).count() == 0
        history = await connection.exec_driver_sql(
            "SELECT count(*) FROM audit_log WHERE subject = 'share'"
        )
        assert history.scalar() == 0


async def test_services_refuse_what_roles_may_not_do(staffed: World) -> None:
    app = staffed.app
    rep = await app.people.identify("telegram", REP, f"Person {REP}", None, "ru")
    coordinator = await app.people.identify(
        "telegram", COORDINATOR, f"Person {COORDINATOR}", None, "ru"
    )
    five = await task_id(staffed, "5")
    with pytest.raises(Forbidden):
        await app.tasks.mark_done(rep, five, everyone=True)
    with pytest.raises(Forbidden):
        await app.tasks.mark_done(rep, five, organisation=OTHER_SCHOOL)
    with pytest.raises(NoOwnShare):  # a coordinator's body does not owe a schools' task
        await app.tasks.mark_done(coordinator, five)
    with pytest.raises(NotOwed):  # the committee owes no school's task
        await app.tasks.mark_done(coordinator, five, organisation=CITY)
    with pytest.raises(ReasonNeeded):
        await app.tasks.mark(coordinator, five, MarkState.EXCUSED, organisation=SCHOOL)
    with pytest.raises(Forbidden):  # a school does not excuse itself
        await app.tasks.mark(rep, five, MarkState.EXCUSED, organisation=SCHOOL, note="нет")
    excused = await app.tasks.mark(
        coordinator, five, MarkState.EXCUSED, organisation=SCHOOL, note="школа на ремонте"
    )
    assert excused.changed == (SCHOOL,)
    (status,) = await staffed.send(ADMIN, "/status")
    assert "№ 5 — выполнили 0 из 355 (0 %), просрочено у 354, освобождены: 1" in status.text


async def test_excuse_by_command_needs_a_reason(staffed: World) -> None:
    (reply,) = await staffed.send(COORDINATOR, f"/excuse 5 {SCHOOL}")
    assert reply.text == "Формат: /excuse N организация — причина"
    (reply,) = await staffed.send(COORDINATOR, f"/excuse 5 {SCHOOL} — школа закрыта на ремонт")
    assert reply.text == f"{SCHOOL} освобождена от № 5: школа закрыта на ремонт"


async def test_reopen_works_the_same_way_and_everything_is_in_the_audit_log(
    staffed: World,
) -> None:
    await staffed.send(REP, "/done 5")
    (reply,) = await staffed.send(REP, "/reopen 5")
    assert reply.text == f"№ 5 снова в работе — {SCHOOL}."
    (again,) = await staffed.send(REP, "/reopen 5")
    assert again.text == "№ 5: ничего не изменилось — всё уже так."
    rep = await staffed.number(REP)
    async with staffed.app.database.transaction() as connection:
        rows = await connection.exec_driver_sql(
            "SELECT actor, field, old, new FROM audit_log WHERE subject = 'share' ORDER BY id"
        )
        assert [tuple(row) for row in rows] == [
            (f"person:{rep}", SCHOOL, "open", "done"),
            (f"person:{rep}", SCHOOL, "done", "open"),
        ]


async def test_the_coordinator_hears_once_an_hour_and_when_all_are_done(staffed: World) -> None:
    app = staffed.app
    await staffed.send(REP, "/done 7")
    staffed.clock.moment += timedelta(minutes=5)
    await staffed.send(REP, "/reopen 7")
    await staffed.send(REP, "/done 7")
    async with app.database.transaction() as connection:
        rows = [r for r in await OutboxStore(connection).rows() if r.kind.startswith("notice")]
    assert [(r.chat_id, r.round.isoformat()) for r in rows] == [(COORDINATOR, "2023-04-20")]
    compose = app.shares.notice
    notice = await compose(rows[0].payload)
    assert notice is not None
    assert [(line.organisation, line.state, line.by) for line in notice.lines] == [
        (SCHOOL, MarkState.DONE, f"Person {REP}, {SCHOOL}")
    ]
    assert notice.complete == ()
    admin = await app.people.identify("telegram", ADMIN, f"Person {ADMIN}", None, "ru")
    await app.tasks.mark_done(admin, await task_id(staffed, "7"), everyone=True)
    notice = await compose(rows[0].payload)
    assert notice is not None
    schools = await city_schools(staffed)
    assert notice.complete == (("7", notice.complete[0][1], len(schools)),)
    assert json.loads(rows[0].payload)["organisation"] == CITY


async def test_a_new_coordinator_and_the_department_get_no_notice_for_their_own_marks(
    staffed: World,
) -> None:
    await staffed.join(2002, Role.COORDINATOR, CITY)
    coordinator = await staffed.app.people.identify("telegram", COORDINATOR, "c", None, "ru")
    await staffed.app.tasks.mark_done(coordinator, await task_id(staffed, "7"), organisation=SCHOOL)
    async with staffed.app.database.transaction() as connection:
        rows = [r for r in await OutboxStore(connection).rows() if r.kind.startswith("notice")]
    assert sorted(r.chat_id for r in rows) == [2002]  # not the one who marked
    assert CLI.is_admin


async def test_remind_them_reaches_only_those_still_owing_and_drops_once_done(
    staffed: World,
) -> None:
    app = staffed.app
    (card,) = await staffed.send(COORDINATOR, "/task 7")
    (sent,) = await staffed.press(COORDINATOR, card, "🔔 Напомнить им")
    assert sent.text == "Напоминание отправлено: 1."  # the one city school with anyone bound
    async with app.database.transaction() as connection:
        (row,) = [r for r in await OutboxStore(connection).rows() if r.kind.startswith("share")]
    assert row.chat_id == REP
    compose = outbox_composer(app.snapshots, app.reports, app.shares, "ru")
    said = await compose(row)
    assert said is not None
    assert said.text.startswith("Напоминание: № 7 «Регистрация")
    await staffed.send(REP, "/done 7")
    assert await compose(row) is None  # done before it went: nothing to say
    (again,) = await staffed.press(COORDINATOR, card, "🔔 Напомнить им")
    assert again.text == "Напоминание отправлено: 0."


async def test_a_mark_leaves_the_snapshots_be_and_is_still_seen_at_once(staffed: World) -> None:
    """Marks are frequent (355 schools on a Friday): they must not rebuild the snapshots, and
    every process's ledger still sees them on its next read."""
    app = staffed.app
    before = await app.database.version(max_age=0)
    await staffed.send(REP, "/done 5")
    assert await app.database.version(max_age=0) == before
    other = ShareLedger(app.database)  # another process's ledger, say
    await other.catch_up(now=True)
    five = await task_id(staffed, "5")
    ids = await app.snapshots.organisation_ids()
    assert other.marks(five, None).state(ids[SCHOOL]) is MarkState.DONE
    await staffed.send(REP, "/reopen 5")
    await other.catch_up(now=True)
    assert other.marks(five, None).state(ids[SCHOOL]) is MarkState.OPEN


async def test_a_weekly_task_has_a_share_per_occurrence(staffed: World) -> None:
    """№ 18 («еженедельно, по пятницам»), made every school's: marking it on Wednesday settles
    that Friday's; the next week's is open again; an old digest's ✅ for the first Friday acts
    on that Friday, and says it was already done."""
    app = staffed.app
    view = await app.snapshots.roadmap()
    eighteen = next(t for t in view.tasks if t.number == "18")
    roadmap = await app.roadmaps.roadmap()
    index = 1 + [p.name for p in roadmap.parties].index(eighteen.responsible[0])
    await app.parties.assign(CLI, index, "все школы")
    staffed.clock.moment = staffed.clock.moment.replace(day=19)  # Wednesday 19 April 2023
    (reply,) = await staffed.send(REP, "/done 18")
    assert reply.text == f"№ 18: выполнено — {SCHOOL}."
    (card,) = await staffed.send(REP, "/task 18")
    assert "Очередной срок: 21.04.2023" in card.text
    assert f"Ваша часть ({SCHOOL}): выполнено" in card.text
    staffed.clock.moment += timedelta(days=5)  # Monday 24 April: the next Friday's is open
    (card,) = await staffed.send(REP, "/task 18")
    assert "Очередной срок: 28.04.2023" in card.text
    assert f"Ваша часть ({SCHOOL}): в работе" in card.text
    friday = date(2023, 4, 21).toordinal()
    old_button = ShareAction(action="qd", task_id=eighteen.id or 0, day=friday).pack()
    replies = await staffed.feed(
        {
            "update_id": next(staffed.update_ids),
            "callback_query": {
                "id": "old",
                "from": staffed._user(REP, "ru"),
                "chat_instance": "1",
                "data": old_button,
                "message": {
                    "message_id": 1,
                    "date": int(staffed.clock.now().timestamp()),
                    "chat": {"id": REP, "type": "private"},
                    "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
                    "text": "…",
                },
            },
        }
    )
    (said,) = [r for r in replies if r.text]
    assert said.text.startswith(f"№ 18 уже отмечено: {SCHOOL} — Person {REP}, {SCHOOL}")
    (card,) = await staffed.send(REP, "/task 18")
    assert f"Ваша часть ({SCHOOL}): в работе" in card.text  # this week's untouched


async def test_all_of_mine_by_command_asks_first_and_reopen_works_the_same_way(
    staffed: World,
) -> None:
    schools = await city_schools(staffed)
    (confirm,) = await staffed.send(COORDINATOR, "/done 7 все")
    assert confirm.text.startswith(f"Отметить № 7 выполненным за {len(schools)} организаций")
    (done,) = await staffed.press(COORDINATOR, confirm, f"Да, отметить {len(schools)}")
    assert done.text == f"№ 7: отмечено выполненным у {len(schools)} организаций."
    (confirm,) = await staffed.send(COORDINATOR, "/reopen 7 все")
    assert confirm.text.startswith(f"Вернуть № 7 в работу у {len(schools)} организаций")
    (cancelled,) = await staffed.press(COORDINATOR, confirm, "Отмена")
    assert cancelled.text == "Отменено, ничего не изменено."
    (confirm,) = await staffed.send(COORDINATOR, "/reopen 7 все")
    (reopened,) = await staffed.press(COORDINATOR, confirm, f"Да, вернуть {len(schools)}")
    assert reopened.text == f"№ 7: снова в работе у {len(schools)} организаций."
    (refused,) = await staffed.send(REP, "/done 7 все")
    assert refused.text == "Это действие вам недоступно."
