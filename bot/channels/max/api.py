"""Our wire client for the MAX Bot API: HTTP, typed calls, errors turned into outcomes.

No dialogue and no business rules live here. The caller drives ``updates()`` itself and
keeps the marker (MAX confirms every update before the marker sent with the next poll, so
store it only after the batch is handled, and send it again after a restart). maxapi gives
the wire types (its pydantic models parse the updates); its Bot and Dispatcher are not used:
its polling loop confirms a batch even when a handler failed, and it does not retry 429.

Failures surface as the exceptions in ``errors`` (RetryLater, Gone, Refused, AuthLost). How
long RetryLater says to wait (``Backoff``): MAX's 429 carries no Retry-After, and its limit
is 30 requests a second, so a 429 asks for 1 s, then 2, 4, 8, 16 and at most 30 s while
429s keep coming; a 5xx, timeout or broken connection asks for 2 s, doubling to at most
60 s (the official TypeScript client's poller backs off 5 s to 60 s on both). Any success
resets both. A Retry-After header, should MAX ever send one, wins. Callers may add jitter.

The only retries made here are for ``attachment.not.ready``: a message carrying a freshly
uploaded file is resent after 0.5, 1, 2, 4 and 8 s (TS and Go clients: 1 s·2ⁿ; maxapi:
5 × 2 s), then AttachmentNotReady (a RetryLater).

The token goes in the ``Authorization`` header (no "Bearer"; MAX ignores the query string
now) and only to hosts that are MAX's: the API host and *.max.ru, *.oneme.ru, *.okcdn.ru
(where uploads and user files live). TLS to an https base URL trusts the Минцифры root
(``tls``); plain http (the fake server in tests) needs nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
from maxapi.types.users import User
from pydantic import ValidationError

from bot.channels.max.errors import (
    AttachmentNotReady,
    AuthLost,
    Gone,
    MaxProblem,
    Refused,
    RetryLater,
)
from bot.channels.max.keyboard import Keyboard
from bot.channels.max.tls import max_ssl_context
from bot.channels.max.updates import MaxUpdate, parse_update

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://platform-api2.max.ru"
MAX_HOST_SUFFIXES = (".max.ru", ".oneme.ru", ".okcdn.ru")
NOT_READY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
POLL_MARGIN = 15.0  # seconds the HTTP timeout of a long poll exceeds the poll itself
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024

TextFormat = Literal["markdown", "html"]
UploadKind = Literal["file", "image", "video", "audio"]
JSON = dict[str, Any]


@dataclass(frozen=True)
class Uploaded:
    """An uploaded file, image, video or audio; pass it in ``attachments`` to send it."""

    kind: UploadKind
    token: str

    def to_attachment(self) -> JSON:
        return {"type": self.kind, "payload": {"token": self.token}}


@dataclass
class Backoff:
    """How long RetryLater asks to wait: doubles while the same trouble repeats."""

    rate_first: float = 1.0
    rate_cap: float = 30.0
    server_first: float = 2.0
    server_cap: float = 60.0
    _rate_strikes: int = 0
    _server_strikes: int = 0

    def rate_limited(self) -> float:
        self._rate_strikes += 1
        return min(self.rate_cap, self.rate_first * 2.0 ** (self._rate_strikes - 1))

    def server_trouble(self) -> float:
        self._server_strikes += 1
        return min(self.server_cap, self.server_first * 2.0 ** (self._server_strikes - 1))

    def success(self) -> None:
        self._rate_strikes = 0
        self._server_strikes = 0


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]


class MaxApi:
    """The MAX Bot API over one aiohttp session. Close it (or use ``async with``)."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        request_timeout: float = 30.0,
        upload_timeout: float = 300.0,
        not_ready_delays: Sequence[float] = NOT_READY_DELAYS,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not token:
            raise ValueError("a MAX bot token is required")
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.request_timeout = request_timeout
        self.upload_timeout = upload_timeout
        self.not_ready_delays = tuple(not_ready_delays)
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._api_host = urlsplit(self.base_url).hostname or ""
        self.ssl_context = max_ssl_context() if self.base_url.startswith("https://") else None
        """Trusts the Минцифры root besides the system's; None for plain http (tests)."""

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> MaxApi:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ calls

    async def me(self) -> User:
        """The bot itself (``GET /me``)."""
        return _model(User, await self._api("GET", "/me"))

    async def updates(
        self,
        marker: int | None,
        *,
        timeout: int = 30,  # noqa: ASYNC109 - MAX's long-poll parameter, not ours
        limit: int = 100,
        types: Sequence[str] | None = None,
    ) -> tuple[list[MaxUpdate], int | None]:
        """One long poll: the updates after ``marker`` and the marker to send next time.

        Sending that marker confirms the batch, so keep it until the batch is handled.
        Updates maxapi cannot read are logged and left out (``parse_update``). When MAX
        answers no marker, the one given is returned, so the position is never lost.
        """
        query: dict[str, str] = {"timeout": str(timeout), "limit": str(limit)}
        if marker is not None:
            query["marker"] = str(marker)
        if types:
            query["types"] = ",".join(types)
        body = await self._api("GET", "/updates", query=query, http_timeout=timeout + POLL_MARGIN)
        raw_updates = body.get("updates") or []
        if not isinstance(raw_updates, list):
            raise RetryLater(self.backoff.server_trouble(), "GET /updates: no update list")
        parsed = [u for u in (parse_update(raw) for raw in raw_updates) if u is not None]
        next_marker = body.get("marker")
        return parsed, next_marker if isinstance(next_marker, int) else marker

    async def send_message(
        self,
        *,
        user_id: int | None = None,
        chat_id: int | None = None,
        text: str | None = None,
        format: TextFormat | None = None,
        keyboard: Keyboard | None = None,
        attachments: Sequence[Uploaded] = (),
        notify: bool = True,
        disable_link_preview: bool = False,
    ) -> str:
        """Send to a user (their dialog) or a chat; returns the new message's mid."""
        if (user_id is None) == (chat_id is None):
            raise ValueError("give exactly one of user_id and chat_id")
        query = {"user_id": str(user_id)} if user_id is not None else {"chat_id": str(chat_id)}
        if disable_link_preview:
            query["disable_link_preview"] = "true"
        body = _message_body(text, format, keyboard, attachments, keep_attachments=False)
        body["notify"] = notify
        answer = await self._with_not_ready_retry(
            lambda: self._api("POST", "/messages", query=query, body=body)
        )
        message = answer.get("message")
        mid = message.get("body", {}).get("mid") if isinstance(message, dict) else None
        if not isinstance(mid, str):
            raise Refused("POST /messages answered without a message id", status=200)
        return mid

    async def edit_message(
        self,
        mid: str,
        *,
        text: str | None = None,
        format: TextFormat | None = None,
        keyboard: Keyboard | None = None,
        attachments: Sequence[Uploaded] | None = None,
    ) -> None:
        """Change a message. ``text`` None keeps the text. With neither ``keyboard`` nor
        ``attachments`` the attachments stay as they are; ``attachments=[]`` without a
        keyboard removes them all (the keyboard too); otherwise they are replaced."""
        keep = keyboard is None and attachments is None
        body = _message_body(text, format, keyboard, attachments or (), keep_attachments=keep)
        await self._with_not_ready_retry(
            lambda: self._api("PUT", "/messages", query={"message_id": mid}, body=body)
        )

    async def delete_message(self, mid: str) -> None:
        await self._api("DELETE", "/messages", query={"message_id": mid})

    async def answer_callback(
        self,
        callback_id: str,
        *,
        notification: str | None = None,
        text: str | None = None,
        format: TextFormat | None = None,
        keyboard: Keyboard | None = None,
        attachments: Sequence[Uploaded] | None = None,
    ) -> None:
        """Answer a button press: a one-off ``notification`` and/or a new version of the
        message that carried the button (``text``/``keyboard``/``attachments``, as in
        ``edit_message``)."""
        body: JSON = {}
        if notification is not None:
            body["notification"] = notification
        if text is not None or keyboard is not None or attachments is not None:
            keep = keyboard is None and attachments is None
            body["message"] = _message_body(
                text, format, keyboard, attachments or (), keep_attachments=keep
            )
        if not body:
            raise ValueError("answer with a notification, a new message or both")
        await self._with_not_ready_retry(
            lambda: self._api("POST", "/answers", query={"callback_id": callback_id}, body=body)
        )

    async def upload(self, kind: UploadKind, filename: str, data: bytes) -> Uploaded:
        """Upload in MAX's two steps (ask for a URL, post the bytes there as ``data``).

        The token may not be sendable at once: sends retry ``attachment.not.ready``.
        """
        slot = await self._api("POST", "/uploads", query={"type": kind})
        url = slot.get("url")
        if not isinstance(url, str):
            raise Refused("POST /uploads answered without an upload URL", status=200)
        form = aiohttp.FormData(quote_fields=False)  # raw UTF-8 names, as maxapi sends
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        form.add_field("data", data, filename=filename, content_type=content_type)
        answer = await self._request("POST", url, data=form, http_timeout=self.upload_timeout)
        token = _upload_token(kind, answer.body) or slot.get("token")
        if not isinstance(token, str) or not token:
            raise Refused(f"the upload answered no token: {_snippet(answer.body)}", status=200)
        return Uploaded(kind, token)

    async def download(self, url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """The bytes of a file a user sent (``attachment.payload.url``)."""
        answer = await self._request("GET", url, http_timeout=self.upload_timeout, limit=max_bytes)
        return answer.body

    async def set_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """Replace the bot's command menu (at most 32 (name, description) pairs)."""
        if len(commands) > 32:
            raise ValueError(f"{len(commands)} commands; MAX allows 32")
        body = {"commands": [{"name": name, "description": text} for name, text in commands]}
        await self._api("PATCH", "/me/commands", body=body)

    async def subscribe(
        self, url: str, *, secret: str, update_types: Sequence[str] | None = None
    ) -> None:
        """Have MAX push updates to ``url`` with ``X-Max-Bot-Api-Secret: secret``
        (long polling stops working while subscribed)."""
        body: JSON = {"url": url, "secret": secret}
        if update_types is not None:
            body["update_types"] = list(update_types)
        await self._api("POST", "/subscriptions", body=body)

    async def unsubscribe(self, url: str) -> None:
        await self._api("DELETE", "/subscriptions", query={"url": url})

    async def subscriptions(self) -> list[str]:
        """URLs MAX pushes updates to."""
        body = await self._api("GET", "/subscriptions")
        found = body.get("subscriptions") or []
        return [s["url"] for s in found if isinstance(s, dict) and isinstance(s.get("url"), str)]

    # ------------------------------------------------------------------ plumbing

    async def _with_not_ready_retry(self, call: Callable[[], Awaitable[JSON]]) -> JSON:
        for pause in self.not_ready_delays:
            try:
                return await call()
            except AttachmentNotReady:
                log.info("MAX: attachment not ready, sending again in %g s", pause)
                await self._sleep(pause)
        return await call()

    async def _api(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: JSON | None = None,
        http_timeout: float | None = None,
    ) -> JSON:
        answer = await self._request(
            method, self.base_url + path, query=query, json_body=body, http_timeout=http_timeout
        )
        try:
            parsed = json.loads(answer.body) if answer.body else {}
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise RetryLater(
                self.backoff.server_trouble(),
                f"{method} {path}: not a JSON object: {_snippet(answer.body)}",
                status=answer.status,
            )
        return parsed

    async def _request(
        self,
        method: str,
        url: str,
        *,
        query: Mapping[str, str] | None = None,
        json_body: JSON | None = None,
        data: aiohttp.FormData | None = None,
        http_timeout: float | None = None,
        limit: int | None = None,
    ) -> _Answer:
        session = self._ensure_session()
        headers = {"Authorization": self._token} if self._trusted(url) else {}
        where = f"{method} {urlsplit(url).path}"
        try:
            async with session.request(
                method,
                url,
                params=query,
                json=json_body,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=http_timeout or self.request_timeout),
            ) as response:
                if limit is not None and (response.content_length or 0) > limit:
                    raise Refused(f"{where}: {response.content_length} bytes, over {limit}")
                body = await (response.content.read(limit + 1) if limit else response.read())
                if limit is not None and len(body) > limit:
                    raise Refused(f"{where}: more than {limit} bytes")
                answer = _Answer(response.status, body, response.headers.copy())
        except TimeoutError:
            raise RetryLater(self.backoff.server_trouble(), f"{where}: timed out") from None
        except aiohttp.ClientError as error:
            raise RetryLater(self.backoff.server_trouble(), f"{where}: {error!r}") from None
        if 200 <= answer.status < 300:
            self.backoff.success()
            return answer
        raise self._problem(where, answer)

    def _problem(self, where: str, answer: _Answer) -> MaxProblem:
        status = answer.status
        code, message = _error_fields(answer.body)
        reason = f"{where}: {status} {code or '-'}: {message}"
        if status == 401:
            return AuthLost(reason, status=status, code=code)
        if status == 429:
            seconds = _retry_after(answer.headers) or self.backoff.rate_limited()
            return RetryLater(seconds, reason, status=status, code=code)
        if status >= 500:
            seconds = _retry_after(answer.headers) or self.backoff.server_trouble()
            return RetryLater(seconds, reason, status=status, code=code)
        if code == "attachment.not.ready":
            seconds = self.not_ready_delays[-1] if self.not_ready_delays else 1.0
            return AttachmentNotReady(seconds, reason, status=status, code=code)
        if (status, code) in ((403, "chat.denied"), (404, "chat.not.found")):
            return Gone(reason, status=status, code=code)
        return Refused(reason, status=status, code=code)

    def _trusted(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return host == self._api_host or host == "max.ru" or host.endswith(MAX_HOST_SUFFIXES)

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.ssl_context or True)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session


def _message_body(
    text: str | None,
    text_format: TextFormat | None,
    keyboard: Keyboard | None,
    attachments: Sequence[Uploaded],
    *,
    keep_attachments: bool,
) -> JSON:
    body: JSON = {}
    if text is not None:
        body["text"] = text
    if text_format is not None:
        body["format"] = text_format
    if not keep_attachments:
        items = [a.to_attachment() for a in attachments]
        if keyboard is not None:
            items.append(keyboard.to_attachment())
        body["attachments"] = items
    return body


def _upload_token(kind: UploadKind, body: bytes) -> str | None:
    """file: {"token"}; image: {"photos": {key: {"token"}}}; video/audio answer XML and
    their token came with the upload URL."""
    if kind in ("video", "audio"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    token = parsed.get("token")
    if isinstance(token, str):
        return token
    photos = parsed.get("photos")
    if isinstance(photos, dict):
        for photo in photos.values():
            if isinstance(photo, dict) and isinstance(photo.get("token"), str):
                return str(photo["token"])
    return None


def _error_fields(body: bytes) -> tuple[str, str]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return "", _snippet(body)
    if not isinstance(parsed, dict):
        return "", _snippet(body)
    code = parsed.get("code")
    message = parsed.get("message") or parsed.get("error") or ""
    return (code if isinstance(code, str) else ""), str(message)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _model(model: type[User], body: JSON) -> User:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise Refused(f"unreadable {model.__name__}: {error}", status=200) from None
