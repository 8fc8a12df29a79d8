"""Joining says what will happen and what to do now, per role; /help and the menu are complete
for each role and set when a person joins or leaves, not after a restart."""

from __future__ import annotations

from typing import Any

from bot.domain.access import Role
from bot.render.telegram import COMMANDS
from bot.render.texts import MESSAGES
from tests.bot.conftest import ADMIN, COORDINATOR, SCHOOL, World
from tests.bot.test_reports import define

CITY = "Комитет по образованию Администрации города Смоленска"


def menus_of(world: World, chat_id: int) -> list[list[str]]:
    """The command menus set for one person's chat, oldest first."""
    found = []
    for request in world.session.requests:
        if type(request).__name__ != "SetMyCommands":
            continue
        menu: Any = request  # a SetMyCommands
        if getattr(menu.scope, "chat_id", None) == chat_id:
            found.append([command.command for command in menu.commands])
    return found


async def test_a_school_hears_when_it_will_be_asked_and_what_to_do(world: World) -> None:
    await define(world)
    (greeting, *_) = await world.join(9501, Role.REP, SCHOOL)
    text = greeting.text
    assert "по пятницам в 10:00 спрошу недельные цифры" in text
    assert "/mytasks" in text
    assert "/report" in text  # /help below it is complete for a school
    assert "/invite" not in text
    assert menus_of(world, 9501)[-1][:3] == ["status", "tasks", "mytasks"]
    assert "report" in menus_of(world, 9501)[-1]


async def test_a_coordinator_hears_about_reminders_and_whom_to_invite(world: World) -> None:
    (greeting, *_) = await world.join(9502, Role.COORDINATOR, CITY)
    text = greeting.text
    assert "напоминания о сроках ваших организаций" in text
    assert "«Напомнить им»" in text
    assert "/invite" in text
    assert "/template" in text
    assert "/export" in text
    assert {"invite", "template", "export", "report"} <= set(menus_of(world, 9502)[-1])


async def test_a_school_with_nothing_asked_yet_is_told_so(world: World) -> None:
    (greeting, *_) = await world.join(9503, Role.REP, SCHOOL)
    assert "Недельных показателей пока не задано" in greeting.text


async def test_every_command_has_help_in_both_languages() -> None:
    for name, _ in COMMANDS:
        assert f"help.{name}" in MESSAGES["ru"], name
        assert f"help.{name}" in MESSAGES["en"], name


async def test_an_admin_from_admin_ids_gets_the_menu_at_the_first_start(staffed: World) -> None:
    before = len(menus_of(staffed, ADMIN))
    await staffed.send(ADMIN, "/start")
    menus = menus_of(staffed, ADMIN)
    assert len(menus) == before + 1
    assert {"indicator", "parties", "export", "unbind"} <= set(menus[-1])


async def test_an_unbound_person_loses_the_menu_at_once(staffed: World) -> None:
    (done,) = await staffed.send(ADMIN, f"/unbind {await staffed.number(COORDINATOR)}")
    assert "отключ" in done.text.lower()
    assert menus_of(staffed, COORDINATOR)[-1] == ["help"]  # a stranger again


async def test_a_stranger_is_told_how_to_join(world: World) -> None:
    (answer,) = await world.send(9599, "/start")
    assert "попросите у координатора ссылку-приглашение" in answer.text
