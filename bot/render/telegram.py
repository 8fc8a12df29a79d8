"""What people read in Telegram: HTML-safe texts within Telegram's limits.

Every text here is built with `Texts(language, html=True)`, which escapes whatever came from a
document or a person, so a title with "<" or "&" cannot break a reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from bot.domain.access import ALLOWED, Action, Binding, Person, Role
from bot.domain.invites import CHANNEL_NAMES
from bot.domain.links import PartyLink
from bot.domain.model import Task
from bot.domain.reminders import Reason
from bot.domain.status import Standing, standing
from bot.render.report import distinct_shorts, responsible, short, understood
from bot.render.rhythm import on_weekday
from bot.render.shares import render_card_shares
from bot.render.texts import Safe, Texts
from bot.services.invites import ChannelLink, InviteLinks
from bot.services.organisations import Roster
from bot.services.parties import PartyView
from bot.services.people import Invite, Linked
from bot.services.reminders import Digest, DigestLine
from bot.services.tasks import TaskCard
from bot.services.welcome import WelcomePlan

MESSAGE_LIMIT = 4096
TASKS_PER_PAGE = 8
MARKS = {
    Standing.OPEN: "🟡",
    Standing.OVERDUE: "🔴",
    Standing.DONE: "✅",
    Standing.CANCELLED: "⚪",
}

# The commands a person sees, in menu order, with the action that earns each one.
COMMANDS: tuple[tuple[str, Action | None], ...] = (
    ("status", Action.VIEW),
    ("tasks", Action.VIEW),
    ("mytasks", Action.VIEW),
    ("task", Action.VIEW),
    ("done", Action.MARK_DONE),
    ("reopen", Action.REOPEN),
    ("excuse", Action.EXCUSE),
    ("report", Action.REPORT),
    ("indicators", Action.VIEW),
    ("template", Action.INVITE),  # coordinators and admins enter figures for others
    ("export", Action.INVITE),  # ... and take the workbook of everything in their reach
    ("indicator", Action.EDIT_PARTIES),  # admins define indicators
    ("invite", Action.INVITE),
    ("orgs", Action.VIEW_ORGS),
    ("parties", Action.EDIT_PARTIES),
    ("revoke", Action.REVOKE_INVITE),
    ("unbind", Action.UNBIND),
    ("whoami", None),
    ("delete_me", None),
    ("help", None),
    ("cancel", None),
)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut a long reply into messages at line boundaries (a line longer than the limit is cut
    where it must be). Our HTML never spans lines, so every part stays well-formed."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]


def every_command() -> list[str]:
    """Every command of a private chat: the one menu of a messenger that has no menu per
    person (MAX); /help still tells each person which are theirs."""
    return [name for name, _ in COMMANDS]


def commands_for(person: Person) -> list[str]:
    actions = set().union(*(ALLOWED[binding.role] for binding in person.bindings))
    if not person.known:
        return ["help"]
    return [name for name, action in COMMANDS if action is None or action in actions]


def scope_text(binding: Binding, t: Texts) -> str:
    return binding.organisation or t("scope.region")


def render_help(person: Person, t: Texts) -> str:
    if not person.known:
        return t("bot.stranger")
    lines = [t("help.header")]
    lines += [t(f"help.{name}") for name in commands_for(person)]
    return "\n".join(lines)


def render_welcome(plan: WelcomePlan, t: Texts) -> str:
    """What happens next and what to do now, for the role the person just took."""
    lines = []
    if plan.role is Role.REP:
        if plan.asked:
            by_day: dict[int, list[str]] = {}
            for asked in plan.asked:
                by_day.setdefault(asked.weekday, []).append(asked.name)
            for weekday, names in sorted(by_day.items()):
                lines.append(
                    t(
                        "welcome.asked",
                        when=on_weekday(weekday, t.language),
                        hour=plan.hour,
                        names="; ".join(names),
                    )
                )
        else:
            lines.append(t("welcome.nothing_asked"))
    lines.append(t(f"welcome.{plan.role.value}", hour=plan.hour))
    return "\n".join(lines)


def render_whoami(person: Person, t: Texts) -> str:
    lines = [t("whoami", name=person.name, id=person.id)]
    lines += [
        t("whoami.binding", role=t(f"role.{b.role.value}"), scope=scope_text(b, t))
        for b in person.bindings
    ] or [t("whoami.none")]
    return "\n".join(lines)


def render_card(card: TaskCard, t: Texts, timezone: str) -> str:
    task = card.task
    zone = ZoneInfo(card.roadmap.timezone or timezone)
    title = t("card.title", number=task.number, title=" ".join(task.title.split()))
    lines: list[str] = [Safe(f"<b>{title}</b>")]
    if task.section:
        lines.append(t("card.section", section=task.section))
    lines.append(t("card.responsible", responsible=responsible(task, t)))
    lines.append(deadline_line(task, t))
    if task.deadline.note:
        lines.append(t("card.deadline_note", note=task.deadline.note))
    if task.result:
        lines.append(t("card.result", result=task.result))
    lines.append(t("card.standing", standing=t(f"standing.{card.standing.value}")))
    if card.shares is not None:
        lines += render_card_shares(card.shares, t, zone)
    events = _history_lines(card, t, zone)
    head = "\n".join(lines)
    if not events:
        return head
    # One message, whatever the history: the latest events, each said briefly; what does not
    # fit is counted, not sent (five long comments used to make eleven messages).
    shown = events[-CARD_EVENTS:]
    while True:
        earlier = len(events) - len(shown)
        more = [t("card.history_more", entries=t.count("entry", earlier))] if earlier else []
        text = "\n".join([head, "", t("card.history"), *more, *shown])
        if len(text) <= MESSAGE_LIMIT or len(shown) == 1:
            return text
        shown = shown[1:]


CARD_EVENTS = 5  # history events a card shows, the latest
EVENT_WIDTH = 300  # characters of a comment or a changed value a card shows


def _history_lines(card: TaskCard, t: Texts, zone: ZoneInfo) -> list[str]:
    lines = []
    for entry in card.history:
        key = f"card.event.{entry.action}"
        if key not in t.messages:
            continue
        at = entry.at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
        field = t(f"field.{entry.field}") if entry.field in _FIELDS else entry.field
        old, new = entry.old, entry.new
        if entry.action == "status":
            old = t(f"standing.{old}") if old else old
            new = t(f"standing.{new}") if new else new
        named = card.actors.get(entry.actor)
        actor = named if named and named != entry.actor else actor_words(entry.actor, t)
        lines.append(
            t(
                key,
                at=at,
                actor=actor,
                field=field,
                old=short(old or "", EVENT_WIDTH),
                new=short(new or "", EVENT_WIDTH),
            )
        )
    return lines


_FIELDS = {"number", "section", "title", "responsible", "deadline", "result"}


def actor_words(actor: str, t: Texts) -> str:
    """Who did something, when it was not a person: «при импорте приказа», «из командной
    строки» — never "import:smolensk-order-319-OD.docx"."""
    kind = actor.split(":", 1)[0]
    key = f"actor.{kind}"
    return t(key) if key in t.messages else actor


def deadline_line(task: Task, t: Texts) -> str:
    """«Срок: до 28.04.2023»: the order's words, and how the bot read them only when that
    adds something («Срок: 20.04.2023 (до 20.04.2023)» said the date twice)."""
    deadline = task.deadline
    if deadline.agreed and deadline.due is not None:
        return t("card.deadline_agreed", text=deadline.text, due=t.day(deadline.due))
    dates = [t.day(day) for day in (deadline.start, deadline.due) if day is not None]
    if dates and deadline.recurrence is None and all(day in deadline.text for day in dates):
        return t("card.deadline_plain", text=deadline.text)
    return t("card.deadline", text=deadline.text, understood=understood(deadline, t))


def deadline_short(task: Task, t: Texts) -> str:
    return task.deadline.text if not task.deadline.fixed else understood(task.deadline, t)


def render_task_page(
    tasks: Sequence[Task], page: int, total: int, as_of: date, t: Texts
) -> tuple[str, int]:
    """One page of a task list and the number of pages."""
    pages = max(1, -(-len(tasks) // TASKS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chosen = tasks[page * TASKS_PER_PAGE : (page + 1) * TASKS_PER_PAGE]
    if not chosen:
        return t("tasks.none"), pages
    lines = [t("tasks.page", shown=len(tasks), total=total, page=page + 1, pages=pages)]
    titles = distinct_shorts([task.title for task in chosen], 70)
    lines += [
        t(
            "tasks.item",
            mark=MARKS[standing(task, as_of)],
            number=task.number,
            title=title,
            deadline=deadline_short(task, t),
        )
        for task, title in zip(chosen, titles, strict=True)
    ]
    return "\n".join(lines), pages


def render_party_targets(links: Sequence[PartyLink], counts: Sequence[int], t: Texts) -> str:
    if not links:
        return t("parties.nobody")
    described = []
    for link, count in zip(links, counts, strict=True):
        if link.kind is None:
            described.append(link.organisation)
        else:
            described.append(
                t(
                    "parties.kind_under",
                    kind=t(f"kind.{link.kind.value}"),
                    organisation=link.organisation,
                    count=count,
                )
            )
    return "; ".join(described)


def render_rosters(rosters: Sequence[Roster], t: Texts) -> str:
    """Who has joined: the organisation asked about by its full name, those under it by their
    short names; each municipality with its own organisations under it, those nobody has
    joined yet named on one line."""
    lines: list[str] = []
    for roster in rosters:
        if lines:
            lines.append("")
        header = t("orgs.header", name=roster.root, joined=roster.joined, count=roster.total)
        lines.append(Safe(f"<b>{header}</b>"))
        lines += _roster_lines(roster, t)
    return "\n".join(lines)


def _roster_lines(roster: Roster, t: Texts) -> list[str]:
    lines: list[str] = []
    missing: list[str] = []  # of the group being listed

    def close_group() -> None:
        if missing:
            lines.append(t("orgs.missing_list", names=", ".join(missing)))
            missing.clear()

    depth = 0
    for row in roster.rows:
        group = row.depth == 0 and row.has_children
        if group or row.depth < depth:  # a group begins, or the one above is over
            close_group()
            lines.append("")
        depth = row.depth
        if row.has_children:
            header = t("orgs.header", name=row.short_name, joined=row.joined, count=row.total)
            lines.append(Safe(f"<b>{header}</b>") if group else header)
        elif row.people:
            lines.append(t("orgs.item.joined", name=row.short_name, people=", ".join(row.people)))
        elif row.depth:
            missing.append(row.short_name)
        else:
            lines.append(t("orgs.item.missing", name=row.short_name))
    close_group()
    return lines


def render_parties(views: Sequence[PartyView], t: Texts, *, header: bool = True) -> str:
    lines: list[str] = [t("parties.header")] if header else []
    lines += [
        t(
            "parties.item",
            index=view.index,
            party=view.name,
            targets=render_party_targets(view.links, view.counts, t),
        )
        for view in views
    ]
    if header:
        lines += ["", t("parties.usage")]
    return "\n".join(lines)


def render_invite(invite: Invite, links: InviteLinks, t: Texts) -> str:
    """The invite and its link: one per messenger the bot speaks in, each named when there
    are several; a messenger that did not answer is named too."""
    if len(links.links) == 1 and not links.silent:
        shown = links.links[0].url
    else:
        shown = "\n".join(
            t("invite.channel_link", channel=CHANNEL_NAMES[link.channel], link=link.url)
            for link in links.links
        )
    text = t(
        "invite.link",
        role=t(f"role.{invite.role.value}"),
        scope=invite.organisation or t("scope.region"),
        until=t.day(invite.expires_at.date()),
        use=t("invite.multi" if invite.multi_use else "invite.single"),
        link=shown,
    )
    for silent in links.silent:
        name = CHANNEL_NAMES[silent.channel]
        text += "\n" + t("invite.no_link", channel=name, detail=silent.detail)
    return text


def render_channel_offers(offers: Sequence[ChannelLink], t: Texts) -> str:
    """«Получать напоминания также в MAX: <link>», one line per messenger offered."""
    return "\n".join(
        t(
            "link.offer",
            channel=CHANNEL_NAMES[offer.channel],
            link=offer.url,
            until=t.day(offer.expires_at.date()) if offer.expires_at else "",
        )
        for offer in offers
    )


def render_linked(linked: Linked, t: Texts) -> str:
    """A personal link opened: known in one more messenger (or already were)."""
    key = "link.done" if linked.new else "link.already"
    return f"{t(key, channel=CHANNEL_NAMES[linked.channel])}\n\n{render_help(linked.person, t)}"


MAX_BUTTONS = 100  # Telegram's limit for one inline keyboard


def digest_buttons(line: DigestLine) -> int:
    """The buttons a digest's task gets: ✅ (their own share), 📄 (the card) and, where
    organisations below them are late, 📋 (their list)."""
    return int(line.own) + 1 + int(line.escalated)


@dataclass(frozen=True, slots=True)
class DigestMessage:
    """A digest as one message: its text, the lines (one per task) it shows — each gets its
    buttons — and those it leaves to the full list (none: the whole digest is shown)."""

    text: str
    shown: tuple[DigestLine, ...]
    hidden: tuple[DigestLine, ...]

    @property
    def rest(self) -> int:
        return len(self.hidden)


def render_digest(
    digest: Digest, t: Texts, *, max_buttons: int = MAX_BUTTONS, limit: int = MESSAGE_LIMIT
) -> DigestMessage:
    """The whole digest if it fits one message and one keyboard; otherwise its most urgent
    tasks that do (the lines come one per task, ordered by urgency), then how many more there
    are and the closing hint — never a silent cut. A line is short whatever the task (a title
    cut at 80 characters, late organisations counted, not named), so the header, the count
    and the hint always fit."""
    header = Safe(f"<b>{t('digest.header', title=short(digest.roadmap, 60))}</b>")
    listed = any(line.escalated for line in digest.lines)
    footer = ["", t("digest.footer_list" if listed else "digest.footer")]
    lines = [_digest_line(line, t) for line in digest.lines]
    fixed = len(header) + sum(len(part) + 1 for part in footer)

    def more(rest: int) -> list[str]:
        return [t("digest.rest", count=t.count("more_reminder", rest))] if rest else []

    shown, size, buttons = 0, fixed, 0
    for index, line in enumerate(lines):
        rest = len(lines) - index - 1
        extra = sum(len(part) + 1 for part in more(rest))
        own = digest_buttons(digest.lines[index])
        list_button = 1 if rest else 0  # the full list's, when something is left to it
        if size + len(line) + 1 + extra > limit or buttons + own + list_button > max_buttons:
            break
        shown, size, buttons = index + 1, size + len(line) + 1, buttons + own
    text = "\n".join([header, *lines[:shown], *more(len(lines) - shown), *footer])
    return DigestMessage(text, digest.lines[:shown], digest.lines[shown:])


def _digest_line(line: DigestLine, t: Texts) -> str:
    """One task: what is due for the reader, and for coordinators and admins how many of the
    organisations below them are late («просрочено у 15 из 40 школ»), the names behind 📋."""
    key = "escalation_count" if line.reason is Reason.ESCALATION else line.reason.value
    said = t(
        f"digest.{key}",
        number=line.number,
        title=short(line.title, 80),
        day=t.day(line.day),
        days=t.count("day", line.days),  # "осталось 3 дня", "просрочено на 1 день"
        late=len(line.organisations),
        among=t.count("of_school" if line.schools else "of_org", line.owed_below),
        text=short(line.deadline_text, 80),
    )
    if line.escalated and line.reason is not Reason.ESCALATION:
        among = t.count("of_school" if line.schools else "of_org", line.owed_below)
        said = Safe(said + t("digest.also_below", late=len(line.organisations), among=among))
    return said
