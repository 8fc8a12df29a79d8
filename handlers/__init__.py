"""aiogram routers, one module per feature, collected in the order they are tried."""

from __future__ import annotations

from aiogram import Router

from handlers import chats, common, errors, invites, orgs, parties, status, tasks


def get_routers() -> list[Router]:
    """Fresh routers (a router belongs to one dispatcher; tests build several).

    Commands that work in any state (/cancel, /help) come before flows that wait for text.
    """
    modules = (errors, common, status, tasks, invites, orgs, parties, chats)
    return [module.make_router() for module in modules]
