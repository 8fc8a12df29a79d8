"""Button payloads. Each packs into far less than Telegram's 64 bytes (short prefixes, ints)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class TaskAction(CallbackData, prefix="t"):
    """A button on a task card: open, done, reopen, comment."""

    action: str  # "open" | "done" | "reopen" | "comment"
    task_id: int


class TaskPage(CallbackData, prefix="tp"):
    """A page of /tasks with its filter: f = all | mine | overdue | open | done | s<N>."""

    page: int
    f: str


class InviteStep(CallbackData, prefix="i"):
    """A choice in the /invite flow: the role, an organisation (by position), single/multi."""

    step: str  # "role" | "org" | "use"
    value: str


class BindParty(CallbackData, prefix="b"):
    index: int
