"""The weekly answer's grammar, table-driven: what people wrote, what it means."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.indicator_grammar import (
    AnswerProblem,
    AnswerRefused,
    WeeklyAnswer,
    read_weekly_answer,
)

LABELS = {
    "педагогов": "teachers",
    "учителей": "teachers",
    "педагоги": "teachers",
    "учителя": "teachers",
    "чатов": "chats",
    "чаты": "chats",
    "чат": "chats",
    "сотрудников": "staff",
}
T, C = "teachers", "chats"

READ = [
    ("38", WeeklyAnswer(bare=(38,))),
    ("38 из 45", WeeklyAnswer(bare=(38,), of=45)),
    ("38/45", WeeklyAnswer(bare=(38,), of=45)),
    ("30, 15", WeeklyAnswer(bare=(30, 15))),
    ("30 и 15", WeeklyAnswer(bare=(30, 15))),
    ("30; 15", WeeklyAnswer(bare=(30, 15))),
    ("30\n15", WeeklyAnswer(bare=(30, 15))),
    ("1 234", WeeklyAnswer(bare=(1234,))),
    ("0", WeeklyAnswer(bare=(0,))),
    ("38.", WeeklyAnswer(bare=(38,))),
    ("Добрый день! 38", WeeklyAnswer(bare=(38,))),
    ("МБОУ СШ № 4: 38", WeeklyAnswer(bare=(38,))),
    ("учителей 38, чатов 12", WeeklyAnswer(labelled=((T, 38), (C, 12)))),
    ("учителей 30 чатов 15", WeeklyAnswer(labelled=((T, 30), (C, 15)))),
    ("Добрый день! У нас 45 педагогов и 16 чатов", WeeklyAnswer(labelled=((T, 45), (C, 16)))),
    ("30 учителей; 15 чатов", WeeklyAnswer(labelled=((T, 30), (C, 15)))),
    ("педагогов 45, 16 чатов", WeeklyAnswer(labelled=((T, 45), (C, 16)))),
    ("учителя — 38", WeeklyAnswer(labelled=((T, 38),))),
    ("чаты: 12", WeeklyAnswer(labelled=((C, 12),))),
    ("38/45 педагогов", WeeklyAnswer(labelled=((T, 38),), of=45)),
    ("учителей 38 человек", WeeklyAnswer(labelled=((T, 38),))),
    ("Здравствуйте. Педагогов 40, чатов 7. Спасибо!", WeeklyAnswer(labelled=((T, 40), (C, 7)))),
    ("учителей 38, педагогов 38", WeeklyAnswer(labelled=((T, 38),))),
    ("ЧАТОВ 5", WeeklyAnswer(labelled=((C, 5),))),
]

REFUSED = [
    ("", AnswerProblem.EMPTY),
    ("   ", AnswerProblem.EMPTY),
    ("спасибо", AnswerProblem.NOT_A_NUMBER),
    ("много", AnswerProblem.NOT_A_NUMBER),
    ("чатов", AnswerProblem.NOT_A_NUMBER),
    ("около 40", AnswerProblem.NOT_A_NUMBER),
    ("примерно 40 педагогов", AnswerProblem.NOT_A_NUMBER),
    ("больше 30", AnswerProblem.NOT_A_NUMBER),
    ("38 из", AnswerProblem.NOT_A_NUMBER),
    ("из 45", AnswerProblem.NOT_A_NUMBER),
    ("3.5", AnswerProblem.BAD_NUMBER),
    ("30,15", AnswerProblem.BAD_NUMBER),
    ("1,000", AnswerProblem.BAD_NUMBER),
    ("5-6", AnswerProblem.BAD_NUMBER),
    ("-5", AnswerProblem.BAD_NUMBER),
    ("+5", AnswerProblem.BAD_NUMBER),
    ("38%", AnswerProblem.BAD_NUMBER),
    ("38 12", AnswerProblem.BAD_NUMBER),
    ("٣٨", AnswerProblem.BAD_NUMBER),
    ("３８", AnswerProblem.BAD_NUMBER),
    ("½", AnswerProblem.BAD_NUMBER),
    ("1234567890", AnswerProblem.BAD_NUMBER),
    ("38 из 0", AnswerProblem.BAD_NUMBER),
    ("38, чатов 12", AnswerProblem.MIXED),
    ("Из 45 педагогов 38", AnswerProblem.NOT_A_NUMBER),
    ("38 из 45, 12", AnswerProblem.MIXED),
    ("учителей 38, педагогов 40", AnswerProblem.CONFLICT),
]


@pytest.mark.parametrize(("text", "expected"), READ)
def test_read(text: str, expected: WeeklyAnswer) -> None:
    assert read_weekly_answer(text, LABELS) == expected


@pytest.mark.parametrize(("text", "kind"), REFUSED)
def test_refused(text: str, kind: AnswerProblem) -> None:
    found = read_weekly_answer(text, LABELS)
    assert isinstance(found, AnswerRefused), found
    assert found.kind is kind


@given(st.text(max_size=80))
def test_never_raises_and_never_reads_a_number_not_written(text: str) -> None:
    found = read_weekly_answer(text, LABELS)
    if isinstance(found, WeeklyAnswer):
        written = "".join(char for char in text if char in "0123456789")
        assert written, "no ASCII digit, yet read as a number"
        for value in (*found.bare, *(v for _, v in found.labelled)):
            assert str(value) in written or value == 0 or str(value).lstrip("0") in written
        assert bool(found.bare) != bool(found.labelled)


@given(st.lists(st.sampled_from(["38", "учителей", "чатов", " ", ",", " и ", "!", "из", "45"])))
def test_never_raises_on_answer_shaped_text(words: list[str]) -> None:
    found = read_weekly_answer(" ".join(words), LABELS)
    assert isinstance(found, WeeklyAnswer | AnswerRefused)
