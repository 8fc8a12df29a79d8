"""What a school is told when someone else changed its number."""

from __future__ import annotations

from bot.render.texts import Safe, Texts
from bot.services.overwrites import ChangeNotice


def render_changed(notice: ChangeNotice, t: Texts) -> str:
    lines = [
        t(
            "changed.header",
            who=notice.who,
            organisation=notice.organisation,
            week=t.day(notice.week),
        )
    ]
    lines += [
        t("changed.item", indicator=line.indicator, old=line.old, new=line.new)
        for line in notice.lines
    ]
    return Safe("\n".join(lines))
