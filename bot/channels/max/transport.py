"""Saying an ``Outgoing`` on MAX: splitting, reflowing and uploading over ``MaxApi``.

``MaxTransport.send(message, user_id=… | chat_id=…)`` returns the ``mid`` of the last
message sent. Address a person by ``user_id`` while their dialog's chat id is unknown (MAX
finds the dialog; a user id is not a chat id there), else by ``chat_id``.

- **Text** is HTML (``format="html"``). Over 4000 characters it goes as several messages,
  cut at a blank line, else a line break, else a space, else anywhere outside a tag or an
  entity; places where no element is open are preferred. An element open at a cut is
  closed at the end of one part and opened again at the start of the next, so each part
  is well-formed. Lengths are counted in UTF-16 units (the stricter count; MAX does not
  say which it uses), markup included.
- **Buttons** are reflowed to MAX's limits: a row over 7 (3 when it holds a link) becomes
  several rows of even length; labels over 128 characters are cut at a word, with «…».
  Beyond 30 rows or 210 buttons the rest is dropped (whole rows, then the overflowing
  row's tail) with a logged warning; there is no «more» row. The keyboard goes with the
  last part.
- **Files**: a photo is uploaded as an image and goes in the first part with its text
  (MAX has no captions: the message's text is the caption), with the keyboard when there
  is one part. A document goes the same way without a keyboard, but with a keyboard it
  goes alone first and the text follows with the keyboard, because MAX wants a file to be
  its message's only attachment (``file_takes_keyboard=True`` when MAX allows both).
- Several messages are not atomic: when a later one fails, the earlier ones were sent,
  and sending the ``Outgoing`` again repeats them.

Failures are MaxApi's, unchanged; the sender maps them:

| MAX answer                                  | raised                  | the sender           |
|---------------------------------------------|-------------------------|----------------------|
| 429 ``too.many.requests``                   | ``RetryLater(seconds)`` | waits, then retries  |
| 5xx, timeout, broken connection             | ``RetryLater(seconds)`` | retries later        |
| 400 ``attachment.not.ready``, after resends | ``AttachmentNotReady``  | retries later        |
| 403 ``chat.denied``, 404 ``chat.not.found`` | ``Gone``                | marks it unreachable |
| any other 4xx                               | ``Refused(reason)``     | gives up, says why   |
| 401 ``verify.token``                        | ``AuthLost``            | stops the channel    |

A message MAX could never take (a button's data over 1024 characters, a link that is not
http(s), an edit putting a document and a keyboard in one message) is a ``ValueError``
before anything is sent.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.channels.max.api import MaxApi, Uploaded, UploadKind
from bot.channels.max.keyboard import Button as MaxButton
from bot.channels.max.keyboard import CallbackButton, LinkButton
from bot.channels.max.keyboard import Keyboard as MaxKeyboard
from bot.domain.channels import MAX
from bot.messages import MAX_LIMITS, Attachment, Button, ChannelLimits, Keyboard, Outgoing

log = logging.getLogger(__name__)

ELLIPSIS = "…"
_VOID_TAGS = frozenset({"br", "hr", "img"})
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")


class MaxTransport:
    """Sends ``Outgoing`` messages over one ``MaxApi``."""

    channel = MAX

    def __init__(
        self,
        api: MaxApi,
        *,
        limits: ChannelLimits = MAX_LIMITS,
        file_takes_keyboard: bool = False,
    ) -> None:
        self.api = api
        self.limits = limits
        self.file_takes_keyboard = file_takes_keyboard

    async def send(
        self,
        message: Outgoing,
        *,
        user_id: int | None = None,
        chat_id: int | None = None,
        notify: bool = True,
    ) -> str:
        """Send to a person's dialog (``user_id``) or a chat (``chat_id``); the last mid."""
        if (user_id is None) == (chat_id is None):
            raise ValueError("give exactly one of user_id and chat_id")
        markup = self.keyboard(message.buttons)
        parts = split_html(message.text, self.limits.text_limit) if message.text else []
        uploaded = await self._upload(message.attachment)
        plan: list[tuple[str | None, MaxKeyboard | None, list[Uploaded]]] = []
        first = [uploaded] if uploaded is not None else []
        file_alone = not self.file_takes_keyboard and markup is not None
        if file_alone and uploaded is not None and uploaded.kind == "file":
            plan.append((None, None, first))  # a file must be its message's only attachment
            first = []
        if not parts:
            plan.append((None, markup, first))
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            plan.append((part, markup if last else None, first if number == 0 else []))
        mid = ""
        for text, keys, files in plan:
            mid = await self.api.send_message(
                user_id=user_id,
                chat_id=chat_id,
                text=text,
                format="html" if text is not None else None,
                keyboard=keys,
                attachments=files,
                notify=notify,
            )
        return mid

    async def edit(self, mid: str, message: Outgoing) -> None:
        """Make message ``mid`` say ``message``: its text, its keyboard (none removes the
        old one) and its attachment (none removes the old one). A text over the limit is
        cut, with a warning: a message cannot become two."""
        text, markup, files = await self._replacement(message)
        await self.api.edit_message(
            mid, text=text, format="html", keyboard=markup, attachments=files
        )

    async def answer(
        self, callback_id: str, notification: str | None = None, replace: Outgoing | None = None
    ) -> None:
        """Answer a button press: a short ``notification`` and/or ``replace`` the message
        that carried the button (as ``edit``). MAX takes no empty answer, so with neither
        nothing is sent."""
        if notification is None and replace is None:
            return
        if replace is None:
            await self.api.answer_callback(callback_id, notification=notification)
            return
        text, markup, files = await self._replacement(replace)
        await self.api.answer_callback(
            callback_id,
            notification=notification,
            text=text,
            format="html",
            keyboard=markup,
            attachments=files,
        )

    def keyboard(self, rows: Keyboard) -> MaxKeyboard | None:
        """The keyboard reflowed to the limits (see the module); None for no buttons."""
        return reflow(rows, self.limits)

    async def _replacement(
        self, message: Outgoing
    ) -> tuple[str, MaxKeyboard | None, list[Uploaded]]:
        markup = self.keyboard(message.buttons)
        if (
            message.attachment is not None
            and message.attachment.kind == "document"
            and markup is not None
            and not self.file_takes_keyboard
        ):
            raise ValueError("MAX shows no document and keyboard in one message")
        text = message.text
        if text:
            parts = split_html(text, self.limits.text_limit - 2)
            if len(parts) > 1:
                log.warning(
                    "MAX: a replacing text of %d characters is cut to %d",
                    len(text),
                    len(parts[0]),
                )
                text = parts[0] + "\n" + ELLIPSIS
        uploaded = await self._upload(message.attachment)
        return text, markup, [uploaded] if uploaded is not None else []

    async def _upload(self, attachment: Attachment | None) -> Uploaded | None:
        if attachment is None:
            return None
        kind: UploadKind = "image" if attachment.kind == "photo" else "file"
        return await self.api.upload(kind, attachment.filename, attachment.content)


# --------------------------------------------------------------------------- buttons


def reflow(rows: Keyboard, limits: ChannelLimits = MAX_LIMITS) -> MaxKeyboard | None:
    """A neutral keyboard as MAX's, within ``limits`` (see the module); None when empty."""
    reflowed: list[tuple[MaxButton, ...]] = []
    for row in rows:
        buttons = [_max_button(b, limits.button_text) for b in row]
        width = limits.link_per_row if any(b.url is not None for b in row) else limits.per_row
        reflowed.extend(_even_rows(buttons, width))
    kept: list[tuple[MaxButton, ...]] = []
    room = limits.buttons
    for line in reflowed[: limits.rows]:
        if room <= 0:
            break
        kept.append(line[:room])
        room -= len(kept[-1])
    total = sum(len(row) for row in reflowed)
    shown = sum(len(row) for row in kept)
    if shown < total:
        log.warning(
            "MAX: a keyboard of %d buttons in %d rows is cut to %d in %d rows",
            total,
            len(reflowed),
            shown,
            len(kept),
        )
    return MaxKeyboard(tuple(kept)) if kept else None


def _even_rows(buttons: Sequence[MaxButton], width: int) -> list[tuple[MaxButton, ...]]:
    """``buttons`` in as few rows of at most ``width`` as can be, of even lengths (the first
    rows one longer): 9 by 7 gives 5 + 4, not 7 + 2."""
    count = math.ceil(len(buttons) / width)
    if count <= 1:
        return [tuple(buttons)]
    base, extra = divmod(len(buttons), count)
    rows: list[tuple[MaxButton, ...]] = []
    start = 0
    for number in range(count):
        size = base + (1 if number < extra else 0)
        rows.append(tuple(buttons[start : start + size]))
        start += size
    return rows


def _max_button(button: Button, text_limit: int | None) -> MaxButton:
    text = button.text if text_limit is None else cut_label(button.text, text_limit)
    if button.url is not None:
        return LinkButton(text, button.url)
    assert button.data is not None  # Button guarantees one of the two
    return CallbackButton(text, button.data)


def cut_label(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: cut at the last space that leaves room for «…»
    (anywhere when the label has no space in reach)."""
    if len(text) <= limit:
        return text
    room = text[: limit - len(ELLIPSIS)]
    space = room.rstrip().rfind(" ")
    if space > 0:
        room = room[:space]
    return room.rstrip() + ELLIPSIS


# --------------------------------------------------------------------------- text


@dataclass(frozen=True, slots=True)
class _Open:
    name: str
    tag: str  # the opening tag as written, to open it again


def split_html(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units each (see the module).

    Cuts at a blank line, else a line break, else a space, else anywhere outside a tag or
    an entity; among those the last that fits, preferring one where no element is open,
    and any of them that leaves the part half full to a better one that does not.
    Elements open at a cut are closed there and opened again in the next part. The
    whitespace at a cut is dropped. ValueError when an element's tags alone leave no room.
    """
    if _units(text) <= limit:
        return [text]
    safe, stacks = _scan(text)
    units = [0]
    for char in text:
        units.append(units[-1] + _units(char))
    parts: list[str] = []
    start = _skip_space(text, 0, safe)
    prefix = ""
    while start < len(text):
        if units[len(text)] - units[start] + _units(prefix) <= limit:
            parts.append(prefix + text[start:])
            break
        cut = _best_cut(text, start, limit - _units(prefix), safe, stacks, units)
        if cut is None:
            raise ValueError(f"no room to split the text at {limit} units (tags too long)")
        end = _trim_end(text, start, cut, safe)
        parts.append(prefix + text[start:end] + _closers(stacks[cut]))
        prefix = "".join(item.tag for item in stacks[cut])
        start = _skip_space(text, cut, safe)
    return parts


def _best_cut(
    text: str,
    start: int,
    room: int,
    safe: list[bool],
    stacks: list[tuple[_Open, ...]],
    units: list[int],
) -> int | None:
    """The position to cut at: the best tier's furthest place where the part fits, if it
    leaves the part at least half full; else the same without that wish."""

    def fits(position: int) -> bool:
        end = _trim_end(text, start, position, safe)
        used = units[end] - units[start] + _units(_closers(stacks[position]))
        return end > start and used <= room

    candidates: list[list[int]] = [[], [], [], [], [], []]
    # 0/1: blank line / line break with nothing open; 2/3: the same inside an element;
    # 4: a space; 5: any safe place.
    position = start + 1
    while position < len(text) and units[position] - units[start] <= room:
        if safe[position]:
            before = text[position - 1]
            open_ = bool(stacks[position])
            if before == "\n" and text[position] != "\n":
                blank = position >= 2 and text[position - 2] == "\n"
                candidates[(2 if open_ else 0) + (0 if blank else 1)].append(position)
            elif before == " " and text[position] != " ":
                candidates[4].append(position)
            candidates[5].append(position)
        position += 1
    half = room // 2  # a tier wins only if its cut fills half the room; else any fit
    for least in (half, 0):
        for tier in candidates:
            for found in reversed(tier):
                if units[found] - units[start] >= least and fits(found):
                    return found
    return None


def _scan(text: str) -> tuple[list[bool], list[tuple[_Open, ...]]]:
    """For every position of ``text`` (0…len): whether a cut may fall there (not inside a
    tag or an entity) and the elements open there."""
    safe = [True] * (len(text) + 1)
    stacks: list[tuple[_Open, ...]] = [()] * (len(text) + 1)
    stack: tuple[_Open, ...] = ()
    position = 0
    while position < len(text):
        stacks[position] = stack
        char = text[position]
        if char == "<":
            match = _TAG.match(text, position)
            if match is not None:
                end = match.end()
                for inside in range(position + 1, end):
                    safe[inside] = False
                    stacks[inside] = stack
                name = match.group(2).lower()
                if match.group(1):
                    stack = _close(stack, name)
                elif not match.group(3) and name not in _VOID_TAGS:
                    stack = (*stack, _Open(name, match.group(0)))
                position = end
                continue
        elif char == "&":
            semicolon = text.find(";", position, position + 12)
            if semicolon > 0 and re.fullmatch(r"&#?\w+", text[position:semicolon]):
                for inside in range(position + 1, semicolon + 1):
                    safe[inside] = False
                    stacks[inside] = stack
                position = semicolon + 1
                continue
        position += 1
    stacks[len(text)] = stack
    return safe, stacks


def _close(stack: tuple[_Open, ...], name: str) -> tuple[_Open, ...]:
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth].name == name:
            return stack[:depth]
    return stack  # a stray closing tag: nothing to close


def _closers(stack: tuple[_Open, ...]) -> str:
    return "".join(f"</{item.name}>" for item in reversed(stack))


def _trim_end(text: str, start: int, end: int, safe: list[bool]) -> int:
    while end > start and text[end - 1] in " \n" and safe[end - 1]:
        end -= 1
    return end


def _skip_space(text: str, position: int, safe: list[bool]) -> int:
    while position < len(text) and text[position] in " \n" and safe[position]:
        position += 1
    return position


def _units(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2
