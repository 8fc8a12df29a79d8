from __future__ import annotations

import pytest

from bot.domain.model import Party
from bot.domain.parties import (
    COMMON_ABBREVIATIONS,
    find_abbreviations,
    name_keys,
    normalise_parties,
    split_parties,
)

SOIRO_FULL = (
    "государственное автономное учреждение дополнительного профессионального образования "
    "«Смоленский областной институт развития образования»"
)


# --- splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        (
            "Департамент, руководители подведомственных организаций",
            ["Департамент", "руководители подведомственных организаций"],
        ),
        ("МОУО; ОО", ["МОУО", "ОО"]),
        ("Управление образования\nРуководители ОО", ["Управление образования", "Руководители ОО"]),
        (
            "ГАУ ДПО «Центр оценки, мониторинга», МОУО",
            ["ГАУ ДПО «Центр оценки, мониторинга»", "МОУО"],
        ),
        (
            "Департамент (отдел общего, дошкольного образования)",
            ["Департамент (отдел общего, дошкольного образования)"],
        ),
        ('ООО "Рога, копыта", ЦО/VK', ['ООО "Рога, копыта"', "ЦО/VK"]),
        ("  Департамент ,  ,ЦО/ВК. ", ["Департамент", "ЦО/ВК"]),
        ("- Департамент\n- МОУО", ["Департамент", "МОУО"]),
        # A clause describing the body is part of it; "(по согласованию)" is a note.
        (
            "Министерство образования Свердловской области, органы местного самоуправления, "
            "осуществляющие управление в сфере образования (по согласованию)",
            [
                "Министерство образования Свердловской области",
                "органы местного самоуправления, осуществляющие управление в сфере образования",
            ],
        ),
        (
            "Руководители ОО, участвующих в проекте; МОУО",
            ["Руководители ОО, участвующих в проекте", "МОУО"],
        ),
        ("ГАУ ДПО СОИРО (по согласованию), МОУО", ["ГАУ ДПО СОИРО", "МОУО"]),
        ("", []),
    ],
)
def test_split_parties(cell: str, names: list[str]) -> None:
    assert split_parties(cell) == names


# --- abbreviations --------------------------------------------------------------------------


def test_full_form_starts_where_the_initials_spell_the_abbreviation() -> None:
    text = (
        "2. Назначить государственное автономное учреждение дополнительного профессионального "
        "образования «Смоленский областной институт развития образования» (далее – ГАУ ДПО СОИРО) "
        "региональным координатором ИКОП «Сферум»."
    )
    assert find_abbreviations(text) == {"ГАУ ДПО СОИРО": SOIRO_FULL}


def test_hyphenated_words_give_an_initial_per_part_and_quoted_words_match_literally() -> None:
    text = (
        "1. Утвердить дорожную карту по внедрению информационно-коммуникационной образовательной "
        "платформы «Сферум» (далее – ИКОП «Сферум») (Приложение)."
    )
    assert find_abbreviations(text) == {
        "ИКОП «Сферум»": "информационно-коммуникационной образовательной платформы «Сферум»"
    }


@pytest.mark.parametrize("dash", ["–", "-", "—"])
def test_every_dash_introduces_a_definition(dash: str) -> None:
    text = f"Совещание с муниципальными органами управления образованием (далее {dash} МОУО)."
    assert find_abbreviations(text) == {"МОУО": "муниципальными органами управления образованием"}


def test_quoted_definition_and_function_words() -> None:
    text = "Приказ Департамента образования и науки (далее «ДОиН») от 1 марта."
    assert find_abbreviations(text) == {"ДОиН": "Департамента образования и науки"}


def test_a_short_name_reaches_back_to_its_head_word() -> None:
    text = "Департамент Смоленской области по образованию и науке (далее – Департамент) поручает"
    assert find_abbreviations(text) == {
        "Департамент": "Департамент Смоленской области по образованию и науке"
    }


def test_digits_in_an_abbreviation_are_not_letters() -> None:
    text = "Во исполнение протокола. 3. Создать рабочую группу по цифровизации (далее – РГЦ-2)."
    assert find_abbreviations(text) == {"РГЦ-2": "рабочую группу по цифровизации"}


def test_unmatched_letters_fall_back_to_the_clause_start() -> None:
    text = "Во исполнение протокола. 3. Создать совет по цифровой трансформации (далее – СЦТО)."
    assert find_abbreviations(text) == {"СЦТО": "Создать совет по цифровой трансформации"}


def test_first_definition_wins_and_text_without_definitions_gives_none() -> None:
    text = "органы местного самоуправления (далее - ОМСУ), органы самоуправления (далее - ОМСУ)"
    assert find_abbreviations(text) == {"ОМСУ": "органы местного самоуправления"}
    assert find_abbreviations("Проведение ВКС (вебинаров) далее по плану") == {}


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ЦО/VK", "ЦО/ВК"),  # transliteration
        ("COИРО", "СОИРО"),  # Latin C and O that look Cyrillic
        ("ГАУ ДПО «СОИРО»", 'ГАУ ДПО "СОИРО"'),
        ("Департамент.", "департамент"),
        ("Руководители  ОО", "руководители ОО"),
    ],
)
def test_spellings_of_one_name_share_a_key(first: str, second: str) -> None:
    assert name_keys(first) & name_keys(second)


def test_different_names_do_not_share_a_key() -> None:
    assert not name_keys("Руководители ОО") & name_keys("Руководители СПО")


# --- normalising ----------------------------------------------------------------------------


def test_most_used_spelling_is_canonical_and_others_are_aliases() -> None:
    index = normalise_parties(["ЦО/VK", "ЦО/VK, Департамент", "ЦО/ВК", "департамент"])
    assert index.parties == (Party("ЦО/VK", ("ЦО/ВК",)), Party("Департамент"))


def test_ties_go_to_the_first_spelling_seen() -> None:
    index = normalise_parties(["ЦО/ВК", "ЦО/VK"])
    assert index.parties == (Party("ЦО/ВК", ("ЦО/VK",)),)


def test_canonical_name_gets_a_capital_first_letter() -> None:
    index = normalise_parties(["руководители подведомственных организаций"])
    assert index.parties == (Party("Руководители подведомственных организаций"),)


def test_builtin_abbreviation_folds_into_the_full_form_used_more_often() -> None:
    index = normalise_parties(
        [
            "Муниципальные органы управления образованием",
            "Департамент, муниципальные органы управления образованием",
            "Департамент, МОУО",
        ]
    )
    assert index.parties == (
        Party("Муниципальные органы управления образованием", ("МОУО",)),
        Party("Департамент"),
    )
    assert index.responsible("МОУО, Департамент, МОУО") == (
        "Муниципальные органы управления образованием",
        "Департамент",
    )


def test_document_abbreviation_gives_its_full_form_as_alias() -> None:
    index = normalise_parties(
        ["ГАУ ДПО СОИРО", "ЦО/VK, ГАУ ДПО СОИРО"], {"ГАУ ДПО СОИРО": SOIRO_FULL}
    )
    assert index.parties[0] == Party("ГАУ ДПО СОИРО", (SOIRO_FULL[0].upper() + SOIRO_FULL[1:],))


def test_full_form_in_another_grammatical_case_still_folds() -> None:
    index = normalise_parties(
        ["МОУО", "МОУО", "Муниципальные органы управления образованием"],
        {"МОУО": "муниципальных органов управления образованием"},
    )
    assert len(index.parties) == 1
    assert index.parties[0].name == "МОУО"
    assert "Муниципальные органы управления образованием" in index.parties[0].aliases


def test_document_abbreviation_is_offered_as_alias_of_the_full_form_used_in_the_table() -> None:
    index = normalise_parties(
        ["Региональный центр обработки информации"],
        {"РЦОИ": "региональный центр обработки информации"},
    )
    assert index.parties == (Party("Региональный центр обработки информации", ("РЦОИ",)),)


def test_unused_builtin_abbreviations_add_nothing() -> None:
    assert "ОО" in COMMON_ABBREVIATIONS
    index = normalise_parties(["Образовательные организации"])
    assert index.parties == (Party("Образовательные организации"),)


def test_responsible_keeps_cell_order_without_repeats() -> None:
    index = normalise_parties(["ЦО/ВК, Департамент, МОУО", "ЦО/VK", "ЦО/VK"])
    assert index.responsible("ЦО/ВК, Департамент, ЦО/VK") == ("ЦО/VK", "Департамент")


def test_unknown_name_comes_back_tidied() -> None:
    index = normalise_parties(["Департамент"])
    assert index.canonical("  разработчик   ЭЖД. ") == "Разработчик ЭЖД"
    assert index.canonical("департамент") == "Департамент"


def test_no_cells_no_parties() -> None:
    assert normalise_parties([]).parties == ()
