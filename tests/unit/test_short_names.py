"""Short names made from the genre of the registry's names, unique within the registry."""

from __future__ import annotations

import pytest

from bot.domain.access import OrgTree
from bot.domain.model import Organisation, OrganisationKind
from bot.domain.short_names import derive, short_names, town_nominative

AUTHORITY, SCHOOL = OrganisationKind.AUTHORITY, OrganisationKind.SCHOOL


@pytest.mark.parametrize(
    ("name", "short"),
    [
        (
            "Отдел образования Администрации муниципального образования «Сычёвский район» "
            "Смоленской области",
            "Сычёвский район",
        ),
        (
            "Комитет по образованию Администрации муниципального образования «город "
            "Десногорск» Смоленской области",
            "город Десногорск",
        ),
        ("Комитет по образованию Администрации города Смоленска", "город Смоленск"),
        ("МБОУ «Средняя школа № 1» г. Вязьмы Смоленской области", "СШ № 1 Вязьма"),
        ("МБОУ «Средняя школа № 2» г. Починка", "СШ № 2 Починок"),
        ("МБОУ «Средняя школа № 7» г. Рославля", "СШ № 7 Рославль"),
        ("МБОУ «Средняя школа № 3» г. Сафоново", "СШ № 3 Сафоново"),
        ("МБОУ «Лицей № 1 им. академика Б.Н. Петрова» г. Смоленска", "Лицей № 1 Смоленск"),
        ("МБОУ «Андрейковская средняя школа»", "Андрейковская СШ"),
        ("МБОУ «Крутовская основная школа»", "Крутовская ОШ"),
        ("МКОУ «Ивановская средняя общеобразовательная школа»", "Ивановская СОШ"),
        ("ОГБПОУ «Велижский многопрофильный техникум»", "Велижский многопрофильный техникум"),
        ("Департамент Смоленской области по образованию и науке", None),
    ],
)
def test_derive(name: str, short: str | None) -> None:
    assert derive(name) == short


def test_towns_in_the_nominative() -> None:
    assert [town_nominative(t) for t in ("Гагарина", "Десногорска", "Ярцево")] == [
        "Гагарин",
        "Десногорск",
        "Ярцево",
    ]


def test_a_clash_keeps_the_full_names_and_a_given_short_name_wins() -> None:
    one = Organisation("МБОУ «Средняя школа № 1» г. Вязьмы", SCHOOL)
    two = Organisation("МАОУ «Средняя школа № 1» г. Вязьмы Смоленской области", SCHOOL)
    given = Organisation("Департамент по образованию", AUTHORITY, short_name="Департамент")
    names = short_names([one, two, given])
    assert names == {one.name: one.name, two.name: two.name, given.name: "Департамент"}
    # ... and both are still found by the short name the genre suggests.
    assert OrgTree([one, two, given]).search("сш № 1 вязьма") == [one.name, two.name]


def test_a_short_name_equal_to_another_name_is_not_used() -> None:
    school = Organisation("МБОУ «Гимназия № 4»", SCHOOL)
    other = Organisation("Гимназия № 4", SCHOOL)
    assert short_names([school, other])[school.name] == school.name
    assert OrgTree([school, other]).exact("Гимназия № 4") == other.name
