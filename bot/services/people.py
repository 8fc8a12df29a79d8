"""People and onboarding: who is writing, invite links, binding by `/start <token>`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.access import Action, Binding, OrgTree, Person, Role, may_invite
from bot.domain.invites import (
    DEFAULT_TTL_DAYS,
    TOKEN_BYTES,
    InviteProblem,
    problem_with,
    token_hash,
    well_formed,
)
from bot.domain.model import OrganisationKind
from bot.services.clock import Clock
from bot.services.snapshots import Snapshots
from storage.audit import AuditLog
from storage.db import Database
from storage.outbox import OutboxStore
from storage.people import ChatBinding, PeopleStore

# The command line acts with the department's full rights.
CLI = Person(telegram_id=0, name="cli", bindings=(Binding(Role.ADMIN),))


def actor_name(person: Person) -> str:
    return "cli" if person is CLI else f"person:{person.telegram_id}"


class Forbidden(Exception):
    """The person may not do this; nothing was changed."""

    def __init__(self, action: Action | str) -> None:
        super().__init__(str(action))
        self.action = action


class UnknownOrganisation(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class WrongKindForRole(Exception):
    """A coordinator is bound to an authority (a regional body or a municipality)."""

    def __init__(self, organisation: str, role: Role) -> None:
        super().__init__(f"{role}: {organisation}")
        self.organisation = organisation
        self.role = role


class InviteRefused(Exception):
    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Invite:
    token: str
    role: Role
    organisation: str | None
    expires_at: datetime
    multi_use: bool


@dataclass(frozen=True, slots=True)
class Joined:
    person: Person
    binding: Binding
    new: bool  # False: the person already held this binding


class PeopleService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        *,
        admin_ids: tuple[int, ...] = (),
        invite_ttl_days: int = DEFAULT_TTL_DAYS,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.admin_ids = frozenset(admin_ids)
        self.invite_ttl = timedelta(days=invite_ttl_days)
        # Bindings change only through this service, in this process, so people are kept in
        # memory: an ordinary update costs no database read at all.
        self._known: dict[int, Person] = {}

    async def identify(
        self, user_id: int, name: str, username: str | None, language: str | None
    ) -> Person:
        """The person behind an update, remembered; ADMIN_IDS become admins on first contact."""
        cached = self._known.get(user_id)
        if (
            cached is not None
            and (cached.name, cached.username, cached.language) == (name, username, language)
            and (user_id not in self.admin_ids or cached.is_admin)
        ):
            return cached
        async with self.database.transaction() as connection:
            store = PeopleStore(connection)
            person = await store.get(user_id)
            now = self.clock.now()
            changed = person is None or (person.name, person.username, person.language) != (
                name,
                username,
                language,
            )
            if changed:
                await store.seen(user_id, name, username, language, now)
            needs_admin = user_id in self.admin_ids and (person is None or not person.is_admin)
            if needs_admin:
                await store.bind(user_id, Binding(Role.ADMIN), now)
                await AuditLog(connection).record(
                    at=now,
                    actor="settings:ADMIN_IDS",
                    action="bound",
                    subject="person",
                    subject_id=user_id,
                    new=Role.ADMIN.value,
                )
            if changed or needs_admin:
                person = await store.get(user_id)
            assert person is not None
        self._known[user_id] = person
        return person

    async def bound_people(self) -> list[Person]:
        async with self.database.transaction() as connection:
            return await PeopleStore(connection).bound_people()

    async def reachable_again(self, person: Person) -> bool:
        """The person wrote to the bot: if they had blocked it, reminders reach them again."""
        async with self.database.transaction() as connection:
            return await OutboxStore(connection).reachable_again(person.telegram_id)

    async def chats(self) -> list[ChatBinding]:
        """Group chats bound as reminder targets."""
        async with self.database.transaction() as connection:
            return await PeopleStore(connection).chats()

    async def tree(self) -> OrgTree:
        return await self.snapshots.tree()

    async def create_invite(
        self,
        actor: Person,
        role: Role,
        organisation: str | None,
        *,
        multi_use: bool = False,
        ttl_days: int | None = None,
    ) -> Invite:
        tree = await self.snapshots.tree()
        async with self.database.transaction() as connection:
            if organisation is not None and organisation not in tree.by_name:
                raise UnknownOrganisation(organisation)
            if role in (Role.COORDINATOR, Role.REP) and organisation is None:
                raise WrongKindForRole("", role)
            if (
                role is Role.COORDINATOR
                and organisation is not None
                and tree.by_name[organisation].kind is not OrganisationKind.AUTHORITY
            ):
                raise WrongKindForRole(organisation, role)
            if not may_invite(actor, role, organisation, tree):
                raise Forbidden(Action.INVITE)
            now = self.clock.now()
            expires_at = now + (timedelta(days=ttl_days) if ttl_days else self.invite_ttl)
            token = secrets.token_urlsafe(TOKEN_BYTES)
            invite_id = await PeopleStore(connection).add_invite(
                token_hash=token_hash(token),
                role=role,
                organisation=organisation if role is not Role.ADMIN else None,
                created_by=None if actor is CLI else actor.telegram_id,
                now=now,
                expires_at=expires_at,
                multi_use=multi_use,
            )
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(actor),
                action="invite",
                subject="invite",
                subject_id=invite_id,
                new=f"{role.value}@{organisation or '*'}" + (" multi-use" if multi_use else ""),
            )
        return Invite(token, role, organisation, expires_at, multi_use)

    async def create_invites_for_all(
        self, role: Role, *, kind: OrganisationKind | None = None, ttl_days: int | None = None
    ) -> list[Invite]:
        """One single-use invite per organisation (of `kind`), for a mail merge."""
        tree = await self.tree()
        wanted = [
            org.name
            for org in tree.by_name.values()
            if (kind is None or org.kind is kind)
            and (role is not Role.COORDINATOR or org.kind is OrganisationKind.AUTHORITY)
        ]
        invites = []
        for name in wanted:
            invites.append(await self.create_invite(CLI, role, name, ttl_days=ttl_days))
        return invites

    async def redeem(self, person: Person, token: str) -> Joined:
        """Bind the person as the invite says. Expired, used, unknown or malformed: refused."""
        if not well_formed(token):
            raise InviteRefused(InviteProblem.MALFORMED)
        async with self.database.transaction() as connection:
            store = PeopleStore(connection)
            invite = await store.find_invite(token_hash(token))
            if invite is None:
                raise InviteRefused(InviteProblem.UNKNOWN)
            now = self.clock.now()
            problem = problem_with(
                expires_at=invite.expires_at,
                multi_use=invite.multi_use,
                uses=invite.uses,
                revoked_at=invite.revoked_at,
                now=now,
            )
            if problem is None and not await store.use_invite(invite.id, now):
                problem = InviteProblem.USED  # someone else took it a moment ago
            if problem is not None:
                raise InviteRefused(problem)
            binding = Binding(invite.role, invite.organisation)
            new = await store.bind(person.telegram_id, binding, now, invite_id=invite.id)
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(person),
                action="bound",
                subject="person",
                subject_id=person.telegram_id,
                new=f"{binding.role.value}@{binding.organisation or '*'}",
            )
            updated = await store.get(person.telegram_id)
        assert updated is not None
        self._known[updated.telegram_id] = updated
        return Joined(updated, binding, new)
