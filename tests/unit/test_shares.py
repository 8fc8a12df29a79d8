"""Shares as pure rules: who owes a task, how shares roll up, who hears what."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.access import Binding, OrgTree, Person, Role
from bot.domain.audience import Audience
from bot.domain.channels import TELEGRAM, Address
from bot.domain.links import PartyLink, PartyMap
from bot.domain.model import Deadline, Organisation, OrganisationKind, Task
from bot.domain.shares import (
    Marks,
    MarkState,
    OrgSet,
    Owing,
    ShareCounts,
    ShareState,
    is_late,
    occurrence_of,
    share_state,
    tally,
)

DEPARTMENT, CITY, VILLAGE = "Департамент", "Город", "Район"
SCHOOLS = {CITY: ["Школа 1", "Школа 2", "Школа 3"], VILLAGE: ["Школа 4", "Школа 5"]}
IDS = {DEPARTMENT: 1, CITY: 2, VILLAGE: 3, "Школа 1": 4, "Школа 2": 5, "Школа 3": 6}
IDS |= {"Школа 4": 7, "Школа 5": 8}


def registry(*extra: Organisation) -> OrgTree:
    orgs = [
        Organisation(DEPARTMENT, OrganisationKind.AUTHORITY),
        Organisation(CITY, OrganisationKind.AUTHORITY, DEPARTMENT),
        Organisation(VILLAGE, OrganisationKind.AUTHORITY, DEPARTMENT),
    ]
    orgs += [
        Organisation(school, OrganisationKind.SCHOOL, parent)
        for parent, schools in SCHOOLS.items()
        for school in schools
    ]
    return OrgTree([*orgs, *extra])


SCHOOL_TASK = Task(
    "5", "Совещания", None, ("Школы",), Deadline("до 17.04.2023", due=date(2023, 4, 17)), id=5
)
WEEKLY = Task(
    "18",
    "Статистика",
    None,
    ("Школы",),
    Deadline("еженедельно, по пятницам", recurrence="FREQ=WEEKLY;BYDAY=FR"),
    id=18,
)
EVERY_SCHOOL = PartyLink("Школы", DEPARTMENT, OrganisationKind.SCHOOL)


def owed(tree: OrgTree, links: list[PartyLink], task: Task = SCHOOL_TASK) -> OrgSet:
    acting = PartyMap(links, tree).acting_for(task)
    return OrgSet.of(IDS[name] for name in acting)


def test_a_party_acting_through_every_school_makes_each_school_owe_the_task() -> None:
    everyone = owed(registry(), [EVERY_SCHOOL])
    assert sorted(everyone.ids()) == [4, 5, 6, 7, 8]
    assert len(everyone) == 5


def test_relinking_changes_who_owes_without_touching_marks() -> None:
    marks = Marks()
    marks.set(IDS["Школа 1"], MarkState.DONE)
    marks.set(IDS["Школа 4"], MarkState.DONE)
    city_only = owed(registry(), [PartyLink("Школы", CITY, OrganisationKind.SCHOOL)])
    assert tally(city_only, marks, late=True) == ShareCounts(3, done=1, overdue=2)
    back = owed(registry(), [EVERY_SCHOOL])  # linked to every school again: nothing was lost
    assert tally(back, marks, late=True) == ShareCounts(5, done=2, overdue=3)


def test_a_new_organisation_owes_the_task_from_its_import_on() -> None:
    tree = registry(Organisation("Школа 6", OrganisationKind.SCHOOL, VILLAGE))
    IDS["Школа 6"] = 9
    try:
        everyone = owed(tree, [EVERY_SCHOOL])
        assert 9 in everyone
        assert tally(everyone, Marks(), late=False) == ShareCounts(6)
    finally:
        del IDS["Школа 6"]


def test_excused_and_done_shares_roll_up_by_subtree() -> None:
    marks = Marks()
    marks.set(IDS["Школа 1"], MarkState.DONE)
    marks.set(IDS["Школа 2"], MarkState.EXCUSED)
    marks.set(IDS["Школа 4"], MarkState.DONE)
    marks.set(IDS["Школа 4"], MarkState.OPEN)  # reopened
    everyone = owed(registry(), [EVERY_SCHOOL])
    city = OrgSet.of(IDS[n] for n in [CITY, *SCHOOLS[CITY]])
    village = OrgSet.of(IDS[n] for n in [VILLAGE, *SCHOOLS[VILLAGE]])
    assert tally(everyone & city, marks, late=True) == ShareCounts(3, 1, 1, 1)
    assert tally(everyone & village, marks, late=True) == ShareCounts(2, 0, 0, 2)
    assert tally(everyone, marks, late=False) == ShareCounts(5, 1, 1, 0)
    assert ShareCounts(5, 1, 1, 0).open == 3
    assert marks.open_among(everyone) == [6, 7, 8]
    assert share_state(IDS["Школа 2"], marks, late=True) is ShareState.EXCUSED
    assert share_state(IDS["Школа 4"], marks, late=True) is ShareState.OVERDUE
    assert share_state(IDS["Школа 5"], marks, late=False) is ShareState.OPEN


def test_the_share_of_a_recurring_task_is_its_next_occurrence_and_never_overdue() -> None:
    wednesday = date(2023, 4, 19)
    assert occurrence_of(WEEKLY, wednesday) == date(2023, 4, 21)
    assert occurrence_of(WEEKLY, date(2023, 4, 21)) == date(2023, 4, 21)
    assert occurrence_of(WEEKLY, date(2023, 4, 22)) == date(2023, 4, 28)
    assert occurrence_of(SCHOOL_TASK, wednesday) is None
    assert not is_late(WEEKLY, date(2023, 6, 1))
    assert is_late(SCHOOL_TASK, date(2023, 4, 18))
    assert not is_late(SCHOOL_TASK, date(2023, 4, 17))


def test_masks_count_the_same_as_sets_at_scale() -> None:
    ids = range(1, 40_001)
    schools = OrgSet.of(ids)
    marks = Marks()
    done = set(range(3, 40_001, 3))
    for org_id in done:
        marks.set(org_id, MarkState.DONE)
    assert len(schools) == 40_000
    assert marks.count(schools) == (len(done), 0)
    half = OrgSet.of(range(1, 20_001))
    assert marks.count(schools & half) == (len([i for i in done if i <= 20_000]), 0)


# -- who hears --------------------------------------------------------------------------------


def people() -> list[Person]:
    found = [
        Person(1, "Админ", (Binding(Role.ADMIN),)),
        Person(2, "Координатор города", (Binding(Role.COORDINATOR, CITY),)),
        Person(3, "Координатор района", (Binding(Role.COORDINATOR, VILLAGE),)),
        *(Person(10 + n, f"Школа {n}", (Binding(Role.REP, f"Школа {n}"),)) for n in range(1, 6)),
    ]
    # Each reached in Telegram, in a private chat that is not their number.
    return [replace(p, addresses=(Address(TELEGRAM, 900 + p.id),)) for p in found]


def still_owing(marks: Marks, owed: OrgSet) -> Owing:
    return Owing(marks.pending(owed), IDS)


def test_a_school_that_did_its_share_hears_nothing_more_and_the_others_keep_hearing() -> None:
    tree = registry()
    audience = Audience(people(), [], tree, default_timezone="Europe/Moscow")
    acting = PartyMap([EVERY_SCHOOL], tree).acting_for(SCHOOL_TASK)
    marks = Marks()
    marks.set(IDS["Школа 2"], MarkState.DONE)
    marks.set(IDS["Школа 5"], MarkState.EXCUSED)
    heard = audience.for_task(SCHOOL_TASK, acting, still_owing(marks, owed(tree, [EVERY_SCHOOL])))
    assert sorted(listener.person_id or 0 for listener in heard) == [11, 13, 14]


def test_escalation_lists_each_coordinators_own_late_schools() -> None:
    tree = registry()
    audience = Audience(people(), [], tree, default_timezone="Europe/Moscow")
    acting = PartyMap([EVERY_SCHOOL], tree).acting_for(SCHOOL_TASK)
    marks = Marks()
    marks.set(IDS["Школа 1"], MarkState.DONE)
    marks.set(IDS["Школа 4"], MarkState.DONE)
    marks.set(IDS["Школа 5"], MarkState.DONE)
    above = audience.supervisors(acting, still_owing(marks, owed(tree, [EVERY_SCHOOL])))
    assert {listener.person_id: below for listener, below in above.items()} == {
        2: [
            "Школа 2",
            "Школа 3",
        ]  # the village's schools are all done: its coordinator hears nothing
    }
