"""Saying an ``Outgoing`` on Telegram through aiogram, and what Telegram's answers mean to the
sender (bot/delivery/transport.py).

- **Text** is HTML (the Bot's default parse mode). Over 4096 characters it goes as several
  messages cut at line boundaries (``split_message``), the buttons under the last; the
  composers keep to one message, so this is a safety net, not a habit.
- **Buttons**: the keyboard as inline markup (``markup.to_markup``).
- **Files**: a photo goes by sendPhoto, a document by sendDocument, with the text as the
  caption when it fits Telegram's 1024 characters (else the file goes alone, its text after
  it), the buttons under the message that ends it.

Telegram's chats are all addressed by chat id: a person's private chat is their user id, so
the address's kind does not matter here; a group's id is negative.

| Telegram answers                         | raised           |
|------------------------------------------|------------------|
| 429 (TelegramRetryAfter)                 | ``RetryAfter``   |
| 5xx, network, an answer we cannot read   | ``Transient``    |
| 403 (blocked, kicked)                    | ``Unreachable``  |
| 401 (the token)                          | ``AuthLost``     |
| the group became a supergroup            | ``Refused``      |
| 400, 413 and any other refusal           | ``Refused``      |
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup, Message

from bot.channels.telegram.markup import to_input_file, to_markup
from bot.delivery.transport import AuthLost, Refused, RetryAfter, Transient, Unreachable
from bot.domain.channels import TELEGRAM, Address
from bot.messages import TELEGRAM_LIMITS, Attachment, ChannelLimits, Outgoing
from bot.render.telegram import split_message


def describe(error: BaseException) -> str:
    """Telegram's own words for a failed call (its first line), else the error's."""
    if isinstance(error, TelegramAPIError):
        return error.message.split("\n", 1)[0]
    return f"{type(error).__name__}: {error}"


class TelegramTransport:
    """Sends ``Outgoing`` messages through one aiogram Bot: a plain one, without the reply
    middleware (bot/channels/telegram/retry.py), since the sender owns its retries."""

    channel = TELEGRAM

    def __init__(self, bot: Bot, *, limits: ChannelLimits = TELEGRAM_LIMITS) -> None:
        self.bot = bot
        self.limits = limits

    def is_group(self, address: Address) -> bool:
        return address.chat_id < 0

    async def send(self, address: Address, message: Outgoing) -> str:
        try:
            sent = await self._send(address.chat_id, message)
        except TelegramRetryAfter as error:
            raise RetryAfter(float(error.retry_after), describe(error)) from error
        except TelegramMigrateToChat as error:
            reason = f"the group is now the supergroup {error.migrate_to_chat_id}"
            raise Refused(reason) from error
        except TelegramForbiddenError as error:
            said = describe(error).removeprefix("Forbidden: ")
            raise Unreachable(f"forbidden: {said}") from error
        except TelegramUnauthorizedError as error:
            raise AuthLost(describe(error)) from error
        except TelegramEntityTooLarge as error:  # a network error to aiogram; final to us
            raise Refused(describe(error)) from error
        except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as error:
            raise Transient(describe(error)) from error
        except TelegramAPIError as error:  # 400, 413 and the other refusals: final
            raise Refused(describe(error)) from error
        return str(sent.message_id)

    async def _send(self, chat_id: int, message: Outgoing) -> Message:
        markup = to_markup(message.buttons)
        attachment = message.attachment
        text = message.text
        if attachment is not None:
            fits = len(text) <= self.limits.caption_limit
            sent = await self._send_file(
                chat_id, attachment, text if fits else "", markup if fits or not text else None
            )
            if fits or not text:
                return sent
        parts = split_message(text, self.limits.text_limit)
        for part in parts[:-1]:
            await self.bot.send_message(chat_id=chat_id, text=part)
        return await self.bot.send_message(chat_id=chat_id, text=parts[-1], reply_markup=markup)

    async def _send_file(
        self,
        chat_id: int,
        attachment: Attachment,
        caption: str,
        markup: InlineKeyboardMarkup | None,
    ) -> Message:
        if attachment.kind == "photo":
            return await self.bot.send_photo(
                chat_id=chat_id,
                photo=to_input_file(attachment),
                caption=caption or None,
                reply_markup=markup,
            )
        return await self.bot.send_document(
            chat_id=chat_id,
            document=to_input_file(attachment),
            caption=caption or None,
            reply_markup=markup,
        )
