"""A name that fits several organisations: a button for each, named as lists name them.

`/status Велижский` and `/orgs Гимназия` answer with the organisations the name fits, one button
each (their short names); pressing one does what the command would have done for it. The
button carries the organisation's id, so the person's reach is checked again on the press.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.domain.access import OrgTree
from bot.render.report import short
from bot.render.texts import Texts
from bot.services.snapshots import Snapshots
from handlers.callbacks import OrgChoice as OrgChoice

MAX_CHOICES = 10
BUTTON_TEXT = 60  # characters of a name on a button


async def pressed(
    query: CallbackQuery, snapshots: Snapshots, org_id: int | None
) -> tuple[Message, str | None] | None:
    """A button naming an organisation by id was pressed: the spinner answered, the message
    to answer under, and the organisation's name (None: no longer in the registry)."""
    await query.answer()
    if not isinstance(query.message, Message):
        return None
    if not org_id:
        return query.message, None
    names = {number: name for name, number in (await snapshots.organisation_ids()).items()}
    return query.message, names.get(org_id)


def choice(
    command: str,
    query: str,
    matches: Sequence[str],
    tree: OrgTree,
    ids: Mapping[str, int],
    t: Texts,
) -> tuple[str, InlineKeyboardMarkup]:
    """The question and its buttons, by short name (the first MAX_CHOICES of `matches`)."""
    shown = [name for name in matches if name in ids][:MAX_CHOICES]
    text = t("orgs.choose", query=query, count=len(matches))
    if len(matches) > len(shown):
        text += "\n" + t("orgs.choose_more", shown=len(shown))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=short(tree.short_name(name), BUTTON_TEXT),
                    callback_data=OrgChoice(command=command, org=ids[name]).pack(),
                )
            ]
            for name in shown
        ]
    )
    return text, keyboard
