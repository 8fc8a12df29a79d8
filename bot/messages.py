"""What the bot says, in no messenger's vocabulary: the outgoing message and its buttons.

``Outgoing(text, buttons, attachment)`` is one thing to say. ``text`` is HTML in the subset
both Telegram and MAX accept: ``b``, ``i``, ``u``, ``s``, ``a href``, ``code``, ``pre``,
with ``&lt;``, ``&gt;`` and ``&amp;`` escaped. ``buttons`` is a Telegram-shaped keyboard
(rows of ``Button``); a channel's transport reflows it to its own limits (``ChannelLimits``).
An ``attachment`` (a photo or a document) goes with the text as its caption.

``to_json``/``from_json`` keep a keyboard as text (for the outbox), as
``[[{"text": …, "data": …} | {"text": …, "url": …}, …], …]``.
``from_json`` also reads Telegram's ``{"inline_keyboard": …}`` markup JSON, which rows
written before the bot became channel-neutral still hold.

Nothing here imports aiogram or maxapi.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: ``data`` comes back to the bot when pressed, or ``url`` is opened.
    Exactly one of them is given."""

    text: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("a button needs a text")
        if (self.data is None) == (self.url is None):
            raise ValueError(f"button {self.text!r}: give exactly one of data and url")
        if self.data == "" or self.url == "":
            raise ValueError(f"button {self.text!r}: data and url may not be empty")


Keyboard: TypeAlias = tuple[tuple[Button, ...], ...]
"""Rows of buttons, top to bottom; () for none."""

AttachmentKind = Literal["photo", "document"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A picture shown inline (``photo``) or a file to download (``document``)."""

    kind: AttachmentKind
    filename: str
    content: bytes

    def __post_init__(self) -> None:
        if self.kind not in ("photo", "document"):
            raise ValueError(f"an attachment is a photo or a document, not {self.kind!r}")
        if not self.filename:
            raise ValueError("an attachment needs a file name")

    def __repr__(self) -> str:  # not the bytes
        return f"Attachment({self.kind!r}, {self.filename!r}, <{len(self.content)} bytes>)"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One thing to say: HTML ``text`` (see the module), ``buttons`` under it and maybe an
    ``attachment`` whose caption the text is. Rows given as lists become tuples. A message
    needs a text or an attachment; no row may be empty."""

    text: str
    buttons: Keyboard = ()
    attachment: Attachment | None = None

    def __post_init__(self) -> None:
        rows = tuple(tuple(row) for row in self.buttons)
        for number, row in enumerate(rows, start=1):
            if not row:
                raise ValueError(f"row {number} of the keyboard is empty")
            for button in row:
                if not isinstance(button, Button):
                    raise TypeError(f"row {number} holds {button!r}, not a Button")
        object.__setattr__(self, "buttons", rows)
        if not self.text and self.attachment is None:
            raise ValueError("a message needs a text or an attachment")


def keyboard(rows: Iterable[Iterable[Button]]) -> Keyboard:
    """Rows as a ``Keyboard`` (tuples)."""
    return tuple(tuple(row) for row in rows)


def to_json(buttons: Keyboard) -> str:
    """The keyboard as compact JSON: rows of ``{"text", "data"}`` / ``{"text", "url"}``."""
    rows = [
        [
            {"text": b.text, "data": b.data}
            if b.data is not None
            else {"text": b.text, "url": b.url}
            for b in row
        ]
        for row in buttons
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> Keyboard:
    """The keyboard ``to_json`` wrote, or one from Telegram's ``{"inline_keyboard": …}``
    markup (``callback_data`` → ``data``); ValueError for anything else, including Telegram
    buttons of other kinds (``switch_inline_query``, …)."""
    parsed: Any = json.loads(text)
    if isinstance(parsed, dict) and "inline_keyboard" in parsed:
        parsed = parsed["inline_keyboard"]
    if not isinstance(parsed, list) or not all(isinstance(row, list) for row in parsed):
        raise ValueError("a keyboard is a list of rows of buttons")
    return tuple(tuple(_button(item) for item in row) for row in parsed)


def _button(item: Any) -> Button:
    if not isinstance(item, dict):
        raise ValueError(f"not a button: {item!r}")
    text = item.get("text")
    data = item.get("data", item.get("callback_data"))
    url = item.get("url")
    if (
        not isinstance(text, str)
        or not isinstance(data, str | None)
        or not isinstance(url, str | None)
    ):
        raise ValueError(f"not a button: {item!r}")
    return Button(text, data=data, url=url)


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """What a messenger allows, for the sender's pacing and a transport's reflowing.

    ``per_second``: messages a second over all chats; ``per_chat_per_second``: to one chat;
    ``per_group_per_minute``: to one group chat (a tighter rule where the channel has one).
    ``text_limit`` / ``caption_limit``: characters of a message / of a file's caption.
    ``buttons`` / ``rows`` / ``per_row``: a keyboard's size; ``link_per_row``: buttons in a
    row that holds a link; ``button_text``: characters of a button's label (None: no
    documented limit). Not yet used by the sender.
    """

    per_second: float
    per_chat_per_second: float
    per_group_per_minute: float
    text_limit: int
    caption_limit: int
    buttons: int
    rows: int
    per_row: int
    link_per_row: int
    button_text: int | None


TELEGRAM_LIMITS = ChannelLimits(
    per_second=30,
    per_chat_per_second=1,
    per_group_per_minute=20,
    text_limit=4096,
    caption_limit=1024,
    buttons=100,
    rows=100,  # no rule of its own: 100 buttons at most, one a row
    per_row=8,
    link_per_row=8,
    button_text=None,
)
"""Telegram's Bot API FAQ: about 30 messages a second overall, 1 a second to a chat and 20 a
minute to a group; 4096 characters of text, 1024 of a caption; 100 buttons, 8 a row."""

MAX_LIMITS = ChannelLimits(
    per_second=30,
    per_chat_per_second=2,
    per_group_per_minute=120,  # the same 2 a second; MAX has no group rule of its own
    text_limit=4000,
    caption_limit=4000,  # no captions: a file's words are its message's text
    buttons=210,
    rows=30,
    per_row=7,
    link_per_row=3,
    button_text=128,
)
"""MAX (dev.max.ru): 30 requests a second, 2 messages a second to a chat; 4000 characters of
text; 210 buttons in 30 rows of 7, 3 in a row with a link; labels of 1-128 characters."""
