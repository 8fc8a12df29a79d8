"""The Smolensk order 319-ОД as the user gets it, from the Word file and from its text paste."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import (
    BaselineFigure,
    Deadline,
    Measure,
    OrganisationKind,
    Party,
    Roadmap,
    Target,
)
from bot.importers import read_roadmap
from tests.conftest import SMOLENSK_DOCX, SMOLENSK_TXT

SECTIONS = [
    "Проведение организационных мероприятий по подключению к ИКОП Сферум",
    "Мероприятия по подключению к ИКОП Сферум",
    "Сопровождение организация деятельности в ИКОП Сферум",
]
NUMBERS = [str(n) for n in range(1, 12)] + [str(n) for n in range(11, 22)]
MOUO = "Муниципальные органы управления образованием"
SOIRO = "ГАУ ДПО СОИРО"
SOIRO_FULL = (
    "Государственное автономное учреждение дополнительного профессионального образования "
    "«Смоленский областной институт развития образования»"
)
VK = "ЦО/VK"
DEPT = "Департамент"
HEADS_SUB = "Руководители подведомственных организаций"
HEADS_MUNI = "Руководители муниципальных общеобразовательных организаций"

WEEKLY_ON_FRIDAYS = "FREQ=WEEKLY;BYDAY=FR"


def due(day: int, month: int, text: str | None = None) -> Deadline:
    return Deadline(text or f"{day:02d}.{month:02d}.2023", due=date(2023, month, day))


def by(day: int, month: int) -> Deadline:
    return due(day, month, f"до {day:02d}.{month:02d}.2023")


def since(day: int, month: int) -> Deadline:
    return Deadline(f"с {day:02d}.{month:02d}.2023", start=date(2023, month, day))


# Every deadline of the order, as the deadline grammar reads it with the order's year.
DEADLINES = [
    due(10, 4, "10.04..2023"),  # the doubled dot is the document's
    due(11, 4),
    due(12, 4),
    due(14, 4),
    by(17, 4),
    by(10, 4),
    by(28, 4),
    by(13, 4),
    due(14, 4),
    due(14, 4),
    due(20, 4),
    since(5, 4),  # the second "11"
    by(30, 4),
    by(30, 4),
    by(31, 5),
    by(10, 5),
    since(20, 4),
    by(10, 5),
    Deadline("еженедельно, по пятницам", recurrence=WEEKLY_ON_FRIDAYS),
    Deadline("май 2023 года", start=date(2023, 5, 1), due=date(2023, 5, 31)),
    Deadline("по согласованию", note="по согласованию"),
    Deadline(
        "с 10.04.2023, в течении 2 суток после получения",
        start=date(2023, 4, 10),
        note="в течении 2 суток после получения",
    ),
]


@pytest.fixture(scope="module", params=[SMOLENSK_DOCX, SMOLENSK_TXT], ids=["docx", "txt"])
def roadmap(request: pytest.FixtureRequest) -> Roadmap:
    return read_roadmap(request.param)


def test_heading(roadmap: Roadmap) -> None:
    assert roadmap.title == (
        "Дорожная карта по внедрению информационно-коммуникационной образовательной платформы "
        "Сферум/VK Мессенджер в Смоленской области"
    )
    assert roadmap.issuer == "Департамент Смоленской области по образованию и науке"
    assert roadmap.document_number == "319-ОД"
    assert roadmap.document_date == date(2023, 4, 7)
    assert roadmap.goal == (
        "внедрение информационно-коммуникационной образовательной платформы Сферум/VK Мессенджер "
        "в деятельность органов управления в сфере образования и образовательных организаций "
        "Смоленской области к 01.09.2023."
    )
    assert roadmap.timezone is None
    assert roadmap.slug is None


def test_sections_and_numbers(roadmap: Roadmap) -> None:
    assert [section.title for section in roadmap.sections] == SECTIONS
    assert [task.number for task in roadmap.tasks] == NUMBERS
    assert len(roadmap.tasks) == 22
    sections = [task.section for task in roadmap.tasks]
    assert sections == [SECTIONS[0]] * 5 + [SECTIONS[1]] * 11 + [SECTIONS[2]] * 6


def test_both_rows_numbered_11_are_tasks(roadmap: Roadmap) -> None:
    first, second = (task for task in roadmap.tasks if task.number == "11")
    assert first.title.startswith("Перевод 100% внутренних коммуникаций")
    assert second.title.startswith("Организация поддержки работы МОУО")
    assert second.responsible == (SOIRO,)


def test_titles_as_printed(roadmap: Roadmap) -> None:
    assert roadmap.tasks[0].title == (
        "Проведение ВКС с муниципальными органами исполнительной власти в сфере образования"
    )
    assert roadmap.tasks[4].title == (
        "Проведение совещаний руководителями общеобразовательных организаций с педагогическими "
        "коллективами."
    )
    assert all(task.result is None for task in roadmap.tasks)


def test_deadlines(roadmap: Roadmap) -> None:
    assert [task.deadline for task in roadmap.tasks] == DEADLINES


def test_only_the_deadline_by_agreement_needs_a_date(roadmap: Roadmap) -> None:
    assert [task.number for task in roadmap.tasks if not task.deadline.fixed] == ["20"]


def test_parties(roadmap: Roadmap) -> None:
    assert roadmap.parties == (
        Party(DEPT),
        Party(MOUO, ("МОУО",)),
        Party("Руководители образовательных организаций"),
        Party(HEADS_MUNI),
        Party(HEADS_SUB),
        Party(SOIRO, (SOIRO_FULL,)),
        Party(VK, ("ЦО/ВК",)),
        Party("Разработчик ЭЖД"),
    )


def test_responsible_are_canonical_names_in_cell_order(roadmap: Roadmap) -> None:
    responsible = {index: task.responsible for index, task in enumerate(roadmap.tasks)}
    assert responsible[7] == (DEPT, HEADS_SUB)  # "Департамент, руководители подведомственных ..."
    assert responsible[8] == (DEPT, MOUO)  # "... муниципальные органы управления образованием"
    assert responsible[10] == (MOUO, HEADS_MUNI)
    assert responsible[13] == (VK, DEPT, SOIRO)
    assert responsible[14] == (VK, "Разработчик ЭЖД")
    assert responsible[17] == (DEPT, MOUO, VK)  # "Департамент, МОУО, ЦО/VK"
    assert responsible[18] == (VK,)  # "ЦО/ВК"
    assert responsible[20] == (VK, DEPT, MOUO)  # "ЦО/ВК, Департамент, МОУО"
    names = {party.name for party in roadmap.parties}
    assert all(set(task.responsible) <= names for task in roadmap.tasks)


def test_baseline(roadmap: Roadmap) -> None:
    scope = "Смоленская область"
    school, college = OrganisationKind.SCHOOL, OrganisationKind.COLLEGE
    assert roadmap.baseline == (
        BaselineFigure(
            scope, "общеобразовательных организаций", 355, school, Measure.ORGANISATIONS
        ),
        BaselineFigure(
            scope,
            "педагогических работников общеобразовательных организаций",
            7654,
            school,
            Measure.TEACHERS,
        ),
        BaselineFigure(
            scope, "обучающихся общеобразовательных организаций", 95868, school, Measure.PUPILS
        ),
        BaselineFigure(
            scope,
            "профессиональных образовательных организаций",
            20,
            college,
            Measure.ORGANISATIONS,
        ),
        BaselineFigure(
            scope,
            "педагогических работников профессиональных образовательных организаций",
            989,
            college,
            Measure.TEACHERS,
        ),
        BaselineFigure(
            scope,
            "студентов профессиональных образовательных организаций",
            17329,
            college,
            Measure.PUPILS,
        ),
    )


def test_target_stated_twice_is_one_target(roadmap: Roadmap) -> None:
    assert roadmap.targets == (
        Target(
            "100% педагогических работников общеобразовательных, профессиональных "
            "образовательных организаций и организаций дополнительного образования при "
            "организации образовательной деятельности и/или организации коммуникаций в сети "
            "Интернет с обучающимися и родителями (законными представителями) используют "
            "информационно-коммуникационную образовательную платформу «Сферум» до 31 мая 2023 года",
            percent=100,
            due=date(2023, 5, 31),
        ),
    )


def test_word_file_and_text_paste_give_the_same_roadmap() -> None:
    from_word, from_text = read_roadmap(SMOLENSK_DOCX), read_roadmap(SMOLENSK_TXT)
    assert from_word.tasks == from_text.tasks
    assert from_word == from_text
