"""What people read, kept in memory while the database has not changed.

Every update asks who may see what: the registry's tree, the roadmap's tasks and who acts for
each. Reading them per update would cost more than all else the bot does, so they are read
once and kept until `Database.version()` moves (at once for changes made by this process,
within a second for changes made by another, such as the CLI importing a revised order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.access import OrgTree
from bot.domain.audience import Audience, BoundChat
from bot.domain.indicators import IndicatorHistory, versions_by_code
from bot.domain.links import PartyMap
from bot.domain.model import ReminderPolicy, Task
from bot.services.roadmaps import resolve_roadmap
from storage.audit import AuditLog, Entry
from storage.db import Database
from storage.organisations import OrganisationStore
from storage.outbox import OutboxStore
from storage.people import PeopleStore
from storage.reports import ReportStore
from storage.roadmaps import RoadmapHeader, RoadmapStore

MAX_HISTORIES = 10_000


@dataclass(frozen=True, slots=True)
class RoadmapView:
    roadmap: RoadmapHeader
    tasks: tuple[Task, ...]  # current tasks, document order
    tree: OrgTree
    parties: PartyMap
    acting: Mapping[int, frozenset[str]]  # task id -> organisations acting for it
    policy: ReminderPolicy

    def task(self, task_id: int) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)


class Snapshots:
    def __init__(self, database: Database, *, max_age: float = 1.0) -> None:
        self.database = database
        self.max_age = max_age  # how stale another process's change may be, in seconds
        self._tree: tuple[tuple[int, int], OrgTree] | None = None
        self._views: dict[str | None, tuple[tuple[int, int], RoadmapView]] = {}
        self._histories: dict[int, tuple[tuple[int, int], tuple[Entry, ...]]] = {}
        self._audience: tuple[tuple[int, int], Audience] | None = None
        self._ids: tuple[tuple[int, int], Mapping[str, int]] | None = None
        self._indicators: dict[int, tuple[tuple[int, int], tuple[IndicatorHistory, ...]]] = {}
        self._languages: tuple[tuple[int, int], Mapping[int, str | None]] | None = None

    async def organisation_ids(self) -> Mapping[str, int]:
        """Organisation name -> id, for storing reports (names are what people see)."""
        version = await self.database.version(max_age=self.max_age)
        if self._ids is None or self._ids[0] != version:
            async with self.database.transaction(write=False) as connection:
                ids = await OrganisationStore(connection).ids_by_name()
            self._ids = (version, ids)
        return self._ids[1]

    async def languages(self) -> Mapping[int, str | None]:
        """Each stored person's language as it is now (person number -> their messenger's
        language code): what a message planned earlier is said in when it goes out."""
        version = await self.database.version(max_age=self.max_age)
        if self._languages is None or self._languages[0] != version:
            async with self.database.transaction(write=False) as connection:
                found = await PeopleStore(connection).languages()
            self._languages = (version, found)
        return self._languages[1]

    async def indicators(self, roadmap_id: int) -> tuple[IndicatorHistory, ...]:
        """The roadmap's indicators, each with all its versions, in the order defined."""
        version = await self.database.version(max_age=self.max_age)
        cached = self._indicators.get(roadmap_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        async with self.database.transaction(write=False) as connection:
            versions = await ReportStore(connection).indicators(roadmap_id)
        histories = tuple(versions_by_code(versions).values())
        self._indicators[roadmap_id] = (version, histories)
        return histories

    async def audience(self, default_timezone: str) -> Audience:
        """Who can hear reminders: bound people and chats, less those that blocked the bot."""
        version = await self.database.version(max_age=self.max_age)
        if self._audience is not None and self._audience[0] == version:
            return self._audience[1]
        tree = await self.tree()
        async with self.database.transaction(write=False) as connection:
            store = PeopleStore(connection)
            people = await store.bound_people()
            chats = [
                BoundChat(chat.chat_id, chat.party, chat.organisation, chat.channel)
                for chat in await store.chats()
            ]
            unreachable = frozenset(await OutboxStore(connection).unreachable_everywhere())
        audience = Audience(
            people, chats, tree, default_timezone=default_timezone, unreachable=unreachable
        )
        self._audience = (version, audience)
        return audience

    async def history(self, task_id: int) -> tuple[Entry, ...]:
        """A task's history, read once per change of the database (cards are opened often)."""
        version = await self.database.version(max_age=self.max_age)
        cached = self._histories.get(task_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        async with self.database.transaction(write=False) as connection:
            entries = tuple(await AuditLog(connection).history("task", task_id))
        if len(self._histories) > MAX_HISTORIES:
            self._histories.clear()
        self._histories[task_id] = (version, entries)
        return entries

    async def tree(self) -> OrgTree:
        version = await self.database.version(max_age=self.max_age)
        if self._tree is None or self._tree[0] != version:
            async with self.database.transaction(write=False) as connection:
                tree = OrgTree(await OrganisationStore(connection).all())
            self._tree = (version, tree)
        return self._tree[1]

    async def roadmap(self, slug: str | None = None) -> RoadmapView:
        """The roadmap called `slug` (the newest by default) with who acts for each task."""
        version = await self.database.version(max_age=self.max_age)
        cached = self._views.get(slug)
        if cached is not None and cached[0] == version:
            return cached[1]
        tree = await self.tree()
        async with self.database.transaction(write=False) as connection:
            store = RoadmapStore(connection)
            header = await resolve_roadmap(store, slug)
            tasks = tuple(await store.tasks(header.id))
            parties = PartyMap(await PeopleStore(connection).party_links(header.id), tree)
            policy = await store.policy(header.id)
        view = RoadmapView(
            roadmap=header,
            tasks=tasks,
            tree=tree,
            parties=parties,
            acting={task.id: parties.acting_for(task) for task in tasks if task.id is not None},
            policy=policy,
        )
        self._views[slug] = (version, view)
        return view
