"""The weekly answer as schools write it, through the real dispatcher (issue «Understood at
first sight»): two indicators asked, each its own message with its buttons."""

from __future__ import annotations

from typing import Any

from bot.importers.indicators import read_indicators
from bot.services.people import CLI
from tests.bot.conftest import OBSERVER, REP, SCHOOL, World
from tests.bot.recording import Sent
from tests.bot.test_campaign import sender
from tests.bot.test_reports import FRIDAY, values
from tests.conftest import EXAMPLES

TEACHERS, CHATS = f"teachers_active@{SCHOOL}", f"chats@{SCHOOL}"


async def define(world: World) -> None:
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FRIDAY


async def reply(world: World, user_id: int, to: Sent, text: str) -> list[Sent]:
    update: dict[str, Any] = world.message_update(user_id, text)
    replied: dict[str, Any] = {
        "message_id": to.message_id,
        "date": update["message"]["date"],
        "chat": {"id": to.chat_id, "type": "private"},
        "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
        "text": to.text,
    }
    if to.reply_markup is not None:
        replied["reply_markup"] = to.reply_markup.model_dump(mode="json", exclude_none=True)
    update["message"]["reply_to_message"] = replied
    return await world.feed(update)


async def test_a_bare_number_fills_the_first_open_question_and_says_what_is_left(
    staffed: World,
) -> None:
    await define(staffed)
    [taken] = await staffed.send(REP, "38")
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 38" in taken.text
    assert "Ещё ждём: 1) Чаты классов в Сферуме" in taken.text
    [taken] = await staffed.send(REP, "12")
    assert "Чаты классов в Сферуме: 12" in taken.text
    assert "Ещё ждём" not in taken.text
    assert await values(staffed) == {TEACHERS: 38, CHATS: 12}


async def test_numbers_in_order_and_from_x(staffed: World) -> None:
    await define(staffed)
    [taken] = await staffed.send(REP, "38 из 45")
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 38" in taken.text
    assert await values(staffed) == {TEACHERS: 38}
    [taken] = await staffed.send(REP, "30 и 15")  # as many as asked: both, in order
    assert "38 → 30" in taken.text
    assert "Чаты классов в Сферуме: 15" in taken.text
    assert await values(staffed) == {TEACHERS: 30, CHATS: 15}
    [taken] = await staffed.send(REP, "31, 16")
    assert "30 → 31" in taken.text
    assert "15 → 16" in taken.text


async def test_labels_anywhere_in_a_short_sentence(staffed: World) -> None:
    await define(staffed)
    [taken] = await staffed.send(REP, "учителей 30 чатов 15")
    assert await values(staffed) == {TEACHERS: 30, CHATS: 15}
    [taken] = await staffed.send(REP, "Добрый день! У нас 45 педагогов и 16 чатов")
    assert "30 → 45" in taken.text
    assert "15 → 16" in taken.text
    assert await values(staffed) == {TEACHERS: 45, CHATS: 16}


async def test_a_reply_answers_that_question(staffed: World) -> None:
    await define(staffed)
    _, chats = await staffed.send(REP, "/report")
    [taken] = await reply(staffed, REP, chats, "12")
    assert "Чаты классов в Сферуме: 12" in taken.text
    assert await values(staffed) == {CHATS: 12}


async def test_buttons_under_each_question(staffed: World) -> None:
    await define(staffed)
    await staffed.send(REP, "учителей 43, чатов 9")
    staffed.clock.moment = FRIDAY.replace(day=28)
    teachers, chats = await staffed.send(REP, "/report")
    assert [label for label, _ in teachers.buttons()] == ["Как на прошлой неделе (43)", "0"]
    [taken] = await staffed.press(REP, chats, "0")
    assert "Чаты классов в Сферуме: 0" in taken.text
    [taken] = await staffed.press(REP, teachers, "Как на прошлой неделе (43)")
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 43" in taken.text


async def test_after_i_will_correct_the_next_number_is_the_correction(staffed: World) -> None:
    await define(staffed)
    _stored, doubt = await staffed.send(REP, "учителей 480, чатов 3")
    [asked] = await staffed.press(REP, doubt, "Исправлю")
    assert "пришлите исправленное число: Педагоги" in asked.text
    [taken] = await staffed.send(REP, "45")
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 45" in taken.text
    assert await values(staffed) == {TEACHERS: 45, CHATS: 3}


async def test_bad_input_is_answered_in_russian_and_changes_nothing(staffed: World) -> None:
    await define(staffed)
    for text, said in [
        ("около 40", "Не понял «около 40»"),
        ("3,5", "Не понял «3,5»"),
        ("38, чатов 12", "Не понял"),
        ("сотрудников 5", "Такой показатель у вас не запрашивается"),
        ("1, 2, 3", "Чисел 3, а вопросов 2"),
    ]:
        [answer] = await staffed.send(REP, text)
        assert said in answer.text, text
    assert await values(staffed) == {}


async def test_free_text_when_nothing_is_asked_says_what_one_can_do(staffed: World) -> None:
    [answer] = await staffed.send(REP, "Добрый день, когда сдавать отчёт?")
    assert "/mytasks" in answer.text
    assert "/help" in answer.text
    [answer] = await staffed.send(OBSERVER, "привет")
    assert "/help" in answer.text


async def test_a_school_that_answered_with_report_is_not_asked_afterwards(staffed: World) -> None:
    await define(staffed)
    await staffed.app.questions.plan()  # the questions are in the outbox, not sent yet
    await staffed.send(REP, "/report 30, 15")
    staffed.session.sent.clear()
    await sender(staffed).drain()
    assert [m for m in staffed.session.sent if m.chat_id == REP] == []
    assert await values(staffed) == {TEACHERS: 30, CHATS: 15}
