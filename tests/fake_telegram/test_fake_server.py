"""The fake Bot API server, driven by the real aiogram client."""

from __future__ import annotations

import asyncio
import html
import struct
import sys
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.formatting import format_text

TOKEN = "42:TEST"
ALICE = 1001


def make_bot(url: str, token: str = TOKEN) -> Bot:
    return Bot(token=token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))


async def close_bot(bot: Bot) -> None:
    # AiohttpSession.close() sleeps 0.25 s for TLS shutdown; plain HTTP needs none.
    session = bot.session
    assert isinstance(session, AiohttpSession)
    if session._session is not None:
        await session._session.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(tg.url)
    yield bot
    await close_bot(bot)


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- basics


async def test_get_me(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 42
    assert me.is_bot
    assert me.username == "roadmap_test_bot"
    assert me.can_join_groups is True
    assert tg.calls("getMe")[0].token == TOKEN


async def test_send_and_edit_messages_with_inline_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(ALICE, "Alice")
    first = await bot.send_message(ALICE, "Задача 1", reply_markup=keyboard(("Готово", "done:1")))
    second = await bot.send_message(ALICE, "Задача 2")
    other = await bot.send_message(2002, "hi")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.type == "private"
    assert first.chat.first_name == "Alice"
    assert first.from_user is not None
    assert first.from_user.id == 42
    assert isinstance(first.reply_markup, InlineKeyboardMarkup)
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "done:1"
    assert second.reply_markup is None

    record = tg.calls("sendMessage")[0]
    assert record.params["chat_id"] == ALICE
    assert record.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Готово", "callback_data": "done:1"}]]
    }
    sent = tg.last_message(ALICE)
    assert sent.text == "Задача 2"
    assert [m.text for m in tg.messages_to(ALICE)] == ["Задача 1", "Задача 2"]
    assert tg.messages_to(ALICE)[0].callback_data("Готово") == "done:1"

    edited = await bot.edit_message_text(
        "Задача 1 ✅",
        chat_id=ALICE,
        message_id=first.message_id,
        reply_markup=keyboard(("Отменить", "undo:1")),
    )
    assert isinstance(edited, Message)
    assert edited.text == "Задача 1 ✅"
    assert edited.edit_date is not None
    stored = tg.message(ALICE, first.message_id)
    assert stored.edited
    assert stored.history[0].text == "Задача 1"
    assert stored.callback_data("Отменить") == "undo:1"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Задача 1 ✅",
            chat_id=ALICE,
            message_id=first.message_id,
            reply_markup=keyboard(("Отменить", "undo:1")),
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE, message_id=99)

    removed = await bot.edit_message_reply_markup(chat_id=ALICE, message_id=first.message_id)
    assert isinstance(removed, Message)
    assert removed.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=ALICE, message_id=first.message_id)
    assert len(tg.sent) == 3  # failed edits created nothing


async def test_edit_without_markup_removes_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(ALICE, "a", reply_markup=keyboard(("x", "x")))
    edited = await bot.edit_message_text("b", chat_id=ALICE, message_id=message.message_id)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    assert tg.last_message(ALICE).buttons() == []


async def test_html_is_parsed_into_entities_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        ALICE,
        "  <b>Итог</b> 😀 <i>a&amp;b</i> &lt;3 /help <a href='https://x.org'>link</a>\n",
        parse_mode="HTML",
    )
    assert message.text == "Итог 😀 a&b <3 /help link"
    assert message.entities is not None
    entities = [(e.type, e.offset, e.length) for e in message.entities]
    # offsets count UTF-16 code units: the emoji takes two
    assert entities == [
        ("bold", 0, 4),
        ("italic", 8, 3),
        ("bot_command", 15, 5),
        ("text_link", 21, 4),
    ]
    sent = tg.last_message(ALICE)
    assert sent.source_text is not None
    assert sent.source_text.startswith("  <b>Итог</b>")
    assert sent.parse_mode == "HTML"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a < b", 'Unsupported start tag ""'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag"),
        ("AT&T", "Unsupported HTML entity"),
        ("<b", "Unclosed start tag"),
    ],
)
async def test_bad_html_is_rejected(bot: Bot, text: str, reason: str) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities") as error:
        await bot.send_message(ALICE, text, parse_mode="HTML")
    assert reason in error.value.message


async def test_escaped_html_is_accepted(bot: Bot) -> None:
    text = "a < b & c > d <b>not bold</b> &amp;"
    message = await bot.send_message(ALICE, html.escape(text), parse_mode="HTML")
    assert message.text == text
    assert message.entities is None


async def test_markdown_v2_reserved_characters(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(ALICE, "Done.", parse_mode="MarkdownV2")
    message = await bot.send_message(
        ALICE, r"*Done*\. [site](https://x.org)", parse_mode="MarkdownV2"
    )
    assert message.text == "Done. site"
    assert message.entities is not None
    assert [(e.type, e.offset, e.length, e.url) for e in message.entities] == [
        ("bold", 0, 4, None),
        ("text_link", 6, 4, "https://x.org"),
    ]


async def test_message_length_limit(bot: Bot) -> None:
    await bot.send_message(ALICE, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ALICE, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(ALICE, "   ")


async def test_callback_data_over_64_bytes_is_rejected(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(ALICE, "ok", reply_markup=keyboard(("a", "x" * 64)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "bad", reply_markup=keyboard(("a", "x" * 65)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):  # 33 × 2 bytes
        await bot.send_message(ALICE, "bad", reply_markup=keyboard(("a", "я" * 33)))
    assert len(tg.messages_to(ALICE)) == 1
    assert [r.status for r in tg.calls("sendMessage")] == [200, 400, 400]


# --------------------------------------------------------------------------- updates


async def test_long_poll_returns_a_queued_message_quickly(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user(ALICE, "Alice", username="alice")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    update_id = tg.add_message(alice, "/start invite-token")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start invite-token"
    assert message.chat.id == ALICE
    assert message.chat.type == "private"
    assert message.from_user is not None
    assert message.from_user.username == "alice"
    assert message.entities is not None
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]


async def test_long_poll_returns_empty_list_after_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 2


async def test_offset_confirms_updates_forever(tg: FakeTelegram, bot: Bot) -> None:
    ids = [tg.add_message(ALICE, f"m{i}") for i in range(4)]
    assert ids == sorted(ids)
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates()] == ids  # not confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # ids[0] is gone
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[3:]
    assert [u.update_id for u in await bot.get_updates(offset=ids[3] + 1)] == []
    later = tg.add_message(ALICE, "later")
    assert later > ids[3]
    assert [u.update_id for u in await bot.get_updates()] == [later]


async def test_drop_pending_updates_clears_queue_and_is_recorded(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.add_message(ALICE, "one")
    await bot.delete_webhook()
    assert len(tg.pending_updates) == 1
    assert tg.pending_updates_dropped == 0
    tg.add_message(ALICE, "two")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []
    assert tg.pending_updates_dropped == 1
    assert [u["message"]["text"] for u in tg.dropped_updates] == ["one", "two"]
    assert [r.params.get("drop_pending_updates") for r in tg.calls("deleteWebhook")] == [
        None,
        True,
    ]


async def test_webhook_blocks_get_updates(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_message(ALICE, "hi")
    await bot.set_webhook("https://example.org/hook", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    assert info.pending_update_count == 1
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
        await bot.set_webhook("http://example.org/hook")
    await bot.delete_webhook()
    assert len(await bot.get_updates()) == 1


async def test_second_poller_terminates_the_first(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    second.cancel()


async def test_allowed_updates_filters_new_updates(tg: FakeTelegram, bot: Bot) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    tg.add_message(ALICE, "not delivered")
    assert await bot.get_updates() == []
    assert tg.filtered_updates[0]["message"]["text"] == "not delivered"


async def test_callback_query_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user(ALICE, "Alice")
    await bot.send_message(ALICE, "Задача", reply_markup=keyboard(("Готово", "done:7")))
    with pytest.raises(ValueError, match="no button with callback_data"):
        tg.add_callback_query(alice, 1, None, "forged")
    query_id = tg.press_button(alice, tg.last_message(ALICE), "Готово")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "done:7"
    assert isinstance(query.message, Message)
    assert query.message.text == "Задача"
    assert not tg.callback_answered(query_id)
    assert await bot.answer_callback_query(query_id, text="Отмечено")
    assert tg.callback_answers[query_id]["text"] == "Отмечено"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


async def test_group_messages(tg: FakeTelegram, bot: Bot) -> None:
    group = tg.group(-1001234567890, "Отдел", type="supergroup")
    tg.add_message(ALICE, "/status@roadmap_test_bot", chat_id=group.id)
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.chat.type == "supergroup"
    assert update.message.chat.title == "Отдел"
    answer = await bot.send_message(group.id, "Статус")
    assert answer.chat.id == group.id
    assert answer.message_id == 2  # the user's message took id 1 in this chat


async def test_my_chat_member_kicked_blocks_the_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_my_chat_member(ALICE, new_status="kicked")
    [update] = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(ALICE, "hello?")


# --------------------------------------------------------------------------- faults


async def test_429_surfaces_as_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(ALICE, "x")
    assert error.value.retry_after == 7
    assert "retry after 7" in error.value.message
    await bot.send_message(ALICE, "x")
    assert [r.status for r in tg.calls("sendMessage")] == [429, 200]
    assert len(tg.messages_to(ALICE)) == 1


async def test_403_surfaces_as_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(ALICE)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "x")
    await bot.send_message(2002, "other chats still work")
    tg.unblock(ALICE)
    await bot.send_message(ALICE, "x")
    tg.fail("sendMessage", status=403, chat_id=ALICE, description="Forbidden: user is deactivated")
    await bot.send_message(2002, "not this chat")
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(ALICE, "x")


@pytest.mark.parametrize("status", [500, 502])
async def test_5xx_surfaces_as_server_error(tg: FakeTelegram, bot: Bot, status: int) -> None:
    tg.fail("sendMessage", status=status, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(ALICE, "x")
    await bot.send_message(ALICE, "x")
    assert [r.status for r in tg.calls("sendMessage")] == [status, status, 200]


async def test_dropped_connection_surfaces_as_network_error(tg: FakeTelegram, bot: Bot) -> None:
    tg.drop_connection("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(ALICE, "x")
    assert tg.calls("sendMessage")[0].dropped
    assert tg.messages_to(ALICE) == []
    await bot.send_message(ALICE, "x")
    assert len(tg.messages_to(ALICE)) == 1


async def test_delay_delivers_before_answering(tg: FakeTelegram, bot: Bot) -> None:
    tg.delay("sendMessage", 0.3, times=1)
    send = asyncio.create_task(bot.send_message(ALICE, "slow"))
    sent = await tg.wait_for_message(ALICE, "slow", timeout=0.2)
    assert not send.done()  # delivered, but the bot does not know yet
    message = await send
    assert message.message_id == sent.message_id
    started = time.monotonic()
    await bot.send_message(ALICE, "fast")
    assert time.monotonic() - started < 0.2


async def test_rate_limit_answers_429_and_counts_violations(tg: FakeTelegram, bot: Bot) -> None:
    tg.rate_limit(per_second=30, per_chat_per_second=1)
    await bot.send_message(ALICE, "1")
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(ALICE, "2")
    assert error.value.retry_after == 1
    await bot.send_message(2002, "other chat")
    assert [(v.scope, v.chat_id) for v in tg.violations] == [("chat", ALICE)]
    assert len(tg.messages_to(ALICE)) == 1


async def test_unauthorized_token(tg: FakeTelegram) -> None:
    tg.valid_token = "1:RIGHT"
    wrong = make_bot(tg.url, "1:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await close_bot(wrong)
    assert tg.requests[-1].token == "1:WRONG"
    assert tg.requests[-1].status == 401


# --------------------------------------------------------------------------- raw HTTP


async def test_raw_http_encodings_and_errors(tg: FakeTelegram) -> None:
    base = f"{tg.url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/fooBar") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{base}/sendMessage", json={"chat_id": ALICE}) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: message text is empty"
        async with http.post(f"{base}/sendMessage", data={"text": "x"}) as response:
            assert (await response.json())["description"] == "Bad Request: chat_id is empty"
        async with http.get(f"{base}/SENDMESSAGE", params={"chat_id": "7", "text": "q"}) as resp:
            assert resp.status == 200
            assert (await resp.json())["result"]["text"] == "q"
        payload = {"chat_id": ALICE, "text": "j", "reply_markup": {"remove_keyboard": True}}
        async with http.post(f"{base}/sendMessage", json=payload) as response:
            assert (await response.json())["ok"] is True
        async with http.post(f"{base}/sendMessage", data={"chat_id": "1", "text": "u"}) as resp:
            assert resp.status == 200
        async with http.get(f"{tg.url}/file/bot{TOKEN}/documents/nothing") as response:
            assert response.status == 404
    assert [r.http_method for r in tg.calls("sendMessage")] == [
        "POST",
        "POST",
        "GET",
        "POST",
        "POST",
    ]
    assert tg.calls("sendMessage")[3].params["reply_markup"] == {"remove_keyboard": True}
    assert tg.last_message(7).text == "q"


# --------------------------------------------------------------------------- files


async def test_send_document_multipart_bytes_intact(tg: FakeTelegram, bot: Bot) -> None:
    content = bytes(range(256)) * 1000 + "Дорожная карта".encode()
    message = await bot.send_document(
        ALICE,
        BufferedInputFile(content, filename="Дорожная карта.docx"),
        caption="<b>Отчёт</b> за неделю",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "Дорожная карта.docx"
    assert message.document.file_size == len(content)
    assert message.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert message.caption == "Отчёт за неделю"
    sent = tg.last_message(ALICE)
    assert sent.kind == "document"
    assert sent.file_bytes == content
    assert sent.file_name == "Дорожная карта.docx"
    [(name, data)] = tg.calls("sendDocument")[0].files.values()
    assert (name, data) == ("Дорожная карта.docx", content)
    downloaded = await bot.download(message.document.file_id)
    assert downloaded is not None
    assert downloaded.read() == content


async def test_user_document_fetched_through_get_file(tg: FakeTelegram, bot: Bot) -> None:
    content = "Приказ № 319-ОД\n".encode() * 100
    tg.add_document(ALICE, "приказ.txt", content, caption="вот приказ")
    [update] = await bot.get_updates()
    assert update.message is not None
    document = update.message.document
    assert document is not None
    assert document.file_name == "приказ.txt"
    assert document.mime_type == "text/plain"
    file = await bot.get_file(document.file_id)
    assert file.file_path is not None
    assert file.file_size == len(content)
    downloaded = await bot.download(document.file_id)
    assert downloaded is not None
    assert downloaded.read() == content
    assert tg.file_downloads == [file.file_path]
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_send_photo(tg: FakeTelegram, bot: Bot) -> None:
    png = tiny_png(400, 200)
    message = await bot.send_photo(ALICE, BufferedInputFile(png, filename="chart.png"))
    assert message.photo is not None
    assert [(p.width, p.height) for p in message.photo] == [(90, 45), (320, 160), (400, 200)]
    assert tg.last_message(ALICE).file_bytes == png
    smallest = await bot.download(message.photo[0].file_id)
    assert smallest is not None
    assert smallest.read() == png  # the fake does not resize
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ALICE, BufferedInputFile(b"not an image", filename="x.png"))


# --------------------------------------------------------------------------- commands etc.


async def test_commands_per_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand(command="start", description="Начать")]
    await bot.set_my_commands(commands, language_code="ru")
    await bot.set_my_commands(
        [BotCommand(command="status", description="Status")], scope=BotCommandScopeAllPrivateChats()
    )
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
    assert await bot.get_my_commands() == []
    private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in private] == ["status"]
    assert tg.my_commands({"type": "all_private_chats"}) == [
        {"command": "status", "description": "Status"}
    ]
    assert tg.calls("setMyCommands")[0].params["commands"] == [
        {"command": "start", "description": "Начать"}
    ]
    await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])


async def test_chat_action_close_and_log_out(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.send_chat_action(ALICE, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(ALICE, "dancing")
    assert await bot.close()
    assert await bot.log_out()


# --------------------------------------------------------------------------- waiting


async def test_wait_for_message_resolves_when_it_arrives(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(ALICE, "first")
        await bot.send_message(ALICE, "Напоминание: срок завтра")

    task = asyncio.create_task(later())
    started = time.monotonic()
    sent = await tg.wait_for_message(ALICE, "срок", timeout=2)
    assert time.monotonic() - started < 1
    assert sent.text == "Напоминание: срок завтра"
    request = await tg.wait_for_request("sendMessage", lambda r: r.params["text"] == "first")
    assert request.ok
    await task
    with pytest.raises(AssertionError) as error:
        await tg.wait_for_message(ALICE, "никогда", timeout=0.05)
    report = str(error.value)
    assert "containing 'никогда'" in report
    assert "'Напоминание: срок завтра'" in report
    assert "sendMessage" in report
    since = len(tg.messages_to(ALICE))
    with pytest.raises(AssertionError):
        await tg.wait_for_message(ALICE, "first", timeout=0.05, since=since)


async def test_stop_ends_pending_long_poll_quickly() -> None:
    fake = FakeTelegram()
    polling_bot = make_bot(await fake.start())
    try:
        poll = asyncio.create_task(polling_bot.get_updates(timeout=30))
        await fake.wait_for(lambda: fake.calls("getUpdates"), timeout=2)
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 1.5
        assert await asyncio.wait_for(poll, 1) == []
    finally:
        await close_bot(polling_bot)


# --------------------------------------------------------------------------- dispatcher


async def test_dispatcher_polling_answers_start_and_buttons(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        assert message.from_user is not None
        name = html.escape(message.from_user.first_name)
        await message.answer(
            f"Привет, <b>{name}</b>! Код: {html.escape(command.args or '-')}",
            parse_mode="HTML",
            reply_markup=keyboard(("Готово", "done")),
        )

    @dp.callback_query(F.data == "done")
    async def done(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Отмечено")
        await query.answer("ok")

    alice = tg.user(ALICE, "Alice <admin>")
    tg.add_message(alice, "/start abc")
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=5)
    )
    try:
        greeting = await tg.wait_for_message(ALICE, "Привет", timeout=5)
        assert greeting.text == "Привет, Alice <admin>! Код: abc"
        assert greeting.entities == [{"type": "bold", "offset": 8, "length": 13}]
        query_id = tg.press_button(alice, greeting, "Готово")
        await tg.wait_for(lambda: tg.callback_answered(query_id), timeout=5, what="the answer")
        assert tg.message(ALICE, greeting.message_id).text == "Отмечено"
        await tg.wait_for(lambda: not tg.pending_updates, timeout=5, what="updates confirmed")
        allowed = tg.calls("getUpdates")[0].params["allowed_updates"]
        assert sorted(allowed) == ["callback_query", "message"]
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)


# --------------------------------------------------------------------------- standalone


ROOT = Path(__file__).resolve().parents[2]


async def test_standalone_module_serves_until_sigterm() -> None:
    root = ROOT
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_telegram",
        "--port",
        "0",
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        standalone = make_bot(url)
        try:
            assert (await standalone.get_me()).username == "roadmap_test_bot"
        finally:
            await close_bot(standalone)
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


# --------------------------------------------------------------------------- properties


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text: str) -> None:
    escaped = html.escape(text, quote=False)
    if not text.strip():
        return
    plain, entities = format_text(escaped, "HTML", None)
    assert plain == text.strip()
    assert all(e["type"] not in ("bold", "italic", "code", "pre", "text_link") for e in entities)


@given(st.text(min_size=1).filter(lambda s: s == s.strip() and s.strip()), st.text())
def test_bold_entity_covers_the_utf16_length(bold: str, rest: str) -> None:
    plain, entities = format_text(f"<b>{html.escape(bold)}</b>{html.escape(rest)}", "HTML", None)
    assert plain.startswith(bold)
    [entity] = [e for e in entities if e["type"] == "bold"]
    assert (entity["offset"], entity["length"]) == (0, len(bold.encode("utf-16-le")) // 2)
