"""MaxApi against the fake MAX server over real HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from maxapi.types.attachments.file import File
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated

from bot.channels.max import (
    DEFAULT_BASE_URL,
    AttachmentNotReady,
    AuthLost,
    Backoff,
    CallbackButton,
    Gone,
    Keyboard,
    LinkButton,
    MaxApi,
    Refused,
    RetryLater,
    parse_update,
    webhook_secret_ok,
)
from bot.channels.max.tls import max_ssl_context
from bot.config import Settings
from tests.fake_max import FakeMax

TOKEN = "max-test-token"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax(token=TOKEN) as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
async def api(fake: FakeMax) -> AsyncIterator[MaxApi]:
    async with MaxApi(
        TOKEN, base_url=fake.url, request_timeout=2, not_ready_delays=(0.01, 0.01, 0.01)
    ) as client:
        yield client


async def test_me_sends_the_token_in_the_header_only(fake: FakeMax, api: MaxApi) -> None:
    me = await api.me()
    assert me.user_id == fake.bot_id
    assert me.is_bot
    (request,) = fake.calls("GET /me")
    assert request.authorization == TOKEN
    assert request.query == {}


async def test_send_with_keyboard_to_user_and_chat(fake: FakeMax, api: MaxApi) -> None:
    alice = fake.user(1001, "Alice")
    fake.start_bot(alice)
    keyboard = Keyboard.of(
        [
            [CallbackButton("Готово", "done:1", "positive"), CallbackButton("Нет", "no:1")],
            [LinkButton("План", "https://example.org/plan")],
        ]
    )
    mid = await api.send_message(
        user_id=1001, text="<b>Задача</b> 1", format="html", keyboard=keyboard
    )
    sent = fake.message(mid)
    assert sent.chat_id == fake.dialog_id(alice) != 1001
    assert sent.text == "Задача 1"
    assert sent.format == "html"
    assert sent.callback_payload("Готово") == "done:1"
    assert sent.button("План") == {
        "type": "link",
        "text": "План",
        "url": "https://example.org/plan",
    }

    again = await api.send_message(chat_id=fake.dialog_id(alice), text="ещё", notify=False)
    assert [m.mid for m in fake.messages_to(fake.dialog_id(alice))] == [mid, again]
    assert fake.message(again).notify is False

    with pytest.raises(ValueError, match="exactly one"):
        await api.send_message(user_id=1, chat_id=2, text="x")


def test_keyboard_limits_are_checked_before_sending() -> None:
    button = CallbackButton("a", "p")
    Keyboard.of([[button] * 7] * 30)
    with pytest.raises(ValueError, match="31 rows"):
        Keyboard.of([[button]] * 31)
    with pytest.raises(ValueError, match="8 buttons"):
        Keyboard.of([[button] * 8])
    with pytest.raises(ValueError, match="with a link"):
        Keyboard.of([[LinkButton("l", "https://x.ru"), button, button, button]])
    with pytest.raises(ValueError, match="1-128"):
        Keyboard.of([[CallbackButton("x" * 129, "p")]])
    with pytest.raises(ValueError, match="payload"):
        Keyboard.of([[CallbackButton("x", "p" * 1025)]])
    with pytest.raises(ValueError, match="http"):
        Keyboard.of([[LinkButton("x", "javascript:alert(1)")]])
    with pytest.raises(ValueError, match="at least one row"):
        Keyboard.of([])


async def test_edit_delete_and_answer_callback(fake: FakeMax, api: MaxApi) -> None:
    alice = fake.user(1001)
    fake.start_bot(alice)
    mid = await api.send_message(
        user_id=1001, text="v1", keyboard=Keyboard.column([CallbackButton("Да", "yes")])
    )
    await api.edit_message(mid, text="v2")
    assert fake.message(mid).text == "v2"
    assert fake.message(mid).callback_payload("Да") == "yes"  # kept
    callback_id = fake.tap(alice, fake.message(mid), "Да")
    updates, _ = await api.updates(None, timeout=0)
    pressed = updates[-1]
    assert isinstance(pressed, MessageCallback)
    assert pressed.callback.callback_id == callback_id
    assert pressed.callback.payload == "yes"

    await api.answer_callback(callback_id, notification="Принято", text="v3", attachments=[])
    assert fake.answers[-1].notification == "Принято"
    assert fake.message(mid).text == "v3"
    assert fake.message(mid).keyboard == []
    await api.edit_message(mid, keyboard=Keyboard.column([CallbackButton("Ещё", "more")]))
    assert fake.message(mid).callback_payload("Ещё") == "more"
    await api.delete_message(mid)
    assert fake.message(mid).deleted
    with pytest.raises(Refused):
        await api.delete_message(mid)


# --------------------------------------------------------------------------- outcomes


async def test_429_is_retry_later_with_growing_backoff(fake: FakeMax, api: MaxApi) -> None:
    group = fake.group(-10)
    fake.fail("POST /messages", status=429, times=3)
    waits = []
    for _ in range(3):
        with pytest.raises(RetryLater) as caught:
            await api.send_message(chat_id=group, text="x")
        assert caught.value.status == 429
        assert caught.value.code == "too.many.requests"
        waits.append(caught.value.seconds)
    assert waits == [1.0, 2.0, 4.0]
    await api.send_message(chat_id=group, text="x")
    fake.fail("POST /messages", status=429)
    with pytest.raises(RetryLater) as caught:
        await api.send_message(chat_id=group, text="x")
    assert caught.value.seconds == 1.0  # a success reset it


def test_backoff_caps() -> None:
    backoff = Backoff()
    assert [backoff.rate_limited() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert [backoff.server_trouble() for _ in range(7)] == [2, 4, 8, 16, 32, 60, 60]


async def test_5xx_timeouts_and_dropped_connections_are_retry_later(
    fake: FakeMax, api: MaxApi
) -> None:
    group = fake.group(-11)
    fake.fail("POST /messages", status=502, raw="<html><h1>502 Bad Gateway</h1></html>")
    with pytest.raises(RetryLater, match="502 Bad Gateway") as caught:
        await api.send_message(chat_id=group, text="x")
    assert caught.value.seconds == 2.0
    fake.fail("POST /messages", status=503)
    with pytest.raises(RetryLater) as caught:
        await api.send_message(chat_id=group, text="x")
    assert caught.value.seconds == 4.0
    fake.drop_connection("POST /messages")
    with pytest.raises(RetryLater):
        await api.send_message(chat_id=group, text="x")
    api.request_timeout = 0.2
    fake.delay("POST /messages", 2, times=1)
    with pytest.raises(RetryLater, match="timed out"):
        await api.send_message(chat_id=group, text="x")


async def test_403_and_404_are_gone(fake: FakeMax, api: MaxApi) -> None:
    alice = fake.user(1001)
    with pytest.raises(Gone) as never_started:
        await api.send_message(user_id=1001, text="x")
    assert never_started.value.code == "chat.not.found"
    fake.start_bot(alice)
    await api.send_message(user_id=1001, text="x")
    fake.stop_bot(alice)
    with pytest.raises(Gone) as stopped:
        await api.send_message(user_id=1001, text="x")
    assert (stopped.value.status, stopped.value.code) == (403, "chat.denied")


async def test_other_4xx_refused_and_401_auth_lost(fake: FakeMax) -> None:
    group = fake.group(-12)
    async with MaxApi(TOKEN, base_url=fake.url) as api:
        with pytest.raises(Refused) as caught:
            await api.send_message(chat_id=group, text="x" * 4001)
        assert caught.value.code == "proto.payload"
    async with MaxApi("wrong", base_url=fake.url) as api:
        with pytest.raises(AuthLost):
            await api.me()


# --------------------------------------------------------------------------- files


async def test_upload_retries_attachment_not_ready(fake: FakeMax, api: MaxApi) -> None:
    group = fake.group(-13)
    fake.not_ready_sends = 2
    uploaded = await api.upload("file", "план.xlsx", b"PK\x03\x04 plan")
    (upload_call,) = fake.calls("POST /_upload")
    assert upload_call.authorization == TOKEN  # the fake's upload host is the API host
    mid = await api.send_message(chat_id=group, attachments=[uploaded])
    assert len(fake.calls("POST /messages")) == 3
    assert fake.message(mid).files[0].data == b"PK\x03\x04 plan"
    assert fake.message(mid).attachments[0]["filename"] == "план.xlsx"

    fake.not_ready_sends = 10
    stubborn = await api.upload("file", "b.pdf", b"%PDF")
    with pytest.raises(AttachmentNotReady) as caught:
        await api.send_message(chat_id=group, attachments=[stubborn])
    assert isinstance(caught.value, RetryLater)
    assert len(fake.calls("POST /messages")) == 3 + 4  # three quick retries, then give up


async def test_upload_image(fake: FakeMax, api: MaxApi) -> None:
    from tests.fake_max.test_fake_server import tiny_png

    group = fake.group(-14)
    image = await api.upload("image", "chart.png", tiny_png())
    assert image.kind == "image"
    mid = await api.send_message(chat_id=group, text="график", attachments=[image])
    assert fake.message(mid).attachments[0]["type"] == "image"


async def test_download_sends_the_token_only_to_max_hosts(fake: FakeMax, api: MaxApi) -> None:
    alice = fake.user(1001)
    fake.start_bot(alice)
    fake.send_file(alice, "отчёт.docx", b"report bytes")
    updates, _ = await api.updates(None, timeout=0)
    message = updates[-1]
    assert isinstance(message, MessageCreated)
    assert message.message.body is not None
    attachments = message.message.body.attachments or []
    file = attachments[0]
    assert isinstance(file, File)
    assert file.filename == "отчёт.docx"
    url = getattr(file.payload, "url", None)
    assert isinstance(url, str)
    assert await api.download(url) == b"report bytes"
    assert fake.downloads[-1].authorization == TOKEN
    with pytest.raises(Refused, match="over 5"):
        await api.download(url, max_bytes=5)

    seen: list[str | None] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(body=b"other")

    app = web.Application()
    app.router.add_get("/f", elsewhere)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "localhost", 0).start()
    try:
        assert await api.download(f"http://localhost:{runner.addresses[0][1]}/f") == b"other"
    finally:
        await runner.cleanup()
    assert seen == [None]


# --------------------------------------------------------------------------- updates


async def test_updates_marker_confirms_and_redelivers(fake: FakeMax, api: MaxApi) -> None:
    alice = fake.user(1001, "Alice")
    fake.start_bot(alice, payload="invite-abc")
    fake.send_text(alice, "привет")
    fake.add_raw_update({"update_type": "something_new", "x": 1})
    fake.add_raw_update({"update_type": "message_created", "message": "garbled"})

    first, marker = await api.updates(None, timeout=0)
    assert [type(u) for u in first] == [BotStarted, MessageCreated]  # the odd two skipped
    started = first[0]
    assert isinstance(started, BotStarted)
    assert started.payload == "invite-abc"
    assert started.chat_id == fake.dialog_id(alice)
    assert started.user.user_id == 1001
    assert marker is not None

    # Not handled yet (no marker sent): everything comes again.
    again, same_marker = await api.updates(None, timeout=0)
    assert [type(u) for u in again] == [BotStarted, MessageCreated]
    assert same_marker == marker

    # Sending the marker confirms the batch.
    rest, next_marker = await api.updates(marker, timeout=0)
    assert rest == []
    assert next_marker == marker
    assert fake.pending_updates == []

    poll = asyncio.create_task(api.updates(marker, timeout=10, types=["message_created"]))
    await fake.wait_for(lambda: len(fake.calls("GET /updates")) == 4, what="the long poll")
    fake.stop_bot(alice)
    fake.start_bot(alice)
    fake.send_text(alice, "снова")
    texts, _ = await poll
    assert len(texts) == 1
    created = texts[0]
    assert isinstance(created, MessageCreated)
    assert created.message.body is not None
    assert created.message.body.text == "снова"
    assert fake.calls("GET /updates")[-1].query["types"] == "message_created"


def test_parse_update_skips_unknown_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert parse_update({"update_type": "brand_new", "timestamp": 1}) is None
        assert parse_update(["not", "an", "update"]) is None
    assert "brand_new" in caplog.text


# --------------------------------------------------------------------------- webhook


async def test_webhook_subscription_and_secret(fake: FakeMax, api: MaxApi) -> None:
    secret = "s3cr3t-Value_1"
    got: list[object] = []

    async def receive(request: web.Request) -> web.Response:
        if not webhook_secret_ok(request.headers, secret):
            return web.Response(status=403)
        got.append(parse_update(await request.json()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/max", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/max"
    try:
        await api.subscribe(url, secret=secret, update_types=["bot_started"])
        assert await api.subscriptions() == [url]
        fake.start_bot(fake.user(1001), payload="deep")
        await fake.wait_for(lambda: got, what="a push")
        (update,) = got
        assert isinstance(update, BotStarted)
        assert update.payload == "deep"
        assert fake.deliveries[-1].secret_sent == secret
        with pytest.raises(Refused):  # 405: no polling while subscribed
            await api.updates(None, timeout=0)
        await api.unsubscribe(url)
        assert await api.subscriptions() == []
    finally:
        await runner.cleanup()
    assert webhook_secret_ok({"X-Max-Bot-Api-Secret": secret}, secret)
    assert not webhook_secret_ok({"X-Max-Bot-Api-Secret": "other"}, secret)
    assert not webhook_secret_ok({}, secret)
    with pytest.raises(Refused):
        await api.subscribe(url, secret="no")  # MAX wants 5-256 of [A-Za-z0-9_-]


async def test_set_commands(fake: FakeMax, api: MaxApi) -> None:
    await api.set_commands([("start", "Начать"), ("help", "Помощь")])
    assert fake.commands == [
        {"name": "start", "description": "Начать"},
        {"name": "help", "description": "Помощь"},
    ]
    with pytest.raises(ValueError, match="32"):
        await api.set_commands([(f"c{i}", "d") for i in range(33)])


# --------------------------------------------------------------------------- TLS, settings


def test_tls_trusts_the_russian_root() -> None:
    assert "Russian Trusted Root CA" in str(max_ssl_context().get_ca_certs())


async def test_https_base_url_uses_the_russian_root(fake: FakeMax) -> None:
    async with MaxApi(TOKEN) as api:
        assert api.base_url == "https://platform-api2.max.ru"
        assert api.ssl_context is not None
        assert "Russian Trusted Root CA" in str(api.ssl_context.get_ca_certs())
    async with MaxApi(TOKEN, base_url=fake.url) as plain:
        assert plain.ssl_context is None


def test_settings_default_to_platform_api2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAX_API_URL", raising=False)
    assert Settings(_env_file=None).max_api_url == "https://platform-api2.max.ru"
    assert Settings(_env_file=None).max_api_url == DEFAULT_BASE_URL
    monkeypatch.setenv("MAX_API_URL", "http://127.0.0.1:9000/")
    assert Settings(_env_file=None).max_api_url == "http://127.0.0.1:9000"
