"""A Bot session that records what the bot sends and answers like Telegram, in-process.

For handler tests: updates go through the real Dispatcher (`feed_update`) and the test reads
what a person would have seen from `session.sent`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, Message, User

BOT_USER = User(id=42, is_bot=True, first_name="Roadmap", username="roadmap_test_bot")


def text_update(
    update_id: int,
    user_id: int,
    text: str,
    *,
    date: int,
    message_id: int | None = None,
    chat_id: int | None = None,
    first_name: str | None = None,
    language: str = "ru",
) -> dict[str, Any]:
    """A text message as Telegram delivers it: a private chat, unless `chat_id` is a group's
    (negative); a leading "/word" marked as a command."""
    chat = chat_id or user_id
    entities = []
    if text.startswith("/"):
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id if message_id is None else message_id,
            "date": date,
            "chat": {"id": chat, "type": "group", "title": "Группа"}
            if chat < 0
            else {"id": chat, "type": "private"},
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or f"Person {user_id}",
                "language_code": language,
            },
            "text": text,
            "entities": entities,
        },
    }


@dataclass
class Sent:
    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None
    message_id: int
    method: str

    def buttons(self) -> list[tuple[str, str]]:
        if self.reply_markup is None:
            return []
        return [
            (button.text, button.callback_data or button.url or "")
            for row in self.reply_markup.inline_keyboard
            for button in row
        ]

    def callback(self, label: str) -> str:
        for text, data in self.buttons():
            if label in text:
                return data
        raise AssertionError(f"no button {label!r} in {self.buttons()}")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.sent: list[Sent] = []
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        pass

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        self.requests.append(method)
        result: Any
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, SendMessage | EditMessageText | EditMessageReplyMarkup):
            chat_id = int(method.chat_id or 0)
            text = getattr(method, "text", None) or ""
            markup = (
                method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None
            )
            message_id = (
                int(method.message_id or 0)
                if isinstance(method, EditMessageText | EditMessageReplyMarkup)
                else next(self._ids)
            )
            self.sent.append(Sent(chat_id, text, markup, message_id, type(method).__name__))
            result = Message.model_validate(
                {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "from": BOT_USER.model_dump(),
                    "text": text,
                }
            )
        elif isinstance(method, AnswerCallbackQuery):
            result = True
        else:
            result = True
        return result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    def to(self, chat_id: int) -> list[Sent]:
        return [sent for sent in self.sent if sent.chat_id == chat_id]

    def last(self, chat_id: int) -> Sent:
        found = self.to(chat_id)
        assert found, f"nothing was sent to {chat_id}; sent: {self.sent}"
        return found[-1]

    def answered_callbacks(self) -> list[str]:
        return [m.callback_query_id for m in self.requests if isinstance(m, AnswerCallbackQuery)]
