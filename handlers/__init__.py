"""aiogram routers, one module per feature, collected in the order they are tried."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    chats,
    common,
    errors,
    export,
    invites,
    orgs,
    parties,
    reminders,
    reports,
    shares,
    status,
    tasks,
)


def get_routers() -> list[Router]:
    """Fresh routers (a router belongs to one dispatcher; tests build several).

    The most used are tried first (every router tried costs a little on every update):
    answers to the weekly question, which only ever take a private chat's free text with no
    flow in progress (or a sheet), then the most used commands. Flows that wait for free
    text (a comment, an organisation's name) ignore text starting with "/", so /cancel and
    the other commands always get through.
    """
    modules = (
        errors,
        status,
        tasks,
        shares,
        reminders,
        common,
        invites,
        orgs,
        parties,
        chats,
        reports,
    )
    return [
        reports.make_answers_router(),
        *(module.make_router() for module in modules),
        export.make_router(),
        errors.make_fallback_router(),
    ]
