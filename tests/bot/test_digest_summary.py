"""A digest is one message: when it does not fit (text or buttons), it shows the most urgent
lines, says how many more there are and offers the person's own task list — nothing is cut
silently, and every task it shows has its buttons."""

from __future__ import annotations

import pytest

from bot.channels.telegram.markup import to_markup
from bot.domain.access import Role
from bot.domain.reminders import Reason
from bot.messages import Outgoing
from bot.render.telegram import MAX_BUTTONS, MESSAGE_LIMIT
from bot.services.reminders import one_per_task
from handlers.callbacks import DigestList, TaskAction, TaskPage
from tests.bot.conftest import REP, SCHOOL, World
from tests.bot.test_digest_days import compose, line

LIST = TaskPage(page=0, f="mine").pack()
MANY_SCHOOLS = tuple(
    f"Муниципальное бюджетное общеобразовательное учреждение № {n}" for n in range(20)
)


def buttons(composed: Outgoing) -> list[list[str]]:
    return [[b.data or "" for b in r] for r in composed.buttons]


def task_rows(task_ids: list[int]) -> list[list[str]]:
    return [
        [TaskAction(action="qd", task_id=n).pack(), TaskAction(action="open", task_id=n).pack()]
        for n in task_ids
    ]


def shown_tasks(text: str, candidates: range) -> list[int]:
    return [n for n in candidates if f"№ {n} «" in text]


async def test_forty_long_lines_show_what_fits_and_say_how_many_more() -> None:
    lines = [line(n) for n in range(1, 41)]
    composed = await compose(*lines)
    assert len(composed.text) <= MESSAGE_LIMIT
    shown = shown_tasks(composed.text, range(1, 41))
    assert 0 < len(shown) < 40
    assert shown == list(range(1, len(shown) + 1))  # the most urgent first, none skipped
    rest = 40 - len(shown)
    assert f"…и ещё {rest} напоминани" in composed.text
    # Every task shown has its buttons, nothing unshown has any, and the full list comes last.
    assert buttons(composed) == [*task_rows(shown), [LIST]]
    assert composed.buttons[-1][0].text == "📋 Весь список"


async def test_more_tasks_than_buttons_are_summarised_too() -> None:
    lines = [line(n, title="Коротко") for n in range(1, 61)]
    composed = await compose(*lines)
    assert len(composed.text) <= MESSAGE_LIMIT  # the text alone would fit
    shown = shown_tasks(composed.text, range(1, 61))
    count = sum(len(r) for r in buttons(composed))
    assert count <= MAX_BUTTONS
    assert buttons(composed) == [*task_rows(shown), [LIST]]
    assert len(shown) == (MAX_BUTTONS - 1) // 2
    assert f"…и ещё {60 - len(shown)} напоминаний" in composed.text


async def test_a_task_with_several_lines_has_one_row_of_buttons() -> None:
    lines = [
        line(n, Reason.ESCALATION, title="К", organisations=MANY_SCHOOLS) for n in range(1, 21)
    ]
    lines += [line(n, Reason.OVERDUE, title="К") for n in range(1, 21)]
    composed = await compose(*one_per_task(lines))
    assert buttons(composed) == [
        [*row, DigestList(task_id=n).pack()]
        for n, row in zip(range(1, 21), task_rows(list(range(1, 21))), strict=True)
    ]  # 20 tasks, 40 lines: each once, with ✅, 📄 and 📋
    assert "ещё" not in composed.text


async def test_a_digest_that_fits_is_whole_without_a_list_button() -> None:
    composed = await compose(line(5, Reason.DUE_TODAY, 0), line(11, Reason.BEFORE, 3))
    assert buttons(composed) == task_rows([5, 11])
    assert "ещё" not in composed.text
    assert "📋" not in composed.text


@pytest.mark.parametrize(
    ("hidden", "said"),
    [(1, "…и ещё 1 напоминание"), (3, "…и ещё 3 напоминания"), (11, "…и ещё 11 напоминаний")],
)
async def test_how_many_more_takes_the_right_plural(hidden: int, said: str) -> None:
    fits = len(shown_tasks((await compose(*[line(n) for n in range(1, 100)])).text, range(100)))
    composed = await compose(*[line(n) for n in range(1, fits + hidden + 1)])
    assert said in composed.text


async def test_english_says_how_many_more_too() -> None:
    lines = [line(n, title="Short") for n in range(1, 52)]
    composed = await compose(*lines, language="en")
    assert "…and 2 more reminders" in composed.text
    assert composed.buttons[-1][0].text == "📋 Full list"


async def test_the_list_button_opens_the_persons_own_tasks(world: World) -> None:
    await world.join(REP, Role.REP, SCHOOL)
    composed = await compose(*[line(n, title="Коротко") for n in range(1, 61)])
    await world.bot.send_message(REP, composed.text, reply_markup=to_markup(composed.buttons))
    digest = world.session.sent[-1]
    (listed,) = await world.press(REP, digest, "📋 Весь список")
    mine = [label for label, data in listed.buttons() if data == LIST]
    assert mine == ["• Мои"]  # the task list, filtered to the person's own tasks
