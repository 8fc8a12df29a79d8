"""Digest lines say how many days with the right plural: «осталось 3 дня», «1 день»,
«просрочено на 5 дней»; "1 day left", "3 days late" — not «дн.» or "d"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.reminders import Reason
from bot.messages import Outgoing
from bot.render.outbox import digest_composer
from bot.services.reminders import Digest, DigestLine, DigestReader
from storage.outbox import OutboxRow
from tests.bot.conftest import REP


class FixedReader(DigestReader):
    """Gives the same digest for any payload."""

    def __init__(self, digest: Digest) -> None:
        self.digest = digest

    async def current(self, payload: str) -> Digest | None:
        return self.digest


def line(
    task_id: int,
    reason: Reason = Reason.OVERDUE,
    days: int = 4,
    *,
    title: str | None = None,
    organisations: tuple[str, ...] = (),
) -> DigestLine:
    return DigestLine(
        task_id=task_id,
        number=str(task_id),
        title=title or f"Мероприятие {task_id}: " + "очень длинное название мероприятия " * 4,
        reason=reason,
        day=date(2023, 4, 17),
        days=days,
        organisations=organisations,
        deadline_text="до 17.04.2023",
    )


def row() -> OutboxRow:
    now = datetime(2023, 4, 21, 7, 5, tzinfo=UTC)
    return OutboxRow(
        id=1,
        chat_id=REP,
        person_id=None,
        kind="digest:1",
        round=now.date(),
        payload="{}",
        status="pending",
        attempts=0,
        not_before=now,
        claimed_by=None,
        claimed_until=None,
        sent_at=None,
        message_id=None,
        reason=None,
        created_at=now,
    )


async def compose(*lines: DigestLine, language: str = "ru") -> Outgoing:
    digest = Digest("Дорожная карта", language, tuple(lines))
    composed = await digest_composer(FixedReader(digest), "ru")(row())
    assert composed is not None
    return composed


@pytest.mark.parametrize(
    ("reason", "days", "said"),
    [
        (Reason.BEFORE, 1, "осталось 1 день"),
        (Reason.BEFORE, 3, "осталось 3 дня"),
        (Reason.BEFORE, 5, "осталось 5 дней"),
        (Reason.OVERDUE, 21, "просрочено на 21 день"),
        (Reason.OVERDUE, 12, "просрочено на 12 дней"),
        (Reason.ESCALATION, 4, "просрочено на 4 дня:"),
    ],
)
async def test_days_take_the_right_plural(reason: Reason, days: int, said: str) -> None:
    composed = await compose(line(7, reason, days, title="Коротко"))
    assert said in composed.text
    assert "дн." not in composed.text


@pytest.mark.parametrize(
    ("reason", "days", "said"),
    [
        (Reason.BEFORE, 1, "1 day left"),
        (Reason.BEFORE, 3, "3 days left"),
        (Reason.OVERDUE, 1, "1 day late"),
        (Reason.ESCALATION, 4, "4 days late:"),
    ],
)
async def test_english_days_too(reason: Reason, days: int, said: str) -> None:
    composed = await compose(line(7, reason, days, title="Short"), language="en")
    assert said in composed.text
    assert " d " not in composed.text
