"""What the fake Bot API servers (``tests.fake_telegram``, ``tests.fake_max``) share.

Both are an aiohttp server on a free local port that takes each API call the same way:
read the body, log the request (also when its body is bad), check the token and the route,
then an injected delay, injected faults, the method itself, and a late answer when the delay
says so. A bug in the fake answers 500 and lands in ``internal_errors``; a client that goes
away and a connection dropped on purpose are marked on the request. Tests wait on the fake:
every logged request and every change wakes ``wait_for``.

``FakeApiServer`` holds that: the lifecycle (``start``/``stop``/``url``, ``async with``), the
request log and the waiting, the fault plan (fail, drop the connection, delay) and the call
pipeline. What each API means by its calls stays with its fake: names and casing of methods,
error bodies, who a fault targets, rate limits, updates (Telegram's update_id offset and
MAX's marker are different things and are kept apart).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import json
import signal
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from aiohttp import web

JSON = dict[str, Any]
_T = TypeVar("_T")


class FakeApiError(Exception, abc.ABC):
    """An error answer of a fake API: an HTTP status and the API's own error body."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status

    @abc.abstractmethod
    def payload(self) -> JSON:
        """The error's body as the API sends it."""

    def response(self) -> web.Response:
        return web.Response(
            body=dumps(self.payload()).encode(), status=self.status, content_type="application/json"
        )


class DropConnection(Exception):
    """Raised while taking a call: close its connection without an answer."""


class ApiCall(Protocol):
    """What the pipeline notes on a fake's request record."""

    status: int | None
    result: Any
    dropped: bool
    cancelled: bool


_R = TypeVar("_R", bound=ApiCall)
_E = TypeVar("_E", bound=FakeApiError)


@dataclass
class Fault:
    """Injected: the next ``remaining`` calls of ``target`` (or "*") fail or are dropped."""

    target: str
    remaining: int
    error: Callable[[], FakeApiError] | None
    """Makes the error to answer; None drops the connection instead."""
    chat_id: int | str | None = None
    """Only calls to this chat (as the fake reads a call's chat), when set."""


@dataclass
class Delay:
    seconds: float
    remaining: int | None
    before: bool


def outcome(call: ApiCall, failure: str) -> str:
    """How a request ended, for its one-line description (``failure`` for error answers)."""
    if call.dropped:
        return "dropped"
    if call.cancelled:
        return "client went away"
    if call.status is None:
        return "in flight"
    return "ok" if call.status == 200 else failure


class FakeApiServer(abc.ABC, Generic[_R, _E]):
    """The part of a fake Bot API server that is not about the API's methods.

    A fake builds its aiohttp application (``_app``), names each request (``_key``) and
    fills in the hooks; the public methods whose arguments an API names its own way
    (a Telegram method, a MAX endpoint) stay on the fakes and call the ``_calls``,
    ``_wait_for_request``, ``_add_fault``, ``_set_delay`` here.
    """

    any_delay: ClassVar[bool] = False
    """Whether a delay set for "*" applies to every call (MAX's fake) or only names "*"."""

    def __init__(self, error_type: type[_E]) -> None:
        self.requests: list[_R] = []
        self.internal_errors: list[Exception] = []
        """Exceptions raised inside the fake itself (answered as 500); should stay empty."""

        self._error_type = error_type
        self._requests_by: dict[str, list[_R]] = {}
        self._faults: list[Fault] = []
        self._delays: dict[str, Delay] = {}
        self._updates_pulse = asyncio.Event()
        self._changes_pulse = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # ------------------------------------------------------------------ hooks

    @abc.abstractmethod
    def _app(self) -> web.Application:
        """The application with the fake's routes."""

    async def _started(self) -> None:
        """Called once the server listens (``url`` is known)."""

    async def _stopping(self) -> None:
        """Called on stop, after pending long polls were told to end, before the shutdown."""

    @abc.abstractmethod
    def _key(self, record: _R) -> str:
        """The name a request is logged, delayed and faulted under."""

    def _canonical(self, name: str) -> str:
        """The logged name for a name a test gives (``calls``, ``wait_for_request``)."""
        return name

    def _fault_key(self, name: str) -> str:
        """How fault and delay settings spell a name."""
        return name

    def _fault_chat(self, record: _R) -> int | str | None:
        """The chat a call goes to, for faults limited to one chat."""
        return None

    def _success_payload(self, result: Any) -> Any:
        """The JSON body of a successful answer."""
        return result

    def _note_failure(self, record: _R, error: _E) -> None:
        """Note an error answer on the record (its status is already set)."""

    @abc.abstractmethod
    def _internal_failure(self, error: Exception) -> _E:
        """The 500 answer for a bug in the fake."""

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port); returns the base URL for the client."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        app = self._app()
        self._closing = asyncio.Event()
        self._updates_pulse = asyncio.Event()
        self._changes_pulse = asyncio.Event()
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=2.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        self._url = f"http://{bound_host}:{runner.addresses[0][1]}"
        await self._started()
        return self._url

    async def stop(self) -> None:
        """End pending long polls (they answer with nothing) and shut the server down."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        self._pulse_updates()
        await self._stopping()
        await runner.cleanup()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ taking a call

    async def _serve(
        self,
        http: web.Request,
        record: _R,
        *,
        read: Callable[[], Awaitable[None]],
        check: Callable[[], None],
        call: Callable[[], Awaitable[Any]],
    ) -> web.StreamResponse:
        """Take one API call: ``read`` its body into the record (an API error there is
        answered after ``check``), log it, ``check`` token and route, then the injected
        delay, faults and ``call`` (rate limits and the method itself)."""
        try:
            read_error: _E | None = None
            try:
                await read()
            except self._error_type as error:
                read_error = error
            self._record(record)
            check()
            if read_error is not None:
                raise read_error
            delay = self._take_delay(self._key(record))
            if delay is not None and delay.before:
                await self._sleep(delay.seconds)
            self._apply_faults(record)
            result = await call()
            record.result = result
            if delay is not None and not delay.before:
                await self._sleep(delay.seconds)
            record.status = 200
            response = web.Response(
                body=dumps(self._success_payload(result)).encode(),
                status=200,
                content_type="application/json",
            )
        except self._error_type as error:
            response = self._failed(record, error)
        except DropConnection:
            record.dropped = True
            self._pulse_changes()
            if http.transport is not None:
                http.transport.close()
            return web.Response(status=500)
        except asyncio.CancelledError:
            record.cancelled = True
            self._pulse_changes()
            raise
        except Exception as error:  # a bug in the fake: make it loud, not a hang
            self.internal_errors.append(error)
            response = self._failed(record, self._internal_failure(error))
        self._pulse_changes()
        return response

    def _failed(self, record: _R, error: _E) -> web.Response:
        record.status = error.status
        self._note_failure(record, error)
        return error.response()

    def _record(self, record: _R) -> None:
        self.requests.append(record)
        self._requests_by.setdefault(self._key(record), []).append(record)
        self._pulse_changes()

    def _pulse_changes(self) -> None:
        pulse, self._changes_pulse = self._changes_pulse, asyncio.Event()
        pulse.set()

    def _pulse_updates(self) -> None:
        pulse, self._updates_pulse = self._updates_pulse, asyncio.Event()
        pulse.set()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but no longer than until the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # ------------------------------------------------------------------ faults

    def _add_fault(
        self,
        target: str,
        times: int,
        error: Callable[[], FakeApiError] | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        self._faults.append(Fault(self._fault_key(target), times, error, chat_id))

    def _set_delay(self, target: str, seconds: float, times: int | None, *, before: bool) -> None:
        key = self._fault_key(target)
        if seconds <= 0:
            self._delays.pop(key, None)
        else:
            self._delays[key] = Delay(seconds, times, before)

    def _clear_faults(self) -> None:
        self._faults.clear()
        self._delays.clear()

    def _take_delay(self, name: str) -> Delay | None:
        key = self._fault_key(name)
        if key not in self._delays:
            if not (self.any_delay and "*" in self._delays):
                return None
            key = "*"
        delay = self._delays[key]
        if delay.remaining is not None:
            delay.remaining -= 1
            if delay.remaining <= 0:
                del self._delays[key]
        return delay

    def _apply_faults(self, record: _R) -> None:
        key = self._fault_key(self._key(record))
        chat_id = self._fault_chat(record)
        for fault in self._faults:
            if fault.remaining <= 0 or fault.target not in (key, "*"):
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining > 0]
            if fault.error is None:
                raise DropConnection
            raise fault.error()

    # ------------------------------------------------------------------ inspection and waiting

    def _calls(self, name: str) -> list[_R]:
        return list(self._requests_by.get(self._canonical(name), ()))

    async def wait_for(
        self,
        predicate: Callable[[], _T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - the waiting itself is the API
        *,
        what: str = "the condition",
    ) -> _T:
        """Re-check ``predicate`` on every request and change; its first truthy value, or
        AssertionError (listing recent requests) after ``timeout``."""
        return await self._wait(predicate, timeout, what, self._recent_requests)

    async def _wait(
        self,
        predicate: Callable[[], _T | None],
        timeout: float,  # noqa: ASYNC109 - the waiting itself is the API
        what: str,
        report: Callable[[], str],
    ) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pulse = self._changes_pulse
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout:g} s waiting for {what}\n{report()}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pulse.wait(), remaining)

    async def _wait_for_request(
        self,
        name: str,
        predicate: Callable[[_R], bool] | None,
        timeout: float,  # noqa: ASYNC109 - the waiting itself is the API
        since: int,
    ) -> _R:
        canonical = self._canonical(name)

        def find() -> _R | None:
            for request in itertools.islice(self._requests_by.get(canonical, ()), since, None):
                if request.status is None and not request.dropped:
                    continue
                if predicate is None or predicate(request):
                    return request
            return None

        return await self.wait_for(find, timeout, what=f"a {canonical} request")

    def _recent_requests(self, count: int = 15) -> str:
        recent = self.requests[-count:]
        lines = [f"last {len(recent)} of {len(self.requests)} requests:"]
        lines.extend(f"  {r}" for r in recent)
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


async def serve(fake: FakeApiServer[Any, Any], host: str, port: int, name: str) -> None:
    """Run a fake as its own process (``python -m tests.fake_telegram``, ``tests.fake_max``):
    say where it listens on the first line of stdout, serve until SIGTERM or SIGINT."""
    url = await fake.start(host, port)
    print(f"{name} listening on {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()
        print(f"stopped after {len(fake.requests)} requests", flush=True)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image; None if it is not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            return width, height
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return int(width) & 0x3FFF, int(height) & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + length
    return None
