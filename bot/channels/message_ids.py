"""Message ids that are strings (MAX's `mid`) as the integers aiogram's types want.

The bot's handlers speak aiogram, whose `Message.message_id` is an int; MAX names a message
by a string such as ``mid.ffffbdb48e6c3775019d496b34394b84``. The string is carried inside
the integer, reversibly and without any table: its UTF-8 bytes after a 0x01 byte, read as a
big-endian number. Nothing is stored, so a message sent before a restart is edited after it
as well, and the same message always gets the same number.

Such numbers are at least 2**64 (a string of 8 bytes or more), while Telegram's message ids
fit in 63 bits, so the two never meet: `ref_of` answers None for a Telegram id.
"""

from __future__ import annotations

_TAG = b"\x01"
SMALLEST = 1 << 64  # Telegram's ids are below; a carried string of 8 bytes or more is above


def int_of(ref: str) -> int:
    """The integer that carries the string message id `ref`."""
    if not ref:
        raise ValueError("an empty message id")
    number = int.from_bytes(_TAG + ref.encode("utf-8"), "big")
    if number < SMALLEST:  # a short id: padded on the left so it cannot pass for Telegram's
        number = int.from_bytes(_TAG + b"\x00" * 8 + ref.encode("utf-8"), "big")
    return number


def ref_of(number: int) -> str | None:
    """The string message id `number` carries; None for an ordinary (Telegram) message id."""
    if number < SMALLEST:
        return None
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    if not raw.startswith(_TAG):
        return None
    body = raw[len(_TAG) :]
    if len(body) > 8 and body[:8] == b"\x00" * 8:
        body = body[8:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
