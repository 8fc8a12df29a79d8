"""Magic filters (`F.chat.type == "private"`), checked where the update is.

aiogram awaits a `Filter` in place but runs any other callable filter — a magic filter is
one — in a worker thread (`asyncio.to_thread`): a thread hop per filter, per handler, per
update. A free-text report passes eleven such checks on its way to its handler, and the hops
cost more than the checks. `Checks` resolves the same magic filters on the event loop.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject
from magic_filter import MagicFilter


class Checks(Filter):
    """All of the given magic filters hold for the event (resolved in place, in order)."""

    def __init__(self, *checks: MagicFilter) -> None:
        self.checks = checks

    async def __call__(self, event: TelegramObject) -> bool:
        return all(check.resolve(event) for check in self.checks)


class NotACommand(Filter):
    """Anything but a command: a text not starting with "/", a document, a photo."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


NOT_A_COMMAND = NotACommand()
PRIVATE = Checks(F.chat.type == "private")
PRIVATE_TEXT = Checks(F.chat.type == "private", F.text, ~F.text.startswith("/"))
TEXT = Checks(F.text, ~F.text.startswith("/"))
