"""MAX as the sender's transport (bot/delivery/transport.py): ``MaxTransport`` with MAX's
failures in the sender's words.

| MaxTransport raises            | the sender gets                                   |
|--------------------------------|---------------------------------------------------|
| ``RetryLater(seconds)``        | 429: ``RetryAfter(seconds)``; else ``Transient``  |
| ``Gone`` (403, 404)            | ``Unreachable``: the chat is marked unreachable   |
| ``Refused``                    | ``Refused``                                       |
| ``AuthLost`` (401)             | ``AuthLost``: MAX's sending stops                 |
| ``ValueError`` (a message MAX  | ``Refused``                                       |
| could never take)              |                                                   |

A 429 is MAX asking us to slow down (the sender pauses); 5xx, timeouts and broken connections
are MAX stumbling (the sender backs off, as it does for Telegram's), even though MaxApi says
how long it would wait.

A person MAX knows only by their user id (an ``Address`` of kind "user": no dialog chat id
stored for their identity) is written to by ``user_id=``, MAX finding the dialog; everything
else by ``chat_id=``. Group chats' ids are negative, dialogs' positive.
"""

from __future__ import annotations

from bot.channels.max import errors
from bot.channels.max.transport import MaxTransport
from bot.delivery.transport import AuthLost, Refused, RetryAfter, Transient, Unreachable
from bot.domain.channels import MAX, Address
from bot.messages import ChannelLimits, Outgoing

TOO_MANY_REQUESTS = 429


class MaxDelivery:
    """The sender's transport for MAX, over one ``MaxTransport``."""

    channel = MAX

    def __init__(self, transport: MaxTransport) -> None:
        self.transport = transport

    @property
    def limits(self) -> ChannelLimits:
        return self.transport.limits

    def is_group(self, address: Address) -> bool:
        return address.kind == "chat" and address.chat_id < 0

    async def send(self, address: Address, message: Outgoing) -> str:
        try:
            if address.kind == "user":
                return await self.transport.send(message, user_id=address.chat_id)
            return await self.transport.send(message, chat_id=address.chat_id)
        except errors.RetryLater as error:
            if error.status == TOO_MANY_REQUESTS:
                raise RetryAfter(error.seconds, error.reason) from error
            raise Transient(error.reason) from error
        except errors.Gone as error:
            said = "forbidden" if error.status == 403 else "gone"
            raise Unreachable(f"{said}: {error.reason}") from error
        except errors.Refused as error:
            raise Refused(error.reason) from error
        except errors.AuthLost as error:
            raise AuthLost(error.reason) from error
        except ValueError as error:  # a message MAX could never take (MaxTransport says so)
            raise Refused(f"not for MAX: {error}") from error
