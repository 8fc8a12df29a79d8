"""What a person who just joined will hear from the bot, and when: the welcome is a promise
the bot keeps, so it is read from the same indicators and settings the planners use."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.access import Binding, Role
from bot.services.reports import ReportService


@dataclass(frozen=True, slots=True)
class Asked:
    """A weekly figure the person's organisation is asked for."""

    name: str
    weekday: int  # 0 = Monday


@dataclass(frozen=True, slots=True)
class WelcomePlan:
    role: Role
    scope: str | None  # the organisation, None for the whole region
    hour: int  # the hour of the morning round (reminders, questions)
    asked: tuple[Asked, ...]  # what a representative will be asked each week


async def welcome_plan(binding: Binding, reports: ReportService, hour: int) -> WelcomePlan:
    asked: tuple[Asked, ...] = ()
    if binding.role is Role.REP and binding.organisation is not None:
        questions = await reports.questions_for(binding.organisation)
        seen: dict[str, Asked] = {}
        for question in questions:
            indicator = question.indicator
            seen.setdefault(indicator.code, Asked(indicator.name, indicator.weekday))
        asked = tuple(seen.values())
    return WelcomePlan(binding.role, binding.organisation, hour, asked)
