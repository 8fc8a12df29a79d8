"""A refused or failed action, told to the person in their language; nothing else happens.

A transient failure (the database locked by another writer, a timeout, Telegram unreachable)
is not told: it is raised on as `TransientFailure`, so the update stays unconfirmed and is
handled again (bot/runtime.py with polling; Telegram's redelivery after a 500 with a webhook).
Only the last attempt the poller allows is answered with «Что-то пошло не так».
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import CallbackQuery, ErrorEvent
from sqlalchemy.exc import OperationalError

from bot.domain.access import Person
from bot.render.texts import Texts
from bot.runtime import LAST_ATTEMPT, TransientFailure
from bot.services.parties import AmbiguousOrganisation, NoSuchParty
from bot.services.people import Forbidden, UnknownOrganisation, WrongKindForRole
from bot.services.roadmaps import NoRoadmapYet, RoadmapNotFound
from bot.services.shares import NoOwnShare, NotOwed, OrganisationNotFound, ReasonNeeded
from bot.services.tasks import TaskNotFound
from storage.db import DatabaseBusy

log = logging.getLogger(__name__)


def explain(error: Exception, person: Person | None, t: Texts) -> str:
    if isinstance(error, Forbidden):
        return t("forbidden" if person is not None and person.known else "not_joined")
    if isinstance(error, NoRoadmapYet | RoadmapNotFound):
        return t("error.no_roadmap_bot")
    if isinstance(error, TaskNotFound):
        return t("task.gone")
    if isinstance(error, NoOwnShare):
        return t("shares.no_own", number=error.task.number, count=error.within)
    if isinstance(error, NotOwed):
        return t("shares.not_owed", organisation=error.organisation)
    if isinstance(error, ReasonNeeded):
        return t("shares.usage_excuse")
    if isinstance(error, OrganisationNotFound):
        if error.matches:
            return t("shares.which_org", name=error.name, matches="; ".join(error.matches))
        return t("shares.unknown_org", name=error.name)
    if isinstance(error, UnknownOrganisation):
        return t("invite.unknown_org", name=error.name)
    if isinstance(error, AmbiguousOrganisation):
        return (
            t("invite.too_many", count=len(error.matches))
            + "\n"
            + "\n".join(
                t("whoami.binding", role="", scope=name).replace("• : ", "• ")
                for name in error.matches[:10]
            )
        )
    if isinstance(error, NoSuchParty):
        return t("parties.no_party", index=error.index)
    if isinstance(error, WrongKindForRole):
        return t("invite.wrong_kind")
    log.exception("update failed", exc_info=error)
    return t("error.internal")


def is_transient(error: BaseException) -> bool:
    """A failure that trying again later may cure; nothing the person did wrong."""
    if isinstance(error, OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    return isinstance(
        error,
        DatabaseBusy
        | TimeoutError
        | TelegramNetworkError
        | TelegramServerError
        | TelegramRetryAfter,
    )


async def on_error(event: ErrorEvent, **data: object) -> bool:
    if is_transient(event.exception) and not data.get(LAST_ATTEMPT):
        raise TransientFailure(str(event.exception)) from event.exception
    if _unchanged(event.exception):
        return True  # a button pressed twice: the message already says it

    t = data.get("t")
    if not isinstance(t, Texts):
        log.exception("update failed before the person was known", exc_info=event.exception)
        return False
    person = data.get("person")
    text = explain(event.exception, person if isinstance(person, Person) else None, t)
    update = event.update
    chat_id = None
    if update.message is not None:
        chat_id = update.message.chat.id
    elif update.callback_query is not None and update.callback_query.message is not None:
        chat_id = update.callback_query.message.chat.id
    bot = data.get("bot")
    if chat_id is not None and bot is not None:
        await bot.send_message(chat_id, text)  # type: ignore[attr-defined]
    return True


def _unchanged(error: BaseException) -> bool:
    return isinstance(error, TelegramBadRequest) and "message is not modified" in error.message


async def unknown_button(query: CallbackQuery) -> None:
    """A button no handler knows (malformed, or from an old version of the bot): the spinner
    is answered, nothing else happens."""
    await query.answer()


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


def make_fallback_router() -> Router:
    """Tried last: what no other router took."""
    router = Router(name="fallback")
    router.callback_query.register(unknown_button)
    return router
