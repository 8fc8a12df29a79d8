"""Ordinary mishaps get a sensible answer or silence, never «Что-то пошло не так»: a filter
pressed twice, a /task with a page of text for a number, a malformed button."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText

from tests.bot.conftest import REP, World
from tests.bot.recording import RecordingSession

INTERNAL = "Что-то пошло не так"


def callback(world: World, user_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": next(world.update_ids),
        "callback_query": {
            "id": f"cb{next(world.message_ids)}",
            "from": world._user(user_id, "ru"),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(world.clock.now().timestamp()),
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
                "text": "…",
            },
        },
    }


async def test_a_malformed_button_is_answered_and_nothing_else(staffed: World) -> None:
    for data in ("t:open", "s:one:x:1:0:0", "garbage", "tp:-1"):
        before = len(staffed.session.requests)
        replies = await staffed.feed(callback(staffed, REP, data))
        assert not [r for r in replies if INTERNAL in r.text], data
        assert len(staffed.session.answered_callbacks()) >= 1
        assert len(staffed.session.requests) > before  # the spinner was answered


async def test_a_task_number_that_is_a_page_of_text_gets_the_usage(staffed: World) -> None:
    (reply,) = await staffed.send(REP, "/task " + "7" * 4090)
    assert reply.text == "Укажите номер: /task 7"
    (reply,) = await staffed.send(REP, "/done " + "7" * 4090)
    assert reply.text.startswith("Формат")


async def test_pressing_the_filter_already_selected_stays_quiet(
    staffed: World, monkeypatch: Any
) -> None:
    (listing,) = await staffed.send(REP, "/tasks")
    original = RecordingSession.make_request

    async def not_modified(
        self: RecordingSession,
        bot: Any,
        method: Any,
        timeout: Any = None,  # noqa: ASYNC109
    ) -> Any:
        if isinstance(method, EditMessageText):
            raise TelegramBadRequest(method, "Bad Request: message is not modified")
        return await original(self, bot, method, timeout)

    monkeypatch.setattr(RecordingSession, "make_request", not_modified)
    replies = await staffed.press(REP, listing, "Все")
    assert not [r for r in replies if INTERNAL in r.text]
    assert replies == []


async def test_an_edited_number_is_not_silently_ignored(staffed: World) -> None:
    update = staffed.message_update(REP, "45")
    update["edited_message"] = {**update.pop("message"), "edit_date": update_date(staffed)}
    (reply,) = await staffed.feed(update)
    assert reply.text.startswith("Изменённые сообщения бот не читает.")


def update_date(world: World) -> int:
    return int(world.clock.now().timestamp())
