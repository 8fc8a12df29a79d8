"""A name that fits several organisations: a button for each, named as lists name them.

`/status Велижский` and `/orgs Гимназия` answer with the organisations the name fits, one button
each (their short names); pressing one does what the command would have done for it. The
button carries the organisation's id, so the person's reach is checked again on the press.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.access import OrgTree
from bot.render.texts import Texts

MAX_CHOICES = 10
BUTTON_TEXT = 60  # characters of a name on a button


class OrgChoice(CallbackData, prefix="oc"):
    """`command`: "s" (/status) or "o" (/orgs); `org`: the organisation's id."""

    command: str
    org: int


def _label(name: str) -> str:
    if len(name) <= BUTTON_TEXT:
        return name
    cut = name[: BUTTON_TEXT - 1].rsplit(" ", 1)[0]
    return cut + "…"


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
                    text=_label(tree.short_name(name)),
                    callback_data=OrgChoice(command=command, org=ids[name]).pack(),
                )
            ]
            for name in shown
        ]
    )
    return text, keyboard
