"""A digest understood at first sight: one line per task, coordinators and admins read counts
(«просрочено у 15 из 40 школ») with a «📋 список» button instead of names, representatives
their plain line, and the list the button opens is the person's own reach, paged."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from bot.channels.telegram.markup import to_markup
from bot.domain.access import Role
from bot.domain.reminders import Reason
from bot.render.telegram import MESSAGE_LIMIT
from bot.services.reminders import DigestLine, DigestReader, one_per_task
from handlers.callbacks import DigestList, TaskAction
from tests.bot.conftest import CITY, COORDINATOR, REP, SCHOOL, World
from tests.bot.test_digest_days import compose, line
from tests.bot.test_digest_summary import buttons

SCHOOLS = tuple(f"МБОУ «Средняя школа № {n}» муниципального образования" for n in range(15))


def escalation(task_id: int, late: int = 15, owed: int = 40) -> DigestLine:
    return replace(
        line(task_id, Reason.ESCALATION, title="Отчёт"),
        organisations=SCHOOLS[:late],
        owed_below=owed,
        schools=True,
    )


async def test_a_coordinator_reads_a_count_and_a_list_button_not_names() -> None:
    composed = await compose(escalation(7))
    assert "просрочено на 4 дня: у 15 из 40 школ" in composed.text
    assert "Средняя школа" not in composed.text
    assert buttons(composed) == [
        [TaskAction(action="open", task_id=7).pack(), DigestList(task_id=7).pack()]
    ]
    assert composed.buttons[0][1].text == "📋 список № 7"
    assert composed.text.endswith("📋 — кто не выполнил.")


async def test_counts_take_the_right_plural() -> None:
    composed = await compose(escalation(7, late=1, owed=21))
    assert "у 1 из 21 школы" in composed.text


async def test_a_representative_keeps_the_plain_line() -> None:
    composed = await compose(line(5, Reason.OVERDUE, 3, title="Отчёт"))
    assert "🔴 № 5 «Отчёт» — срок 17.04.2023 прошёл, просрочено на 3 дня" in composed.text
    assert composed.buttons
    assert "📋" not in "".join(b.text for r in composed.buttons for b in r)
    assert composed.text.endswith("Выполнено? ✅ — отметить, 📄 — открыть карточку.")


async def test_six_escalated_tasks_are_all_described_with_the_closing_hint() -> None:
    """The issue's digest: six tasks, each late at 15 of 40 schools and the coordinator's own
    too: every task once, the whole in one message, the hint last."""
    lines = [escalation(n, late=15, owed=40) for n in range(1, 7)]
    lines += [line(n, Reason.OVERDUE) for n in range(1, 7)]
    composed = await compose(*one_per_task(lines))
    assert len(composed.text) <= MESSAGE_LIMIT
    for n in range(1, 7):
        assert composed.text.count(f"№ {n} «") == 1
    assert "ещё" not in composed.text
    assert composed.text.endswith("📋 — кто не выполнил.")
    assert "подведомственные: просрочено у 15 из 40 школ" in composed.text
    assert buttons(composed)[0] == [
        TaskAction(action="qd", task_id=1).pack(),
        TaskAction(action="open", task_id=1).pack(),
        DigestList(task_id=1).pack(),
    ]


async def test_huge_titles_never_cut_the_hint() -> None:
    lines = [line(n, title="Очень длинное название " * 200) for n in range(1, 200)]
    composed = await compose(*lines)
    assert len(composed.text) <= MESSAGE_LIMIT
    shown = [n for n in range(1, 200) if f"№ {n} «" in composed.text]
    assert shown == list(range(1, len(shown) + 1))
    assert f"…и ещё {199 - len(shown)} напоминани" in composed.text
    assert composed.text.endswith("📄 — открыть карточку.")


def test_one_line_per_task_whatever_the_reasons() -> None:
    said = one_per_task(
        [
            line(3, Reason.KICKOFF),
            line(3, Reason.BEFORE, 2),
            line(4, Reason.OCCURRENCE),
            escalation(3),
            line(4, Reason.OVERDUE, 1),
        ]
    )
    assert [(x.task_id, x.reason) for x in said] == [(3, Reason.BEFORE), (4, Reason.OVERDUE)]
    assert said[0].escalated
    assert said[0].own
    assert said[1].occurrence == date(2023, 4, 17)


async def _task_id(world: World, number: str) -> int:
    roadmap = await world.app.roadmaps.roadmap()
    return next(t.id for t in roadmap.tasks if t.number == number and t.id is not None)


async def test_lines_folded_from_an_older_round_say_the_task_once(world: World) -> None:
    """storage/outbox.py folds an unsent older round by (task, reason): «осталось 1 день» from
    the 16th joined «просрочено на 3 дня» of the 20th. The reader recounts and says it once."""
    await world.join(REP, Role.REP, SCHOOL)
    task = await _task_id(world, "5")
    roadmap = (await world.app.snapshots.roadmap()).roadmap.id
    payload = json.dumps(
        {
            "roadmap": roadmap,
            "language": "ru",
            "for": [SCHOOL],
            "lines": [
                {"task": task, "reason": "overdue", "day": "2023-04-17", "days": 3, "below": []},
                {"task": task, "reason": "before", "day": "2023-04-17", "days": 1, "below": []},
            ],
        }
    )
    digest = await DigestReader(world.app.snapshots, world.app.shares).current(payload)
    assert digest is not None
    assert [(x.task_id, x.reason, x.days) for x in digest.lines] == [(task, Reason.OVERDUE, 3)]


async def test_the_list_button_through_the_dispatcher(world: World) -> None:
    await world.join(COORDINATOR, Role.COORDINATOR, CITY)
    await world.join(REP, Role.REP, SCHOOL)
    task = await _task_id(world, "5")  # due 17.04, owed by every school; today is the 20th
    composed = await compose(escalation(task))
    await world.bot.send_message(
        COORDINATOR, composed.text, reply_markup=to_markup(composed.buttons)
    )
    digest = world.session.sent[-1]
    (listed,) = await world.press(COORDINATOR, digest, "📋 список")
    assert listed.text.startswith("№ 5 «")
    pages = [listed.text]
    if "Стр. 1 из" in listed.text:
        (second,) = await world.press(COORDINATOR, listed, "▶️")
        pages.append(second.text)
    assert any("Гимназия № 4 Смоленск" in page for page in pages)  # by its short name
    assert "Велиж" not in listed.text  # only the coordinator's own reach
    assert listed.message_id != digest.message_id  # a new message: the digest stays
    if "Стр. 1 из" in listed.text:
        (turned,) = await world.press(COORDINATOR, listed, "▶️")
        assert "Стр. 2 из" in turned.text
    # A representative pressing it (or forging it) is refused, and so is a coordinator
    # asking for a task beyond their reach.
    (refused,) = await world.press(REP, digest, "📋 список")
    assert refused.text == "Это действие вам недоступно."
