"""Every role x every action, checked in the services (not by hiding buttons)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.domain.access import Person, Role
from bot.services.parties import PartyService
from bot.services.people import Forbidden
from bot.services.shares import NoOwnShare
from tests.bot.conftest import (
    ADMIN,
    CITY,
    COORDINATOR,
    OBSERVER,
    OTHER_SCHOOL,
    REP,
    SCHOOL,
    STRANGER,
    World,
)

PEOPLE = {
    "admin": ADMIN,
    "coordinator": COORDINATOR,
    "rep": REP,
    "observer": OBSERVER,
    "stranger": STRANGER,
}

# Task numbers: 1 is the department's, 4 the municipal bodies', 7 the schools'.
# What each role may do; everything else must raise Forbidden and change nothing.
MATRIX: dict[str, set[str]] = {
    "admin": {
        "view 1",
        "view 4",
        "view 7",
        "done 1",
        "done 4",
        "done 7",
        "reopen 7",
        "comment 1",
        "comment 4",
        "comment 7",
        "invite rep here",
        "invite rep elsewhere",
        "invite admin",
        "invite coordinator",
        "orgs",
        "parties",
        "bind",
    },
    "coordinator": {
        "view 4",
        "view 7",
        "done 4",
        "done 7",
        "reopen 7",
        "comment 4",
        "comment 7",
        "invite rep here",
        "invite coordinator",
        "orgs",
    },
    "rep": {"view 7", "done 7", "reopen 7", "comment 7"},
    "observer": {"view 1", "view 4", "view 7", "orgs"},
    "stranger": set(),
}
ACTIONS = sorted(set().union(*MATRIX.values()) | {"comment 1", "comment 7"})


async def person(world: World, role: str) -> Person:
    return await world.app.people.identify(
        "telegram", PEOPLE[role], f"Person {PEOPLE[role]}", None, "ru"
    )


async def task_id(world: World, number: str) -> int:
    roadmap = await world.app.roadmaps.roadmap()
    return next(t.id for t in roadmap.tasks if t.number == number and t.id is not None)


def action(world: World, who: Person, name: str) -> Callable[[], Awaitable[Any]]:
    app = world.app
    verb, _, what = name.partition(" ")

    async def run() -> Any:
        if verb == "view":
            return await app.tasks.card(who, await task_id(world, what))
        if verb == "done":  # one's own share, or all of one's reach when one owes none
            try:
                return await app.tasks.mark_done(who, await task_id(world, what))
            except NoOwnShare:
                return await app.tasks.mark_done(who, await task_id(world, what), everyone=True)
        if verb == "reopen":
            await app.tasks.mark_done(
                await person(world, "admin"), await task_id(world, what), everyone=True
            )
            try:
                return await app.tasks.reopen(who, await task_id(world, what))
            except NoOwnShare:
                return await app.tasks.reopen(who, await task_id(world, what), everyone=True)
        if verb == "comment":
            return await app.tasks.comment(who, await task_id(world, what), "проверка")
        if name == "invite rep here":
            return await app.people.create_invite(who, Role.REP, SCHOOL)
        if name == "invite rep elsewhere":
            return await app.people.create_invite(who, Role.REP, OTHER_SCHOOL)
        if name == "invite admin":
            return await app.people.create_invite(who, Role.ADMIN, None)
        if name == "invite coordinator":
            return await app.people.create_invite(who, Role.COORDINATOR, CITY)
        if name == "orgs":
            return await app.organisations.roster(who)
        if name == "parties":
            return await app.parties.overview(who)
        if name == "bind":
            parties: PartyService = app.parties
            return await parties.bind_chat(who, -1001, "Группа", 1, world.clock.now())
        raise AssertionError(name)

    return run


@pytest.mark.parametrize("role", sorted(MATRIX))
async def test_permission_matrix(staffed: World, role: str) -> None:
    who = await person(staffed, role)
    wrong = []
    for name in ACTIONS:
        try:
            await action(staffed, who, name)()
            allowed = True
        except Forbidden:
            allowed = False
        if allowed != (name in MATRIX[role]):
            wrong.append(f"{'allowed' if allowed else 'refused'}: {name}")
    assert wrong == []


async def test_a_refused_mark_changes_nothing_and_logs_nothing(staffed: World) -> None:
    rep = await person(staffed, "rep")
    department_task = await task_id(staffed, "1")
    before = await staffed.app.tasks.card(await person(staffed, "admin"), department_task)
    with pytest.raises(Forbidden):
        await staffed.app.tasks.mark_done(rep, department_task)
    after = await staffed.app.tasks.card(await person(staffed, "admin"), department_task)
    assert after.task.status is before.task.status
    assert after.history == before.history
