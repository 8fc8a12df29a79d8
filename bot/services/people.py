"""People and onboarding: who is writing, invite links, binding by `/start <token>`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.access import (
    INVITABLE,
    Action,
    Binding,
    OrgTree,
    Person,
    Role,
    may_invite,
    may_withdraw,
    reach,
)
from bot.domain.channels import CHANNELS, Identity, channel_user
from bot.domain.invites import (
    CHANNEL_NAMES,
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
from storage.locks import lock_rows
from storage.outbox import OutboxStore
from storage.people import ChatBinding, PeopleStore, StoredChannelInvite, StoredPerson
from storage.people import StoredInvite as StoredInvite  # handlers list invites
from storage.tables import people as people_rows

# The command line acts with the department's full rights.
CLI = Person(id=0, name="cli", bindings=(Binding(Role.ADMIN),))
# The number of someone who has not joined: they are not stored, so they have none.
STRANGER = 0


PERSON_ACTOR = "person:"  # how audit_log, share_marks and weekly_reports name a person


def actor_name(person: Person) -> str:
    """The actor string that names `person` in history: "person:N", or "cli"."""
    return "cli" if person is CLI else f"{PERSON_ACTOR}{person.id}"


def person_of(actor: str) -> int | None:
    """The person number an actor string names ("person:N" -> N); None for any other actor."""
    if not actor.startswith(PERSON_ACTOR):
        return None
    number = actor[len(PERSON_ACTOR) :]
    return int(number) if number.isdigit() else None


# What a forgotten person's row keeps as a name: reports and history that name them as
# "person:N" read this (bot/services/shares.py, describe_actor), not the erased name.
FORGOTTEN_NAME = "удалённый пользователь"

# Invite guesses: at most this many `/start <token>` tries per person in this window.
GUESSES_PER_WINDOW = 5
GUESS_WINDOW = timedelta(minutes=1)


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
    """The token was refused; nothing changed. `key` and `values` name the answer in Texts."""

    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem

    @property
    def key(self) -> str:
        return f"invite.{self.problem.value}"

    @property
    def values(self) -> dict[str, str]:
        return {}


class LinkRefused(InviteRefused):
    """A personal link to another messenger was refused (used, expired, for someone unbound
    or forgotten, opened by an account that is someone else's, or in the wrong messenger)."""

    def __init__(self, problem: InviteProblem, channel: str) -> None:
        super().__init__(problem)
        self.channel = channel  # the messenger the link is for

    @property
    def key(self) -> str:
        return f"link.{self.problem.value}"

    @property
    def values(self) -> dict[str, str]:
        return {"channel": CHANNEL_NAMES[self.channel]}


class TooManyGuesses(Exception):
    """Too many invite tokens tried in a short time; nothing was checked."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(str(retry_after))
        self.retry_after = retry_after


class NoSuchInvite(Exception):
    def __init__(self, invite_id: int) -> None:
        super().__init__(str(invite_id))
        self.invite_id = invite_id


class NoSuchPerson(Exception):
    def __init__(self, person_id: int) -> None:
        super().__init__(str(person_id))
        self.person_id = person_id


class NotBoundThere(Exception):
    """The person holds no binding (to that organisation) the actor could take away."""

    def __init__(self, person_id: int, organisation: str | None) -> None:
        super().__init__(f"{person_id}@{organisation or '*'}")
        self.person_id = person_id
        self.organisation = organisation


@dataclass(frozen=True, slots=True)
class Revoked:
    invite: StoredInvite
    changed: bool  # False: it was revoked already


@dataclass(frozen=True, slots=True)
class Unbound:
    person: Person  # as they were before
    removed: tuple[Binding, ...]
    kept: tuple[Binding, ...]  # bindings outside the actor's reach (or another organisation)


def invite_is_open(invite: StoredInvite, now: datetime) -> bool:
    return (
        invite.revoked_at is None
        and invite.expires_at > now
        and (invite.multi_use or invite.uses == 0)
    )


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


@dataclass(frozen=True, slots=True)
class ChannelInvite:
    """A personal one-time link for `channel`: whoever opens it there becomes known there as
    the person it was made for (their bindings, their reminders, in that messenger too)."""

    token: str
    channel: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Linked:
    """A personal link was opened: `person` is now known in `channel` too."""

    person: Person
    channel: str
    new: bool  # False: this account was theirs already; nothing changed


def invite_kinds(role: Role) -> tuple[OrganisationKind, ...]:
    """The kinds of organisation a role may be bound to (none: any)."""
    return (OrganisationKind.AUTHORITY,) if role is Role.COORDINATOR else ()


class PeopleService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        *,
        admin_ids: Iterable[object] = (),
        invite_ttl_days: int = DEFAULT_TTL_DAYS,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        # (channel, user id there): ADMIN_IDS as the settings read it (`123`, `max:456`).
        self.admin_ids = frozenset(channel_user(user) for user in admin_ids)
        self.invite_ttl = timedelta(days=invite_ttl_days)
        # Bindings change only through this service, in this process, so people are kept in
        # memory: an ordinary update costs no database read at all.
        # Each kept with the database's version when read: a change by another process (the
        # CLI unbinding someone) moves it, and the person is read again.
        self._known: dict[tuple[str, str], tuple[tuple[int, int], Person]] = {}
        self._admins_settled = False
        self._guesses: dict[object, list[datetime]] = {}

    async def identify(
        self,
        channel: str,
        user_id: int | str,
        name: str,
        username: str | None,
        language: str | None,
        *,
        chat_id: int | None = None,
    ) -> Person:
        """The person behind an event: `user_id` in `channel` (`chat_id`: their private chat
        there, when it is not the user id — a MAX dialog). Only people who joined are stored:
        a stranger (or someone unbound or forgotten) is answered as a stranger — number 0 —
        and nothing about them is written. ADMIN_IDS become admins on first contact."""
        await self.settle_admins()
        identity = Identity(channel, str(user_id), chat_id)
        key = (channel, identity.external_id)
        version = await self.database.version()
        cached = self._known.get(key)
        if (
            cached is not None
            and cached[0] == version  # another process (the CLI) may have unbound them
            and (cached[1].name, cached[1].username, cached[1].language, cached[1].via)
            == (name, username, language, identity)
            and (key not in self.admin_ids or cached[1].is_admin)
        ):
            return cached[1]
        async with self.database.transaction() as connection:
            store = PeopleStore(connection)
            person_id = await store.person_of(channel, identity.external_id)
            person = None if person_id is None else await store.get(person_id)
            needs_admin = key in self.admin_ids and (person is None or not person.is_admin)
            if not needs_admin and (person is None or not person.known):
                self._known.pop(key, None)
                number = STRANGER if person is None else person.id  # unbound: still stored
                return Person(number, name, (), username, language, via=identity)
            now = self.clock.now()
            changed = person is None or (person.name, person.username, person.language) != (
                name,
                username,
                language,
            )
            if person is not None and identity.chat_id is not None:  # a dialog found anew
                changed = changed or person.address_in(channel) != identity.address
            if changed:
                person_id = await store.identify(
                    identity, name=name, username=username, language=language, now=now
                )
            assert person_id is not None
            if needs_admin:
                await store.bind(person_id, Binding(Role.ADMIN), now)
                await AuditLog(connection).record(
                    at=now,
                    actor="settings:ADMIN_IDS",
                    action="bound",
                    subject="person",
                    subject_id=person_id,
                    new=Role.ADMIN.value,
                )
            if changed or needs_admin:
                person = await store.get(person_id)
            assert person is not None
        person = replace(person, via=identity)
        self._known[key] = (await self.database.version(), person)
        return person

    async def settle_admins(self) -> None:
        """ADMIN_IDS is the truth at every start: an admin binding that came from it (not
        from an admin invite) is removed once the id is no longer listed. Run once per process,
        before the first person is identified or the bound people are listed."""
        if self._admins_settled:
            return
        async with self.database.transaction() as connection:
            store = PeopleStore(connection)
            now = self.clock.now()
            admins = await store.settings_admins()
            known_as = await store.identities_of(admins)
            for person_id in admins:
                if any(
                    (identity.channel, identity.external_id) in self.admin_ids
                    for identity in known_as.get(person_id, ())
                ):
                    continue
                if not await store.drop_settings_admin(person_id):
                    continue  # another process starting with the same settings did it
                await AuditLog(connection).record(
                    at=now,
                    actor="settings:ADMIN_IDS",
                    action="unbound",
                    subject="person",
                    subject_id=person_id,
                    old=Role.ADMIN.value,
                )
                self._forget_cached(person_id)
        self._admins_settled = True

    def _forget_cached(self, person_id: int) -> None:
        for key, (_, person) in list(self._known.items()):
            if person.id == person_id:
                del self._known[key]

    async def bound_people(self) -> list[Person]:
        await self.settle_admins()
        async with self.database.transaction() as connection:
            return await PeopleStore(connection).bound_people()

    async def reachable_again(self, person: Person) -> bool:
        """The person wrote to the bot: if they had blocked it, reminders reach them again
        (in the channel they wrote from)."""
        if person.via is None:
            return False
        address = person.via.address
        async with self.database.transaction() as connection:
            return await OutboxStore(connection).reachable_again(address.chat_id, address.channel)

    async def chats(self) -> list[ChatBinding]:
        """Group chats bound as reminder targets."""
        async with self.database.transaction() as connection:
            return await PeopleStore(connection).chats()

    async def tree(self) -> OrgTree:
        return await self.snapshots.tree()

    # -- who may invite whom ------------------------------------------------------------------

    def invitable_roles(self, actor: Person) -> list[Role]:
        """The roles the actor may invite to (in Role's order); empty: they may invite
        nobody."""
        return [role for role in Role if any(role in INVITABLE[b.role] for b in actor.bindings)]

    async def invite_targets(self, actor: Person, role: Role, query: str) -> list[str]:
        """The organisations called `query` the actor may invite `role` to: within their
        reach, of a kind the role may be bound to (a coordinator: an education authority)."""
        tree = await self.snapshots.tree()
        kinds = invite_kinds(role)
        scopes = [reach(b, tree) for b in actor.bindings if role in INVITABLE[b.role]]
        reachable = (
            tree.by_name.keys()
            if any(scope is None for scope in scopes)
            else set().union(*(scope for scope in scopes if scope is not None))
        )
        within = frozenset(
            name for name in reachable if not kinds or tree.by_name[name].kind in kinds
        )
        return tree.search(query, within)

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
            kinds = invite_kinds(role)
            if organisation is not None and kinds and tree.by_name[organisation].kind not in kinds:
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
                created_by=None if actor is CLI else actor.id,
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
        kinds = invite_kinds(role)
        wanted = [
            org.name
            for org in tree.by_name.values()
            if (kind is None or org.kind is kind) and (not kinds or org.kind in kinds)
        ]
        invites = []
        for name in wanted:
            invites.append(await self.create_invite(CLI, role, name, ttl_days=ttl_days))
        return invites

    async def redeem(self, person: Person, token: str) -> Joined | Linked:
        """What a start token says: an invite binds the person as it says (Joined); a personal
        link to another messenger makes them known here as the person it was made for
        (Linked). Expired, used, unknown or malformed: refused (InviteRefused, LinkRefused),
        nothing changed; more than GUESSES_PER_WINDOW tries a minute: refused unread."""
        self._count_guess(person.via if person.via is not None else person.id)
        if not well_formed(token):
            raise InviteRefused(InviteProblem.MALFORMED)
        outcome: Joined | Linked
        async with self.database.transaction() as connection:
            store = PeopleStore(connection)
            invite = await store.find_invite(token_hash(token))
            if invite is not None:
                outcome = await self._join(connection, person, invite)
            else:
                personal = await store.find_channel_invite(token_hash(token))
                if personal is None:
                    raise InviteRefused(InviteProblem.UNKNOWN)
                outcome = await self._link(connection, person, personal)
        if isinstance(outcome, Linked) and outcome.new:  # cached copies lack the new address
            self._forget_cached(outcome.person.id)
        if person.via is not None:
            key = (person.via.channel, person.via.external_id)
            self._known[key] = (await self.database.version(), outcome.person)
        return outcome

    async def _link(
        self, connection: AsyncConnection, person: Person, personal: StoredChannelInvite
    ) -> Linked:
        """Inside redeem's transaction: add the identity `person` writes from to the person
        the personal link was made for, or refuse (LinkRefused) and write nothing."""
        store = PeopleStore(connection)
        now = self.clock.now()

        def refuse(problem: InviteProblem) -> LinkRefused:
            return LinkRefused(problem, personal.channel)

        identity = person.via
        if identity is None or identity.channel != personal.channel:
            raise refuse(InviteProblem.ELSEWHERE)
        owner = await store.get(personal.person_id)
        if owner is None or not owner.known:
            raise refuse(InviteProblem.FORGOTTEN)
        holder = await store.person_of(identity.channel, identity.external_id)
        if holder == owner.id:  # opened again by the account it added: nothing to do
            return Linked(replace(owner, via=identity), identity.channel, new=False)
        if personal.used_at is not None:
            raise refuse(InviteProblem.USED)
        if personal.expires_at <= now:
            raise refuse(InviteProblem.EXPIRED)
        if holder is not None:
            raise refuse(InviteProblem.TAKEN)
        if not await store.use_channel_invite(personal.id, now):
            raise refuse(InviteProblem.USED)  # opened elsewhere a moment ago
        added = await store.add_identity(
            owner.id, identity, username=person.username, language=person.language, now=now
        )
        assert added  # nobody held it a moment ago, inside this write transaction
        await AuditLog(connection).record(
            at=now,
            actor=actor_name(owner),
            action="linked",
            subject="person",
            subject_id=owner.id,
            new=identity.channel,
        )
        updated = await store.get(owner.id)
        assert updated is not None
        return Linked(replace(updated, via=identity), identity.channel, new=True)

    async def channel_invite(self, person: Person, channel: str) -> ChannelInvite:
        """A personal one-time link for the person to be known in `channel` too (valid
        INVITE_TTL_DAYS, stored hashed). The person must have joined (be bound)."""
        if channel not in CHANNELS:
            raise ValueError(channel)
        if not person.known:
            raise NoSuchPerson(person.id)
        async with self.database.transaction() as connection:
            now = self.clock.now()
            token = secrets.token_urlsafe(TOKEN_BYTES)
            expires_at = now + self.invite_ttl
            await PeopleStore(connection).add_channel_invite(
                token_hash=token_hash(token),
                person_id=person.id,
                channel=channel,
                now=now,
                expires_at=expires_at,
            )
        return ChannelInvite(token, channel, expires_at)

    async def _join(
        self, connection: AsyncConnection, person: Person, invite: StoredInvite
    ) -> Joined:
        """Inside redeem's transaction: bind the person as the invite says, or refuse."""
        store = PeopleStore(connection)
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
        # A stranger is stored from the moment they join, not before: found (or made) by
        # the identity they wrote from.
        person_id = person.id
        if person.via is not None:
            person_id = await store.identify(
                person.via,
                name=person.name,
                username=person.username,
                language=person.language,
                now=now,
            )
        elif await store.get(person_id) is None:
            raise NoSuchPerson(person_id)
        joined = replace(person, id=person_id)
        new = await store.bind(person_id, binding, now, invite_id=invite.id)
        if new:  # the history says what changed: a binding held already is not bound again
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(joined),
                action="bound",
                subject="person",
                subject_id=person_id,
                new=f"{binding.role.value}@{binding.organisation or '*'}",
            )
        updated = await store.get(person_id)
        assert updated is not None
        return Joined(replace(updated, via=person.via), binding, new)

    def _count_guess(self, who: object) -> None:
        """`who`: the identity writing (a stranger has no number yet), else the number."""
        now = self.clock.now()
        recent = [at for at in self._guesses.get(who, ()) if now - at < GUESS_WINDOW]
        if len(recent) >= GUESSES_PER_WINDOW:
            self._guesses[who] = recent
            raise TooManyGuesses(recent[0] + GUESS_WINDOW - now)
        recent.append(now)
        self._guesses[who] = recent
        if len(self._guesses) > 10_000:  # forget the quiet ones; memory stays small
            self._guesses = {k: v for k, v in self._guesses.items() if now - v[-1] < GUESS_WINDOW}

    # -- taking access back -----------------------------------------------------------------

    async def invites(self, actor: Person, *, open_only: bool = True) -> list[StoredInvite]:
        """Invites the actor could have made (so may revoke); still usable ones by default."""
        tree = await self.snapshots.tree()
        now = self.clock.now()
        async with self.database.transaction() as connection:
            found = await PeopleStore(connection).all_invites()
        return [
            invite
            for invite in found
            if (not open_only or invite_is_open(invite, now))
            and may_withdraw(actor, Binding(invite.role, invite.organisation), tree)
        ]

    async def revoke(self, actor: Person, invite_id: int) -> Revoked:
        """Revoke an invite (multi-use ones included): its link stops working at once."""
        tree = await self.snapshots.tree()
        async with self.database.transaction() as connection:
            store = PeopleStore(connection)
            invite = await store.invite(invite_id)
            if invite is None:
                raise NoSuchInvite(invite_id)
            if not may_withdraw(actor, Binding(invite.role, invite.organisation), tree):
                raise Forbidden(Action.REVOKE_INVITE)
            now = self.clock.now()
            changed = await store.revoke_invite(invite_id, now)
            if changed:
                await AuditLog(connection).record(
                    at=now,
                    actor=actor_name(actor),
                    action="revoked",
                    subject="invite",
                    subject_id=invite_id,
                    new=f"{invite.role.value}@{invite.organisation or '*'}",
                )
                invite = await store.invite(invite_id)
                assert invite is not None
        return Revoked(invite, changed)

    async def everyone(self) -> list[StoredPerson]:
        """Every stored person (the CLI's `people list`)."""
        await self.settle_admins()
        async with self.database.transaction() as connection:
            return await PeopleStore(connection).everyone()

    async def people_in_reach(self, actor: Person) -> list[Person]:
        """Bound people holding a binding the actor may take away (not the actor)."""
        tree = await self.snapshots.tree()
        return [
            person
            for person in await self.bound_people()
            if person.id != actor.id
            and any(may_withdraw(actor, binding, tree) for binding in person.bindings)
        ]

    async def unbind(
        self, actor: Person, person_id: int, organisation: str | None = None
    ) -> Unbound:
        """Take away the person's bindings within the actor's reach (to `organisation` only,
        when given). Nothing in reach: refused, nothing changed. The person stays stored (their
        name labels what they did) until forgotten."""
        tree = await self.snapshots.tree()
        if organisation is not None and organisation not in tree.by_name:
            raise UnknownOrganisation(organisation)
        async with self.database.transaction() as connection:
            # The bindings read are the ones taken away (a bind waits on the same row lock).
            await lock_rows(connection, people_rows, [person_id])
            store = PeopleStore(connection)
            person = await store.get(person_id)
            if person is None or not person.known:
                raise NoSuchPerson(person_id)
            there = [
                b for b in person.bindings if organisation is None or b.organisation == organisation
            ]
            if not there:
                raise NotBoundThere(person_id, organisation)
            removable = [b for b in there if may_withdraw(actor, b, tree)]
            if not removable:
                raise Forbidden(Action.UNBIND)
            names = {b.organisation for b in removable}
            if None in names:  # a region-wide binding: only an admin reaches it
                await store.unbind(person_id)
                removable = list(person.bindings)
            else:
                await store.unbind(person_id, [n for n in names if n is not None])
            now = self.clock.now()
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(actor),
                action="unbound",
                subject="person",
                subject_id=person_id,
                old=", ".join(f"{b.role.value}@{b.organisation or '*'}" for b in removable),
            )
        self._forget_cached(person_id)
        kept = tuple(b for b in person.bindings if b not in removable)
        return Unbound(person, tuple(removable), kept)

    async def forget(self, actor: Person, person_id: int) -> bool:
        """Erase the person's personal data: name, username, language, bindings. Reports and
        history they made stay, attributed to «удалённый пользователь». Only the person
        themselves or the command line may; False if nobody by that id is stored."""
        if actor is not CLI and actor.id != person_id:
            raise Forbidden(Action.UNBIND)
        async with self.database.transaction() as connection:
            now = self.clock.now()
            found = await PeopleStore(connection).forget(person_id, FORGOTTEN_NAME, now)
            if found:
                await AuditLog(connection).record(
                    at=now,
                    actor=actor_name(actor),
                    action="forgotten",
                    subject="person",
                    subject_id=person_id,
                )
        self._forget_cached(person_id)
        self._guesses.pop(person_id, None)
        return found
