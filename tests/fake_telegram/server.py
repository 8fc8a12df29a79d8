"""A fake Telegram Bot API server over real HTTP, for in-process and end-to-end tests.

Point aiogram at it with ``TelegramAPIServer.from_base(await fake.start())``. The fake
answers the methods the bot uses the way Telegram does (same result shapes, same error codes
and descriptions), lets tests play users (messages, button presses, documents), records every
request and every message the bot sent, and injects faults (errors, 429s, blocked users,
dropped connections, slow responses, rate limits).

In-process::

    async with FakeTelegram() as tg:
        api = TelegramAPIServer.from_base(tg.url)
        bot = Bot("42:TEST", session=AiohttpSession(api=api))
        alice = tg.user(1001, "Alice")
        tg.add_message(alice, "/start invite")  # queued for getUpdates
        ...  # run the dispatcher (dp.start_polling(bot, handle_signals=False) as a task)
        greeting = await tg.wait_for_message(1001, "Привет")
        tg.press_button(alice, greeting, "Готово")

End to end: start the fake in the test and run the bot as a subprocess with
TELEGRAM_API_URL set to ``tg.url``. Everything runs on the test's event loop: call the
``add_*``, fault and ``wait_for*`` methods from that loop only.

Simplified on purpose: updates are never pushed to a webhook (setWebhook only records it
and makes getUpdates answer 409); no privacy mode in groups; message ids count per chat;
photos are not resized (every PhotoSize serves the original bytes); a bare '&' in HTML is
rejected although Telegram keeps it (switch off with ``strict_html_ampersand=False``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import math
import mimetypes
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from tests.fake_api import FakeApiError, FakeApiServer, clip, dumps, image_size, outcome
from tests.fake_telegram.formatting import (
    Entity,
    EntityParseError,
    UnsupportedParseMode,
    detect_entities,
    format_text,
)

JSON = dict[str, Any]
_T = TypeVar("_T")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
GET_UPDATES_WITH_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
GET_UPDATES_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Parameters that arrive JSON-serialized in form bodies (aiogram serializes every
# non-string value) and are decoded into Python objects in the record.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "media",
        "menu_button",
        "permissions",
        "results",
    }
)
INT_FIELDS = frozenset(
    {
        "offset",
        "limit",
        "timeout",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "user_id",
        "until_date",
    }
)
FLOAT_FIELDS = frozenset({"latitude", "longitude"})
BOOL_FIELDS = frozenset(
    {
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "show_alert",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "for_channels",
    }
)
CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})

# Methods that put something into a chat: blocked chats answer 403 to these, and the
# optional rate limiter counts them.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendChatAction",
        "copyMessage",
        "forwardMessage",
        "sendMediaGroup",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendPoll",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)
RATE_LIMITED_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"}
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# What Telegram delivers when allowed_updates was never set (or set to []).
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class ApiError(FakeApiError):
    """A Telegram-shaped error answer."""

    def __init__(
        self, status: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(status, description)
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


# --------------------------------------------------------------------------- records


@dataclass
class Request:
    """One HTTP call to the Bot API, as received, with what the fake answered."""

    method: str
    params: dict[str, Any]
    token: str
    time: float
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    http_method: str = "POST"
    status: int | None = None
    """HTTP status answered; None while in flight, for dropped connections and for
    requests whose client went away before the answer."""
    description: str | None = None
    """Error description for failed calls."""
    result: Any = None
    dropped: bool = False
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int | str) else None

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "text"}
        text = self.params.get("text")
        head = f"{self.method}({_short(shown)}"
        if isinstance(text, str):
            head += f", text={clip(text)!r}"
        return f"{head}) -> {outcome(self, f'{self.status} {self.description}')}"


@dataclass(frozen=True)
class MessageVersion:
    """An earlier state of an edited message."""

    text: str | None
    entities: list[Entity]
    reply_markup: JSON | None
    date: int


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (edits applied, history kept)."""

    chat_id: int
    message_id: int
    kind: Literal["message", "document", "photo"]
    text: str | None
    """Plain text (or caption) as the chat shows it: markup parsed away, whitespace trimmed."""
    source_text: str | None
    """Text (or caption) exactly as the bot sent it, markup included."""
    parse_mode: str | None
    entities: list[Entity]
    reply_markup: JSON | None
    date: int
    params: dict[str, Any]
    reply_to_message_id: int | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    mime_type: str | None = None
    file_id: str | None = None
    history: list[MessageVersion] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    raw: JSON = field(default_factory=dict)
    """The Message object exactly as the fake returned it to the bot (latest version)."""

    @property
    def caption(self) -> str | None:
        return self.text if self.kind != "message" else None

    @property
    def edited(self) -> bool:
        return bool(self.history)

    def buttons(self) -> list[list[JSON]]:
        """Rows of inline keyboard buttons (empty if the message has none)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard")
        if not isinstance(rows, list):
            return []
        return [
            [b if isinstance(b, dict) else {"text": b} for b in row]
            for row in rows
            if isinstance(row, list)
        ]

    def button(self, text: str) -> JSON:
        """The first button whose text contains ``text``; AssertionError listing them if none."""
        for row in self.buttons():
            for button in row:
                if text in str(button.get("text", "")):
                    return button
        shown = [str(b.get("text")) for row in self.buttons() for b in row]
        raise AssertionError(f"no button containing {text!r} in message {self.short()}: {shown}")

    def callback_data(self, text: str) -> str:
        data = self.button(text).get("callback_data")
        if not isinstance(data, str):
            raise AssertionError(f"button {text!r} has no callback_data: {self.button(text)}")
        return data

    def short(self) -> str:
        label = f"#{self.message_id}"
        if self.kind != "message":
            label += f" {self.kind} {self.file_name!r}"
        if self.text is not None:
            label += f" {clip(self.text)!r}"
        if self.edited:
            label += f" (edited {len(self.history)}x)"
        if self.deleted:
            label += " (deleted)"
        buttons = [str(b.get("text")) for row in self.buttons() for b in row]
        if buttons:
            label += f" buttons={buttons}"
        return label


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user the test plays."""

    id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


ChatType = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True)
class FakeChat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                data[key] = value
        data["type"] = self.type
        return data


@dataclass(frozen=True)
class Violation:
    """A send the optional rate limiter refused with 429."""

    time: float
    method: str
    chat_id: int | str | None
    scope: Literal["global", "chat"]
    retry_after: int


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class _Chat:
    info: FakeChat
    json: JSON
    next_message_id: int = 1
    sent: list[SentMessage] = field(default_factory=list)
    bot_messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, JSON] = field(default_factory=dict)


@dataclass
class _RateLimit:
    per_second: float | None
    per_chat_per_second: float | None
    window: float
    methods: frozenset[str]


# --------------------------------------------------------------------------- the server


class FakeTelegram(FakeApiServer[Request, ApiError]):
    """A fake Bot API server. Start it, point the bot at ``url``, play users, assert."""

    def __init__(
        self,
        *,
        valid_token: str | None = None,
        bot_id: int | None = None,
        bot_username: str = "roadmap_test_bot",
        bot_first_name: str = "Roadmap Test Bot",
        strict_chats: bool = False,
        strict_html_ampersand: bool = True,
        first_update_id: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        :param valid_token: if set, requests with any other token get 401 Unauthorized.
        :param bot_id: the bot's user id; by default the number before ':' in the token.
        :param strict_chats: answer 400 "chat not found" for chats the test never created
            (users, groups or messages); by default unknown chats are created on first use.
        :param strict_html_ampersand: reject a bare '&' in HTML (Telegram keeps it literally;
            strictness catches text that was not escaped).
        :param clock: wall clock for message dates (unix seconds).
        """
        super().__init__(ApiError)
        self.valid_token = valid_token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_chats = strict_chats
        self.strict_html_ampersand = strict_html_ampersand
        self.clock = clock

        self.sent: list[SentMessage] = []
        self.violations: list[Violation] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.dropped_updates: list[JSON] = []
        """Updates discarded by drop_pending_updates (in setWebhook/deleteWebhook)."""
        self.pending_updates_dropped = 0
        """How many times the bot asked to drop pending updates."""
        self.filtered_updates: list[JSON] = []
        """Updates never queued because the bot's allowed_updates excluded their type."""
        self.file_downloads: list[str] = []
        self.webhook_url = ""
        self.webhook_params: dict[str, Any] = {}

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, FakeUser] = {}
        self._usernames: dict[str, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._bot_properties: dict[tuple[str, str], Any] = {}
        self._callback_queries: dict[str, JSON] = {}
        self._callback_counter = itertools.count(1)

        self._updates: deque[tuple[int, JSON]] = deque()
        self._update_history: dict[int, JSON] = {}
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0

        self._blocked: set[int | str] = set()
        self._rate_limit: _RateLimit | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int | str, deque[float]] = {}

        self._last_token: str | None = valid_token
        self._handlers: dict[str, tuple[str, Callable[[Request], Awaitable[Any]]]] = {}
        self._register_handlers()

    # ------------------------------------------------------------------ lifecycle

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_get("/_fake/sent", self._control_sent)
        app.router.add_get("/_fake/requests", self._control_requests)
        app.router.add_post("/_fake/message", self._control_message)
        app.router.add_post("/_fake/callback", self._control_callback)
        app.router.add_post("/_fake/update", self._control_update)
        return app

    # ------------------------------------------------------------------ playing users

    def user(
        self,
        id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "ru",
        *,
        last_name: str | None = None,
    ) -> FakeUser:
        """Create (or replace) a user and their private chat with the bot."""
        if id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(id, first_name, last_name, username, language_code)
        self._users[id] = user
        if username:
            self._usernames[username.lower()] = id
        chat = FakeChat(id, "private", None, username, first_name, last_name)
        self._register_chat(chat)
        return user

    def group(
        self,
        id: int,
        title: str = "Test group",
        *,
        type: Literal["group", "supergroup", "channel"] = "group",
        username: str | None = None,
    ) -> FakeChat:
        """Create a group (negative id) the bot is a member of."""
        if id >= 0:
            raise ValueError("group and channel ids are negative")
        chat = FakeChat(id, type, title, username)
        if username:
            self._usernames[username.lower()] = id
        self._register_chat(chat)
        return chat

    def add_message(
        self,
        from_user: FakeUser | int,
        text: str,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        chat_type: ChatType | None = None,
        *,
        entities: list[Entity] | None = None,
    ) -> int:
        """Queue a ``message`` update from the user; returns its update_id.

        Entities Telegram detects itself (``bot_command`` for ``/start token``, mentions,
        URLs, hashtags) are added to any given ones.
        """
        user = self._resolve_user(from_user)
        chat = self._chat_for_user_message(user, chat_id, chat_type)
        message = self._new_user_message(chat, user, reply_to_message_id)
        message["text"] = text
        found = detect_entities(text, entities or [])
        if found:
            message["entities"] = found
        return self._queue_update("message", message)

    def add_document(
        self,
        from_user: FakeUser | int,
        filename: str,
        content: bytes,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        mime_type: str | None = None,
    ) -> int:
        """Queue a message with a document; getFile + /file/ serve ``content`` back."""
        user = self._resolve_user(from_user)
        chat = self._chat_for_user_message(user, chat_id, None)
        message = self._new_user_message(chat, user, None)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._store_file("documents", filename, mime, content, prefix="BQACAgIAAxkBAAI")
        message["document"] = {
            "file_name": filename,
            "mime_type": mime,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
        }
        if caption:
            message["caption"] = caption
            found = detect_entities(caption, [])
            if found:
                message["caption_entities"] = found
        return self._queue_update("message", message)

    def add_callback_query(
        self,
        from_user: FakeUser | int,
        message_id: int,
        chat_id: int | None,
        data: str,
        *,
        check_button: bool = True,
    ) -> str:
        """Queue a button press on a message the bot sent; returns the callback query id.

        With ``check_button`` the message must carry an inline button with this
        callback_data, as a real client can only press buttons it shows.
        """
        user = self._resolve_user(from_user)
        chat_key = user.id if chat_id is None else chat_id
        chat = self._chats.get(chat_key)
        sent = chat.bot_messages.get(message_id) if chat else None
        if sent is None or sent.deleted:
            known = [m.short() for m in chat.sent] if chat else []
            raise ValueError(
                f"the bot sent no message #{message_id} to chat {chat_key}; it sent: {known}"
            )
        if check_button:
            data_values = [b.get("callback_data") for row in sent.buttons() for b in row]
            if data not in data_values:
                raise ValueError(
                    f"message {sent.short()} has no button with callback_data {data!r}; "
                    f"it has {data_values}"
                )
        query_id = str(4_000_000_000_000_000_000 + next(self._callback_counter))
        query: JSON = {
            "id": query_id,
            "from": user.to_json(),
            "message": dict(sent.raw),
            "chat_instance": str(-(abs(chat_key) * 7919 + 1_000_003)),
            "data": data,
        }
        self._callback_queries[query_id] = query
        self._queue_update("callback_query", query)
        return query_id

    def press_button(self, from_user: FakeUser | int, message: SentMessage, text: str) -> str:
        """Press the inline button whose text contains ``text``; returns the query id."""
        return self.add_callback_query(
            from_user, message.message_id, message.chat_id, message.callback_data(text)
        )

    def add_my_chat_member(
        self,
        from_user: FakeUser | int,
        *,
        new_status: Literal["member", "kicked", "left"] = "kicked",
        old_status: Literal["member", "kicked", "left"] = "member",
        chat_id: int | None = None,
    ) -> int:
        """Queue a ``my_chat_member`` update; in a private chat "kicked" means the user
        blocked the bot (sends then answer 403) and "member" means they unblocked it."""
        user = self._resolve_user(from_user)
        chat = self._chat_for_user_message(user, chat_id, None)
        bot = self.bot_user()
        update: JSON = {
            "chat": chat.json,
            "from": user.to_json(),
            "date": int(self.clock()),
            "old_chat_member": _chat_member(old_status, bot),
            "new_chat_member": _chat_member(new_status, bot),
        }
        if new_status in ("kicked", "left"):
            self.block(chat.info.id)
        elif new_status == "member":
            self.unblock(chat.info.id)
        return self._queue_update("my_chat_member", update)

    def add_raw_update(self, update: Mapping[str, Any]) -> int:
        """Queue any update object; update_id is assigned unless given (and must grow)."""
        body = dict(update)
        given = body.pop("update_id", None)
        kinds = [key for key in body if key in ALL_UPDATE_TYPES]
        if len(kinds) != 1:
            raise ValueError(f"an update carries exactly one of {sorted(ALL_UPDATE_TYPES)}")
        if given is not None:
            if not isinstance(given, int) or given < self._next_update_id:
                raise ValueError(f"update_id must be >= {self._next_update_id}, got {given!r}")
            self._next_update_id = given
        return self._queue_update(kinds[0], body[kinds[0]])

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        method: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" for any) fail with ``status``.

        429 carries ``parameters.retry_after`` (default 1), as Telegram's flood control does.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        parameters: JSON | None = None
        if retry_after is not None:
            parameters = {"retry_after": retry_after}
        if status == 429:
            description = description or f"Too Many Requests: retry after {retry_after}"
        if description is None:
            description = _STATUS_DESCRIPTIONS.get(status, f"Error {status}")
        error = functools.partial(ApiError, status, description, parameters)
        self._add_fault(method, times, error, chat_id)

    def drop_connection(self, method: str, times: int = 1) -> None:
        """Close the connection without an answer for the next ``times`` calls."""
        self._add_fault(method, times)

    def delay(
        self, method: str, seconds: float, *, times: int | None = None, before: bool = False
    ) -> None:
        """Answer ``method`` calls ``seconds`` late (0 removes the delay).

        By default the call takes effect at once and only the answer is late (a client
        that times out does not know its message was delivered); ``before=True`` delays
        processing instead. ``times`` limits it to that many calls.
        """
        self._set_delay(method, seconds, times, before=before)

    def block(self, chat_id: int | str) -> None:
        """Every send to this chat answers 403 until unblock()."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(chat_id)

    def rate_limit(
        self,
        per_second: float | None = None,
        per_chat_per_second: float | None = None,
        *,
        window: float = 1.0,
        methods: Iterable[str] = RATE_LIMITED_METHODS,
    ) -> None:
        """Enforce send limits: calls over the limit answer 429 with retry_after and are
        recorded in ``violations``. A sliding window of ``window`` seconds (at least one
        send's worth) admits ``rate * window`` sends. None for both switches it off."""
        if per_second is None and per_chat_per_second is None:
            self._rate_limit = None
        else:
            self._rate_limit = _RateLimit(
                per_second, per_chat_per_second, window, frozenset(methods)
            )
        self._global_window.clear()
        self._chat_windows.clear()

    def clear_faults(self) -> None:
        """Remove all fail/drop/delay/block/rate-limit settings."""
        self._clear_faults()
        self._blocked.clear()
        self.rate_limit(None, None)

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str) -> list[Request]:
        """Requests of one method (any case), oldest first."""
        return self._calls(method)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to a chat, oldest first (deleted ones flagged)."""
        chat = self._chats.get(chat_id)
        return list(chat.sent) if chat else []

    def last_message(self, chat_id: int) -> SentMessage:
        chat = self._chats.get(chat_id)
        if chat is None or not chat.sent:
            raise AssertionError(
                f"the bot sent nothing to chat {chat_id}\n{self._recent_requests()}"
            )
        return chat.sent[-1]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        chat = self._chats.get(chat_id)
        sent = chat.bot_messages.get(message_id) if chat else None
        if sent is None:
            raise AssertionError(f"the bot sent no message #{message_id} to chat {chat_id}")
        return sent

    def my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSON]:
        return list(self._commands.get((_scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> list[JSON]:
        """Queued updates not yet confirmed by the bot."""
        return [{"update_id": uid, **body} for uid, body in self._updates]

    def update(self, update_id: int) -> JSON:
        """Any update ever queued, by id."""
        return self._update_history[update_id]

    def callback_answered(self, query_id: str) -> bool:
        return query_id in self.callback_answers

    def chat(self, chat_id: int) -> FakeChat | None:
        chat = self._chats.get(chat_id)
        return chat.info if chat else None

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    def bot_user(self, token: str | None = None) -> JSON:
        return {
            "id": self._bot_id(token),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Callable[[], _T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting itself is the API
        *,
        what: str = "the condition",
        chat_id: int | None = None,
    ) -> _T:
        """Re-check ``predicate`` on every request and message change; return its first
        truthy value, or raise AssertionError (listing what was sent) after ``timeout``."""
        return await self._wait(predicate, timeout, what, lambda: self._describe(chat_id))

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting itself is the API
        *,
        since: int = 0,
        kind: Literal["message", "document", "photo"] | None = None,
        predicate: Callable[[SentMessage], bool] | None = None,
    ) -> SentMessage:
        """The first message to ``chat_id`` (from index ``since`` in messages_to, so pass
        ``len(fake.messages_to(chat))`` to wait for a new one) whose current text or
        caption, plain or as sent, contains ``contains``."""

        def find() -> SentMessage | None:
            chat = self._chats.get(chat_id)
            if chat is None:
                return None
            for sent in itertools.islice(chat.sent, since, None):
                if sent.deleted or (kind is not None and sent.kind != kind):
                    continue
                if contains is not None and not (
                    contains in (sent.text or "") or contains in (sent.source_text or "")
                ):
                    continue
                if predicate is not None and not predicate(sent):
                    continue
                return sent
            return None

        what = f"a message to chat {chat_id}"
        if contains is not None:
            what += f" containing {contains!r}"
        return await self.wait_for(find, timeout, what=what, chat_id=chat_id)

    async def wait_for_request(
        self,
        method: str,
        predicate: Callable[[Request], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting itself is the API
        *,
        since: int = 0,
    ) -> Request:
        """The first answered request of ``method`` (from index ``since`` in calls())."""
        return await self._wait_for_request(method, predicate, timeout, since)

    def _describe(self, chat_id: int | None) -> str:
        lines: list[str] = []
        chats = (
            [chat_id] if chat_id is not None else [c for c in self._chats if self._chats[c].sent]
        )
        for cid in chats:
            sent = self.messages_to(cid)
            lines.append(f"messages to chat {cid} ({len(sent)}):")
            lines.extend(f"  {m.short()}" for m in sent[-20:])
        if not chats:
            lines.append("the bot sent no messages")
        lines.append(self._recent_requests())
        return "\n".join(lines)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, http: web.Request) -> web.StreamResponse:
        token = http.match_info["token"]
        name = http.match_info["method"]
        canonical, handler = self._handlers.get(name.lower(), (name, None))
        record = Request(canonical, {}, token, time.monotonic(), http_method=http.method)

        async def read() -> None:
            record.params, record.files = await self._read_params(http)

        def check() -> None:
            if self.valid_token is not None and token != self.valid_token:
                raise ApiError(401, "Unauthorized")
            self._last_token = token
            if handler is None:
                raise ApiError(404, "Not Found: method not found")

        async def call() -> Any:
            assert handler is not None
            rate_limited = self._check_rate_limit(record)
            result = await handler(record)
            if rate_limited:
                self._count_send(record)
            return result

        return await self._serve(http, record, read=read, check=check, call=call)

    def _key(self, record: Request) -> str:
        return record.method

    def _canonical(self, name: str) -> str:
        return self._handlers.get(name.lower(), (name, None))[0]

    def _fault_key(self, name: str) -> str:
        return name.lower()

    def _fault_chat(self, record: Request) -> int | str | None:
        chat_id = record.params.get("chat_id")
        return chat_id if isinstance(chat_id, int | str) else None

    def _success_payload(self, result: Any) -> JSON:
        return {"ok": True, "result": result}

    def _note_failure(self, record: Request, error: ApiError) -> None:
        record.description = error.description

    def _internal_failure(self, error: Exception) -> ApiError:
        return ApiError(500, f"Internal Server Error: fake failed: {error!r}")

    async def _read_params(
        self, http: web.Request
    ) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = dict(http.query)
        files: dict[str, tuple[str, bytes]] = {}
        if http.method == "POST" and http.can_read_body:
            content_type = http.content_type
            if content_type == "application/json":
                try:
                    body = await http.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                params.update(body)
            elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                try:
                    form = await http.post()
                except web.HTTPRequestEntityTooLarge:
                    raise ApiError(413, "Request Entity Too Large") from None
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read())
                    else:
                        params[key] = value
            else:
                await http.read()
        return _normalize_params(params), files

    async def _handle_file(self, http: web.Request) -> web.StreamResponse:
        token = http.match_info["token"]
        path = http.match_info["path"]
        self.file_downloads.append(path)
        if self.valid_token is not None and token != self.valid_token:
            return ApiError(401, "Unauthorized").response()
        stored = self._files_by_path.get(path)
        if stored is None:
            return ApiError(404, "Not Found").response()
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _apply_faults(self, record: Request) -> None:
        super()._apply_faults(record)
        chat_id = record.params.get("chat_id")
        if record.method in SEND_METHODS and chat_id is not None and chat_id in self._blocked:
            chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
            kind = (
                chat.info.type
                if chat
                else ("private" if isinstance(chat_id, int) and chat_id > 0 else "group")
            )
            if kind == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if kind == "channel":
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")

    def _check_rate_limit(self, record: Request) -> bool:
        limit = self._rate_limit
        if limit is None or record.method not in limit.methods:
            return False
        now = time.monotonic()
        chat_id = record.params.get("chat_id")
        checks: list[tuple[Literal["global", "chat"], float, deque[float]]] = []
        if limit.per_second:
            checks.append(("global", limit.per_second, self._global_window))
        if limit.per_chat_per_second and isinstance(chat_id, int | str):
            window = self._chat_windows.setdefault(chat_id, deque())
            checks.append(("chat", limit.per_chat_per_second, window))
        for scope, rate, stamps in checks:
            span = max(limit.window, 1.0 / rate)
            capacity = max(1, math.floor(rate * span + 1e-9))
            while stamps and stamps[0] <= now - span:
                stamps.popleft()
            if len(stamps) >= capacity:
                retry_after = max(1, math.ceil(stamps[0] + span - now))
                self.violations.append(Violation(now, record.method, chat_id, scope, retry_after))
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        return True

    def _count_send(self, record: Request) -> None:
        now = time.monotonic()
        limit = self._rate_limit
        if limit is None:
            return
        if limit.per_second:
            self._global_window.append(now)
        chat_id = record.params.get("chat_id")
        if limit.per_chat_per_second and isinstance(chat_id, int | str):
            self._chat_windows.setdefault(chat_id, deque()).append(now)

    # ------------------------------------------------------------------ state helpers

    def _bot_id(self, token: str | None = None) -> int:
        if self.bot_id is not None:
            return self.bot_id
        token = token or self._last_token or ""
        prefix = token.split(":", 1)[0]
        return int(prefix) if prefix.isdigit() else 1

    def _register_chat(self, info: FakeChat) -> _Chat:
        existing = self._chats.get(info.id)
        if existing is not None:
            existing.info = info
            existing.json = info.to_json()
            return existing
        chat = _Chat(info, info.to_json())
        self._chats[info.id] = chat
        return chat

    def _auto_chat(self, chat_id: int, chat_type: ChatType | None = None) -> _Chat:
        if chat_id > 0:
            user = self._users.get(chat_id)
            if user is not None:
                info = FakeChat(
                    chat_id, "private", None, user.username, user.first_name, user.last_name
                )
            else:
                info = FakeChat(chat_id, "private", first_name=f"User {chat_id}")
        else:
            kind: ChatType = chat_type or (
                "supergroup" if chat_id < -1_000_000_000_000 else "group"
            )
            info = FakeChat(chat_id, kind, title=f"Chat {chat_id}")
        return self._register_chat(info)

    def _resolve_user(self, user: FakeUser | int) -> FakeUser:
        if isinstance(user, FakeUser):
            if user.id not in self._users:
                self._users[user.id] = user
                self._register_chat(
                    FakeChat(
                        user.id, "private", None, user.username, user.first_name, user.last_name
                    )
                )
            return user
        known = self._users.get(user)
        return known if known is not None else self.user(user, first_name=f"User {user}")

    def _chat_for_user_message(
        self, user: FakeUser, chat_id: int | None, chat_type: ChatType | None
    ) -> _Chat:
        if chat_id is None or chat_id == user.id:
            return self._chats[user.id]
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                raise ValueError(
                    f"a private chat with user {user.id} has id {user.id}, not {chat_id}"
                )
            chat = self._auto_chat(chat_id, chat_type)
        return chat

    def _new_user_message(self, chat: _Chat, user: FakeUser, reply_to: int | None) -> JSON:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: JSON = {
            "message_id": message_id,
            "from": user.to_json(),
            "chat": chat.json,
            "date": int(self.clock()),
        }
        if reply_to is not None:
            replied = self._find_message_json(chat, reply_to)
            if replied is None:
                raise ValueError(f"no message #{reply_to} in chat {chat.info.id} to reply to")
            message["reply_to_message"] = replied
        chat.user_messages[message_id] = message
        return message

    def _find_message_json(self, chat: _Chat, message_id: int) -> JSON | None:
        sent = chat.bot_messages.get(message_id)
        if sent is not None and not sent.deleted:
            found: JSON = sent.raw
        elif message_id in chat.user_messages:
            found = chat.user_messages[message_id]
        else:
            return None
        return {k: v for k, v in found.items() if k != "reply_to_message"}

    def _queue_update(self, kind: str, payload: JSON) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        update: JSON = {kind: payload}
        self._update_history[update_id] = update
        if kind not in self._allowed_updates:
            self.filtered_updates.append({"update_id": update_id, **update})
            return update_id
        self._updates.append((update_id, update))
        self._pulse_updates()
        return update_id

    def _store_file(
        self, folder: str, name: str | None, mime: str | None, data: bytes, *, prefix: str
    ) -> StoredFile:
        number = next(self._file_counter)
        suffix = ""
        if name and "." in name:
            suffix = "." + name.rsplit(".", 1)[1][:10]
        stored = StoredFile(
            file_id=f"{prefix}{number:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{number:06d}{secrets.token_hex(3)}",
            file_path=f"{folder}/file_{number}{suffix}",
            file_name=name,
            mime_type=mime,
            data=data,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _target_chat(self, params: Mapping[str, Any]) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise bad_request("chat not found")
            resolved = self._usernames.get(chat_id[1:].lower())
            if resolved is None:
                raise bad_request("chat not found")
            chat_id = resolved
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats or chat_id == 0:
                raise bad_request("chat not found")
            chat = self._auto_chat(chat_id)
        return chat

    def _format(
        self, text: str, params: Mapping[str, Any], entities_key: str
    ) -> tuple[str, list[Entity]]:
        entities = params.get(entities_key)
        if entities is not None and not (
            isinstance(entities, list) and all(_valid_entity(e) for e in entities)
        ):
            raise bad_request(f"can't parse {entities_key} JSON object")
        parse_mode = params.get("parse_mode")
        try:
            return format_text(
                text,
                parse_mode if isinstance(parse_mode, str) else None,
                entities,
                strict_ampersand=self.strict_html_ampersand,
            )
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        except UnsupportedParseMode:
            raise bad_request("unsupported parse_mode") from None

    def _reply_target(self, chat: _Chat, params: Mapping[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        message_id: Any = params.get("reply_to_message_id")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        elif reply is not None:
            raise bad_request("can't parse reply parameters JSON object")
        if message_id is None:
            return None
        if not isinstance(message_id, int) or self._find_message_json(chat, message_id) is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _new_bot_message(
        self,
        chat: _Chat,
        record: Request,
        kind: Literal["message", "document", "photo"],
        text: str | None,
        entities: list[Entity],
        markup: JSON | None,
        reply_to: int | None,
        *,
        file: StoredFile | None = None,
        extra: JSON | None = None,
    ) -> SentMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        params = record.params
        source_key = "text" if kind == "message" else "caption"
        source = params.get(source_key)
        parse_mode = params.get("parse_mode")
        sent = SentMessage(
            chat_id=chat.info.id,
            message_id=message_id,
            kind=kind,
            text=text,
            source_text=source if isinstance(source, str) else None,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            entities=entities,
            reply_markup=markup,
            date=int(self.clock()),
            params=params,
            reply_to_message_id=reply_to,
            file_name=file.file_name if file else None,
            file_bytes=file.data if file else None,
            mime_type=file.mime_type if file else None,
            file_id=file.file_id if file else None,
        )
        sent.raw = self._render(chat, sent, record.token, extra)
        chat.sent.append(sent)
        chat.bot_messages[message_id] = sent
        self.sent.append(sent)
        return sent

    def _render(
        self, chat: _Chat, sent: SentMessage, token: str | None, extra: JSON | None = None
    ) -> JSON:
        message: JSON = {
            "message_id": sent.message_id,
            "from": self.bot_user(token),
            "chat": chat.json,
            "date": sent.date,
        }
        if sent.edit_date is not None:
            message["edit_date"] = sent.edit_date
        if sent.reply_to_message_id is not None:
            replied = self._find_message_json(chat, sent.reply_to_message_id)
            if replied is not None:
                message["reply_to_message"] = replied
        if extra:
            message.update(extra)
        elif sent.raw:
            for key in ("document", "photo"):
                if key in sent.raw:
                    message[key] = sent.raw[key]
        if sent.kind == "message":
            message["text"] = sent.text
            if sent.entities:
                message["entities"] = sent.entities
        elif sent.text:
            message["caption"] = sent.text
            if sent.entities:
                message["caption_entities"] = sent.entities
        if sent.reply_markup is not None and "inline_keyboard" in sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    def _editable(self, record: Request) -> tuple[_Chat, SentMessage]:
        params = record.params
        if params.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        sent = chat.bot_messages.get(message_id) if isinstance(message_id, int) else None
        if sent is None or sent.deleted:
            if isinstance(message_id, int) and message_id in chat.user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, sent

    def _apply_edit(
        self,
        chat: _Chat,
        sent: SentMessage,
        record: Request,
        text: str | None,
        entities: list[Entity],
        markup: JSON | None,
    ) -> JSON:
        if text == sent.text and entities == sent.entities and markup == sent.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        sent.history.append(
            MessageVersion(sent.text, sent.entities, sent.reply_markup, sent.edit_date or sent.date)
        )
        sent.text = text
        sent.entities = entities
        sent.reply_markup = markup
        if "text" in record.params or "caption" in record.params:
            source = record.params.get("text", record.params.get("caption"))
            sent.source_text = source if isinstance(source, str) else None
            parse_mode = record.params.get("parse_mode")
            sent.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        sent.edit_date = int(self.clock())
        sent.raw = self._render(chat, sent, record.token)
        return sent.raw

    # ------------------------------------------------------------------ Bot API methods

    def _register_handlers(self) -> None:
        table: dict[str, Callable[[Request], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._property_setter("description"),
            "getMyDescription": self._property_getter("description"),
            "setMyShortDescription": self._property_setter("short_description"),
            "getMyShortDescription": self._property_getter("short_description"),
            "setMyName": self._property_setter("name"),
            "getMyName": self._property_getter("name"),
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in table.items()}

    async def _true(self, record: Request) -> bool:
        return True

    async def _get_me(self, record: Request) -> JSON:
        return {
            **self.bot_user(record.token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, record: Request) -> list[JSON]:
        params = record.params
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not isinstance(limit, int) or limit < 1:
            limit = 1 if isinstance(limit, int) else 100
        limit = min(limit, 100)
        if not isinstance(timeout, int | float) or timeout < 0:
            timeout = 0
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed updates JSON object")
            chosen = frozenset(str(a) for a in allowed) & ALL_UPDATE_TYPES
            self._allowed_updates = chosen or DEFAULT_UPDATE_TYPES
        if self.webhook_url:
            raise ApiError(409, GET_UPDATES_WITH_WEBHOOK)
        if isinstance(offset, int):
            if offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            else:
                while self._updates and self._updates[0][0] < offset:
                    self._updates.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse_updates()  # an older long poll, if any, ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._updates:
                return [
                    {"update_id": uid, **body}
                    for uid, body in itertools.islice(self._updates, limit)
                ]
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return []
            pulse = self._updates_pulse
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pulse.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(409, GET_UPDATES_TERMINATED)
            if self.webhook_url:
                raise ApiError(409, GET_UPDATES_WITH_WEBHOOK)

    def _drop_pending(self) -> None:
        self.pending_updates_dropped += 1
        self.dropped_updates.extend({"update_id": uid, **body} for uid, body in self._updates)
        self._updates.clear()

    async def _set_webhook(self, record: Request) -> bool:
        params = record.params
        url = params.get("url")
        if url is None:
            raise bad_request("bad webhook: URL must be provided")
        if not isinstance(url, str):
            raise bad_request("bad webhook: invalid URL")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            chosen = frozenset(str(a) for a in allowed) & ALL_UPDATE_TYPES
            self._allowed_updates = chosen or DEFAULT_UPDATE_TYPES
        self.webhook_url = url
        self.webhook_params = dict(params) if url else {}
        self._pulse_updates()
        return True

    async def _delete_webhook(self, record: Request) -> bool:
        if record.params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook_url = ""
        self.webhook_params = {}
        return True

    async def _get_webhook_info(self, record: Request) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = self.webhook_params.get("max_connections", 40)
            info["ip_address"] = "127.0.0.1"
            if isinstance(self.webhook_params.get("allowed_updates"), list):
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _send_message(self, record: Request) -> JSON:
        params = record.params
        chat = self._target_chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        plain, entities = self._format(text, params, "entities")
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = _check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        sent = self._new_bot_message(chat, record, "message", plain, entities, markup, reply_to)
        return sent.raw

    async def _edit_message_text(self, record: Request) -> JSON:
        params = record.params
        chat, sent = self._editable(record)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        if sent.kind != "message":
            raise bad_request("there is no text in the message to edit")
        plain, entities = self._format(text, params, "entities")
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = _check_markup(params.get("reply_markup"))
        return self._apply_edit(chat, sent, record, plain, entities, markup)

    async def _edit_message_caption(self, record: Request) -> JSON:
        params = record.params
        chat, sent = self._editable(record)
        if sent.kind == "message":
            raise bad_request("there is no caption in the message to edit")
        caption = params.get("caption")
        plain: str | None = None
        entities: list[Entity] = []
        if isinstance(caption, str) and caption:
            plain, entities = self._format(caption, params, "caption_entities")
            if len(plain) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        markup = _check_markup(params.get("reply_markup"))
        return self._apply_edit(chat, sent, record, plain or None, entities, markup)

    async def _edit_message_reply_markup(self, record: Request) -> JSON:
        chat, sent = self._editable(record)
        markup = _check_markup(record.params.get("reply_markup"))
        return self._apply_edit(chat, sent, record, sent.text, sent.entities, markup)

    async def _delete_message(self, record: Request) -> bool:
        chat = self._target_chat(record.params)
        message_id = record.params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        sent = chat.bot_messages.get(message_id) if isinstance(message_id, int) else None
        if sent is not None and not sent.deleted:
            sent.deleted = True
            return True
        if isinstance(message_id, int) and chat.user_messages.pop(message_id, None) is not None:
            return True
        raise bad_request("message to delete not found")

    async def _answer_callback_query(self, record: Request) -> bool:
        query_id = record.params.get("callback_query_id")
        if query_id is None or query_id == "":
            raise bad_request("query_id is empty")
        if str(query_id) not in self._callback_queries or str(query_id) in self.callback_answers:
            raise ApiError(400, QUERY_TOO_OLD)
        text = record.params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[str(query_id)] = record.params
        return True

    def _upload(self, record: Request, field_name: str, folder: str, prefix: str) -> StoredFile:
        value = record.params.get(field_name)
        if value is None and field_name in record.files:
            name, data = record.files[field_name]
        elif isinstance(value, str) and value.startswith("attach://"):
            part = record.files.get(value.removeprefix("attach://"))
            if part is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            name, data = part
        elif isinstance(value, str) and value in self._files:
            return self._files[value]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        elif value is None:
            raise bad_request(f"there is no {field_name} in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not data:
            raise bad_request("file must be non-empty")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self._store_file(folder, name, mime, data, prefix=prefix)

    def _caption(self, record: Request) -> tuple[str | None, list[Entity]]:
        caption = record.params.get("caption")
        if not isinstance(caption, str) or not caption:
            return None, []
        plain, entities = self._format(caption, record.params, "caption_entities")
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return plain or None, entities

    async def _send_document(self, record: Request) -> JSON:
        chat = self._target_chat(record.params)
        caption, entities = self._caption(record)
        markup = _check_markup(record.params.get("reply_markup"))
        reply_to = self._reply_target(chat, record.params)
        stored = self._upload(record, "document", "documents", "BQACAgIAAxkBAAI")
        document: JSON = {
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        document = {k: v for k, v in document.items() if v is not None}
        sent = self._new_bot_message(
            chat,
            record,
            "document",
            caption,
            entities,
            markup,
            reply_to,
            file=stored,
            extra={"document": document},
        )
        return sent.raw

    async def _send_photo(self, record: Request) -> JSON:
        chat = self._target_chat(record.params)
        caption, entities = self._caption(record)
        markup = _check_markup(record.params.get("reply_markup"))
        reply_to = self._reply_target(chat, record.params)
        stored = self._upload(record, "photo", "photos", "AgACAgIAAxkBAAI")
        size = image_size(stored.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        sizes = _photo_sizes(stored, *size)
        for variant in sizes:
            self._files.setdefault(variant["file_id"], stored)
        sent = self._new_bot_message(
            chat,
            record,
            "photo",
            caption,
            entities,
            markup,
            reply_to,
            file=stored,
            extra={"photo": sizes},
        )
        return sent.raw

    async def _send_chat_action(self, record: Request) -> bool:
        self._target_chat(record.params)
        action = record.params.get("action")
        if action is None or action == "":
            raise bad_request("action is empty")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, record: Request) -> JSON:
        file_id = record.params.get("file_id")
        if file_id is None or file_id == "":
            raise bad_request("file_id is empty")
        stored = self._files.get(str(file_id))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _set_my_commands(self, record: Request) -> bool:
        commands = record.params.get("commands")
        if commands is None:
            raise bad_request("commands is empty")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse commands JSON object")
            name = command.get("command")
            description = command.get("description")
            if (
                not isinstance(name, str)
                or not 1 <= len(name) <= 32
                or not set(name) <= _COMMAND_CHARS
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(record)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, record: Request) -> list[JSON]:
        return list(self._commands.get(self._commands_key(record), []))

    async def _delete_my_commands(self, record: Request) -> bool:
        self._commands.pop(self._commands_key(record), None)
        return True

    def _commands_key(self, record: Request) -> tuple[str, str]:
        scope = record.params.get("scope")
        if scope is not None and not (
            isinstance(scope, dict) and isinstance(scope.get("type"), str)
        ):
            raise bad_request("can't parse BotCommandScope JSON object")
        language = record.params.get("language_code") or ""
        if not isinstance(language, str) or (language and len(language) != 2):
            raise bad_request("invalid language code specified")
        return _scope_key(scope), language

    def _property_setter(self, name: str) -> Callable[[Request], Awaitable[Any]]:
        async def setter(record: Request) -> bool:
            language = str(record.params.get("language_code") or "")
            value = record.params.get(name)
            if value:
                self._bot_properties[(name, language)] = str(value)
            else:
                self._bot_properties.pop((name, language), None)
            return True

        return setter

    def _property_getter(self, name: str) -> Callable[[Request], Awaitable[Any]]:
        async def getter(record: Request) -> JSON:
            language = str(record.params.get("language_code") or "")
            value = self._bot_properties.get((name, language))
            if value is None:
                value = self._bot_properties.get(
                    (name, ""), self.bot_first_name if name == "name" else ""
                )
            return {name: value}

        return getter

    # ------------------------------------------------------------------ control API
    # For manual runs of ``python -m tests.fake_telegram``: play a user with curl.

    async def _control_message(self, http: web.Request) -> web.StreamResponse:
        body = await _control_body(http)
        user = self._control_user(body)
        update_id = self.add_message(
            user, str(body.get("text", "")), chat_id=_opt_int(body, "chat_id")
        )
        return web.json_response({"ok": True, "update_id": update_id})

    async def _control_callback(self, http: web.Request) -> web.StreamResponse:
        body = await _control_body(http)
        user = self._control_user(body)
        try:
            query_id = self.add_callback_query(
                user,
                int(body["message_id"]),
                _opt_int(body, "chat_id"),
                str(body["data"]),
                check_button=False,
            )
        except (KeyError, ValueError) as error:
            return web.json_response({"ok": False, "description": str(error)}, status=400)
        return web.json_response({"ok": True, "callback_query_id": query_id})

    async def _control_update(self, http: web.Request) -> web.StreamResponse:
        body = await _control_body(http)
        try:
            update_id = self.add_raw_update(body)
        except ValueError as error:
            return web.json_response({"ok": False, "description": str(error)}, status=400)
        return web.json_response({"ok": True, "update_id": update_id})

    async def _control_sent(self, http: web.Request) -> web.StreamResponse:
        chat_id = http.query.get("chat_id")
        sent = self.sent if chat_id is None else self.messages_to(int(chat_id))
        return web.json_response([m.raw | {"deleted": m.deleted} for m in sent], dumps=dumps)

    async def _control_requests(self, http: web.Request) -> web.StreamResponse:
        method = http.query.get("method")
        chosen = self.requests if method is None else self.calls(method)
        return web.json_response([str(r) for r in chosen], dumps=dumps)

    def _control_user(self, body: Mapping[str, Any]) -> FakeUser:
        user_id = int(body.get("user_id", 1))
        if user_id in self._users:
            return self._users[user_id]
        return self.user(
            user_id,
            first_name=str(body.get("first_name", f"User {user_id}")),
            username=body.get("username"),
        )


# --------------------------------------------------------------------------- helpers


def _short(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={clip(repr(v), 60)}" for k, v in params.items())


def _opt_int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    return None if value is None else int(value)


async def _control_body(http: web.Request) -> JSON:
    if http.content_type == "application/json":
        body = await http.json()
        return body if isinstance(body, dict) else {}
    return dict(await http.post()) | dict(http.query)


def _normalize_params(params: dict[str, Any]) -> dict[str, Any]:
    for key, value in params.items():
        if not isinstance(value, str):
            continue
        if key in JSON_FIELDS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                if key == "reply_markup":
                    raise bad_request("can't parse reply keyboard markup JSON object") from None
                raise bad_request(f"can't parse {key} JSON object") from None
        elif key in CHAT_ID_FIELDS:
            params[key] = _int_or_str(value)
        elif key in INT_FIELDS:
            try:
                params[key] = int(value)
            except ValueError:
                raise bad_request(f"invalid {key} specified") from None
        elif key in FLOAT_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = float(value)
        elif key in BOOL_FIELDS:
            params[key] = value.lower() in ("true", "1")
    return params


def _int_or_str(value: str) -> int | str:
    stripped = value.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    return value


def _valid_entity(entity: Any) -> bool:
    return (
        isinstance(entity, dict)
        and isinstance(entity.get("type"), str)
        and isinstance(entity.get("offset"), int)
        and isinstance(entity.get("length"), int)
    )


def _scope_key(scope: Mapping[str, Any] | None) -> str:
    if not scope or scope.get("type") == "default":
        return '{"type":"default"}'
    return json.dumps(dict(scope), sort_keys=True, separators=(",", ":"))


def _chat_member(status: str, user: JSON) -> JSON:
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": user}
    raise ValueError(f"unsupported chat member status {status!r}")


def _check_markup(markup: Any) -> JSON | None:
    """Validate reply_markup the way Telegram does; returns it unchanged."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("can't parse keyboard button: Text is empty")
        return markup
    if "remove_keyboard" in markup or "force_reply" in markup:
        return markup
    raise bad_request('can\'t find field "inline_keyboard"')


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request(
            "BUTTON_TEXT_INVALID" if text else "text buttons are unallowed in the inline keyboard"
        )
    actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button:
        parts = urlsplit(url) if isinstance(url, str) else None
        if (
            parts is None
            or parts.scheme not in ("http", "https", "tg")
            or not (parts.netloc or parts.scheme == "tg")
        ):
            raise bad_request("BUTTON_URL_INVALID")


def _photo_sizes(stored: StoredFile, width: int, height: int) -> list[JSON]:
    """PhotoSize variants like Telegram's: 90/320/800/1280 px on the longer side while
    smaller than the original, then the original (at most 2560 px)."""
    longest = max(width, height, 1)
    sizes: list[JSON] = []
    for index, side in enumerate((90, 320, 800, 1280)):
        if side >= longest:
            break
        scale = side / longest
        sizes.append(
            {
                "file_id": f"{stored.file_id}_{index}",
                "file_unique_id": f"{stored.file_unique_id}{index}",
                "file_size": max(1, int(len(stored.data) * scale * scale)),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
        )
    scale = min(1.0, 2560 / longest)
    sizes.append(
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": max(1, round(width * scale)),
            "height": max(1, round(height * scale)),
        }
    )
    return sizes
