"""The genre's variants: header words, tables without a responsible column, abbreviations
defined inside responsible cells, numbered section headings."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from bot.domain.model import Party
from bot.domain.parties import split_parties
from bot.importers import DocumentError, Problem, dump_roadmap, read_roadmap, read_roadmap_built
from bot.importers.roadmap_table import UNKNOWN_ISSUER, build
from bot.importers.sources import docx_items, text_items
from tests.importers.documents import csv_file, docx_file, text_file


@pytest.mark.parametrize(
    ("number", "title", "responsible", "deadline", "result"),
    [
        ("№ п/п", "Направления деятельности", "Исполнители", "Сроки реализации", "Показатель"),
        ("№", "Содержание работы", "Ответственный исполнитель", "Срок выполнения", "Результат"),
        ("№", "Содержание мероприятия", "Ответственные исполнители", "Период исполнения", "-"),
        ("№ п/п", "Наименование мероприятия", "Ответственные", "Срок исполнения", "-"),
        ("№", "Мероприятие", "Ответственный", "Срок", "Планируемый результат"),
    ],
)
def test_header_variants_of_the_genre(
    tmp_path: Path, number: str, title: str, responsible: str, deadline: str, result: str
) -> None:
    lines = [
        "\t".join([number, title, responsible, deadline, result]),
        "1.\tСовещание с руководителями\tДепартамент\tдо 10.04.2023\tПротокол",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "variant.txt", lines))
    [task] = roadmap.tasks
    assert (task.number, task.title, task.responsible) == (
        "1",
        "Совещание с руководителями",
        ("Департамент",),
    )
    assert task.deadline.due is not None
    assert task.deadline.due.isoformat() == "2023-04-10"


def test_extra_columns_are_kept_in_the_result(tmp_path: Path) -> None:
    rows = [
        [
            "№",
            "Наименование мероприятия",
            "Ответственный исполнитель",
            "Срок исполнения",
            "Ожидаемый результат",
            "Форма отчётности",
            "Показатель",
        ],
        ["1.", "Обучить педагогов", "МОУО", "до 31.05.2023", "Педагоги обучены", "Отчёт", "90%"],
        ["2.", "Провести семинар", "МОУО", "до 30.06.2023", "", "Информация", ""],
    ]
    roadmap = read_roadmap(csv_file(tmp_path / "extra.csv", rows))
    assert [task.result for task in roadmap.tasks] == [
        "Педагоги обучены; Форма отчётности: Отчёт; Показатель: 90%",
        "Форма отчётности: Информация",
    ]


def test_table_without_a_responsible_column_names_the_issuer(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "no-responsible.docx",
        ["МИНИСТЕРСТВО ОБРАЗОВАНИЯ ЭНСКОЙ ОБЛАСТИ", "ПРИКАЗ", "План мероприятий"],
        [
            ["№", "Мероприятия", "Сроки исполнения", "Результат"],
            ["1.", "Провести совещание", "до 10.04.2023", "Протокол"],
            ["2.", "Провести мониторинг", "до 20.04.2023", "Справка"],
        ],
    )
    built = build(docx_items(path), path)
    roadmap = built.roadmap
    assert roadmap.issuer is not None
    assert roadmap.issuer.casefold() == "министерство образования энской области"
    assert [task.title for task in roadmap.tasks] == ["Провести совещание", "Провести мониторинг"]
    assert {task.responsible for task in roadmap.tasks} == {(roadmap.issuer,)}
    assert [task.result for task in roadmap.tasks] == ["Протокол", "Справка"]
    assert roadmap.parties == (Party(roadmap.issuer),)
    assert len(built.warnings) == 1
    assert "нет колонки ответственных" in built.warnings[0]


def test_without_responsible_or_issuer_a_placeholder_and_a_logged_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [
        "№\tМероприятия\tСроки исполнения\tРезультат",
        "1.\tПровести совещание\tдо 10.04.2023\tПротокол",
    ]
    path = text_file(tmp_path / "bare.txt", lines)
    assert build(text_items(path), path).warnings
    with caplog.at_level(logging.WARNING):
        roadmap = read_roadmap(path)
    assert roadmap.tasks[0].responsible == (UNKNOWN_ISSUER,)
    assert "нет колонки ответственных" in caplog.text


def test_a_date_table_is_no_roadmap_header(tmp_path: Path) -> None:
    lines = ["Наименование\tДата\tМесто", "Совещание\t10.04.2023\tзал"]
    with pytest.raises(DocumentError) as raised:
        read_roadmap(text_file(tmp_path / "dates.txt", lines))
    assert raised.value.problem is Problem.NO_ROADMAP_TABLE


MONIMP = "Министерство образования, науки и молодежной политики Нижегородской области"


def test_definition_in_a_responsible_cell_makes_an_alias(tmp_path: Path) -> None:
    lines = [
        "№\tМероприятие\tОтветственные\tСрок",
        f"1.\tСовещание\t{MONIMP} (далее - МОНиМП НО), МОУО\tдо 10.04.2023",
        "2.\tМониторинг\tМОНиМП НО\tдо 20.04.2023",
        "3.\tСеминар\tУправление образования Кушвинского городского округа (далее – УОКГО)"
        "\tдо 30.04.2023",
        "4.\tОтчёт\tУОКГО\tдо 10.05.2023",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "aliases.txt", lines))
    assert [task.responsible for task in roadmap.tasks] == [
        (MONIMP, "МОУО"),
        (MONIMP,),
        ("Управление образования Кушвинского городского округа",),
        ("Управление образования Кушвинского городского округа",),
    ]
    parties = {party.name: party.aliases for party in roadmap.parties}
    assert len(parties) == 3
    assert parties[MONIMP] == ("МОНиМП НО",)
    assert parties["Управление образования Кушвинского городского округа"] == ("УОКГО",)


def test_definition_in_the_text_and_the_abbreviation_in_the_table(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "defined.docx",
        [f"Ответственным назначить {MONIMP} (далее – МОНиМП НО)."],
        [
            ["№ п/п", "Наименование мероприятия", "Ответственный исполнитель", "Срок исполнения"],
            ["1.", "Совещание", "МОНиМП НО", "до 10.04.2023"],
            ["2.", "Мониторинг", MONIMP, "до 20.04.2023"],
        ],
    )
    roadmap = read_roadmap(path)
    assert len(roadmap.parties) == 1
    assert set(roadmap.parties[0].aliases) | {roadmap.parties[0].name} >= {"МОНиМП НО", MONIMP}


def test_a_comma_inside_a_bodys_name_does_not_split_it() -> None:
    assert split_parties(f"{MONIMP}, руководители ОО") == [MONIMP, "руководители ОО"]
    assert split_parties("Министерство образования, руководители ОО") == [
        "Министерство образования",
        "руководители ОО",
    ]


@pytest.mark.parametrize("merged", [True, False])
def test_numbered_section_headings_are_sections_not_statistics(
    tmp_path: Path, merged: bool
) -> None:
    header = ["№ п/п", "Наименование мероприятия", "Ответственные", "Срок исполнения"]
    first: list[str] | str = "I. Нормативное обеспечение"
    second: list[str] | str = "II. Организационное сопровождение ГИА-11"
    third: list[str] | str = "Раздел 3. Подготовка к ГИА-9"
    if not merged:
        first = ["I.", "Нормативное обеспечение", "", ""]
        second = ["II.", "Организационное сопровождение ГИА-11", "", ""]
        third = ["Раздел 3.", "Подготовка к ГИА-9", "", ""]
    path = docx_file(
        tmp_path / "sections.docx",
        [],
        [
            header,
            first,
            ["1.", "Приказ о проведении ГИА", "Министерство", "до 10.01.2024"],
            second,
            ["2.", "Обучение организаторов", "РЦОИ", "до 10.03.2024"],
            third,
            ["3.", "Пробный экзамен", "МОУО", "до 10.04.2024"],
        ],
    )
    roadmap = read_roadmap(path)
    numbered = ["I. Нормативное обеспечение", "II. Организационное сопровождение ГИА-11"]
    numbered.append("Раздел 3. Подготовка к ГИА-9")
    bare = ["Нормативное обеспечение", "Организационное сопровождение ГИА-11"]
    bare.append("Подготовка к ГИА-9")
    titles = numbered if merged else bare
    assert [section.title for section in roadmap.sections] == titles
    assert [task.section for task in roadmap.tasks] == titles
    assert roadmap.baseline == ()


def test_a_hyphenated_name_with_a_number_is_no_statistic_in_the_text(tmp_path: Path) -> None:
    lines = [
        "Организационное сопровождение ГИА-11",
        "Всего: общеобразовательных организаций – 355",
        "№\tМероприятие\tОтветственные\tСрок",
        "1.\tСовещание\tДепартамент\tдо 10.04.2023",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "text.txt", lines))
    assert [figure.value for figure in roadmap.baseline] == [355]


# --- the heading: titles, order numbers, issuers as written --------------------------------

HEADER = "№\tМероприятие\tОтветственные\tСрок"
TASK = "1.\tСовещание\tДепартамент\tдо 10.04.2023"


@pytest.mark.parametrize(
    "title",
    [
        "Комплекс мер (дорожная карта) по подготовке к ГИА в 2024 году",
        "План мероприятий по подготовке к ГИА в 2024 году",
        "Дорожная карта по подготовке к ГИА в 2024 году",
        "Перечень мероприятий по подготовке к ГИА в 2024 году",
        "Межведомственный план по подготовке к ГИА в 2024 году",
        "Межведомственный комплексный план по подготовке к ГИА в 2024 году",
    ],
)
def test_the_genres_titles_are_the_roadmaps_title(tmp_path: Path, title: str) -> None:
    lines = ["Администрация Тамбовской области", "РАСПОРЯЖЕНИЕ", title, HEADER, TASK]
    assert read_roadmap(text_file(tmp_path / "file-name.txt", lines)).title == title


def test_a_word_that_only_begins_like_a_title_is_no_title(tmp_path: Path) -> None:
    lines = ["Планирование мероприятий", HEADER, TASK]
    assert read_roadmap(text_file(tmp_path / "file-name.txt", lines)).title == "file-name"


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("от 12.03.2024 N 241-рп", "241-рп"),
        ("№241-р", "241-р"),
        ("N 1234", "1234"),
        ("от 12.03.2024 № 319-ОД", "319-ОД"),
    ],
)
def test_the_orders_number_with_a_latin_n_or_no_space(
    tmp_path: Path, line: str, number: str
) -> None:
    lines = ["Администрация Тамбовской области", "РАСПОРЯЖЕНИЕ", line, "План мероприятий"]
    path = text_file(tmp_path / "order.txt", [*lines, HEADER, TASK])
    assert read_roadmap(path).document_number == number


def test_a_latin_n_inside_a_word_is_no_number(tmp_path: Path) -> None:
    lines = ["Дорожная карта внедрения VK Messenger 2024", HEADER, TASK]
    assert read_roadmap(text_file(tmp_path / "vk.txt", lines)).document_number is None


@pytest.mark.parametrize(
    ("written", "issuer"),
    [
        ("Администрация Тамбовской области", "Администрация Тамбовской области"),
        ("АДМИНИСТРАЦИЯ ТАМБОВСКОЙ ОБЛАСТИ", "Администрация Тамбовской области"),
        ("АДМИНИСТРАЦИЯ КРАСНОДАРСКОГО КРАЯ", "Администрация Краснодарского края"),
        (
            "Министерство образования и науки Республики Северная Осетия-Алания",
            "Министерство образования и науки Республики Северная Осетия-Алания",
        ),
        (
            "МИНИСТЕРСТВО ОБРАЗОВАНИЯ И НАУКИ РЕСПУБЛИКИ СЕВЕРНАЯ ОСЕТИЯ-АЛАНИЯ",
            "Министерство образования и науки Республики Северная Осетия-Алания",
        ),
        (
            "УПРАВЛЕНИЕ ОБРАЗОВАНИЯ КУШВИНСКОГО ГОРОДСКОГО ОКРУГА",
            "Управление образования Кушвинского городского округа",
        ),
    ],
)
def test_issuers_keep_their_proper_names(tmp_path: Path, written: str, issuer: str) -> None:
    path = docx_file(
        tmp_path / "issuer.docx",
        [written, "ПРИКАЗ", "План мероприятий по подготовке к ГИА"],
        [["№", "Мероприятия", "Сроки исполнения", "Результат"], ["1.", "Совещание", "май", "-"]],
    )
    built = read_roadmap_built(path)
    assert built.roadmap.issuer == issuer
    assert built.roadmap.tasks[0].responsible == (issuer,)  # the party, as written too
    assert built.warnings == (
        f"В таблице нет колонки ответственных: ответственным за все мероприятия указан «{issuer}».",
    )


def test_a_heading_in_capitals_takes_the_documents_own_spelling(tmp_path: Path) -> None:
    lines = [
        "МИНИСТЕРСТВО ОБРАЗОВАНИЯ И НАУКИ РСО-АЛАНИЯ",
        "ПРИКАЗ",
        "Во исполнение поручения Главы РСО-Алания и ведомств Осетия-Алания приказываю:",
        "План мероприятий",
        HEADER,
        TASK,
    ]
    roadmap = read_roadmap(text_file(tmp_path / "rso.txt", lines))
    assert roadmap.issuer == "Министерство образования и науки РСО-Алания"


def test_yaml_is_read_without_warnings(tmp_path: Path) -> None:
    path = text_file(tmp_path / "bare.txt", ["№\tМероприятия\tСроки исполнения\tРезультат"])
    path.write_text(path.read_text() + "1.\tСовещание\tдо 10.04.2023\tПротокол\n")
    built = read_roadmap_built(path)
    assert built.warnings
    yaml_path = tmp_path / "bare.yaml"
    yaml_path.write_text(dump_roadmap(built.roadmap), encoding="utf-8")
    assert read_roadmap_built(yaml_path).warnings == ()


# --- the issuer named where the roadmap is approved ------------------------------------------

NO_RESPONSIBLE = [
    "№\tМероприятия\tСроки исполнения\tРезультат",
    "1.\tСовещание\tмай 2024\tПротокол",
]


@pytest.mark.parametrize(
    ("above", "issuer"),
    [
        (
            [
                "Приложение N 2",
                "к приказу министерства образования",
                "и науки Краснодарского края",
                "от 13 ноября 2015 г. N 5976",
            ],
            "Министерство образования и науки Краснодарского края",
        ),
        (
            ["УТВЕРЖДЕН", "распоряжением Правительства", "Нижегородской области", "от 05.07.2019"],
            "Правительство Нижегородской области",
        ),
        (
            ["Приложение N 1", "к распоряжению", "Администрации г. Улан-Удэ", "от 28.04.2015"],
            "Администрация г. Улан-Удэ",
        ),
        (
            ["Приложение к приказу Министерства образования Республики Мордовия от 30.12.2021"],
            "Министерство образования Республики Мордовия",
        ),
        (
            [
                "ПРИЛОЖЕНИЕ К ПРИКАЗУ ДЕПАРТАМЕНТА ОБРАЗОВАНИЯ ТАМБОВСКОЙ ОБЛАСТИ",
                "от 10.01.2024 № 5",
            ],
            "Департамент образования Тамбовской области",
        ),
        (
            ["к постановлению Комитета по образованию Энского района от 10.01.2024 № 5"],
            "Комитет по образованию Энского района",
        ),
        # the act itself on the first line: the body, not the whole line
        (
            ["Постановление Правительства Мурманской области от 31.05.2007 № 263-ПП/9"],
            "Правительство Мурманской области",
        ),
        # a school's approval block: the head's post names the school
        (
            [
                "«Утверждаю»",
                "Директор МБОУ «Кищинская СОШ имени Г. Сулейманова»",
                "Приказ от 31.08.2022 года №",
                "_ Р.М.Магомедов",
            ],
            "МБОУ «Кищинская СОШ имени Г. Сулейманова»",
        ),
        (
            ["УТВЕРЖДАЮ:", "Начальник управления образования администрации Энского района"],
            "Управление образования администрации Энского района",
        ),
    ],
)
def test_the_issuer_is_the_body_whose_act_approves_the_roadmap(
    tmp_path: Path, above: list[str], issuer: str
) -> None:
    lines = [*above, "План мероприятий по подготовке к ГИА", *NO_RESPONSIBLE]
    built = read_roadmap_built(text_file(tmp_path / "approved.txt", lines))
    assert built.roadmap.issuer == issuer
    # with no responsible column the issuer answers for every task
    assert built.roadmap.tasks[0].responsible == (issuer,)


def test_the_issuers_name_stops_at_the_orders_subject(tmp_path: Path) -> None:
    lines = [
        "Приложение к приказу",
        "Управления образования Энского района",
        "Об утверждении дорожной карты",
        "План мероприятий по подготовке к ГИА",
        *NO_RESPONSIBLE,
    ]
    roadmap = read_roadmap(text_file(tmp_path / "subject.txt", lines))
    assert roadmap.issuer == "Управление образования Энского района"


@pytest.mark.parametrize(
    "above",
    [
        ["В соответствии с постановлением Правительства Российской Федерации от 01.01.2020 № 1"],
        ["УТВЕРЖДАЮ", "Директор школы", "И.И. Иванов"],
    ],
)
def test_an_act_cited_or_a_head_without_a_body_names_no_issuer(
    tmp_path: Path, above: list[str]
) -> None:
    lines = [*above, "План мероприятий по подготовке к ГИА", *NO_RESPONSIBLE]
    built = read_roadmap_built(text_file(tmp_path / "cited.txt", lines))
    assert built.roadmap.issuer is None
    assert built.roadmap.tasks[0].responsible == (UNKNOWN_ISSUER,)


# --- titles as published ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        # a short name it defines and an amendment note follow the title, they are not in it;
        # the genre's words in capitals read as a sentence starts
        (
            [
                "КОМПЛЕКС МЕР (дорожная карта) по созданию Центров «Точка роста» (далее - Центры)",
                "(в ред. Распоряжения Правительства Омской области от 01.04.2020 N 39-рп)",
            ],
            "Комплекс мер (дорожная карта) по созданию Центров «Точка роста»",
        ),
        (
            ["ПЛАН МЕРОПРИЯТИЙ по подготовке к ГИА"],
            "План мероприятий по подготовке к ГИА",
        ),
        # the genre's word alone on its line
        (
            ["План", "мероприятий, посвященных Году патриотического воспитания - 2015"],
            "План мероприятий, посвященных Году патриотического воспитания - 2015",
        ),
        # «План» of more than «мероприятий», broken over lines, one of them starting with a figure
        (
            [
                "План подготовки и проведения мероприятий по празднованию",
                "70-ой годовщины Победы в Великой Отечественной войне",
                "в 2013-2015 году",
            ],
            "План подготовки и проведения мероприятий по празднованию 70-ой годовщины Победы в "
            "Великой Отечественной войне в 2013-2015 году",
        ),
        # a long line going on in lower case is the rest of the title
        (
            [
                'План мероприятий ("дорожная карта")',
                "по обеспечению перехода " + "и " * 120 + "2023",
            ],
            'План мероприятий ("дорожная карта") по обеспечению перехода ' + "и " * 120 + "2023",
        ),
    ],
)
def test_a_title_as_published_reads_whole_and_without_notes(
    tmp_path: Path, lines: list[str], title: str
) -> None:
    path = text_file(
        tmp_path / "file-name.txt", ["Администрация Энского района", *lines, HEADER, TASK]
    )
    assert read_roadmap(path).title == title


def test_a_date_under_the_title_is_not_part_of_it(tmp_path: Path) -> None:
    lines = ["План мероприятий по подготовке к ГИА", "12 марта 2024 г.", HEADER, TASK]
    roadmap = read_roadmap(text_file(tmp_path / "file-name.txt", lines))
    assert roadmap.title == "План мероприятий по подготовке к ГИА"


@pytest.mark.parametrize(
    "line", ["План работы утверждается приказом директора.", "Планирование работы"]
)
def test_a_sentence_about_a_plan_is_no_title(tmp_path: Path, line: str) -> None:
    path = text_file(tmp_path / "file-name.txt", [line, HEADER, TASK])
    assert read_roadmap(path).title == "file-name"


# --- the table ------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["N N п.п", "№№ п/п", "N п/п", "№ п.п."])
def test_the_number_columns_header_as_typed(tmp_path: Path, number: str) -> None:
    lines = [
        f"{number}\tНаименование мероприятия\tСроки реализации\tРезультат",
        "1.\tОрганизационные мероприятия\t\t",
        "1.1.\tАнализ системы оценки\t4 квартал 2006 г.\tПрограмма",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "numbers.txt", lines))
    assert [section.title for section in roadmap.sections] == ["Организационные мероприятия"]
    [task] = roadmap.tasks
    assert (task.number, task.title, task.section) == (
        "1.1",
        "Анализ системы оценки",
        "Организационные мероприятия",
    )
    assert (task.deadline.start, task.deadline.due) == (date(2006, 10, 1), date(2006, 12, 31))


def test_a_stage_with_its_period_is_a_section(tmp_path: Path) -> None:
    lines = [
        "№ п/п\tМероприятия\tСроки\tОтветственные исполнители",
        "I.\tЭтап подготовки\tноябрь 2012 – май 2013г.\t",
        "1.\tОрганизационные мероприятия\t\t",
        "1.1.\tРаспределение функций\tдо 25 ноября 2012г.\tМинистерство",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "stages.txt", lines))
    assert [section.title for section in roadmap.sections] == [
        "Этап подготовки",
        "Организационные мероприятия",
    ]
    assert [(task.number, task.section) for task in roadmap.tasks] == [
        ("1.1", "Организационные мероприятия")
    ]


def test_without_a_number_column_the_number_printed_in_the_activity_is_the_tasks(
    tmp_path: Path,
) -> None:
    lines = [
        "Мероприятия\tСрок\tОтветственные",
        "1. Благотворительная акция «Адрес ветерана»\tмай 2014\tОтдел образования",
        "3.Акция «Память в камне»\tиюнь 2014\tОтдел образования",
        "1.5 млн рублей на ремонт школ\tиюль 2014\tОтдел образования",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "numbered-titles.txt", lines))
    assert [(task.number, task.title) for task in roadmap.tasks] == [
        ("1", "Благотворительная акция «Адрес ветерана»"),
        ("3", "Акция «Память в камне»"),
        ("4", "1.5 млн рублей на ремонт школ"),  # no number printed: the next one
    ]


@pytest.mark.parametrize(
    ("title", "start", "due"),
    [
        # «в течение года» is throughout the plan's years, not only the order's
        ("План мероприятий в 2013-2015 году", date(2013, 1, 1), date(2015, 12, 31)),
        ("План мероприятий на 2021 - 2023 годы", date(2021, 1, 1), date(2023, 12, 31)),
        ("Перечень мероприятий в 2012-2013 учебном году", date(2012, 9, 1), date(2013, 8, 31)),
        ("План мероприятий на 2012 год", date(2012, 1, 1), date(2012, 12, 31)),
        # preparing for a school year, or the year of an exam, is no period of the plan
        ("План мероприятий по подготовке к 2012/2013 учебному году", date(2012, 1, 1), None),
        ("Дорожная карта проведения ГИА в 2013 году", date(2012, 1, 1), None),
    ],
)
def test_throughout_the_year_is_the_period_the_title_gives(
    tmp_path: Path, title: str, start: date, due: date | None
) -> None:
    lines = [
        "Приказ от 28.09.2012 № 7498",
        title,
        "№\tМероприятия\tСроки\tОтветственные",
        "1.\tОказание помощи муниципалитетам\tв течение года\tМинистерство",
        "2.\tСовещание\tмай\tМинистерство",
    ]
    throughout, may = read_roadmap(text_file(tmp_path / "period.txt", lines)).tasks
    assert (throughout.deadline.start, throughout.deadline.due) == (
        start,
        due or date(2012, 12, 31),
    )
    assert may.deadline.due == date(2012, 5, 31)  # a date without a year: the order's year
