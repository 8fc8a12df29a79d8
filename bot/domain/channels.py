"""The messengers the bot speaks in, and what the core knows of them: names, addresses and the
keys that make an event handled once. Nothing here knows a messenger's library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

TELEGRAM: Final = "telegram"
MAX: Final = "max"
CHANNELS: Final = (TELEGRAM, MAX)
# Where a person's private chat is their user id (elsewhere it has an id of its own).
PRIVATE_CHAT_IS_USER: Final = frozenset({TELEGRAM})


@dataclass(frozen=True, slots=True)
class EventKey:
    """An incoming event as its channel names it, to handle a redelivery once: Telegram's
    update id; MAX's message id (`mid`) or callback id (it has no update ids)."""

    channel: str
    key: str

    @classmethod
    def telegram(cls, update_id: int) -> EventKey:
        return cls(TELEGRAM, str(update_id))

    def __str__(self) -> str:
        return f"{self.channel}:{self.key}"


AddressKind: TypeAlias = Literal["chat", "user"]


@dataclass(frozen=True, slots=True)
class Address:
    """A chat in a channel: a person's private chat there, or a group. `kind` says what the
    number is: "chat", a chat id; "user", a person's user id where that is not a chat id (a
    MAX user whose dialog's chat id the bot does not know yet: MAX finds the dialog from the
    user id). A Telegram user id is their private chat's id, so Telegram's are all chats."""

    channel: str
    chat_id: int
    kind: AddressKind = "chat"


@dataclass(frozen=True, slots=True)
class Identity:
    """How a person is known in a channel: their user id there (as a string, whatever the
    channel's ids look like), and their private chat when it is not the user id (a MAX dialog
    has its own chat id)."""

    channel: str
    external_id: str
    chat_id: int | None = None

    @property
    def address(self) -> Address:
        """Their private chat: the dialog when known, else the user id (Telegram's private
        chat is the user id; MAX sends to a user by `user_id=`)."""
        if self.chat_id is not None:
            return Address(self.channel, self.chat_id)
        kind: AddressKind = "chat" if self.channel in PRIVATE_CHAT_IS_USER else "user"
        return Address(self.channel, int(self.external_id), kind)


def channel_user(value: object) -> tuple[str, str]:
    """A user named in the settings (ADMIN_IDS): `123` is a Telegram user id, `max:456` a MAX
    one (`telegram:123` too). ValueError when it is neither."""
    if isinstance(value, tuple) and len(value) == 2:  # as read already: (channel, user id)
        value = f"{value[0]}:{value[1]}"
    text = str(value).strip()
    channel, _, user_id = text.rpartition(":")
    channel = channel.strip().lower() or TELEGRAM
    user_id = user_id.strip()
    if channel not in CHANNELS or not user_id.isdigit():
        raise ValueError(text)
    return channel, str(int(user_id))
