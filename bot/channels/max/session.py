"""An aiogram session that says on MAX what the handlers ask of Telegram's Bot API.

The handlers reply through aiogram (``message.answer(...)``, ``query.message.edit_text``,
``query.answer()``, ``bot.get_file``, …). A ``Bot`` built on ``MaxSession`` turns those calls
into MAX calls through ``MaxTransport``/``MaxApi``; the handlers do not know which channel
they answer in.

| Bot API method             | on MAX                                                        |
|----------------------------|---------------------------------------------------------------|
| sendMessage                | ``POST /messages`` (split over 4000, keyboard reflowed)       |
| sendDocument / sendPhoto   | upload, then ``POST /messages``, the caption as its text      |
| editMessageText            | ``PUT /messages``; the message a button was pressed on, while |
|                            | that press is unanswered: ``POST /answers`` replacing it      |
| editMessageReplyMarkup     | ``PUT /messages`` with the new keyboard                       |
| deleteMessage              | ``DELETE /messages``                                          |
| answerCallbackQuery, text  | ``POST /answers`` with the text as its notification           |
| answerCallbackQuery, none  | nothing yet (MAX takes no empty answer): an edit of the       |
|                            | pressed message answers it; else the press stays unanswered   |
| getMe                      | ``GET /me`` (once)                                            |
| getFile                    | the file's direct URL as its path (the inbound ``file_id``)   |
| setMyCommands, default     | ``PATCH /me/commands``; per-chat menus: nothing (MAX has one) |
| deleteMyCommands, …Action  | nothing (True)                                                |
| anything else              | TelegramBadRequest ("not on MAX")                             |

- **Text** is HTML as the bot writes it for Telegram (parse mode HTML by default); a text sent
  without a parse mode is escaped. MAX shows the same subset (bot/messages.py).
- **Message ids** MAX names by ``mid`` strings travel inside aiogram's integers
  (bot/channels/message_ids.py): a sent message's id is its last part's ``mid``; an edit or
  delete names it back.
- **Keyboards**: Telegram's inline markup becomes ``bot.messages`` buttons (callback data and
  URLs; other kinds are dropped) and MaxTransport reflows them to MAX's limits.
- **Failures** come back as the aiogram errors the handlers and the error handler know:
  MAX's 429 is ``TelegramRetryAfter``, 5xx ``TelegramServerError``, a timeout or broken
  connection ``TelegramNetworkError`` (all transient: the update is handled again), a stopped
  dialog ``TelegramForbiddenError``, a refused request ``TelegramBadRequest``, a revoked
  token ``TelegramUnauthorizedError``.

``pressing(press)`` marks, for the update being handled (a context variable, so concurrent
updates do not meet), which button press is in hand.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendChatAction,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BotCommandScopeDefault,
    File,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    User,
)

from bot.channels.max.errors import AuthLost, Gone, MaxProblem, Refused, RetryLater
from bot.channels.max.inbound import Press
from bot.channels.max.transport import MaxTransport, reflow
from bot.channels.message_ids import int_of, ref_of
from bot.messages import Attachment, AttachmentKind, Button, Keyboard, Outgoing

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

# getFile answers the file's URL as its path; the "file URL" is then the path itself.
MAX_FILES = TelegramAPIServer(base="https://max.invalid/bot{token}/{method}", file="{path}")


@dataclass(slots=True)
class _Pressing:
    press: Press
    answered: bool = False


_PRESSING: ContextVar[_Pressing | None] = ContextVar("max_pressing", default=None)


class MaxSession(BaseSession):
    """Bot API calls said on MAX (see the module). Closing it leaves the MaxApi open: its
    owner (the channel) closes it."""

    def __init__(self, transport: MaxTransport) -> None:
        super().__init__(api=MAX_FILES)
        self.transport = transport
        self.max = transport.api
        self._me: User | None = None

    async def close(self) -> None:
        return None

    @contextmanager
    def pressing(self, press: Press | None) -> Iterator[None]:
        """While handling ``press`` (None: no press): its empty answer waits for an edit."""
        token = _PRESSING.set(_Pressing(press) if press is not None else None)
        try:
            yield
        finally:
            pressing = _PRESSING.get()
            if pressing is not None and not pressing.answered:
                log.debug("MAX: press %s left unanswered", pressing.press.callback_id)
            _PRESSING.reset(token)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        try:
            result = await self._say(bot, method)
        except MaxProblem as problem:
            raise as_telegram_error(method, problem) from problem
        except ValueError as error:  # something MAX cannot show (MaxTransport refuses first)
            raise TelegramBadRequest(method=method, message=str(error)) from error
        return cast("TelegramType", result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """A file a user sent (its URL, as getFile gave it), in chunks."""
        try:
            content = await self.max.download(url)
        except MaxProblem as problem:
            raise as_telegram_error(GetFile(file_id=url), problem) from problem
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    # ------------------------------------------------------------------ the methods

    async def _say(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            text = _html(bot, method.text, method.parse_mode)
            outgoing = Outgoing(text, buttons_of(method.reply_markup))
            return await self._send(bot, method.chat_id, outgoing, method.disable_notification)
        if isinstance(method, SendDocument | SendPhoto):
            return await self._send_file(bot, method)
        if isinstance(method, EditMessageText):
            return await self._edit_text(bot, method)
        if isinstance(method, EditMessageReplyMarkup):
            mid = _mid(method, method.message_id)
            await self.max.edit_message(
                mid, keyboard=reflow(buttons_of(method.reply_markup), self.transport.limits)
            )
            return True
        if isinstance(method, DeleteMessage):
            await self.max.delete_message(_mid(method, method.message_id))
            return True
        if isinstance(method, AnswerCallbackQuery):
            return await self._answer(method)
        if isinstance(method, GetMe):
            return await self._get_me()
        if isinstance(method, GetFile):
            return File(
                file_id=method.file_id,
                file_unique_id=method.file_id[-64:],
                file_path=method.file_id,
            )
        if isinstance(method, SetMyCommands):
            scope = method.scope
            if (scope is None or isinstance(scope, BotCommandScopeDefault)) and not (
                method.language_code
            ):
                await self.max.set_commands(
                    [(command.command, command.description) for command in method.commands]
                )
            return True  # MAX has one menu for everyone: per-chat menus are not shown
        if isinstance(method, DeleteMyCommands | SendChatAction | DeleteWebhook):
            return True
        raise TelegramBadRequest(method=method, message=f"{type(method).__name__}: not on MAX")

    async def _send(
        self,
        bot: Bot,
        chat_id: int | str,
        outgoing: Outgoing,
        silent: bool | Default | None,
    ) -> Message:
        chat = _chat_id(chat_id)
        notify = not _resolve(bot, silent, "disable_notification")
        mid = await self.transport.send(outgoing, chat_id=chat, notify=notify)
        return _sent(bot, chat, mid, outgoing)

    async def _send_file(self, bot: Bot, method: SendDocument | SendPhoto) -> Message:
        kind: AttachmentKind
        if isinstance(method, SendPhoto):
            kind, file = "photo", method.photo
        else:
            kind, file = "document", method.document
        if not isinstance(file, InputFile):
            raise TelegramBadRequest(method=method, message="MAX sends files by content only")
        content = b"".join([chunk async for chunk in file.read(bot)])
        name = file.filename or ("photo.png" if kind == "photo" else "file")
        caption = _html(bot, method.caption, method.parse_mode) if method.caption else ""
        outgoing = Outgoing(
            caption, buttons_of(method.reply_markup), Attachment(kind, name, content)
        )
        return await self._send(bot, method.chat_id, outgoing, method.disable_notification)

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        mid = _mid(method, method.message_id)
        if not method.text:
            raise TelegramBadRequest(method=method, message="an edit without a text")
        outgoing = Outgoing(
            _html(bot, method.text, method.parse_mode), buttons_of(method.reply_markup)
        )
        pressing = _PRESSING.get()
        if pressing is not None and not pressing.answered and pressing.press.mid == mid:
            # The answer to the press replaces the pressed message: one call, and the
            # button's spinner stops.
            pressing.answered = True
            await self.transport.answer(pressing.press.callback_id, replace=outgoing)
        else:
            await self.transport.edit(mid, outgoing)
        if method.chat_id is None:
            return True
        return _sent(bot, _chat_id(method.chat_id), mid, outgoing)

    async def _answer(self, method: AnswerCallbackQuery) -> bool:
        pressing = _PRESSING.get()
        mine = pressing is not None and pressing.press.callback_id == method.callback_query_id
        if not method.text:
            return True  # MAX takes no empty answer: an edit of the pressed message may follow
        if pressing is not None and mine:
            if pressing.answered:
                return True
            pressing.answered = True
        await self.transport.answer(method.callback_query_id, notification=method.text)
        return True

    async def _get_me(self) -> User:
        if self._me is None:
            me = await self.max.me()
            self._me = User(
                id=me.user_id,
                is_bot=True,
                first_name=me.first_name or "bot",
                username=me.username,
            )
        return self._me


def buttons_of(markup: object) -> Keyboard:
    """Telegram's inline keyboard as neutral buttons: callback data and links (other kinds,
    and reply keyboards, have no MAX counterpart and are left out)."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return ()
    rows: list[tuple[Button, ...]] = []
    for row in markup.inline_keyboard:
        buttons: list[Button] = []
        for button in row:
            if button.callback_data:
                buttons.append(Button(button.text, data=button.callback_data))
            elif button.url:
                buttons.append(Button(button.text, url=button.url))
        if buttons:
            rows.append(tuple(buttons))
    return tuple(rows)


def as_telegram_error(method: TelegramMethod[Any], problem: MaxProblem) -> TelegramAPIError:
    """A MAX failure as the aiogram error the handlers know (see the module)."""
    reason = f"MAX: {problem.reason}"
    if isinstance(problem, RetryLater):
        if problem.status == 429:
            return TelegramRetryAfter(
                method=method, message=reason, retry_after=max(1, math.ceil(problem.seconds))
            )
        if problem.status >= 500:
            return TelegramServerError(method=method, message=reason)
        return TelegramNetworkError(method=method, message=reason)
    if isinstance(problem, Gone):
        return TelegramForbiddenError(method=method, message=reason)
    if isinstance(problem, AuthLost):
        return TelegramUnauthorizedError(method=method, message=reason)
    if isinstance(problem, Refused):
        return TelegramBadRequest(method=method, message=reason)
    return TelegramAPIError(method=method, message=reason)


def _resolve(bot: Bot, value: object, name: str) -> Any:
    return bot.default[name] if isinstance(value, Default) else value


def _html(bot: Bot, text: str, parse_mode: str | Default | None) -> str:
    mode = _resolve(bot, parse_mode, "parse_mode")
    return text if isinstance(mode, str) and mode.upper() == "HTML" else html.escape(text, False)


def _chat_id(chat_id: int | str) -> int:
    try:
        return int(chat_id)
    except ValueError:
        raise ValueError(f"MAX chats have numeric ids, not {chat_id!r}") from None


def _mid(method: TelegramMethod[Any], message_id: int | None) -> str:
    mid = ref_of(message_id) if message_id is not None else None
    if mid is None:
        raise TelegramBadRequest(method=method, message=f"no MAX message {message_id}")
    return mid


def _sent(bot: Bot, chat_id: int, mid: str, outgoing: Outgoing) -> Message:
    """The Message aiogram expects back for what was sent."""
    chat: dict[str, Any] = {"id": chat_id, "type": "group" if chat_id < 0 else "private"}
    message: dict[str, Any] = {
        "message_id": int_of(mid),
        "date": int(datetime.now(UTC).timestamp()),
        "chat": chat,
        "from": {"id": bot.id, "is_bot": True, "first_name": "bot"},
    }
    if outgoing.attachment is None:
        message["text"] = outgoing.text
    elif outgoing.text:
        message["caption"] = outgoing.text
    if outgoing.buttons:
        message["reply_markup"] = {
            "inline_keyboard": [
                [
                    {"text": b.text, "callback_data": b.data}
                    if b.data is not None
                    else {"text": b.text, "url": b.url}
                    for b in row
                ]
                for row in outgoing.buttons
            ]
        }
    return Message.model_validate(message, context={"bot": bot})
