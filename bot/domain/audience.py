"""Who hears a task's reminders: the people and chats that act for its responsible parties.

- A task's reminders go to everyone bound (as coordinator or representative) to an
  organisation acting for it, to the department's staff when the department itself acts for
  it, and to the group chats bound to one of its parties or acting organisations.
- "Set a date" requests go to the coordinators of the acting organisations and to the staff.
- An escalation goes to the coordinators of each acting organisation's parent (the staff when
  the parent is the top of the registry), listing the organisations below them.
- A task owed by many organisations is done by each of them (bot/domain/shares.py): given
  which organisations still owe it, those that have done their share hear nothing more about
  it, and an escalation lists only the late organisations of each coordinator's subtree.

Pure: built from people, chats and the registry's tree; no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.access import OrgTree, Person, Role
from bot.domain.channels import TELEGRAM
from bot.domain.model import Task
from bot.domain.reminders import Item, Reason, merge
from bot.domain.shares import Owing


@dataclass(frozen=True, slots=True)
class Listener:
    chat_id: int  # in `channel`
    person_id: int | None  # None for a group chat
    timezone: str
    language: str | None = None
    # The organisations they hear for (a person's bindings, a chat's organisation, the top of
    # the registry for the staff); empty for a party's chat, which hears while anyone owes.
    organisations: tuple[str, ...] = ()
    channel: str = TELEGRAM


@dataclass(frozen=True, slots=True)
class BoundChat:
    chat_id: int
    party: str | None
    organisation: str | None
    channel: str = TELEGRAM


@dataclass(frozen=True, slots=True)
class Line:
    """An item as one listener reads it; `organisations` for an escalation: those below them."""

    item: Item
    organisations: tuple[str, ...] = ()


def timezone_of(organisation: str | None, tree: OrgTree, default: str) -> str:
    """An organisation's own time zone, else its nearest ancestor's, else the default."""
    current = tree.by_name.get(organisation) if organisation else None
    seen: set[str] = set()
    while current is not None and current.name not in seen:
        if current.timezone:
            return current.timezone
        seen.add(current.name)
        current = tree.by_name.get(current.parent) if current.parent else None
    return default


class Audience:
    def __init__(
        self,
        people: Iterable[Person],
        chats: Iterable[BoundChat],
        tree: OrgTree,
        *,
        default_timezone: str,
        unreachable: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.tree = tree
        self.roots = frozenset(name for name, org in tree.by_name.items() if org.parent is None)
        self.at: defaultdict[str, list[Listener]] = defaultdict(list)  # acting people per org
        self.coordinators: defaultdict[str, list[Listener]] = defaultdict(list)
        self.reps: defaultdict[str, list[Listener]] = defaultdict(list)  # who answers for an org
        self.staff: list[Listener] = []
        self.party_chats: defaultdict[str, list[Listener]] = defaultdict(list)
        self.org_chats: defaultdict[str, list[Listener]] = defaultdict(list)
        self.unreachable = unreachable
        # Who hears a task is asked for every task on every round; the answer only changes
        # with the audience (a new Audience) or the task's parties and reach (part of the key).
        self._heard: dict[tuple[object, ...], frozenset[Listener]] = {}
        self._above: dict[frozenset[str], dict[Listener, list[str]]] = {}
        self._hears: dict[tuple[str, frozenset[str]], bool] = {}
        self._indexed: tuple[Mapping[str, int], list[tuple[int, list[Listener]]]] | None = None
        self._below_ids: dict[frozenset[str], list[tuple[Listener, list[tuple[str, int]]]]] = {}
        # People who blocked the bot (in every channel they joined in): shown, not reminded.
        self.blocked: list[Person] = []
        self.people: dict[int, Person] = {}  # everyone bound, by number (names for histories)
        for person in people:
            self.people[person.id] = person
            reachable = [
                address
                for address in person.addresses
                if (address.channel, address.chat_id) not in unreachable
            ]
            if not reachable:
                if person.addresses:
                    self.blocked.append(person)
                continue
            home = next((b.organisation for b in person.bindings if b.organisation), None)
            own = [b.organisation for b in person.bindings if b.organisation]
            if any(b.role is Role.ADMIN and b.organisation is None for b in person.bindings):
                own += sorted(self.roots)
            # One listener per channel they joined in: a person in Telegram and MAX hears in
            # both.
            for address in reachable:
                self._add_person(
                    person,
                    Listener(
                        address.chat_id,
                        person.id,
                        timezone_of(home, tree, default_timezone),
                        person.language,
                        tuple(dict.fromkeys(own)),
                        address.channel,
                    ),
                )
        for chat in chats:
            if (chat.channel, chat.chat_id) in unreachable:
                continue
            listener = Listener(
                chat.chat_id,
                None,
                timezone_of(chat.organisation, tree, default_timezone),
                organisations=(chat.organisation,) if chat.organisation else (),
                channel=chat.channel,
            )
            if chat.party:
                self.party_chats[chat.party].append(listener)
            if chat.organisation:
                self.org_chats[chat.organisation].append(listener)

    def _add_person(self, person: Person, listener: Listener) -> None:
        for binding in person.bindings:
            if binding.role is Role.ADMIN:
                self.staff.append(listener)
            elif binding.role in (Role.COORDINATOR, Role.REP) and binding.organisation:
                self.at[binding.organisation].append(listener)
                if binding.role is Role.COORDINATOR:
                    self.coordinators[binding.organisation].append(listener)
                else:
                    self.reps[binding.organisation].append(listener)

    def for_task(
        self, task: Task, acting: frozenset[str], owing: Owing | None = None
    ) -> frozenset[Listener]:
        """Who hears the task's reminders; with `owing`, only for organisations that still
        owe it (and a party's chats while any does)."""
        if owing is not None:
            return frozenset(self._still_owing(task, acting, owing))
        key = (task.id, task.responsible, acting)
        found = self._heard.get(key)
        if found is None:
            found = self._heard[key] = frozenset(self._for_task(task, acting))
        return found

    def _for_task(self, task: Task, acting: frozenset[str]) -> set[Listener]:
        heard: set[Listener] = set()
        for places in (self.at, self.org_chats):
            # "Every school" reaches 40,000 organisations of which a few thousand have anyone
            # bound: walk the smaller side.
            if len(acting) > len(places):
                for organisation, listeners in places.items():
                    if organisation in acting:
                        heard.update(listeners)
            else:
                for organisation in acting:
                    heard.update(places.get(organisation, ()))
        for party in task.responsible:
            heard.update(self.party_chats.get(party, ()))
        if acting & self.roots:
            heard.update(self.staff)
        return heard

    def _still_owing(self, task: Task, acting: frozenset[str], owing: Owing) -> set[Listener]:
        heard: set[Listener] = set()
        pending = owing.pending
        size = len(pending)
        for org_id, listeners in self._by_id(owing.ids):
            if org_id < size and pending[org_id]:  # owing it implies acting for it
                heard.update(listeners)
        if owing.anyone():
            for party in task.responsible:
                heard.update(self.party_chats.get(party, ()))
        if any(owing(root) for root in acting & self.roots):
            heard.update(self.staff)
        return heard

    def _by_id(self, ids: Mapping[str, int]) -> list[tuple[int, list[Listener]]]:
        """Everyone who hears for an organisation, by the organisation's id (asked for every
        task of every round at the region's scale: one byte look-up each)."""
        if self._indexed is None or self._indexed[0] is not ids:
            pairs = [
                (ids[organisation], listeners)
                for places in (self.at, self.org_chats)
                for organisation, listeners in places.items()
                if organisation in ids
            ]
            self._indexed = (ids, pairs)
        return self._indexed[1]

    def hears_party(self, party: str, acting: frozenset[str]) -> bool:
        """Whether anyone would hear a reminder addressed to this party (asked by every
        /status, so remembered)."""
        key = (party, acting)
        found = self._hears.get(key)
        if found is None:
            found = self._hears[key] = bool(
                self.party_chats.get(party)
                or (acting & self.roots and self.staff)
                or any(self.at.get(org) or self.org_chats.get(org) for org in acting)
            )
        return found

    def for_dating(self, acting: frozenset[str]) -> set[Listener]:
        heard = set(self.staff)
        for organisation in acting:
            heard.update(self.coordinators.get(organisation, ()))
        return heard

    def supervisors(
        self, acting: frozenset[str], late: Owing | None = None
    ) -> dict[Listener, list[str]]:
        """Coordinator above each acting organisation -> the organisations below them (with
        `late`, only those still late: each coordinator hears of its own subtree's)."""
        found = self._above.get(acting)
        if found is None:
            found = self._above[acting] = self._supervisors(acting)
        if late is None:
            return found
        below_ids = self._below_ids.get(acting)
        if below_ids is None:
            ids = late.ids
            below_ids = self._below_ids[acting] = [
                (listener, [(name, ids.get(name, -1)) for name in below])
                for listener, below in found.items()
            ]
        pending = late.pending
        size = len(pending)
        narrowed = {}
        for listener, below_of in below_ids:
            still = [name for name, org_id in below_of if 0 <= org_id < size and pending[org_id]]
            if still:
                narrowed[listener] = still
        return narrowed

    def _supervisors(self, acting: frozenset[str]) -> dict[Listener, list[str]]:
        below: defaultdict[Listener, list[str]] = defaultdict(list)
        for organisation in sorted(acting):
            org = self.tree.by_name.get(organisation)
            if org is None or org.parent is None:
                continue
            above = self.coordinators.get(org.parent, ())
            if not above and org.parent in self.roots:
                above = self.staff
            for listener in above:
                below[listener].append(organisation)
        return dict(below)


def address(
    reminders: Mapping[int, Sequence[Item]],
    escalations: Mapping[int, Item],
    tasks: Mapping[int, Task],
    audience: Audience,
    acting: Mapping[int, frozenset[str]],
    owing: Callable[[Task, Item], Owing | None] = lambda _task, _item: None,
) -> dict[Listener, list[Line]]:
    """Every listener's lines for a round: their digest, before merging and rendering.
    `owing(task, item)` tells which organisations still owe what the item is about (None:
    everyone acting for it does, as for a task nobody has a share of)."""
    lines: defaultdict[Listener, list[Line]] = defaultdict(list)
    for task_id, items in reminders.items():
        task = tasks[task_id]
        reach = acting.get(task_id, frozenset())
        for item in items:
            heard = (
                audience.for_dating(reach)
                if item.reason is Reason.UNDATED
                else audience.for_task(task, reach, owing(task, item))
            )
            line = Line(item)  # one object for everyone who hears it (encoded once, too)
            for listener in heard:
                lines[listener].append(line)
    for task_id, item in escalations.items():
        above = audience.supervisors(acting.get(task_id, frozenset()), owing(tasks[task_id], item))
        for listener, below in above.items():
            lines[listener].append(Line(item, tuple(below)))
    return lines


def merge_lines(lines: Iterable[Line]) -> list[Line]:
    """A listener's lines over one or several days, merged as `reminders.merge` merges items
    (an escalation keeps the organisations of its latest day)."""
    latest: dict[Item, Line] = {}
    for line in lines:
        latest[line.item] = line
    return [latest[item] for item in merge(latest)]
