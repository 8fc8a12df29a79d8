"""bot/messages.py: the channel-neutral outgoing message, its keyboard JSON and the limits."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import pytest

from bot.channels.max import keyboard as max_keyboard
from bot.messages import (
    MAX_LIMITS,
    TELEGRAM_LIMITS,
    Attachment,
    Button,
    Outgoing,
    from_json,
    keyboard,
    to_json,
)

ROWS = keyboard(
    [
        [Button("✅ Готово", data="t:done:7"), Button("Открыть", data="t:open:7")],
        [Button("План «2026»", url="https://example.org/plan?a=1&b=2")],
    ]
)


def test_json_round_trip_is_compact_and_readable() -> None:
    text = to_json(ROWS)
    assert from_json(text) == ROWS
    assert json.loads(text) == [
        [{"text": "✅ Готово", "data": "t:done:7"}, {"text": "Открыть", "data": "t:open:7"}],
        [{"text": "План «2026»", "url": "https://example.org/plan?a=1&b=2"}],
    ]
    assert "Готово" in text  # not \u-escaped
    assert to_json(()) == "[]"
    assert from_json("[]") == ()


def test_from_json_reads_telegram_markup() -> None:
    markup = {
        "inline_keyboard": [
            [
                {"text": "✅ Готово", "callback_data": "t:done:7"},
                {"text": "Открыть", "callback_data": "t:open:7"},
            ],
            [{"text": "План «2026»", "url": "https://example.org/plan?a=1&b=2"}],
        ]
    }
    assert from_json(json.dumps(markup)) == ROWS


@pytest.mark.parametrize(
    "text",
    [
        '{"rows": []}',
        "[{}]",
        '[["button"]]',
        '[[{"text": "x"}]]',
        '[[{"text": "x", "data": "a", "url": "https://x.ru"}]]',
        '[[{"text": 1, "data": "a"}]]',
        '{"inline_keyboard": [[{"text": "x", "switch_inline_query": ""}]]}',
    ],
)
def test_from_json_refuses_what_is_not_a_keyboard(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        from_json(text)


def test_button_needs_exactly_one_of_data_and_url() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Button("x")
    with pytest.raises(ValueError, match="exactly one"):
        Button("x", data="a", url="https://x.ru")
    with pytest.raises(ValueError, match="empty"):
        Button("x", data="")
    with pytest.raises(ValueError, match="text"):
        Button("", data="a")


def test_outgoing_validates_and_is_frozen() -> None:
    message = Outgoing("<b>Привет</b>", buttons=ROWS)
    assert message.attachment is None
    with pytest.raises(FrozenInstanceError):
        message.text = "x"  # type: ignore[misc]
    assert not hasattr(message, "__dict__")  # slots
    assert hash(message) == hash(Outgoing("<b>Привет</b>", buttons=ROWS))

    rows_as_lists = [[Button("a", data="1")]]
    assert Outgoing("x", buttons=rows_as_lists).buttons == ((Button("a", data="1"),),)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="row 2"):
        Outgoing("x", buttons=((Button("a", data="1"),), ()))
    with pytest.raises(TypeError, match="not a Button"):
        Outgoing("x", buttons=(("a",),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="text or an attachment"):
        Outgoing("")
    picture = Attachment("photo", "chart.png", b"\x89PNG")
    assert Outgoing("", attachment=picture).attachment == picture
    assert "4 bytes" in repr(picture)


def test_attachment_kinds() -> None:
    assert Attachment("document", "отчёт.xlsx", b"PK").kind == "document"
    with pytest.raises(ValueError, match="photo or a document"):
        Attachment("video", "a.mp4", b"")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="file name"):
        Attachment("photo", "", b"")


def test_channel_limits() -> None:
    assert (TELEGRAM_LIMITS.per_second, TELEGRAM_LIMITS.per_chat_per_second) == (30, 1)
    assert TELEGRAM_LIMITS.per_group_per_minute == 20
    assert (TELEGRAM_LIMITS.text_limit, TELEGRAM_LIMITS.caption_limit) == (4096, 1024)
    assert (TELEGRAM_LIMITS.buttons, TELEGRAM_LIMITS.per_row) == (100, 8)
    assert (MAX_LIMITS.per_second, MAX_LIMITS.per_chat_per_second) == (30, 2)
    assert MAX_LIMITS.text_limit == MAX_LIMITS.caption_limit == 4000
    # The wire client checks the same numbers the transport reflows to.
    assert MAX_LIMITS.buttons == max_keyboard.MAX_BUTTONS
    assert MAX_LIMITS.rows == max_keyboard.MAX_ROWS
    assert MAX_LIMITS.per_row == max_keyboard.MAX_ROW_BUTTONS
    assert MAX_LIMITS.link_per_row == max_keyboard.MAX_LINK_ROW_BUTTONS
    assert MAX_LIMITS.button_text == max_keyboard.MAX_TEXT
    with pytest.raises(FrozenInstanceError):
        MAX_LIMITS.per_second = 1  # type: ignore[misc]
