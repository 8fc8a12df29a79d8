"""Access can be taken back: invites revoked, people unbound or forgotten, strangers kept out
and not stored, invite guesses throttled, ADMIN_IDS the truth at every start."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import build_dispatcher, open_app
from bot.domain.access import Role
from bot.services.people import CLI, FORGOTTEN_NAME
from storage.tables import audit_log, bindings, identities, invites, people
from tests.bot.conftest import (
    ADMIN,
    CITY,
    COORDINATOR,
    OTHER_REP,
    OTHER_SCHOOL,
    REP,
    SCHOOL,
    STRANGER,
    World,
)


async def _count(world: World, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with world.app.database.transaction() as connection:
        return int(
            await connection.scalar(select(func.count()).select_from(table).where(*where)) or 0
        )


async def test_a_stranger_is_answered_and_not_stored(world: World) -> None:
    sent = await world.send(STRANGER, "/start")
    assert "попросите" in sent[-1].text
    sent = await world.send(STRANGER, "просто текст")
    assert await _count(world, people) == 0
    assert await _count(world, identities, identities.c.external_id == str(STRANGER)) == 0
    await world.join(STRANGER, Role.REP, SCHOOL)  # joining stores them
    number = await world.number(STRANGER)
    assert number is not None
    assert number != STRANGER  # a number of their own, not their Telegram id
    assert await _count(world, people, people.c.id == number) == 1


async def test_strangers_get_no_indicators_and_no_template(world: World) -> None:
    for command in ("/indicators", "/template"):
        sent = await world.send(STRANGER, command)
        assert [s.text for s in sent] == [
            "Сначала подключитесь по ссылке-приглашению от координатора."
        ]
        assert all(s.method == "SendMessage" for s in sent)


async def test_invite_guesses_are_throttled(world: World) -> None:
    invite = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    for attempt in range(5):
        sent = await world.send(STRANGER, f"/start wrongtoken{attempt:02d}aaaaaaaaaaaaaaaa")
        assert "Слишком много" not in sent[-1].text
    sent = await world.send(STRANGER, f"/start {invite.token}")  # even a good one: not read
    assert "Слишком много попыток" in sent[-1].text
    assert await world.number(STRANGER) is None
    world.clock.advance(timedelta(minutes=1, seconds=1))
    sent = await world.send(STRANGER, f"/start {invite.token}")
    assert "Слишком много" not in sent[-1].text
    number = await world.number(STRANGER)
    assert await _count(world, bindings, bindings.c.person_id == number) == 1


async def test_an_admin_revokes_a_multi_use_invite_from_a_list(staffed: World) -> None:
    world = staffed
    invite = await world.app.people.create_invite(CLI, Role.ADMIN, None, multi_use=True)
    sent = await world.send(ADMIN, "/revoke")
    assert "какое отозвать" in sent[-1].text
    sent = await world.press(ADMIN, sent[-1], "весь регион, многоразовое")
    assert "отозвано" in sent[-1].text
    assert await _count(world, invites, invites.c.revoked_at.is_not(None)) == 1
    sent = await world.send(STRANGER, f"/start {invite.token}")
    assert "отозвано" in sent[-1].text
    assert await world.number(STRANGER) is None
    async with world.app.database.transaction() as connection:
        actions = list(
            await connection.execute(
                select(audit_log.c.actor, audit_log.c.action).where(audit_log.c.subject == "invite")
            )
        )
    assert (f"person:{await world.number(ADMIN)}", "revoked") in actions


async def test_a_coordinator_revokes_within_reach_only(staffed: World) -> None:
    world = staffed
    mine = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    theirs = await world.app.people.create_invite(CLI, Role.REP, OTHER_SCHOOL)
    await world.app.people.create_invite(CLI, Role.ADMIN, None)
    sent = await world.send(COORDINATOR, "/revoke")
    labels = [label for label, _ in sent[-1].buttons()]
    assert len(labels) == 1
    assert "Гимназия № 4" in labels[0]
    async with world.app.database.transaction() as connection:
        theirs_id = await connection.scalar(
            select(invites.c.id)
            .where(invites.c.created_at.is_not(None))
            .order_by(invites.c.id.desc())
            .offset(1)
        )
    assert theirs.organisation == OTHER_SCHOOL
    sent = await world.send(COORDINATOR, f"/revoke {theirs_id}")
    assert "ничего не изменено" in sent[-1].text
    assert await _count(world, invites, invites.c.revoked_at.is_not(None)) == 0
    sent = await world.send(REP, "/revoke")
    assert sent[-1].text == "Это действие вам недоступно."
    sent = await world.send(COORDINATOR, "/revoke")
    sent = await world.press(COORDINATOR, sent[-1], "Гимназия")
    assert "отозвано" in sent[-1].text
    sent = await world.send(STRANGER, f"/start {mine.token}")
    assert "отозвано" in sent[-1].text


async def test_a_coordinator_unbinds_in_the_subtree_and_is_refused_outside(
    staffed: World,
) -> None:
    world = staffed
    rep, other_rep = await world.number(REP), await world.number(OTHER_REP)
    sent = await world.send(COORDINATOR, f"/unbind {other_rep}")  # a person's number
    assert sent[-1].text == "Этот человек подключён вне ваших полномочий; ничего не изменено."
    assert await _count(world, bindings, bindings.c.person_id == other_rep) == 1
    sent = await world.send(COORDINATOR, "/unbind")
    labels = [label for label, _ in sent[-1].buttons()]
    assert any(str(REP) in label for label in labels)
    assert not any(str(OTHER_REP) in label for label in labels)
    sent = await world.press(COORDINATOR, sent[-1], str(REP))
    assert "отключён" in sent[-1].text
    assert await _count(world, bindings, bindings.c.person_id == rep) == 0
    sent = await world.send(REP, "/status")
    assert sent[-1].text == "Сначала подключитесь по ссылке-приглашению от координатора."
    assert (
        await _count(
            world, audit_log, audit_log.c.action == "unbound", audit_log.c.subject_id == rep
        )
        == 1
    )


async def test_delete_me_erases_the_person_and_keeps_the_reports(staffed: World) -> None:
    world = staffed
    rep = await world.number(REP)
    sent = await world.send(REP, "/delete_me")
    sent = await world.press(REP, sent[-1], "Отмена")
    assert sent[-1].text == "Хорошо, ничего не удалено."
    assert await _count(world, bindings, bindings.c.person_id == rep) == 1
    sent = await world.send(REP, "/delete_me")
    sent = await world.press(REP, sent[-1], "Удалить")
    assert "удалены" in sent[-1].text
    async with world.app.database.transaction() as connection:
        row = (await connection.execute(select(people).where(people.c.id == rep))).one()
    assert (row.name, row.username, row.language) == (FORGOTTEN_NAME, None, None)
    assert await _count(world, bindings, bindings.c.person_id == rep) == 0
    assert await world.number(REP) is None  # their Telegram id is not kept either
    names = await world.app.shares.actor_names([f"person:{rep}"], await world.app.people.tree())
    assert names[f"person:{rep}"] == "удалённый пользователь"
    await world.send(REP, "/start")  # writing again as a stranger stores nothing new
    async with world.app.database.transaction() as connection:
        row = (await connection.execute(select(people).where(people.c.id == rep))).one()
    assert row.name == FORGOTTEN_NAME
    assert await world.number(REP) is None


async def test_removed_from_admin_ids_is_no_longer_admin(staffed: World) -> None:
    world = staffed
    invited_admin = 7001
    await world.join(invited_admin, Role.ADMIN, None)
    settings = world.app.settings.model_copy(update={"admin_ids": ()})
    async with open_app(settings, clock=world.clock) as app:
        dispatcher = build_dispatcher(app)
        world.dispatcher = dispatcher
        sent = await world.send(ADMIN, "/revoke")
        assert sent[-1].text == "Сначала подключитесь по ссылке-приглашению от координатора."
        sent = await world.send(invited_admin, "/revoke")
        assert "Действующих приглашений" in sent[-1].text or "отозвать" in sent[-1].text
        person = await app.people.identify(
            "telegram", COORDINATOR, f"Person {COORDINATOR}", None, "ru"
        )
        assert person.bindings[0].organisation == CITY
