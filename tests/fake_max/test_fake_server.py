"""The fake MAX Bot API server, driven over raw HTTP (no client of ours in between)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fake_max import FakeMax

TOKEN = "max-test-token"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax(token=TOKEN) as server:
        yield server
    assert server.internal_errors == []


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    fake: FakeMax,
    method: str,
    path: str,
    body: Any = None,
    **query: Any,
) -> tuple[int, Any]:
    params = {k: str(v) for k, v in query.items()}
    async with http.request(method, fake.url + path, json=body, params=params) as response:
        return response.status, await response.json(content_type=None)


def callback(text: str, payload: str) -> dict[str, str]:
    return {"type": "callback", "text": text, "payload": payload}


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "inline_keyboard", "payload": {"buttons": list(rows)}}


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


async def upload(
    http: aiohttp.ClientSession, fake: FakeMax, kind: str, name: str, data: bytes
) -> str:
    status, slot = await call(http, fake, "POST", "/uploads", type=kind)
    assert status == 200
    form = aiohttp.FormData()
    form.add_field("data", data, filename=name)
    async with aiohttp.ClientSession() as bare, bare.post(slot["url"], data=form) as response:
        assert response.status == 200
        result = await response.json()
    if kind == "image":
        (photo,) = result["photos"].values()
        return str(photo["token"])
    return str(result["token"])


# --------------------------------------------------------------------------- auth, me


async def test_token_only_in_the_authorization_header(fake: FakeMax) -> None:
    async with aiohttp.ClientSession() as bare:
        async with bare.get(fake.url + "/me") as response:
            assert response.status == 401
            assert await response.json() == {
                "code": "verify.token",
                "message": "Invalid access_token",
            }
        async with bare.get(fake.url + "/me", params={"access_token": TOKEN}) as response:
            assert response.status == 401
        async with bare.get(fake.url + "/me", headers={"Authorization": "Bearer " + TOKEN}) as r:
            assert r.status == 401
        async with bare.get(fake.url + "/me", headers={"Authorization": TOKEN}) as response:
            assert response.status == 200
            me = await response.json()
    assert me["user_id"] == fake.bot_id
    assert me["is_bot"] is True
    assert me["username"] == "roadmap_test_bot"
    assert [r.authorization for r in fake.calls("GET /me")] == [
        None,
        None,
        "Bearer " + TOKEN,
        TOKEN,
    ]


async def test_commands_at_most_32(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    commands = [{"name": f"c{i}", "description": "d"} for i in range(32)]
    status, body = await call(http, fake, "PATCH", "/me/commands", {"commands": commands})
    assert status == 200
    assert body["commands"] == commands
    assert fake.commands == commands
    status, body = await call(
        http, fake, "PATCH", "/me/commands", {"commands": [*commands, {"name": "x"}]}
    )
    assert (status, body["code"]) == (400, "proto.payload")
    _, me = await call(http, fake, "GET", "/me")
    assert len(me["commands"]) == 32


# --------------------------------------------------------------------------- updates


async def test_start_with_payload_and_marker_semantics(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    alice = fake.user(1001, "Alice")
    first = fake.start_bot(alice, payload="invite-abc")
    fake.send_text(alice, "привет")
    assert fake.dialog_id(alice) != alice.user_id

    status, batch = await call(http, fake, "GET", "/updates", timeout=0)
    assert status == 200
    started, text = batch["updates"]
    assert started["update_type"] == "bot_started"
    assert started["payload"] == "invite-abc"
    assert started["user"]["user_id"] == 1001
    assert started["chat_id"] == fake.dialog_id(alice)
    assert isinstance(started["timestamp"], int)
    assert text["message"]["body"]["text"] == "привет"
    assert text["message"]["recipient"] == {
        "chat_id": fake.dialog_id(alice),
        "chat_type": "dialog",
        "user_id": fake.bot_id,
    }
    assert batch["marker"] == first + 2

    # Without a marker nothing is confirmed: the same updates come again.
    _, again = await call(http, fake, "GET", "/updates", timeout=0)
    assert again["updates"] == batch["updates"]
    # A marker from the middle confirms what came before it only.
    _, tail = await call(http, fake, "GET", "/updates", timeout=0, marker=first + 1)
    assert [u["update_type"] for u in tail["updates"]] == ["message_created"]
    assert len(fake.pending_updates) == 1
    _, empty = await call(http, fake, "GET", "/updates", timeout=0, marker=batch["marker"])
    assert empty == {"updates": [], "marker": batch["marker"]}
    assert fake.pending_updates == []
    assert fake.confirmed_marker == batch["marker"]


async def test_limit_types_and_latest_only(http: aiohttp.ClientSession) -> None:
    async with FakeMax(token=TOKEN, no_marker="latest") as fake:
        bob = fake.user(7, "Bob")
        fake.start_bot(bob)
        for i in range(3):
            fake.send_text(bob, f"m{i}")
        _, latest = await call(http, fake, "GET", "/updates", timeout=0)
        assert [u["message"]["body"]["text"] for u in latest["updates"]] == ["m2"]
        start = fake.confirmed_marker
        _, two = await call(http, fake, "GET", "/updates", timeout=0, limit=2, marker=start)
        assert [u["update_type"] for u in two["updates"]] == ["bot_started", "message_created"]
        _, texts = await call(
            http, fake, "GET", "/updates", timeout=0, marker=start, types="message_created"
        )
        assert [u["message"]["body"]["text"] for u in texts["updates"]] == ["m0", "m1", "m2"]
        status, error = await call(http, fake, "GET", "/updates", limit=0)
        assert (status, error["code"]) == (400, "proto.payload")


async def test_long_poll_waits_and_wakes(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    _, empty = await call(http, fake, "GET", "/updates", timeout=1)
    assert empty["updates"] == []
    assert loop.time() - began >= 0.9

    poll = asyncio.create_task(call(http, fake, "GET", "/updates", timeout=30))
    await fake.wait_for(lambda: len(fake.calls("GET /updates")) == 2, what="a long poll")
    began = loop.time()
    fake.start_bot(fake.user(5))
    _, batch = await poll
    assert [u["update_type"] for u in batch["updates"]] == ["bot_started"]
    assert loop.time() - began < 1


# --------------------------------------------------------------------------- messages


async def test_send_to_user_and_chat_with_keyboard(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    alice = fake.user(1001, "Alice")
    status, error = await call(http, fake, "POST", "/messages", {"text": "hi"}, user_id=1001)
    assert (status, error["code"]) == (404, "chat.not.found")  # never started the bot
    fake.start_bot(alice)
    dialog = fake.dialog_id(alice)
    body = {
        "text": "<b>Задача</b> 1 &amp; 2",
        "format": "html",
        "attachments": [keyboard([callback("Готово", "done:1")])],
    }
    status, result = await call(http, fake, "POST", "/messages", body, user_id=1001)
    assert status == 200
    message = result["message"]
    assert message["recipient"] == {"chat_id": dialog, "chat_type": "dialog", "user_id": 1001}
    assert message["sender"]["user_id"] == fake.bot_id
    assert message["body"]["mid"].startswith("mid.")
    button = message["body"]["attachments"][0]["payload"]["buttons"][0][0]
    assert button == {
        "type": "callback",
        "text": "Готово",
        "payload": "done:1",
        "intent": "default",
    }

    status, result = await call(http, fake, "POST", "/messages", {"text": "2"}, chat_id=dialog)
    assert status == 200
    sent = fake.messages_to(dialog)
    assert [m.text for m in sent] == ["Задача 1 & 2", "2"]
    assert sent[0].source_text == body["text"]
    assert sent[0].callback_payload("Готово") == "done:1"
    assert fake.message(message["body"]["mid"]) is sent[0]

    group = fake.group(-70801090403050, "Отдел")
    status, result = await call(http, fake, "POST", "/messages", {"text": "всем"}, chat_id=group)
    assert status == 200
    assert result["message"]["recipient"] == {"chat_id": group, "chat_type": "chat"}
    status, error = await call(http, fake, "POST", "/messages", {"text": "x"}, chat_id=-5)
    assert (status, error["code"]) == (404, "chat.not.found")
    status, error = await call(http, fake, "POST", "/messages", {"text": "x" * 4001}, chat_id=group)
    assert (status, error["code"]) == (400, "proto.payload")
    status, _ = await call(http, fake, "POST", "/messages", {"text": "x" * 4000}, chat_id=group)
    assert status == 200
    status, _ = await call(
        http, fake, "POST", "/messages", {"text": "x", "format": "bbcode"}, chat_id=group
    )
    assert status == 400


@pytest.mark.parametrize(
    ("rows", "ok"),
    [
        ([[callback("a", "p")] * 7] * 30, True),
        ([[callback("a", "p")] * 8], False),
        ([[callback("a", "p")] * 7] * 31, False),
        ([[callback("a", "p")] * 7] * 30 + [[callback("a", "p")]], False),
        ([[{"type": "link", "text": "site", "url": "https://max.ru"}] * 3], True),
        (
            [
                [
                    {"type": "link", "text": "site", "url": "https://max.ru"},
                    *[callback("a", "p")] * 3,
                ]
            ],
            False,
        ),
        ([[callback("x" * 128, "p")]], True),
        ([[callback("x" * 129, "p")]], False),
        ([[callback("", "p")]], False),
        ([[callback("a", "p" * 1024)]], True),
        ([[callback("a", "p" * 1025)]], False),
        ([[{"type": "link", "text": "a", "url": "ftp://x"}]], False),
        ([[{"type": "teleport", "text": "a"}]], False),
        ([[]], False),
    ],
)
async def test_keyboard_limits(
    fake: FakeMax, http: aiohttp.ClientSession, rows: list[list[dict[str, Any]]], ok: bool
) -> None:
    group = fake.group(-1)
    body = {"text": "k", "attachments": [keyboard(*rows)]}
    status, result = await call(http, fake, "POST", "/messages", body, chat_id=group)
    assert status == (200 if ok else 400), result


async def test_edit_keeps_or_removes_attachments_and_delete(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    group = fake.group(-2)
    body = {"text": "v1", "attachments": [keyboard([callback("A", "a")])]}
    _, result = await call(http, fake, "POST", "/messages", body, chat_id=group)
    mid = result["message"]["body"]["mid"]
    status, ok = await call(http, fake, "PUT", "/messages", {"text": "v2"}, message_id=mid)
    assert (status, ok) == (200, {"success": True})
    sent = fake.message(mid)
    assert sent.text == "v2"
    assert sent.callback_payload("A") == "a"  # omitted attachments are kept
    await call(http, fake, "PUT", "/messages", {"attachments": []}, message_id=mid)
    assert sent.text == "v2"
    assert sent.keyboard == []
    assert [v.text for v in sent.history] == ["v1", "v2"]
    status, ok = await call(http, fake, "DELETE", "/messages", message_id=mid)
    assert (status, ok) == (200, {"success": True})
    assert sent.deleted
    status, _ = await call(http, fake, "PUT", "/messages", {"text": "v3"}, message_id=mid)
    assert status == 404


async def test_tap_and_answer_with_notification_and_new_message(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    alice = fake.user(1001, "Alice")
    fake.start_bot(alice)
    body = {
        "text": "Сделано?",
        "attachments": [keyboard([callback("Да", "yes"), callback("Нет", "no")])],
    }
    await call(http, fake, "POST", "/messages", body, user_id=1001)
    sent = fake.last_message(fake.dialog_id(alice))
    with pytest.raises(ValueError, match="no callback button"):
        fake.tap_payload(alice, sent, "maybe")
    callback_id = fake.tap(alice, sent, "Да")
    _, batch = await call(http, fake, "GET", "/updates", timeout=0)
    update = batch["updates"][-1]
    assert update["update_type"] == "message_callback"
    assert update["callback"]["callback_id"] == callback_id
    assert update["callback"]["payload"] == "yes"
    assert update["callback"]["user"]["user_id"] == 1001
    assert update["message"]["body"]["mid"] == sent.mid

    answer = {"notification": "Принято", "message": {"text": "Сделано ✅", "attachments": []}}
    status, ok = await call(http, fake, "POST", "/answers", answer, callback_id=callback_id)
    assert (status, ok) == (200, {"success": True})
    assert fake.answers[0].notification == "Принято"
    assert sent.text == "Сделано ✅"
    assert sent.keyboard == []
    status, _ = await call(
        http, fake, "POST", "/answers", {"notification": "x"}, callback_id="nope"
    )
    assert status == 400
    status, _ = await call(http, fake, "POST", "/answers", {}, callback_id=callback_id)
    assert status == 400


async def test_stopped_bot_answers_chat_denied(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    alice = fake.user(1001)
    fake.start_bot(alice)
    fake.stop_bot(alice)
    status, error = await call(http, fake, "POST", "/messages", {"text": "hi"}, user_id=1001)
    assert status == 403
    assert error["code"] == "chat.denied"
    status, _ = await call(
        http, fake, "POST", "/messages", {"text": "hi"}, chat_id=fake.dialog_id(alice)
    )
    assert status == 403
    _, batch = await call(http, fake, "GET", "/updates", timeout=0)
    assert [u["update_type"] for u in batch["updates"]] == ["bot_started", "bot_stopped"]
    fake.start_bot(alice)
    status, _ = await call(http, fake, "POST", "/messages", {"text": "hi"}, user_id=1001)
    assert status == 200


# --------------------------------------------------------------------------- files


async def test_upload_file_and_image_with_not_ready(http: aiohttp.ClientSession) -> None:
    async with FakeMax(token=TOKEN, not_ready_sends=2) as fake:
        group = fake.group(-3)
        token = await upload(http, fake, "file", "plan.xlsx", b"PK\x03\x04 data")
        body = {"attachments": [{"type": "file", "payload": {"token": token}}]}
        for _ in range(2):
            status, error = await call(http, fake, "POST", "/messages", body, chat_id=group)
            assert status == 400
            assert error == {
                "code": "attachment.not.ready",
                "message": "Key: errors.process.attachment.file.not.processed",
            }
        status, result = await call(http, fake, "POST", "/messages", body, chat_id=group)
        assert status == 200
        file = result["message"]["body"]["attachments"][0]
        assert file["filename"] == "plan.xlsx"
        assert fake.last_message(group).files[0].data == b"PK\x03\x04 data"

        image = await upload(http, fake, "image", "chart.png", tiny_png())
        fake.not_ready_sends = 0
        body = {"attachments": [{"type": "image", "payload": {"token": image}}]}
        status, _ = await call(http, fake, "POST", "/messages", body, chat_id=group)
        assert status == 400  # the image was uploaded while not_ready_sends was 2
        status, _ = await call(http, fake, "POST", "/messages", body, chat_id=group)
        status, _ = await call(http, fake, "POST", "/messages", body, chat_id=group)
        assert status == 200

        status, error = await call(http, fake, "POST", "/uploads", type="photo")
        assert status == 400
        status, slot = await call(http, fake, "POST", "/uploads", type="video")
        assert slot["token"].startswith("tok.video")


async def test_file_rules(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    group = fake.group(-4)
    token = await upload(http, fake, "file", "a.pdf", b"%PDF")
    by_url = {"attachments": [{"type": "file", "payload": {"url": "https://x/a.pdf"}}]}
    status, error = await call(http, fake, "POST", "/messages", by_url, chat_id=group)
    assert (status, error["message"]) == (400, "Missing `token` in file attachment")
    with_keyboard = {
        "attachments": [
            {"type": "file", "payload": {"token": token}},
            keyboard([callback("a", "b")]),
        ]
    }
    status, _ = await call(http, fake, "POST", "/messages", with_keyboard, chat_id=group)
    assert status == 400
    status, _ = await call(http, fake, "POST", "/uploads", type="image")
    form = aiohttp.FormData()
    form.add_field("data", b"not an image", filename="x.png")
    _, slot = await call(http, fake, "POST", "/uploads", type="image")
    async with aiohttp.ClientSession() as bare, bare.post(slot["url"], data=form) as response:
        assert response.status == 400


async def test_user_file_has_a_direct_url(http: aiohttp.ClientSession) -> None:
    async with FakeMax(token=TOKEN, download_needs_auth=True) as fake:
        alice = fake.user(1001)
        fake.start_bot(alice)
        mid = fake.send_file(alice, "отчёт.xlsx", b"\x00\x01bytes", text="вот")
        _, batch = await call(http, fake, "GET", "/updates", timeout=0)
        message = batch["updates"][-1]["message"]
        assert message["body"]["mid"] == mid
        assert message["body"]["text"] == "вот"
        (attachment,) = message["body"]["attachments"]
        assert attachment["filename"] == "отчёт.xlsx"
        assert attachment["size"] == 7
        async with http.get(attachment["payload"]["url"]) as response:
            assert await response.read() == b"\x00\x01bytes"
        async with aiohttp.ClientSession() as bare, bare.get(attachment["payload"]["url"]) as r:
            assert r.status == 401
        assert [d.authorization for d in fake.downloads] == [TOKEN, None]


# --------------------------------------------------------------------------- webhook


async def test_webhook_push_with_secret_and_retries(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [503, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Max-Bot-Api-Secret"), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        status, _ = await call(http, fake, "POST", "/subscriptions", {"url": url, "secret": "bad"})
        assert status == 400  # the secret is 5-256 of [A-Za-z0-9_-]
        body = {"url": url, "secret": "s3cr3t_value", "update_types": ["bot_started"]}
        status, ok = await call(http, fake, "POST", "/subscriptions", body)
        assert (status, ok) == (200, {"success": True})
        _, subs = await call(http, fake, "GET", "/subscriptions")
        assert subs["subscriptions"][0]["url"] == url
        status, _ = await call(http, fake, "GET", "/updates", timeout=0)
        assert status == 405

        alice = fake.user(1001)
        fake.start_bot(alice, payload="p")
        fake.send_text(alice, "filtered out by update_types")
        await fake.wait_for(lambda: len(received) == 2, what="a retried push")
        assert [secret for secret, _ in received] == ["s3cr3t_value"] * 2
        assert received[0][1] == received[1][1]
        assert received[0][1]["update_type"] == "bot_started"
        assert [d.status for d in fake.deliveries] == [503, 200]
        await fake.wait_for(lambda: not fake.pending_updates, what="updates taken")

        status, ok = await call(http, fake, "DELETE", "/subscriptions", url=url)
        assert ok == {"success": True}
        status, _ = await call(http, fake, "GET", "/updates", timeout=0)
        assert status == 200
    finally:
        await runner.cleanup()


async def test_webhook_gives_up_after_the_last_retry(http: aiohttp.ClientSession) -> None:
    async with FakeMax(token=TOKEN, webhook_retry_delays=(0.01, 0.01)) as fake:
        # Nothing listens on this port: every attempt fails to connect.
        body = {"url": "http://127.0.0.1:9/hook"}
        await call(http, fake, "POST", "/subscriptions", body)
        fake.start_bot(fake.user(1))
        await fake.wait_for(lambda: fake.failed_pushes, what="a failed push")
        assert [d.attempt for d in fake.deliveries] == [1, 2, 3]
        assert all(d.status is None and d.error for d in fake.deliveries)


# --------------------------------------------------------------------------- faults


async def test_429_without_retry_after_5xx_and_403(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    group = fake.group(-6)
    fake.fail("POST /messages", status=429)
    async with http.post(
        fake.url + "/messages", params={"chat_id": group}, json={"text": "a"}
    ) as r:
        assert r.status == 429
        assert "Retry-After" not in r.headers
        assert await r.json() == {"code": "too.many.requests", "message": "Too many requests"}
    fake.fail("*", status=502, raw="<html>502 Bad Gateway</html>")
    async with http.get(fake.url + "/me") as r:
        assert r.status == 502
        assert "Bad Gateway" in await r.text()
    fake.fail("POST /messages", status=403, chat_id=group)
    status, error = await call(http, fake, "POST", "/messages", {"text": "a"}, chat_id=group)
    assert (status, error["code"]) == (403, "chat.denied")
    status, _ = await call(http, fake, "POST", "/messages", {"text": "a"}, chat_id=group)
    assert status == 200


async def test_dropped_connection_and_timeout(fake: FakeMax, http: aiohttp.ClientSession) -> None:
    group = fake.group(-7)
    fake.drop_connection("POST /messages")  # (aiohttp itself retries a dropped GET once)
    with pytest.raises(aiohttp.ClientError):
        await call(http, fake, "POST", "/messages", {"text": "lost"}, chat_id=group)
    assert fake.calls("POST /messages")[0].dropped
    assert fake.messages_to(group) == []
    fake.delay("POST /messages", 5)
    timeout = aiohttp.ClientTimeout(total=0.2)
    with pytest.raises(TimeoutError):
        async with http.post(
            fake.url + "/messages",
            params={"chat_id": group},
            json={"text": "late"},
            timeout=timeout,
        ):
            pass
    # The message went out although the client never heard so.
    await fake.wait_for_message(group, "late")


async def test_rate_violations_recorded_and_enforced(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    group = fake.group(-8)
    for _ in range(3):
        status, _ = await call(http, fake, "POST", "/messages", {"text": "x"}, chat_id=group)
        assert status == 200
    assert [(v.scope, v.chat_id, v.enforced) for v in fake.violations] == [("chat", group, False)]

    fake.rate_limit(per_second=30, per_chat_per_second=2, enforce=True)
    statuses = [
        (await call(http, fake, "POST", "/messages", {"text": "x"}, chat_id=group))[0]
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    results = await asyncio.gather(*(call(http, fake, "GET", "/me") for _ in range(40)))
    assert sum(1 for status, _ in results if status == 429) >= 10
    assert any(v.scope == "global" and v.enforced for v in fake.violations)


async def test_control_endpoints_play_users_and_show_what_was_sent(
    fake: FakeMax, http: aiohttp.ClientSession
) -> None:
    """What a test or benchmark uses when the fake runs as its own process."""
    status, started = await call(http, fake, "POST", "/_fake/start", {"user_ids": [1001, 1002]})
    assert status == 200
    dialogs = {int(user): chat for user, chat in started["dialogs"].items()}
    assert dialogs == {1001: fake.dialog_id(1001), 1002: fake.dialog_id(1002)}
    assert [u["update_type"] for u in fake.pending_updates] == ["bot_started"] * 2
    status, written = await call(
        http, fake, "POST", "/_fake/message", {"user_id": 1001, "text": "/status"}
    )
    assert status == 200
    assert fake.pending_updates[-1]["message"]["body"]["mid"] == written["mid"]

    fake.rate_limit(per_second=None, per_chat_per_second=1, enforce=False)
    for text in ("первое", "второе"):
        status, _ = await call(http, fake, "POST", "/messages", {"text": text}, user_id=1002)
        assert status == 200
    status, sent = await call(http, fake, "GET", "/_fake/sent", chat_id=dialogs[1002])
    assert [(m["chat_id"], m["user_id"], m["text"]) for m in sent] == [
        (dialogs[1002], 1002, "первое"),
        (dialogs[1002], 1002, "второе"),
    ]
    status, over = await call(http, fake, "GET", "/_fake/violations")
    assert over == [
        {"endpoint": "POST /messages", "chat_id": dialogs[1002], "scope": "chat", "429": False}
    ]
    status, requests = await call(http, fake, "GET", "/_fake/requests", endpoint="POST /messages")
    assert len(requests) == 2
