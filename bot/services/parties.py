"""Who acts for each roadmap party, and which group chats receive its reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.access import Action, OrgTree, Person, may
from bot.domain.channels import TELEGRAM
from bot.domain.links import Clear, EveryOfKind, PartyLink, link_targets, parse_party_target
from bot.services.clock import Clock
from bot.services.people import Forbidden, UnknownOrganisation, actor_name
from bot.services.roadmaps import resolve_roadmap
from bot.services.snapshots import Snapshots
from storage.audit import AuditLog
from storage.db import Database
from storage.locks import lock_rows
from storage.people import PeopleStore
from storage.roadmaps import RoadmapStore
from storage.tables import parties, roadmaps


class NoSuchParty(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(str(index))
        self.index = index


class AmbiguousOrganisation(Exception):
    def __init__(self, query: str, matches: list[str]) -> None:
        super().__init__(query)
        self.query = query
        self.matches = matches


@dataclass(frozen=True, slots=True)
class PartyView:
    index: int  # 1-based, as shown in /parties
    name: str
    links: tuple[PartyLink, ...]
    counts: tuple[int, ...]  # organisations each link reaches
    people: int  # people bound to those organisations


class PartyService:
    def __init__(self, database: Database, clock: Clock, snapshots: Snapshots) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots

    async def _views(self, connection: AsyncConnection, tree: OrgTree) -> list[PartyView]:
        header = await resolve_roadmap(RoadmapStore(connection), None)
        store = PeopleStore(connection)
        links = await store.party_links(header.id)
        views = []
        names = [party.name for party in await RoadmapStore(connection).parties(header.id)]
        for index, name in enumerate(names, start=1):
            own = tuple(link for link in links if link.party == name)
            reached = [link_targets(link, tree) for link in own]
            acting = frozenset().union(*reached)
            people = await store.people_at(acting) if acting else {}
            views.append(
                PartyView(
                    index=index,
                    name=name,
                    links=own,
                    counts=tuple(len(r) for r in reached),
                    people=sum(len(found) for found in people.values()),
                )
            )
        return views

    async def overview(self, person: Person) -> list[PartyView]:
        tree = await self.snapshots.tree()
        async with self.database.transaction() as connection:
            if not may(person, Action.EDIT_PARTIES, tree):
                raise Forbidden(Action.EDIT_PARTIES)
            return await self._views(connection, tree)

    async def assign(self, person: Person, index: int, target_text: str) -> PartyView:
        """`/parties N <organisation | все школы | нет>`: replace who acts for party N."""
        tree = await self.snapshots.tree()
        async with self.database.transaction() as connection:
            if not may(person, Action.EDIT_PARTIES, tree):
                raise Forbidden(Action.EDIT_PARTIES)
            # The links read below are what the audit calls old: another edit of the roadmap's
            # parties waits on its row until this one commits (PostgreSQL).
            header = await resolve_roadmap(RoadmapStore(connection), None)
            await lock_rows(connection, roadmaps, [header.id])
            views = await self._views(connection, tree)
            if not 1 <= index <= len(views):
                raise NoSuchParty(index)
            view = views[index - 1]
            target = parse_party_target(target_text)
            links: list[PartyLink]
            if isinstance(target, Clear):
                links = []
            elif isinstance(target, EveryOfKind):
                roots = [org.name for org in tree.by_name.values() if org.parent is None]
                if not roots:
                    raise UnknownOrganisation(target_text)
                links = [
                    PartyLink(view.name, root, kind) for kind in target.kinds for root in roots
                ]
            else:
                matches = tree.search(target)
                if not matches:
                    raise UnknownOrganisation(target)
                if len(matches) > 1:
                    raise AmbiguousOrganisation(target, matches)
                links = [PartyLink(view.name, matches[0])]
            party_id = await connection.scalar(
                select(parties.c.id).where(
                    parties.c.roadmap_id == header.id, parties.c.name == view.name
                )
            )
            assert party_id is not None
            await PeopleStore(connection).set_party_links(int(party_id), links)
            await AuditLog(connection).record(
                at=self.clock.now(),
                actor=actor_name(person),
                action="links",
                subject="party",
                subject_id=int(party_id),
                old="; ".join(_describe(link) for link in view.links),
                new="; ".join(_describe(link) for link in links),
            )
            return (await self._views(connection, tree))[index - 1]

    async def bind_chat(
        self,
        person: Person,
        chat_id: int,
        title: str | None,
        index: int,
        now: datetime,
        *,
        channel: str = TELEGRAM,
    ) -> tuple[str, bool]:
        """Make a group chat (of `channel`) a reminder target for party N; (party name,
        newly bound)."""
        tree = await self.snapshots.tree()
        if not may(person, Action.BIND_CHAT, tree):
            raise Forbidden(Action.BIND_CHAT)
        async with self.database.transaction() as connection:
            views = await self._views(connection, tree)
            if not 1 <= index <= len(views):
                raise NoSuchParty(index)
            name = views[index - 1].name
            header = await resolve_roadmap(RoadmapStore(connection), None)
            party_id = await connection.scalar(
                select(parties.c.id).where(
                    parties.c.roadmap_id == header.id, parties.c.name == name
                )
            )
            new = await _bind(
                connection, person, chat_id, title, name, now, channel, party_id=party_id
            )
        return name, new

    async def bind_chat_to_organisation(
        self,
        person: Person,
        chat_id: int,
        title: str | None,
        query: str,
        now: datetime,
        *,
        channel: str = TELEGRAM,
    ) -> tuple[str, bool]:
        """Make a group chat (of `channel`) a reminder target for an organisation; (its name,
        newly bound)."""
        tree = await self.snapshots.tree()
        if not may(person, Action.BIND_CHAT, tree):
            raise Forbidden(Action.BIND_CHAT)
        matches = tree.search(query)
        if not matches:
            raise UnknownOrganisation(query)
        if len(matches) > 1:
            raise AmbiguousOrganisation(query, matches)
        async with self.database.transaction() as connection:
            new = await _bind(
                connection,
                person,
                chat_id,
                title,
                matches[0],
                now,
                channel,
                organisation=matches[0],
            )
        return matches[0], new


async def _bind(
    connection: AsyncConnection,
    person: Person,
    chat_id: int,
    title: str | None,
    target: str,
    now: datetime,
    channel: str,
    *,
    party_id: int | None = None,
    organisation: str | None = None,
) -> bool:
    new = await PeopleStore(connection).bind_chat(
        chat_id,
        title,
        party_id=party_id,
        organisation=organisation,
        created_by=person.id,
        now=now,
        channel=channel,
    )
    if new:
        await AuditLog(connection).record(
            at=now,
            actor=actor_name(person),
            action="bound",
            subject="chat",
            subject_id=chat_id,
            new=target,
        )
    return new


def _describe(link: PartyLink) -> str:
    return link.organisation if link.kind is None else f"{link.kind.value}@{link.organisation}"
