"""MAX's updates as the Telegram-shaped updates the bot's handlers read (aiogram's `Update`).

The handlers are written once, for aiogram; MAX's front end only translates. What becomes
what:

| MAX update                         | aiogram update                                          |
|------------------------------------|---------------------------------------------------------|
| ``bot_started`` (deep-link payload)| a Message ``/start <payload>`` (``/start`` without one)  |
| ``message_created``                | a Message: its text, or a file as ``document``          |
| ``message_callback``               | a CallbackQuery: ``data`` = payload, ``id`` = callback id|
| ``bot_stopped``                    | nothing: the dialog is marked unreachable (``stopped``) |
| anything else                      | nothing (logged at debug level)                         |

- The **chat** is where the message was written: a dialog is a ``private`` chat whose id is
  the dialog's ``chat_id`` (not the user's id: MAX's differ); a group chat is a ``group``.
  ``from`` is the MAX user, with ``user_locale`` as the language.
- **Message ids** are MAX's ``mid`` strings carried in integers (bot/channels/message_ids.py),
  so a handler editing the message a button was pressed on names it back to MAX unchanged.
- A **file** becomes ``document`` whose ``file_id`` is the file's direct URL (the session's
  getFile gives it back as the path to download); the text sent with it is its caption.
- A **reply** carries the replied message (``reply_to_message``) with its sender and
  keyboard, as Telegram does; ``from.is_bot`` is true when the bot wrote it.
- Every event gets the key the ledger knows it by (``EventKey("max", …)``): the ``mid`` of a
  message, the ``callback_id`` of a press; ``bot_started``/``bot_stopped`` have neither and
  are known by their kind, chat, user and timestamp. Keys over 64 characters are hashed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from maxapi.types.message import LinkedMessage, Message, Recipient
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.bot_stopped import BotStopped
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated
from maxapi.types.users import User

from bot.channels.max.updates import MaxUpdate
from bot.channels.message_ids import int_of
from bot.domain.channels import MAX, EventKey

log = logging.getLogger(__name__)

JSON = dict[str, Any]
KEY_LIMIT = 64  # processed_events.event_key


@dataclass(frozen=True, slots=True)
class Press:
    """A button press being handled: its callback id and the message it was pressed on."""

    callback_id: str
    mid: str | None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One MAX update, translated. ``update`` is the aiogram Update as JSON (None: nothing
    for the dispatcher); ``order`` is what keeps events in order (the chat, else the user);
    ``press`` the button press it is; ``stopped`` the dialog that stopped the bot."""

    key: EventKey
    order: int
    update: JSON | None = None
    press: Press | None = None
    stopped: int | None = None


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """The bot as MAX knows it: its user id and name (the sender of its own messages)."""

    user_id: int
    name: str

    def as_user(self) -> JSON:
        return {"id": self.user_id, "is_bot": True, "first_name": self.name or "bot"}


def event_key(key: str) -> EventKey:
    """MAX's key for the ledger, hashed when longer than the ledger keeps."""
    if len(key) > KEY_LIMIT:
        key = "h:" + hashlib.sha256(key.encode()).hexdigest()[: KEY_LIMIT - 2]
    return EventKey(MAX, key)


def translate(update: MaxUpdate, bot: BotIdentity, update_id: int) -> Inbound | None:
    """The aiogram form of one MAX update (see the module); None when there is nothing to do."""
    if isinstance(update, MessageCreated):
        return _message_created(update, bot, update_id)
    if isinstance(update, MessageCallback):
        return _callback(update, bot, update_id)
    if isinstance(update, BotStarted):
        return _bot_started(update, update_id)
    if isinstance(update, BotStopped):
        key = event_key(f"stopped:{update.chat_id}:{update.user.user_id}:{update.timestamp}")
        return Inbound(key, update.chat_id, stopped=update.chat_id)
    log.debug("MAX update %s: nothing to do", type(update).__name__)
    return None


def _message_created(update: MessageCreated, bot: BotIdentity, update_id: int) -> Inbound | None:
    message = update.message
    if message.body is None or message.sender is None:
        return None
    if message.sender.is_bot or message.sender.user_id == bot.user_id:
        return None  # the bot's own message, echoed
    translated = _message(message, bot, update.user_locale)
    if translated is None:
        return None
    order = int(translated["chat"]["id"])
    key = event_key(message.body.mid)
    return Inbound(key, order, {"update_id": update_id, "message": translated})


def _callback(update: MessageCallback, bot: BotIdentity, update_id: int) -> Inbound:
    callback = update.callback
    query: JSON = {
        "id": callback.callback_id,
        "from": _user(callback.user, update.user_locale),
        "chat_instance": "max",
        "data": callback.payload or "",
    }
    order = callback.user.user_id
    mid: str | None = None
    message = update.message
    if message is not None and message.body is not None:
        chat = _chat(message.recipient, callback.user)
        if chat is not None:
            mid = message.body.mid
            sender = message.sender
            pressed: JSON = {
                "message_id": int_of(mid),
                "date": _seconds(message.timestamp),
                "chat": chat,
                "from": _user(sender, None, bot) if sender is not None else bot.as_user(),
            }
            pressed.update(_content(message.body.text, _attachments(message.body.attachments)))
            query["message"] = pressed
            order = int(chat["id"])
            query["chat_instance"] = str(chat["id"])
    key = event_key(callback.callback_id)
    return Inbound(
        key,
        order,
        {"update_id": update_id, "callback_query": query},
        press=Press(callback.callback_id, mid),
    )


def _bot_started(update: BotStarted, update_id: int) -> Inbound:
    key = event_key(f"started:{update.chat_id}:{update.user.user_id}:{update.timestamp}")
    text = "/start" + (f" {update.payload}" if update.payload else "")
    message: JSON = {
        "message_id": int_of(key.key),
        "date": _seconds(update.timestamp),
        "chat": {"id": update.chat_id, "type": "private", "first_name": update.user.first_name},
        "from": _user(update.user, update.user_locale),
        "text": text,
    }
    return Inbound(key, update.chat_id, {"update_id": update_id, "message": message})


def _message(message: Message, bot: BotIdentity, locale: str | None) -> JSON | None:
    assert message.body is not None
    assert message.sender is not None
    chat = _chat(message.recipient, message.sender)
    if chat is None:
        return None
    translated: JSON = {
        "message_id": int_of(message.body.mid),
        "date": _seconds(message.timestamp),
        "chat": chat,
        "from": _user(message.sender, locale, bot),
    }
    translated.update(_content(message.body.text, _attachments(message.body.attachments)))
    if message.link is not None and _value(message.link.type) == "reply":
        translated["reply_to_message"] = _replied(message.link, chat, message.timestamp, bot)
    return translated


def _replied(link: LinkedMessage, chat: JSON, timestamp: int, bot: BotIdentity) -> JSON:
    replied: JSON = {
        "message_id": int_of(link.message.mid),
        "date": _seconds(timestamp),
        "chat": chat,
    }
    if link.sender is not None:
        replied["from"] = _user(link.sender, None, bot)
    replied.update(_content(link.message.text, _attachments(link.message.attachments)))
    return replied


def _content(text: str | None, attachments: list[JSON]) -> JSON:
    """Text, document and keyboard of a message, as Telegram has them."""
    content: JSON = {}
    document = next((a for a in attachments if a.get("type") == "file"), None)
    if document is not None:
        payload = document.get("payload") or {}
        url = payload.get("url")
        if isinstance(url, str) and url:
            content["document"] = {
                "file_id": url,
                "file_unique_id": str(payload.get("token") or url)[:64],
                "file_name": document.get("filename"),
                "file_size": document.get("size"),
            }
    if text:
        content["caption" if "document" in content else "text"] = text
    keyboard = _keyboard(attachments)
    if keyboard:
        content["reply_markup"] = {"inline_keyboard": keyboard}
    return content


def _keyboard(attachments: list[JSON]) -> list[list[JSON]]:
    """An inline keyboard attachment as Telegram's rows (callback and link buttons only)."""
    for attachment in attachments:
        if attachment.get("type") != "inline_keyboard":
            continue
        rows: list[list[JSON]] = []
        for row in (attachment.get("payload") or {}).get("buttons") or []:
            buttons: list[JSON] = []
            for button in row:
                text = button.get("text")
                if not isinstance(text, str) or not text:
                    continue
                if button.get("type") == "callback" and isinstance(button.get("payload"), str):
                    buttons.append({"text": text, "callback_data": button["payload"]})
                elif button.get("type") == "link" and isinstance(button.get("url"), str):
                    buttons.append({"text": text, "url": button["url"]})
            if buttons:
                rows.append(buttons)
        return rows
    return []


def _attachments(attachments: list[Any] | None) -> list[JSON]:
    found: list[JSON] = []
    for attachment in attachments or []:
        dumped = attachment.model_dump(mode="json", by_alias=True, exclude={"bot"})
        if isinstance(dumped, dict):
            found.append(dumped)
    return found


def _chat(recipient: Recipient, user: User) -> JSON | None:
    if recipient.chat_id is None:
        return None
    kind = _value(recipient.chat_type)
    if kind == "dialog":
        return {"id": recipient.chat_id, "type": "private", "first_name": user.first_name}
    if kind == "channel":
        return {"id": recipient.chat_id, "type": "channel"}
    return {"id": recipient.chat_id, "type": "group", "title": None}


def _user(user: User, locale: str | None, bot: BotIdentity | None = None) -> JSON:
    is_bot = user.is_bot or (bot is not None and user.user_id == bot.user_id)
    found: JSON = {"id": user.user_id, "is_bot": is_bot, "first_name": user.first_name or "—"}
    if user.last_name:
        found["last_name"] = user.last_name
    if user.username:
        found["username"] = user.username
    if locale:
        found["language_code"] = locale
    return found


def _value(enum: object) -> str:
    return str(getattr(enum, "value", enum))


def _seconds(milliseconds: int) -> int:
    return milliseconds // 1000
