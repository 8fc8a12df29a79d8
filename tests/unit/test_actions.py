"""Button payloads pack to exactly the strings aiogram's CallbackData made before the bot became
channel-neutral: buttons in messages sent long ago must still be understood. The golden strings
were generated from the aiogram classes as they were (handlers/callbacks.py, common.py,
invites.py, org_choice.py at a4986f3); the same classes are kept here to compare any value."""

from __future__ import annotations

import random
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, User

import handlers.callbacks as telegram
from bot import actions
from bot.actions import (
    ACTIONS,
    Action,
    BindParty,
    DeleteMe,
    DigestList,
    InviteStep,
    MissingAction,
    OrgChoice,
    ProgressView,
    ReportButton,
    RevokeInvite,
    ShareAction,
    TaskAction,
    TaskPage,
    UnbindPerson,
)

GOLDEN: list[tuple[Action, str]] = [
    (TaskAction(action="open", task_id=7), "t:open:7"),
    (TaskAction(action="qd", task_id=0), "t:qd:0"),
    (TaskAction(action="comment", task_id=123456789), "t:comment:123456789"),
    (TaskPage(page=0, f="all"), "tp:0:all"),
    (TaskPage(page=-1, f="s12"), "tp:-1:s12"),
    (TaskPage(page=3, f="mine"), "tp:3:mine"),
    (InviteStep(step="role", value="rep"), "i:role:rep"),
    (InviteStep(step="org", value="3"), "i:org:3"),
    (InviteStep(step="use", value="n"), "i:use:n"),
    (InviteStep(step="use", value=""), "i:use:"),
    (BindParty(index=4), "b:4"),
    (ReportButton(action="ok", ref=12), "r:ok:12:0:0"),
    (ReportButton(action="no", ref=12, i=5), "r:no:12:0:5"),
    (ReportButton(action="v", ref=301, value=42, i=9), "r:v:301:42:9"),
    (ReportButton(action="v", ref=301, value=-3), "r:v:301:-3:0"),
    (ReportButton(action="rm", ref=738000), "r:rm:738000:0:0"),
    (ProgressView(what="chart", index=2, org=0), "pv:chart:2:0"),
    (ProgressView(what="xlsx", index=0, org=55), "pv:xlsx:0:55"),
    (ShareAction(action="all", task_id=9), "s:all:9:0:0:0"),
    (ShareAction(action="one", task_id=9, org=17, page=2), "s:one:9:17:2:0"),
    (ShareAction(action="qd", task_id=9, day=738999), "s:qd:9:0:0:738999"),
    (DigestList(task_id=5), "dl:5:0:0"),
    (DigestList(task_id=5, page=2, edit=1), "dl:5:2:1"),
    (MissingAction(action="inv", ref=738000), "ma:inv:738000"),
    (MissingAction(action="ef", ref=44), "ma:ef:44"),
    (DeleteMe(sure=True), "dm:1"),
    (DeleteMe(sure=False), "dm:0"),
    (RevokeInvite(invite_id=31), "rv:31"),
    (UnbindPerson(person_id=10000005), "ub:10000005"),
    (OrgChoice(command="s", org=12), "oc:s:12"),
    (OrgChoice(command="o", org=0), "oc:o:0"),
]


# The aiogram classes as they were, to compare packing and unpacking for any value.
class OldTaskAction(CallbackData, prefix="t"):
    action: str
    task_id: int


class OldTaskPage(CallbackData, prefix="tp"):
    page: int
    f: str


class OldInviteStep(CallbackData, prefix="i"):
    step: str
    value: str


class OldBindParty(CallbackData, prefix="b"):
    index: int


class OldReportButton(CallbackData, prefix="r"):
    action: str
    ref: int
    value: int = 0
    i: int = 0


class OldProgressView(CallbackData, prefix="pv"):
    what: str
    index: int
    org: int


class OldShareAction(CallbackData, prefix="s"):
    action: str
    task_id: int
    org: int = 0
    page: int = 0
    day: int = 0


class OldDigestList(CallbackData, prefix="dl"):
    task_id: int
    page: int = 0
    edit: int = 0


class OldMissingAction(CallbackData, prefix="ma"):
    action: str
    ref: int


class OldDeleteMe(CallbackData, prefix="dm"):
    sure: bool


class OldRevokeInvite(CallbackData, prefix="rv"):
    invite_id: int


class OldUnbindPerson(CallbackData, prefix="ub"):
    person_id: int


class OldOrgChoice(CallbackData, prefix="oc"):
    command: str
    org: int


OLD: dict[type[Action], type[CallbackData]] = {
    TaskAction: OldTaskAction,
    TaskPage: OldTaskPage,
    InviteStep: OldInviteStep,
    BindParty: OldBindParty,
    ReportButton: OldReportButton,
    ProgressView: OldProgressView,
    ShareAction: OldShareAction,
    DigestList: OldDigestList,
    MissingAction: OldMissingAction,
    DeleteMe: OldDeleteMe,
    RevokeInvite: OldRevokeInvite,
    UnbindPerson: OldUnbindPerson,
    OrgChoice: OldOrgChoice,
}


def adapter(kind: type[Action]) -> type[CallbackData]:
    """The Telegram front end's class for a neutral action."""
    adapted = getattr(telegram, kind.__name__)
    assert issubclass(adapted, CallbackData)
    assert issubclass(adapted, kind)
    return adapted  # type: ignore[no-any-return]


@pytest.mark.parametrize(("action", "packed"), GOLDEN, ids=[packed for _, packed in GOLDEN])
def test_packing_is_byte_identical_to_what_was_sent(action: Action, packed: str) -> None:
    kind = type(action)
    fields = action.model_dump()
    assert action.pack() == packed
    assert OLD[kind](**fields).pack() == packed
    assert adapter(kind)(**fields).pack() == packed
    assert kind.unpack(packed) == action
    assert adapter(kind).unpack(packed).model_dump() == fields


def test_every_action_is_covered_and_prefixes_are_distinct() -> None:
    assert set(OLD) == set(ACTIONS) == {type(action) for action, _ in GOLDEN}
    assert len({kind.prefix for kind in ACTIONS}) == len(ACTIONS)
    for kind in ACTIONS:
        assert adapter(kind).__prefix__ == kind.prefix


def _value(annotation: Any, rng: random.Random) -> Any:
    if annotation is bool:
        return rng.random() < 0.5
    if annotation is int:
        return rng.choice([0, 1, -1, rng.randrange(10**9), -rng.randrange(10**6)])
    return "".join(rng.choice("abcxyz019_-ё") for _ in range(rng.randrange(0, 6)))


@pytest.mark.parametrize("kind", ACTIONS, ids=[kind.__name__ for kind in ACTIONS])
def test_any_value_packs_and_unpacks_as_aiogram_did(kind: type[Action]) -> None:
    rng = random.Random(kind.prefix)
    old = OLD[kind]
    for _ in range(300):
        fields = {name: _value(field.annotation, rng) for name, field in kind.model_fields.items()}
        try:
            expected = old(**fields).pack()
        except ValueError:
            with pytest.raises(ValueError, match=r"bytes|may not be in"):
                kind(**fields).pack()
            continue
        assert kind(**fields).pack() == expected
        assert kind.unpack(expected).model_dump() == old.unpack(expected).model_dump()


@pytest.mark.parametrize(
    "data",
    ["t:open", "t:open:7:8", "x:open:7", "t:open:seven", "r:v:1:2", "dm:maybe", "", "t"],
)
def test_what_aiogram_refused_is_refused(data: str) -> None:
    kinds: dict[str, type[Action]] = {"t": TaskAction, "r": ReportButton, "dm": DeleteMe}
    kind = kinds.get(data.split(":")[0], TaskAction)
    with pytest.raises((TypeError, ValueError)):
        OLD[kind].unpack(data)
    with pytest.raises((TypeError, ValueError)):
        kind.unpack(data)


def test_a_colon_or_too_long_a_payload_is_refused_as_before() -> None:
    with pytest.raises(ValueError, match="':'"):
        TaskPage(page=0, f="a:b").pack()
    with pytest.raises(ValueError, match="64 bytes"):
        InviteStep(step="org", value="я" * 40).pack()


async def test_the_aiogram_filter_hands_the_handler_the_pressed_action() -> None:
    user = User(id=1, is_bot=False, first_name="A")

    def query(data: str) -> CallbackQuery:
        return CallbackQuery(id="1", from_user=user, chat_instance="c", data=data)

    from aiogram import F

    only_open = telegram.TaskAction.filter(F.action == "open")
    found = await only_open(query("t:open:7"))
    assert isinstance(found, dict)
    pressed = found["callback_data"]
    assert isinstance(pressed, actions.TaskAction)
    assert (pressed.action, pressed.task_id) == ("open", 7)
    assert await only_open(query("t:done:7")) is False
    assert await only_open(query("tp:0:all")) is False
