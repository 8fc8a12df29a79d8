"""Button payloads. Each packs into far less than Telegram's 64 bytes (short prefixes, ints)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class TaskAction(CallbackData, prefix="t"):
    """A button on a task card: open, done, reopen, comment, set the agreed date."""

    action: str  # "open" | "done" | "reopen" | "comment" | "date"
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


class ReportButton(CallbackData, prefix="r"):
    """Weekly numbers: ok/no a draft (ref = draft id; `i`: the indicator a "no" will be
    corrected for, when the draft doubts one), v = a value for an organisation (ref =
    organisation id; `i`: the indicator asked, 0 on buttons sent before questions were one a
    message), rm = remind the missing (ref = the due day's ordinal)."""

    action: str
    ref: int
    value: int = 0
    i: int = 0


class ProgressView(CallbackData, prefix="pv"):
    """/status as a chart (`index`: the indicator's position) or a workbook; `org` is the
    organisation drilled into (0: the person's whole reach)."""

    what: str  # "chart" | "xlsx"
    index: int
    org: int


class ShareAction(CallbackData, prefix="s"):
    """Organisations' shares of a task, from its card: all = ask to mark every organisation
    of one's reach (ok / no answer it), list = a page of those not done (`page`), one = mark
    the organisation `org`, rm = remind those not done, qd = a digest's ✅ for the occurrence
    `day` (an ordinal; 0 for a one-off task)."""

    action: str
    task_id: int
    org: int = 0
    page: int = 0
    day: int = 0


class DigestList(CallbackData, prefix="dl"):
    """A digest's «📋 список» of a task: the late organisations just below the person, a page
    of them (`edit`: 1 when turning the pages of a list already shown, 0 from the digest)."""

    task_id: int
    page: int = 0
    edit: int = 0


class MissingAction(CallbackData, prefix="ma"):
    """Under a coordinator's list of the missing: inv = invite links for the organisations
    nobody represents, in = choose one to enter numbers for (ref = the due day's ordinal for
    both), ef = enter numbers for the organisation `ref` (its id)."""

    action: str  # "inv" | "in" | "ef"
    ref: int
