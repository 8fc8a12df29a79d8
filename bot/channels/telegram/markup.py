"""An ``Outgoing``'s buttons and attachment as aiogram's types, and back."""

from __future__ import annotations

from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Attachment, Button, Keyboard, keyboard


def to_markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """The keyboard as Telegram's inline markup; None for no buttons."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, callback_data=b.data)
                if b.data is not None
                else InlineKeyboardButton(text=b.text, url=b.url)
                for b in row
            ]
            for row in buttons
        ]
    )


def from_markup(markup: InlineKeyboardMarkup | None) -> Keyboard:
    """Telegram's inline markup as a keyboard; ValueError when a button is neither a
    callback nor a link (a web app, an inline query: nothing the bot sends)."""
    if markup is None:
        return ()
    return keyboard(
        [Button(b.text, data=b.callback_data, url=b.url) for b in row]
        for row in markup.inline_keyboard
    )


def to_input_file(attachment: Attachment) -> BufferedInputFile:
    return BufferedInputFile(attachment.content, filename=attachment.filename)
