"""What the sender needs of a messenger: a `Transport` says an `Outgoing` in one chat and tells
how it went in words every messenger shares.

A transport's `send(address, message)` returns the messenger's id of the message (the last
one, when it had to be split), or raises one of the errors below; anything else it raises
is a bug, and the sender fails the row with it. The sender decides what each error means
for the row (bot/delivery/sender.py):

* `RetryAfter(seconds)`: the messenger asks us to slow down (429). The same message goes
  again after the pause; not a failed try.
* `Transient(reason)`: the messenger stumbled (5xx, a timeout, a broken connection, an answer
  we could not read). Tried again later, with a backoff, while the row's round lasts.
* `Unreachable(reason)`: the chat is out of reach for good (blocked, kicked, no dialog). The
  row fails, the chat is remembered as unreachable and its other rows are cancelled.
* `Refused(reason)`: the messenger refused this message as made (400 and the like). The row
  fails; sending it unchanged again would not help.
* `AuthLost(reason)`: the bot's token is not accepted. Nothing is the message's fault: the
  row goes back untried and that channel's sending stops until restarted.

An `Address` is (channel, chat id, kind): "chat" for a chat the messenger knows by that id, a
private one or a group; "user" for a person known only by their user id (MAX, while their
dialog's chat id is unknown: identities.chat_id is NULL). The outbox keeps (channel, chat id);
the sender reads the kind from the identities when it claims rows (`OutboxStore.user_chats`).

Nothing here imports a messenger's library.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.channels import Address
from bot.messages import ChannelLimits, Outgoing


class DeliveryError(Exception):
    """How a send failed, in no messenger's words; `reason` is what to record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryAfter(DeliveryError):
    """Slow down: send nothing (or nothing to this chat, if it is the chat's flood control)
    for `seconds`, then send the same message again."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds:g} s")
        self.seconds = seconds


class Transient(DeliveryError):
    """The messenger stumbled; the message is fine. Try again later."""


class Unreachable(DeliveryError):
    """The chat is out of reach for good: stop writing there."""


class Refused(DeliveryError):
    """This message, as made, will not be taken."""


class AuthLost(DeliveryError):
    """The bot's token is not accepted: nothing will go out on this channel."""


class Transport(Protocol):
    """One messenger, as the sender sees it."""

    @property
    def channel(self) -> str:
        """The channel's name (bot.domain.channels): the outbox rows it sends."""
        ...

    @property
    def limits(self) -> ChannelLimits:
        """What the messenger allows: the sender paces itself by it."""
        ...

    def is_group(self, address: Address) -> bool:
        """Whether the address is a group chat (it may have a tighter limit of its own)."""
        ...

    async def send(self, address: Address, message: Outgoing) -> str:
        """Say `message` at `address`; the messenger's id of the (last) message sent."""
        ...
