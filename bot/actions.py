"""What a pressed button asks for: the payloads buttons carry, in no messenger's vocabulary.

A button's data is ``prefix:value:value…`` (``t:open:7``): the action's prefix, then its
fields in order, ints as digits, booleans as 1/0. Every payload fits Telegram's 64 bytes
(short prefixes, ints), and so MAX's 1024 too. The strings are exactly what aiogram's
``CallbackData`` packed before the bot became channel-neutral (tests/unit/test_actions.py
holds them), so buttons in messages sent long ago still work.

``pack()`` makes the string and ``unpack(data)`` reads it back (ValueError or TypeError for a
string of another action, another prefix or a bad value). The Telegram front end's aiogram
filters are a thin adapter over these classes (handlers/callbacks.py); nothing here imports
a messenger's library.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel

SEPARATOR = ":"
MAX_PAYLOAD_BYTES = 64  # Telegram's limit on callback data, the tighter of the channels'


class Action(BaseModel):
    """A button payload; subclasses name their ``prefix`` (``class X(Action, prefix="x")``)."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str | None = None, **kwargs: Any) -> None:
        if prefix is not None:
            if SEPARATOR in prefix:
                raise ValueError(f"a prefix may not hold {SEPARATOR!r}: {prefix!r}")
            cls.prefix = prefix
        super().__init_subclass__(**kwargs)

    def pack(self) -> str:
        """The button's data: ``prefix:field:field…``."""
        parts = [self.prefix]
        for name, value in self.model_dump(mode="python").items():
            encoded = _encode(name, value)
            if SEPARATOR in encoded:
                raise ValueError(f"{SEPARATOR!r} may not be in {name}={encoded!r}")
            parts.append(encoded)
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"{data!r} is longer than {MAX_PAYLOAD_BYTES} bytes")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self:
        """The action a button's data says; TypeError for the wrong number of fields,
        ValueError for another prefix or a value of the wrong type."""
        prefix, *parts = data.split(SEPARATOR)
        names = list(cls.model_fields)
        if len(parts) != len(names):
            raise TypeError(f"{cls.__name__} takes {len(names)} fields, {data!r} has {len(parts)}")
        if prefix != cls.prefix:
            raise ValueError(f"{data!r}: prefix {prefix!r} is not {cls.prefix!r}")
        return cls(**dict(zip(names, parts, strict=True)))


def _encode(name: str, value: object) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | str):
        return str(value)
    raise ValueError(f"{name}={value!r} cannot go into a button's data")


class TaskAction(Action, prefix="t"):
    """A button on a task card: open, done, reopen, comment, set the agreed date; qd = a
    digest's or a nudge's ✅ for a one-off task."""

    action: str  # "open" | "done" | "reopen" | "comment" | "date" | "qd"
    task_id: int


class TaskPage(Action, prefix="tp"):
    """A page of /tasks with its filter: f = all | mine | overdue | open | done | s<N>."""

    page: int
    f: str


class InviteStep(Action, prefix="i"):
    """A choice in the /invite flow: the role, an organisation (by position), single/multi."""

    step: str  # "role" | "org" | "use"
    value: str


class BindParty(Action, prefix="b"):
    """A group chat bound to the party at `index` of the offered list."""

    index: int


class ReportButton(Action, prefix="r"):
    """Weekly numbers: ok/no a draft (ref = draft id; `i`: the indicator a "no" will be
    corrected for, when the draft doubts one), v = a value for an organisation (ref =
    organisation id; `i`: the indicator asked, 0 on buttons sent before questions were one a
    message), rm = remind the missing (ref = the due day's ordinal)."""

    action: str
    ref: int
    value: int = 0
    i: int = 0


class ProgressView(Action, prefix="pv"):
    """/status as a chart (`index`: the indicator's position) or a workbook; `org` is the
    organisation drilled into (0: the person's whole reach)."""

    what: str  # "chart" | "xlsx"
    index: int
    org: int


class ShareAction(Action, prefix="s"):
    """Organisations' shares of a task, from its card: all = ask to mark every organisation
    of one's reach (ok / no answer it), list = a page of those not done (`page`), one = mark
    the organisation `org`, rm = remind those not done, qd = a digest's ✅ for the occurrence
    `day` (an ordinal; 0 for a one-off task)."""

    action: str
    task_id: int
    org: int = 0
    page: int = 0
    day: int = 0


class DigestList(Action, prefix="dl"):
    """A digest's «📋 список» of a task: the late organisations just below the person, a page
    of them (`edit`: 1 when turning the pages of a list already shown, 0 from the digest)."""

    task_id: int
    page: int = 0
    edit: int = 0


class MissingAction(Action, prefix="ma"):
    """Under a coordinator's list of the missing: inv = invite links for the organisations
    nobody represents, in = choose one to enter numbers for (ref = the due day's ordinal for
    both), ef = enter numbers for the organisation `ref` (its id)."""

    action: str  # "inv" | "in" | "ef"
    ref: int


class DeleteMe(Action, prefix="dm"):
    """/delete_me's answer: sure or not."""

    sure: bool


class RevokeInvite(Action, prefix="rv"):
    """/revoke: the invite to revoke."""

    invite_id: int


class UnbindPerson(Action, prefix="ub"):
    """/unbind: the person (their number) to unbind."""

    person_id: int


class OrgChoice(Action, prefix="oc"):
    """`command`: "s" (/status) or "o" (/orgs); `org`: the organisation's id."""

    command: str
    org: int


ACTIONS: tuple[type[Action], ...] = (
    TaskAction,
    TaskPage,
    InviteStep,
    BindParty,
    ReportButton,
    ProgressView,
    ShareAction,
    DigestList,
    MissingAction,
    DeleteMe,
    RevokeInvite,
    UnbindPerson,
    OrgChoice,
)
"""Every payload, each with its own prefix."""
