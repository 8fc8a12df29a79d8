from __future__ import annotations

import string

import pytest

from bot.render.texts import MESSAGES, NOUNS, Texts


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_russian_and_english_have_the_same_messages_and_placeholders() -> None:
    assert MESSAGES["ru"].keys() == MESSAGES["en"].keys()
    for key, russian in MESSAGES["ru"].items():
        assert placeholders(russian) == placeholders(MESSAGES["en"][key]), key
    assert NOUNS["ru"].keys() == NOUNS["en"].keys()


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 мероприятие"),
        (2, "2 мероприятия"),
        (5, "5 мероприятий"),
        (11, "11 мероприятий"),
        (21, "21 мероприятие"),
        (22, "22 мероприятия"),
        (112, "112 мероприятий"),
    ],
)
def test_russian_counts_take_the_right_plural_form(n: int, expected: str) -> None:
    assert Texts("ru").count("task", n) == expected


def test_english_counts() -> None:
    assert Texts("en").count("task", 1) == "1 task"
    assert Texts("en").count("task", 22) == "22 tasks"
