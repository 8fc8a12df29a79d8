"""A fake MAX Bot API server over real HTTP, for in-process and end-to-end tests.

Built like ``tests.fake_telegram`` and on the same base (``tests.fake_api``): start it,
point the client at ``url``, play users, inject faults, assert on what was sent. It speaks
the 2026 API (platform-api2.max.ru): the token travels only in the ``Authorization``
header, errors are ``{"code","message"}``, times are epoch milliseconds, a user's id is not
their dialog's ``chat_id``::

    async with FakeMax() as fake:
        api = MaxApi(fake.token, base_url=fake.url)
        alice = fake.user(1001, "Alice")
        fake.start_bot(alice, payload="invite")      # bot_started with a deep-link payload
        updates, marker = await api.updates(None, timeout=0)
        await api.send_message(user_id=alice.user_id, text="Привет", keyboard=...)
        sent = await fake.wait_for_message(fake.dialog_id(alice), "Привет")
        fake.tap(alice, sent, "Готово")               # message_callback with a callback_id

Updates keep MAX's server-side marker: ``GET /updates?marker=M`` confirms every update
before ``M``; without a marker the unconfirmed ones come again (``no_marker="latest"``
switches to what the current docs describe: only the newest one). While a webhook
subscription exists the fake pushes each update to it with ``X-Max-Bot-Api-Secret`` and
retries non-200 answers; ``GET /updates`` then answers 405.

Files: ``POST /uploads?type=…`` gives an upload URL on this server (``/_upload/…``), the
upload answers a token, and a message may carry it. ``not_ready_sends`` makes each fresh
token fail its first sends with ``attachment.not.ready``. Files users send carry a direct
URL served under ``/_files/…``.

Rate limits (30 requests/s overall, 2 messages/s per chat) are watched by default and
every breach is recorded in ``violations``; ``rate_limit(enforce=True)`` also answers them
with 429 ``too.many.requests`` (which, like MAX, carries no Retry-After).

Assumptions where MAX's documentation is silent (marked ASSUMED below): error codes for
limits and unknown ids, 405 for polling while subscribed, a file being the only attachment
of its message, the bot needing its dialog started by the user before it may write.
Simplified: one webhook subscription at a time receives pushes (the latest); pushes go one
at a time; upload URLs are single-use; no chat admin checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import itertools
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fake_api import FakeApiError, FakeApiServer, clip, dumps, image_size, outcome

JSON = dict[str, Any]

MAX_TEXT_LENGTH = 4000
MAX_BUTTONS = 210
MAX_ROWS = 30
MAX_ROW_BUTTONS = 7
MAX_WIDE_ROW_BUTTONS = 3  # rows holding link/open_app/request_geo_location/request_contact
MAX_BUTTON_TEXT = 128
MAX_BUTTON_PAYLOAD = 1024
MAX_BUTTON_URL = 2048
MAX_COMMANDS = 32
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
WIDE_BUTTONS = frozenset({"link", "open_app", "request_geo_location", "request_contact"})
BUTTON_TYPES = frozenset(
    {"callback", "link", "request_contact", "request_geo_location", "open_app", "message"}
    | {"clipboard", "chat"}
)
UPLOAD_TYPES = frozenset({"image", "video", "audio", "file"})
UPDATE_TYPES = frozenset(
    {
        "message_created",
        "message_callback",
        "message_edited",
        "message_removed",
        "bot_started",
        "bot_stopped",
        "bot_added",
        "bot_removed",
        "user_added",
        "user_removed",
        "chat_title_changed",
        "message_chat_created",
        "dialog_muted",
        "dialog_unmuted",
        "dialog_cleared",
        "dialog_removed",
    }
)
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{5,256}")
NOT_READY_MESSAGE = "Key: errors.process.attachment.file.not.processed"

# Default error code per HTTP status for injected faults.
DEFAULT_CODES = {
    400: "proto.payload",
    401: "verify.token",
    403: "chat.denied",
    404: "chat.not.found",
    405: "method.not.allowed",  # ASSUMED
    429: "too.many.requests",  # ASSUMED (the brief calls it likely)
    500: "internal.error",  # ASSUMED
    502: "internal.error",
    503: "service.unavailable",  # ASSUMED
    504: "gateway.timeout",  # ASSUMED
}


class ApiError(FakeApiError):
    """A MAX-shaped error answer: HTTP status and ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str, *, raw: str | None = None) -> None:
        super().__init__(status, f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.raw = raw
        """A non-JSON body to answer instead (a proxy's HTML error page)."""

    def payload(self) -> JSON:
        return {"code": self.code, "message": self.message}

    def response(self) -> web.Response:
        if self.raw is not None:
            return web.Response(text=self.raw, status=self.status, content_type="text/html")
        return super().response()


def bad_request(message: str, code: str = "proto.payload") -> ApiError:
    return ApiError(400, code, message)


# --------------------------------------------------------------------------- records


@dataclass
class Request:
    """One HTTP call to the API, as received, with what the fake answered."""

    endpoint: str
    """``"POST /messages"``; paths with an id in them are generalised (``GET /messages/{mid}``)."""
    query: dict[str, str]
    body: Any
    authorization: str | None
    time: float
    status: int | None = None
    code: str | None = None
    """The error code for failed calls."""
    message: str | None = None
    result: Any = None
    dropped: bool = False
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        head = self.endpoint + (f"?{query}" if query else "")
        if isinstance(self.body, dict) and isinstance(self.body.get("text"), str):
            head += f" text={clip(self.body['text'])!r}"
        return f"{head} -> {outcome(self, f'{self.status} {self.code}: {self.message}')}"


@dataclass(frozen=True)
class MessageVersion:
    """An earlier state of an edited message."""

    text: str | None
    attachments: list[JSON]
    timestamp: int


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (edits applied, history kept)."""

    mid: str
    seq: int
    chat_id: int
    user_id: int | None
    """The user on the other side of a dialog; None in groups."""
    text: str | None
    """Text as the chat shows it: html/markdown markup taken away."""
    source_text: str | None
    """Text exactly as the bot sent it."""
    format: str | None
    attachments: list[JSON]
    timestamp: int
    notify: bool
    raw: JSON = field(default_factory=dict)
    """The Message object as the fake returned it (latest version)."""
    history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    files: list[StoredFile] = field(default_factory=list)
    """Uploaded files and images the message carries."""

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def keyboard(self) -> list[list[JSON]]:
        for attachment in self.attachments:
            if attachment.get("type") == "inline_keyboard":
                buttons = attachment.get("payload", {}).get("buttons", [])
                return [list(row) for row in buttons]
        return []

    def button(self, text: str) -> JSON:
        """The first button whose text contains ``text``; AssertionError listing them if none."""
        for row in self.keyboard:
            for button in row:
                if text in str(button.get("text", "")):
                    return button
        shown = [str(b.get("text")) for row in self.keyboard for b in row]
        raise AssertionError(f"no button containing {text!r} in {self.short()}: {shown}")

    def callback_payload(self, text: str) -> str:
        button = self.button(text)
        payload = button.get("payload")
        if button.get("type") != "callback" or not isinstance(payload, str):
            raise AssertionError(f"button {text!r} is not a callback button: {button}")
        return payload

    def short(self) -> str:
        label = self.mid
        if self.text is not None:
            label += f" {clip(self.text)!r}"
        kinds = [a.get("type") for a in self.attachments if a.get("type") != "inline_keyboard"]
        if kinds:
            label += f" {kinds}"
        if self.edited:
            label += f" (edited {len(self.history)}x)"
        if self.deleted:
            label += " (deleted)"
        buttons = [str(b.get("text")) for row in self.keyboard for b in row]
        if buttons:
            label += f" buttons={buttons}"
        return label


@dataclass(frozen=True)
class MaxUser:
    """A MAX user the test plays."""

    user_id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    locale: str = "ru"

    def to_json(self, last_activity_ms: int) -> JSON:
        data: JSON = {"user_id": self.user_id, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        data["is_bot"] = False
        data["last_activity_time"] = last_activity_ms
        data["name"] = " ".join(p for p in (self.first_name, self.last_name) if p)
        return data


@dataclass(frozen=True)
class Violation:
    """A request over MAX's limits: 30 requests/s overall or 2 messages/s to one chat."""

    time: float
    endpoint: str
    chat_id: int | None
    scope: Literal["global", "chat"]
    enforced: bool
    """True when it was answered with 429; False when only recorded."""


@dataclass
class StoredFile:
    """An uploaded file (``token``) or one a user sent (served at ``url``)."""

    key: str
    kind: str
    token: str
    filename: str | None
    data: bytes
    url: str = ""
    not_ready_left: int = 0


@dataclass(frozen=True)
class CallbackAnswer:
    callback_id: str
    notification: str | None
    message: JSON | None
    time: float


@dataclass(frozen=True)
class WebhookDelivery:
    """One push to the subscribed URL."""

    url: str
    update: JSON
    attempt: int
    status: int | None
    """The HTTP status the receiver answered; None when the connection failed."""
    secret_sent: str | None
    time: float
    error: str | None = None


@dataclass(frozen=True)
class Download:
    key: str
    authorization: str | None
    time: float


@dataclass
class Subscription:
    url: str
    update_types: list[str] | None
    secret: str | None
    time: int


@dataclass
class _Chat:
    chat_id: int
    type: Literal["dialog", "chat", "channel"]
    title: str | None = None
    user_id: int | None = None
    stopped: bool = False
    sent: list[SentMessage] = field(default_factory=list)


@dataclass
class _Update:
    marker: int
    update_type: str
    body: JSON


# --------------------------------------------------------------------------- the server


class FakeMax(FakeApiServer[Request, ApiError]):
    """A fake MAX Bot API server. Start it, point the client at ``url``, play users, assert."""

    any_delay = True

    def __init__(
        self,
        *,
        token: str = "max-test-token",
        bot_id: int = 8_000_000_001,
        bot_username: str = "roadmap_test_bot",
        bot_first_name: str = "Roadmap Test Bot",
        no_marker: Literal["unconfirmed", "latest"] = "unconfirmed",
        not_ready_sends: int = 0,
        file_alone: bool = True,
        download_needs_auth: bool = False,
        webhook_retry_delays: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
        webhook_timeout: float = 30.0,
        first_marker: int = 5_000_000_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        :param token: the only token accepted in the ``Authorization`` header.
        :param no_marker: what ``GET /updates`` without a marker returns: every unconfirmed
            update, or (as the current docs say) only the newest one.
        :param not_ready_sends: how many sends of each freshly uploaded token answer
            400 ``attachment.not.ready`` before it is accepted.
        :param file_alone: a ``file`` attachment must be the only one (SCHEMA); False lets
            a keyboard ride along.
        :param download_needs_auth: ``/_files/`` answers 401 without the bot's token.
        :param webhook_retry_delays: pauses between push attempts; a push fails for good
            after ``len + 1`` attempts (MAX: 10 tries, 60 s × 2.5ⁿ).
        :param first_marker: the first update's marker; big, as MAX's are.
        :param clock: wall clock (unix seconds) for timestamps.
        """
        super().__init__(ApiError)
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.no_marker = no_marker
        self.not_ready_sends = not_ready_sends
        self.file_alone = file_alone
        self.download_needs_auth = download_needs_auth
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.webhook_timeout = webhook_timeout
        self.clock = clock

        self.sent: list[SentMessage] = []
        self.answers: list[CallbackAnswer] = []
        self.violations: list[Violation] = []
        self.deliveries: list[WebhookDelivery] = []
        self.failed_pushes: list[JSON] = []
        """Updates the webhook never took (every attempt failed); they are dropped."""
        self.downloads: list[Download] = []
        self.uploads: list[StoredFile] = []
        self.commands: list[JSON] = []
        self.subscriptions: dict[str, Subscription] = {}

        self._users: dict[int, MaxUser] = {}
        self._dialogs: dict[int, int] = {}  # user id -> dialog chat id
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[str, SentMessage] = {}
        self._user_messages: dict[str, JSON] = {}
        self._files: dict[str, StoredFile] = {}  # key -> file
        self._tokens: dict[str, StoredFile] = {}
        self._upload_slots: dict[str, str] = {}  # slot -> upload type
        self._callbacks: dict[str, JSON] = {}  # callback id -> message_callback update
        self._counter = itertools.count(1)
        self._dialog_ids = itertools.count(9_100_000_001)

        self._log: list[_Update] = []
        self._pending: deque[_Update] = deque()
        self._next_marker = first_marker

        self._limits: tuple[float, float] | None = (30.0, 2.0)
        self._enforce_limits = False
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}

        self._client: aiohttp.ClientSession | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._routes = self._route_table()

    # ------------------------------------------------------------------ lifecycle

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        # Control endpoints for a fake run as its own process (python -m tests.fake_max):
        # the test or benchmark plays users and reads what was sent over HTTP.
        app.router.add_post("/_fake/start", self._control_start)
        app.router.add_post("/_fake/message", self._control_message)
        app.router.add_get("/_fake/sent", self._control_sent)
        app.router.add_get("/_fake/requests", self._control_requests)
        app.router.add_get("/_fake/violations", self._control_violations)
        app.router.add_route("*", "/{path:.*}", self._handle)
        return app

    async def _started(self) -> None:
        self._client = aiohttp.ClientSession()
        self._pusher = asyncio.create_task(self._push_loop())

    async def _stopping(self) -> None:
        """Also end the webhook pushes."""
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ------------------------------------------------------------------ playing users

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        locale: str = "ru",
    ) -> MaxUser:
        """Create (or replace) a user. The bot may write to them once they start it."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = MaxUser(user_id, first_name, last_name, username, locale)
        self._users[user_id] = user
        return user

    def dialog_id(self, user: MaxUser | int) -> int:
        """The chat_id of the user's dialog with the bot (not their user id)."""
        user_id = user if isinstance(user, int) else user.user_id
        if user_id not in self._dialogs:
            raise AssertionError(f"user {user_id} has no dialog with the bot yet")
        return self._dialogs[user_id]

    def group(self, chat_id: int, title: str = "Test group") -> int:
        """A group chat (negative id) the bot is an admin of."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._chats[chat_id] = _Chat(chat_id, "chat", title=title)
        return chat_id

    def start_bot(self, user: MaxUser | int, payload: str | None = None) -> int:
        """The user presses Start (through a deep link when ``payload`` is given): their
        dialog opens (or is unblocked) and ``bot_started`` is queued; returns its marker."""
        found = self._resolve_user(user)
        chat = self._dialog(found, create=True)
        chat.stopped = False
        body: JSON = {
            "chat_id": chat.chat_id,
            "user": found.to_json(self._now_ms()),
            "user_id": found.user_id,
            "user_locale": found.locale,
        }
        if payload is not None:
            body["payload"] = payload
        return self._queue("bot_started", body)

    def stop_bot(self, user: MaxUser | int) -> int:
        """The user stops (blocks) the bot: ``bot_stopped`` is queued and later sends to them
        answer 403 ``chat.denied`` until they start it again."""
        found = self._resolve_user(user)
        chat = self._dialog(found, create=True)
        chat.stopped = True
        body: JSON = {
            "chat_id": chat.chat_id,
            "user": found.to_json(self._now_ms()),
            "user_locale": found.locale,
        }
        return self._queue("bot_stopped", body)

    def send_text(self, user: MaxUser | int, text: str, *, chat_id: int | None = None) -> str:
        """Queue ``message_created`` with the user's text; returns the message's mid."""
        return self._user_message(user, chat_id, {"text": text})

    def send_file(
        self,
        user: MaxUser | int,
        filename: str,
        content: bytes,
        *,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """Queue ``message_created`` carrying a file whose ``payload.url`` this server serves;
        returns the message's mid."""
        stored = self._store("file", filename, content)
        attachment = {
            "type": "file",
            "payload": {"url": stored.url, "token": stored.token},
            "filename": filename,
            "size": len(content),
        }
        body: JSON = {"attachments": [attachment]}
        if text is not None:
            body["text"] = text
        return self._user_message(user, chat_id, body)

    def tap(self, user: MaxUser | int, message: SentMessage, text: str) -> str:
        """Press the callback button whose text contains ``text``; returns the callback_id."""
        return self.tap_payload(user, message, message.callback_payload(text))

    def tap_payload(self, user: MaxUser | int, message: SentMessage, payload: str) -> str:
        """Press the callback button carrying ``payload``; returns the callback_id."""
        found = self._resolve_user(user)
        current = self._messages.get(message.mid)
        if current is None or current.deleted:
            raise ValueError(f"the bot's message {message.mid} does not exist (any more)")
        payloads = [
            b.get("payload") for row in current.keyboard for b in row if b.get("type") == "callback"
        ]
        if payload not in payloads:
            raise ValueError(f"{current.short()} has no callback button {payload!r}: {payloads}")
        callback_id = secrets.token_urlsafe(24)
        body: JSON = {
            "callback": {
                "timestamp": self._now_ms(),
                "callback_id": callback_id,
                "payload": payload,
                "user": found.to_json(self._now_ms()),
            },
            "message": dict(current.raw),
            "user_locale": found.locale,
        }
        self._callbacks[callback_id] = body
        self._queue("message_callback", body)
        return callback_id

    def add_raw_update(self, update: Mapping[str, Any]) -> int:
        """Queue any update object (it needs ``update_type``; ``timestamp`` is added)."""
        body = dict(update)
        kind = body.pop("update_type", None)
        if not isinstance(kind, str):
            raise ValueError("an update needs an update_type")
        body.pop("timestamp", None)
        return self._queue(kind, body)

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        endpoint: str,
        *,
        status: int,
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
        raw: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` (``"POST /messages"``, ``"*"``) fail.

        The body is ``{"code", "message"}`` with a code fitting the status (429 →
        ``too.many.requests``, no Retry-After) unless ``raw`` gives another body (a proxy's
        HTML page). ``chat_id`` limits it to sends to that chat (or user id).
        """
        code = code or DEFAULT_CODES.get(status, "error")
        message = message or {
            429: "Too many requests",
            403: "Key: error.dialog.suspended, args: [0,]",
        }.get(status, f"Error {status}")
        error = functools.partial(ApiError, status, code, message, raw=raw)
        self._add_fault(endpoint, times, error, chat_id)

    def drop_connection(self, endpoint: str, times: int = 1) -> None:
        """Close the connection without an answer for the next ``times`` calls."""
        self._add_fault(endpoint, times)

    def delay(
        self, endpoint: str, seconds: float, *, times: int | None = None, before: bool = False
    ) -> None:
        """Answer ``endpoint`` calls ``seconds`` late (0 removes the delay): a client timeout.

        By default the call takes effect at once and only the answer is late (a client that
        times out does not know its message went out); ``before=True`` delays processing.
        """
        self._set_delay(endpoint, seconds, times, before=before)

    def rate_limit(
        self,
        per_second: float | None = 30.0,
        per_chat_per_second: float | None = 2.0,
        *,
        enforce: bool = True,
    ) -> None:
        """Watch the limits (None for both: off); with ``enforce`` breaches answer 429."""
        if per_second is None and per_chat_per_second is None:
            self._limits = None
        else:
            self._limits = (per_second or math.inf, per_chat_per_second or math.inf)
        self._enforce_limits = enforce
        self._global_window.clear()
        self._chat_windows.clear()

    def clear_faults(self) -> None:
        """Remove fail/drop/delay settings and stop enforcing rate limits."""
        self._clear_faults()
        self.rate_limit(enforce=False)

    # ------------------------------------------------------------------ inspection

    def calls(self, endpoint: str) -> list[Request]:
        """Requests to one endpoint (``"POST /messages"``), oldest first."""
        return self._calls(endpoint)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to a chat (a dialog's chat_id), oldest first."""
        chat = self._chats.get(chat_id)
        return list(chat.sent) if chat else []

    def last_message(self, chat_id: int) -> SentMessage:
        sent = self.messages_to(chat_id)
        if not sent:
            raise AssertionError(
                f"the bot sent nothing to chat {chat_id}\n{self._recent_requests()}"
            )
        return sent[-1]

    def message(self, mid: str) -> SentMessage:
        found = self._messages.get(mid)
        if found is None:
            raise AssertionError(f"the bot sent no message {mid}")
        return found

    @property
    def pending_updates(self) -> list[JSON]:
        """Queued updates not yet confirmed by a marker (or taken by the webhook)."""
        return [self._render_update(u) for u in self._pending]

    @property
    def confirmed_marker(self) -> int:
        """Every update before this marker is confirmed."""
        return self._pending[0].marker if self._pending else self._next_marker

    def file(self, token: str) -> StoredFile:
        return self._tokens[token]

    def bot_info(self) -> JSON:
        info: JSON = {
            "user_id": self.bot_id,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "is_bot": True,
            "last_activity_time": self._now_ms(),
            "name": self.bot_first_name,
        }
        if self.commands:
            info["commands"] = list(self.commands)
        return info

    # ------------------------------------------------------------------ waiting

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting itself is the API
        *,
        since: int = 0,
    ) -> SentMessage:
        """The first live message to ``chat_id`` (from index ``since`` in messages_to)
        whose text, plain or as sent, contains ``contains``."""

        def find() -> SentMessage | None:
            for sent in self.messages_to(chat_id)[since:]:
                if sent.deleted:
                    continue
                if (
                    contains is None
                    or contains in (sent.text or "")
                    or contains in (sent.source_text or "")
                ):
                    return sent
            return None

        what = f"a message to chat {chat_id}" + (f" containing {contains!r}" if contains else "")
        return await self.wait_for(find, timeout, what=what)

    async def wait_for_request(
        self,
        endpoint: str,
        predicate: Callable[[Request], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting itself is the API
        *,
        since: int = 0,
    ) -> Request:
        """The first answered request to ``endpoint`` (from index ``since`` in calls())."""
        return await self._wait_for_request(endpoint, predicate, timeout, since)

    # ------------------------------------------------------------------ HTTP plumbing

    def _route_table(
        self,
    ) -> list[tuple[str, re.Pattern[str], str, Callable[[Request, re.Match[str]], Awaitable[Any]]]]:
        table: list[tuple[str, str, str, Callable[[Request, re.Match[str]], Awaitable[Any]]]] = [
            ("GET", r"/me", "GET /me", self._get_me),
            ("PATCH", r"/me/commands", "PATCH /me/commands", self._set_commands),
            ("GET", r"/updates", "GET /updates", self._get_updates),
            ("POST", r"/messages", "POST /messages", self._send_message),
            ("PUT", r"/messages", "PUT /messages", self._edit_message),
            ("DELETE", r"/messages", "DELETE /messages", self._delete_message),
            ("GET", r"/messages/(?P<mid>[^/]+)", "GET /messages/{mid}", self._get_message),
            ("POST", r"/answers", "POST /answers", self._answer),
            ("POST", r"/uploads", "POST /uploads", self._get_upload_url),
            ("POST", r"/subscriptions", "POST /subscriptions", self._subscribe),
            ("GET", r"/subscriptions", "GET /subscriptions", self._get_subscriptions),
            ("DELETE", r"/subscriptions", "DELETE /subscriptions", self._unsubscribe),
        ]
        return [(m, re.compile(p), name, h) for m, p, name, h in table]

    async def _handle(self, http: web.Request) -> web.StreamResponse:
        path = "/" + http.match_info["path"]
        if path.startswith("/_upload/"):
            return await self._handle_upload(http, path.removeprefix("/_upload/"))
        if path.startswith("/_files/"):
            return self._handle_file(http, path.removeprefix("/_files/"))
        route = None
        for method, pattern, name, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is not None and method == http.method:
                route = (name, handler, match)
                break
        endpoint = route[0] if route else f"{http.method} {path}"
        record = Request(
            endpoint, dict(http.query), None, http.headers.get("Authorization"), time.monotonic()
        )

        async def read() -> None:
            record.body = await _read_body(http)

        def check() -> None:
            if record.authorization != self.token:
                raise ApiError(401, "verify.token", "Invalid access_token")
            if route is None:
                raise ApiError(404, "not.found", f"Path {path} is not recognized")  # ASSUMED

        async def call() -> Any:
            assert route is not None
            self._check_limits(record)
            return await route[1](record, route[2])

        return await self._serve(http, record, read=read, check=check, call=call)

    def _key(self, record: Request) -> str:
        return record.endpoint

    def _fault_chat(self, record: Request) -> int | None:
        return _int_or_none(record.query.get("chat_id") or record.query.get("user_id"))

    def _note_failure(self, record: Request, error: ApiError) -> None:
        record.code = error.code
        record.message = error.message

    def _internal_failure(self, error: Exception) -> ApiError:
        return ApiError(500, "internal.error", f"fake failed: {error!r}")

    def _pulse_updates(self) -> None:
        super()._pulse_updates()
        self._pulse_changes()

    def _check_limits(self, record: Request) -> None:
        if self._limits is None:
            return
        per_second, per_chat = self._limits
        now = time.monotonic()
        checks: list[tuple[Literal["global", "chat"], float, deque[float], int | None]] = [
            ("global", per_second, self._global_window, None)
        ]
        chat_id: int | None = None
        if record.endpoint == "POST /messages":
            chat_id = self._limit_key(record.query)
            if chat_id is not None:
                window = self._chat_windows.setdefault(chat_id, deque())
                checks.append(("chat", per_chat, window, chat_id))
        for scope, rate, stamps, _ in checks:
            if math.isinf(rate):
                continue
            while stamps and stamps[0] <= now - 1.0:
                stamps.popleft()
            if len(stamps) >= max(1, math.floor(rate)):
                self.violations.append(
                    Violation(now, record.endpoint, chat_id, scope, self._enforce_limits)
                )
                if self._enforce_limits:
                    raise ApiError(429, "too.many.requests", "Too many requests")
        for _, rate, stamps, _ in checks:
            if not math.isinf(rate):
                stamps.append(now)

    def _limit_key(self, query: Mapping[str, str]) -> int | None:
        chat_id = _int_or_none(query.get("chat_id"))
        if chat_id is not None:
            return chat_id
        user_id = _int_or_none(query.get("user_id"))
        return self._dialogs.get(user_id) if user_id is not None else None

    async def _handle_upload(self, http: web.Request, slot: str) -> web.StreamResponse:
        """The upload host: multipart with the file in field ``data``."""
        record = Request(
            "POST /_upload", {}, None, http.headers.get("Authorization"), time.monotonic()
        )
        self._record(record)
        kind = self._upload_slots.pop(slot, None)
        if http.method != "POST" or kind is None:
            record.status = 404
            return web.Response(status=404, text="upload slot not found")
        try:
            form = await http.post()
        except (ValueError, web.HTTPException):
            record.status = 400
            return web.Response(status=400, text="expected multipart/form-data")
        part = form.get("data")
        if not isinstance(part, web.FileField):
            record.status = 400
            return web.Response(status=400, text="no file in field 'data'")
        data = part.file.read()
        if kind == "image" and image_size(data) is None:
            record.status = 400
            return web.json_response(  # ASSUMED code
                {"code": "upload.error", "message": "Not an image"}, status=400
            )
        stored = self._store(kind, part.filename, data, slot=slot)
        stored.not_ready_left = self.not_ready_sends
        self.uploads.append(stored)
        record.status = 200
        self._pulse_changes()
        if kind == "file":
            return web.json_response({"token": stored.token})
        if kind == "image":
            return web.json_response({"photos": {stored.key: {"token": stored.token}}})
        return web.Response(text="<retval>1</retval>", content_type="text/xml")

    def _handle_file(self, http: web.Request, key: str) -> web.StreamResponse:
        authorization = http.headers.get("Authorization")
        self.downloads.append(Download(key, authorization, time.monotonic()))
        self._pulse_changes()
        if self.download_needs_auth and authorization != self.token:
            return ApiError(401, "verify.token", "Invalid access_token").response()
        stored = self._files.get(key)
        if stored is None:
            return ApiError(404, "not.found", "File not found").response()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ control (over HTTP)

    async def _control_start(self, http: web.Request) -> web.StreamResponse:
        """``{"user_ids": [...], "payload": …}``: each user starts the bot; their dialogs."""
        body = await http.json()
        payload = body.get("payload")
        dialogs: JSON = {}
        for user_id in body.get("user_ids", []):
            self.start_bot(int(user_id), payload=payload)
            dialogs[str(user_id)] = self.dialog_id(int(user_id))
        return web.json_response({"dialogs": dialogs})

    async def _control_message(self, http: web.Request) -> web.StreamResponse:
        """``{"user_id": …, "text": …}``: the user writes in their dialog; the mid."""
        body = await http.json()
        return web.json_response({"mid": self.send_text(int(body["user_id"]), str(body["text"]))})

    async def _control_sent(self, http: web.Request) -> web.StreamResponse:
        """What the bot sent (``?chat_id=``: to one chat): chat, user, mid and text."""
        chat_id = http.query.get("chat_id")
        sent = self.sent if chat_id is None else self.messages_to(int(chat_id))
        return web.json_response(
            [
                {"mid": m.mid, "chat_id": m.chat_id, "user_id": m.user_id, "text": m.source_text}
                for m in sent
            ],
            dumps=dumps,
        )

    async def _control_requests(self, http: web.Request) -> web.StreamResponse:
        endpoint = http.query.get("endpoint")
        chosen = self.requests if endpoint is None else self.calls(endpoint)
        return web.json_response([str(r) for r in chosen], dumps=dumps)

    async def _control_violations(self, http: web.Request) -> web.StreamResponse:
        """Requests over MAX's limits (30/s overall, 2/s to a chat), oldest first."""
        return web.json_response(
            [
                {"endpoint": v.endpoint, "chat_id": v.chat_id, "scope": v.scope, "429": v.enforced}
                for v in self.violations
            ],
            dumps=dumps,
        )

    # ------------------------------------------------------------------ state helpers

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _resolve_user(self, user: MaxUser | int) -> MaxUser:
        if isinstance(user, MaxUser):
            self._users.setdefault(user.user_id, user)
            return self._users[user.user_id]
        return self._users.get(user) or self.user(user, f"User {user}")

    def _dialog(self, user: MaxUser, *, create: bool) -> _Chat:
        chat_id = self._dialogs.get(user.user_id)
        if chat_id is None:
            if not create:
                raise ApiError(404, "chat.not.found", "dialog.not.found")  # ASSUMED wording
            chat_id = next(self._dialog_ids)
            self._dialogs[user.user_id] = chat_id
            self._chats[chat_id] = _Chat(chat_id, "dialog", user_id=user.user_id)
        return self._chats[chat_id]

    def _store(self, kind: str, filename: str | None, data: bytes, *, slot: str = "") -> StoredFile:
        number = next(self._counter)
        key = slot or f"f{number:06d}{secrets.token_hex(6)}"
        stored = StoredFile(
            key=key,
            kind=kind,
            token=f"tok.{kind}.{number}.{secrets.token_urlsafe(12)}",
            filename=filename,
            data=data,
            url=f"{self.url}/_files/{key}",
        )
        self._files[key] = stored
        self._tokens[stored.token] = stored
        return stored

    def _queue(self, update_type: str, body: JSON) -> int:
        update = _Update(self._next_marker, update_type, {"timestamp": self._now_ms(), **body})
        self._next_marker += 1
        self._log.append(update)
        self._pending.append(update)
        self._pulse_updates()
        return update.marker

    def _render_update(self, update: _Update) -> JSON:
        return {"update_type": update.update_type, **update.body}

    def _user_message(self, user: MaxUser | int, chat_id: int | None, body: JSON) -> str:
        found = self._resolve_user(user)
        if chat_id is None:
            chat = self._dialog(found, create=True)
            if chat.stopped:
                raise ValueError(f"user {found.user_id} stopped the bot; start_bot() first")
            recipient: JSON = {
                "chat_id": chat.chat_id,
                "chat_type": "dialog",
                "user_id": self.bot_id,
            }
        else:
            group = self._chats.get(chat_id)
            if group is None or group.type == "dialog":
                raise ValueError(f"no group {chat_id}; create it with group()")
            recipient = {"chat_id": chat_id, "chat_type": group.type}
        number = next(self._counter)
        mid = f"mid.{number:016x}{secrets.token_hex(8)}"
        message: JSON = {
            "sender": found.to_json(self._now_ms()),
            "recipient": recipient,
            "timestamp": self._now_ms(),
            "body": {"mid": mid, "seq": number, "markup": [], **body},
        }
        self._user_messages[mid] = message
        self._queue("message_created", {"message": message, "user_locale": found.locale})
        return mid

    def _target(self, query: Mapping[str, str]) -> _Chat:
        user_id = _int_or_none(query.get("user_id"))
        chat_id = _int_or_none(query.get("chat_id"))
        if (user_id is None) == (chat_id is None):
            raise bad_request("Exactly one of user_id or chat_id is required")  # ASSUMED
        if user_id is not None:
            user = self._users.get(user_id)
            if user is None or user_id not in self._dialogs:
                raise ApiError(404, "chat.not.found", "dialog.not.found")
            chat = self._chats[self._dialogs[user_id]]
        else:
            assert chat_id is not None
            found = self._chats.get(chat_id)
            if found is None:
                raise ApiError(404, "chat.not.found", f"Chat {chat_id} not found")
            chat = found
        if chat.stopped:
            raise ApiError(403, "chat.denied", f"Key: error.dialog.suspended, args: [{user_id},]")
        return chat

    def _body_fields(
        self, body: Any, *, edit: bool
    ) -> tuple[str | None, str | None, list[JSON] | None, list[StoredFile], bool]:
        """Check a NewMessageBody: (text, format, attachments or None, files, notify)."""
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise bad_request("text must be a string")
        if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
            raise bad_request(f"text: size must be between 0 and {MAX_TEXT_LENGTH}")  # ASSUMED
        text_format = body.get("format")
        if text_format is not None and text_format not in ("markdown", "html"):
            raise bad_request(f"Invalid format: {text_format!r}")
        raw_attachments = body.get("attachments")
        attachments: list[JSON] | None = None
        files: list[StoredFile] = []
        if raw_attachments is not None:
            attachments, files = self._check_attachments(raw_attachments)
        notify = body.get("notify", True)
        if not edit and not text and not attachments:
            raise bad_request("Message text or attachments are required")  # ASSUMED
        return text, text_format, attachments, files, bool(notify)

    def _check_attachments(self, value: Any) -> tuple[list[JSON], list[StoredFile]]:
        if not isinstance(value, list):
            raise bad_request("attachments must be an array")
        checked: list[JSON] = []
        files: list[StoredFile] = []
        keyboards = 0
        for attachment in value:
            if not isinstance(attachment, dict) or not isinstance(attachment.get("type"), str):
                raise bad_request("Invalid attachment")
            kind = attachment["type"]
            payload = attachment.get("payload")
            if not isinstance(payload, dict):
                raise bad_request(f"Missing `payload` in {kind} attachment")
            if kind == "inline_keyboard":
                keyboards += 1
                checked.append({"type": kind, "payload": {"buttons": _check_keyboard(payload)}})
            elif kind in UPLOAD_TYPES:
                token = payload.get("token")
                if kind == "image" and token is None and isinstance(payload.get("url"), str):
                    checked.append({"type": kind, "payload": {"url": payload["url"]}})
                    continue
                if not isinstance(token, str):
                    raise bad_request(f"Missing `token` in {kind} attachment")
                stored = self._tokens.get(token)
                if stored is None or stored.kind != kind:
                    raise bad_request(f"Invalid `token` in {kind} attachment")  # ASSUMED
                files.append(stored)
                rendered: JSON = {"type": kind, "payload": {"url": stored.url, "token": token}}
                if kind == "file":
                    rendered["filename"] = stored.filename
                    rendered["size"] = len(stored.data)
                checked.append(rendered)
            else:
                checked.append({"type": kind, "payload": dict(payload)})
        if keyboards > 1:
            raise bad_request("Only one inline_keyboard attachment is allowed")  # ASSUMED
        if self.file_alone and len(checked) > 1 and any(a["type"] == "file" for a in checked):
            raise bad_request("File attachment must be the only attachment in the message")
        for stored in files:
            if stored.not_ready_left > 0:
                stored.not_ready_left -= 1
                raise bad_request(NOT_READY_MESSAGE, code="attachment.not.ready")
        return checked, files

    def _render_message(self, chat: _Chat, sent: SentMessage) -> JSON:
        recipient: JSON = {"chat_id": chat.chat_id, "chat_type": chat.type}
        if chat.user_id is not None:
            recipient["user_id"] = chat.user_id
        body: JSON = {"mid": sent.mid, "seq": sent.seq, "text": sent.text, "markup": []}
        if sent.attachments:
            body["attachments"] = [dict(a) for a in sent.attachments]
        return {
            "sender": {k: v for k, v in self.bot_info().items() if k != "commands"},
            "recipient": recipient,
            "timestamp": sent.timestamp,
            "body": body,
        }

    def _apply_edit(
        self,
        sent: SentMessage,
        text: str | None,
        text_format: str | None,
        attachments: list[JSON] | None,
        files: list[StoredFile],
    ) -> None:
        sent.history.append(MessageVersion(sent.text, sent.attachments, sent.timestamp))
        if text is not None:
            sent.source_text = text
            sent.format = text_format
            sent.text = _plain(text, text_format)
        if attachments is not None:
            sent.attachments = attachments
            sent.files = files
        sent.raw = self._render_message(self._chats[sent.chat_id], sent)
        sent.raw["body"]["edited"] = True  # not MAX's; lets a test see it in the raw message

    # ------------------------------------------------------------------ API methods

    async def _get_me(self, record: Request, match: re.Match[str]) -> JSON:
        return self.bot_info()

    async def _set_commands(self, record: Request, match: re.Match[str]) -> JSON:
        body = record.body if isinstance(record.body, dict) else {}
        commands = body.get("commands")
        if commands is None:
            return {"commands": list(self.commands)}
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise bad_request(f"commands: at most {MAX_COMMANDS}")
        cleaned: list[JSON] = []
        for command in commands:
            name = command.get("name") if isinstance(command, dict) else None
            if not isinstance(name, str) or not 1 <= len(name) <= 64:  # ASSUMED length
                raise bad_request("Invalid command name")
            entry: JSON = {"name": name}
            description = command.get("description")
            if description is not None:
                entry["description"] = str(description)
            cleaned.append(entry)
        self.commands = cleaned
        return {"commands": list(cleaned)}

    async def _get_updates(self, record: Request, match: re.Match[str]) -> JSON:
        query = record.query
        limit = _query_int(query, "limit", 100, 1, 1000)
        timeout = _query_int(query, "timeout", 30, 0, 90)
        marker_text = query.get("marker")
        marker = None if marker_text in (None, "", "null") else _query_int(query, "marker")
        types_text = query.get("types")
        types = frozenset(t for t in types_text.split(",") if t) if types_text else frozenset()
        if self.subscriptions:
            raise ApiError(  # ASSUMED: "При активной подписке Long Polling не работает"
                405, "method.not.allowed", "Long polling is off while a webhook is subscribed"
            )
        if marker is not None:
            while self._pending and self._pending[0].marker < marker:
                self._pending.popleft()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if marker is not None:
                candidates = [u for u in self._pending if u.marker >= marker]
            elif self.no_marker == "latest":
                candidates = list(self._pending)[-1:]
            else:
                candidates = list(self._pending)
            chosen = [u for u in candidates if not types or u.update_type in types][:limit]
            if chosen:
                return {
                    "updates": [self._render_update(u) for u in chosen],
                    "marker": chosen[-1].marker + 1,
                }
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return {"updates": [], "marker": self._next_marker}
            pulse = self._updates_pulse
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pulse.wait(), remaining)
            if self.subscriptions:
                return {"updates": [], "marker": marker}

    async def _send_message(self, record: Request, match: re.Match[str]) -> JSON:
        chat = self._target(record.query)
        text, text_format, attachments, files, notify = self._body_fields(record.body, edit=False)
        number = next(self._counter)
        sent = SentMessage(
            mid=f"mid.{number:016x}{secrets.token_hex(8)}",
            seq=number,
            chat_id=chat.chat_id,
            user_id=chat.user_id,
            text=_plain(text, text_format) if text is not None else None,
            source_text=text,
            format=text_format,
            attachments=attachments or [],
            timestamp=self._now_ms(),
            notify=notify,
            files=files,
        )
        sent.raw = self._render_message(chat, sent)
        chat.sent.append(sent)
        self.sent.append(sent)
        self._messages[sent.mid] = sent
        return {"message": sent.raw}

    def _own_message(self, query: Mapping[str, str]) -> SentMessage:
        mid = query.get("message_id")
        if not mid:
            raise bad_request("message_id is required")
        sent = self._messages.get(mid)
        if sent is None or sent.deleted:
            raise ApiError(404, "not.found", f"Message {mid} not found")  # ASSUMED
        if self._chats[sent.chat_id].stopped:
            raise ApiError(403, "chat.denied", "Key: error.dialog.suspended")
        return sent

    async def _edit_message(self, record: Request, match: re.Match[str]) -> JSON:
        sent = self._own_message(record.query)
        text, text_format, attachments, files, _ = self._body_fields(record.body, edit=True)
        self._apply_edit(sent, text, text_format, attachments, files)
        return {"success": True}

    async def _delete_message(self, record: Request, match: re.Match[str]) -> JSON:
        sent = self._own_message(record.query)
        sent.deleted = True
        return {"success": True}

    async def _get_message(self, record: Request, match: re.Match[str]) -> JSON:
        mid = match["mid"]
        sent = self._messages.get(mid)
        if sent is not None and not sent.deleted:
            return sent.raw
        if mid in self._user_messages:
            return self._user_messages[mid]
        raise ApiError(404, "not.found", f"Message {mid} not found")

    async def _answer(self, record: Request, match: re.Match[str]) -> JSON:
        callback_id = record.query.get("callback_id")
        if not callback_id:
            raise bad_request("callback_id is required")
        update = self._callbacks.get(callback_id)
        if update is None:
            raise bad_request(f"Unknown callback_id {callback_id}")  # ASSUMED
        body = record.body if isinstance(record.body, dict) else {}
        notification = body.get("notification")
        message = body.get("message")
        if notification is None and message is None:
            raise bad_request("Either notification or message is required")  # ASSUMED
        if notification is not None and not isinstance(notification, str):
            raise bad_request("notification must be a string")
        if message is not None:
            if not isinstance(message, dict):
                raise bad_request("message must be an object")
            original = update.get("message")
            mid = original.get("body", {}).get("mid") if isinstance(original, dict) else None
            sent = self._messages.get(mid) if isinstance(mid, str) else None
            if sent is not None and not sent.deleted:
                text, text_format, attachments, files, _ = self._body_fields(message, edit=True)
                self._apply_edit(sent, text, text_format, attachments, files)
        self.answers.append(
            CallbackAnswer(
                callback_id,
                notification,
                message if isinstance(message, dict) else None,
                time.monotonic(),
            )
        )
        return {"success": True}

    async def _get_upload_url(self, record: Request, match: re.Match[str]) -> JSON:
        kind = record.query.get("type")
        if kind not in UPLOAD_TYPES:
            raise bad_request(f"Invalid upload type: {kind!r}")
        slot = f"u{next(self._counter):06d}{secrets.token_hex(8)}"
        self._upload_slots[slot] = kind
        result: JSON = {"url": f"{self.url}/_upload/{slot}"}
        if kind in ("video", "audio"):
            result["token"] = f"tok.{kind}.{slot}"
        return result

    async def _subscribe(self, record: Request, match: re.Match[str]) -> JSON:
        body = record.body if isinstance(record.body, dict) else {}
        url = body.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise bad_request("url: must be a valid URL")
        secret = body.get("secret")
        if secret is not None and (
            not isinstance(secret, str) or not SECRET_PATTERN.fullmatch(secret)
        ):
            raise bad_request("secret: must match [A-Za-z0-9_-]{5,256}")
        update_types = body.get("update_types")
        if update_types is not None and (
            not isinstance(update_types, list) or not all(isinstance(t, str) for t in update_types)
        ):
            raise bad_request("update_types must be an array of strings")
        self.subscriptions.pop(url, None)
        self.subscriptions[url] = Subscription(url, update_types, secret, self._now_ms())
        self._pulse_updates()
        return {"success": True}

    async def _get_subscriptions(self, record: Request, match: re.Match[str]) -> JSON:
        return {
            "subscriptions": [
                {"url": s.url, "time": s.time, "update_types": s.update_types}
                for s in self.subscriptions.values()
            ]
        }

    async def _unsubscribe(self, record: Request, match: re.Match[str]) -> JSON:
        url = record.query.get("url")
        if not url:
            raise bad_request("url is required")
        removed = self.subscriptions.pop(url, None)
        self._pulse_updates()
        return {"success": removed is not None}

    # ------------------------------------------------------------------ webhook pusher

    async def _push_loop(self) -> None:
        while not self._closing.is_set():
            pulse = self._updates_pulse
            subscription = next(reversed(self.subscriptions.values()), None)
            if subscription is None or not self._pending:
                await pulse.wait()
                continue
            update = self._pending[0]
            wanted = subscription.update_types
            if wanted and update.update_type not in wanted:
                self._pending.popleft()
                continue
            taken = await self._push(subscription, update)
            if self._pending and self._pending[0] is update:
                self._pending.popleft()
            if not taken:
                self.failed_pushes.append(self._render_update(update))
            self._pulse_changes()

    async def _push(self, subscription: Subscription, update: _Update) -> bool:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if subscription.secret:
            headers["X-Max-Bot-Api-Secret"] = subscription.secret
        body = dumps(self._render_update(update)).encode()
        delays = (*self.webhook_retry_delays, None)
        for attempt, pause in enumerate(delays, start=1):
            if subscription.url not in self.subscriptions:
                return False
            status: int | None = None
            error: str | None = None
            try:
                async with self._client.post(
                    subscription.url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as response:
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as failure:
                error = repr(failure)
            self.deliveries.append(
                WebhookDelivery(
                    subscription.url,
                    self._render_update(update),
                    attempt,
                    status,
                    subscription.secret,
                    time.monotonic(),
                    error,
                )
            )
            self._pulse_changes()
            if status == 200:
                return True
            if pause is None:
                return False
            await self._sleep(pause)
            if self._closing.is_set():
                return False
        return False


# --------------------------------------------------------------------------- helpers


def _check_keyboard(payload: Mapping[str, Any]) -> list[list[JSON]]:
    """Validate an inline keyboard the way MAX documents its limits; returns it normalised
    (callback buttons get ``intent: "default"``, as MAX echoes them)."""
    rows = payload.get("buttons")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("buttons must be an array of arrays")
    if not rows or len(rows) > MAX_ROWS:
        raise bad_request(f"inline_keyboard: 1 to {MAX_ROWS} rows allowed")  # ASSUMED wording
    total = sum(len(row) for row in rows)
    if total > MAX_BUTTONS:
        raise bad_request(f"inline_keyboard: at most {MAX_BUTTONS} buttons")
    checked: list[list[JSON]] = []
    for row in rows:
        if not row:
            raise bad_request("inline_keyboard: empty row")
        wide = any(isinstance(b, dict) and b.get("type") in WIDE_BUTTONS for b in row)
        limit = MAX_WIDE_ROW_BUTTONS if wide else MAX_ROW_BUTTONS
        if len(row) > limit:
            raise bad_request(f"inline_keyboard: at most {limit} buttons in this row")
        checked.append([_check_button(button) for button in row])
    return checked


def _check_button(button: Any) -> JSON:
    if not isinstance(button, dict):
        raise bad_request("button must be an object")
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise bad_request(f"Unknown button type {kind!r}")
    text = button.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_BUTTON_TEXT:
        raise bad_request(f"button text: size must be between 1 and {MAX_BUTTON_TEXT}")
    checked = dict(button)
    if kind in ("callback", "clipboard"):
        payload = button.get("payload")
        if not isinstance(payload, str) or not 1 <= len(payload) <= MAX_BUTTON_PAYLOAD:
            raise bad_request(f"button payload: size must be between 1 and {MAX_BUTTON_PAYLOAD}")
    if kind == "callback":
        intent = button.get("intent", "default")
        if intent not in ("default", "positive", "negative"):
            raise bad_request(f"Invalid intent {intent!r}")
        checked["intent"] = intent
    if kind == "link":
        url = button.get("url")
        if (
            not isinstance(url, str)
            or len(url) > MAX_BUTTON_URL
            or urlsplit(url).scheme not in ("http", "https", "max")
        ):
            raise bad_request("button url: must be a valid URL")
    return checked


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"(\*\*|__|~~|\+\+|\^\^|`|\*|_)")


def _plain(text: str | None, text_format: str | None) -> str | None:
    """The text as a chat shows it (MAX's own parser is richer; this is close enough)."""
    if text is None:
        return None
    if text_format == "html":
        parser = _TextOnly()
        parser.feed(text)
        parser.close()
        return html.unescape("".join(parser.parts))
    if text_format == "markdown":
        return _MARKDOWN_MARKS.sub("", _MARKDOWN_LINK.sub(r"\1", text))
    return text


async def _read_body(http: web.Request) -> Any:
    if http.method not in ("POST", "PUT", "PATCH") or not http.can_read_body:
        return None
    raw = await http.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("Request body is not valid JSON") from None


def _query_int(
    query: Mapping[str, str],
    name: str,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    text = query.get(name)
    if text is None:
        if default is None:
            raise bad_request(f"{name} is required")
        return default
    value = _int_or_none(text)
    if value is None:
        raise bad_request(f"Invalid {name}: {text!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise bad_request(f"{name} must be between {low} and {high}")
    return value


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    return None
