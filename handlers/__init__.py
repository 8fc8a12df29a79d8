"""aiogram routers, one module per feature, collected in the order they are tried."""

from __future__ import annotations

from aiogram import Router

from handlers import chats, common, errors, invites, orgs, parties, reports, status, tasks


def get_routers() -> list[Router]:
    """Fresh routers (a router belongs to one dispatcher; tests build several).

    The most used commands are tried first (every router tried costs a little on every
    update). Flows that wait for free text (a comment, an organisation's name) ignore text
    starting with "/", so /cancel and the other commands always get through.
    """
    # `reports` is last: it takes the free text no flow in progress and no command claimed.
    modules = (errors, status, tasks, common, invites, orgs, parties, chats, reports)
    return [module.make_router() for module in modules]
