"""Who may invite whom, in one place (PeopleService): the roles a person may invite to, and
the organisations they may invite each role to — the /invite flow only shows what it says."""

from __future__ import annotations

from bot.domain.access import Role
from tests.bot.conftest import ADMIN, CITY, COORDINATOR, OBSERVER, REP, SCHOOL, World


async def test_the_roles_each_person_may_invite_to(staffed: World) -> None:
    people = staffed.app.people

    async def roles(user_id: int) -> list[Role]:
        person = await people.identify("telegram", user_id, f"Person {user_id}", None, "ru")
        return people.invitable_roles(person)

    assert await roles(ADMIN) == list(Role)
    assert await roles(COORDINATOR) == [Role.COORDINATOR, Role.REP, Role.OBSERVER]
    assert await roles(REP) == []
    assert await roles(OBSERVER) == []


async def test_the_organisations_a_role_may_be_invited_to(staffed: World) -> None:
    people = staffed.app.people
    admin = await people.identify("telegram", ADMIN, "Admin", None, "ru")
    coordinator = await people.identify("telegram", COORDINATOR, "Coordinator", None, "ru")
    # A coordinator is bound to an education authority only, whoever invites.
    assert await people.invite_targets(admin, Role.COORDINATOR, "Гимназия № 4") == []
    assert await people.invite_targets(admin, Role.REP, "Гимназия № 4") == [SCHOOL]
    assert await people.invite_targets(admin, Role.COORDINATOR, "города Смоленска") == [CITY]
    # Within the coordinator's own reach only: the city's schools, not Velizh's.
    assert await people.invite_targets(coordinator, Role.REP, "Гимназия № 4") == [SCHOOL]
    assert await people.invite_targets(coordinator, Role.REP, "Велижская") == []
    assert len(await people.invite_targets(admin, Role.REP, "Велижская")) >= 1
    assert await people.invite_targets(coordinator, Role.COORDINATOR, "Смоленска") == [CITY]


async def test_the_bot_offers_only_what_the_service_allows(staffed: World) -> None:
    await staffed.send(COORDINATOR, "/invite")
    (question,) = staffed.session.sent[-1:]
    assert [label for label, _ in question.buttons()] == [
        "координатор",
        "представитель организации",
        "наблюдатель",
    ]
    await staffed.press(COORDINATOR, question, "координатор")
    (answer,) = await staffed.send(COORDINATOR, "Гимназия № 4")
    assert answer.text.startswith("Не нашлось организаций «Гимназия № 4»")
    (refused,) = await staffed.send(REP, "/invite")
    assert refused.text == "Это действие вам недоступно."
