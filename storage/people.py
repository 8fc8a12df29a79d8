"""People, their bindings, invites, party links, bound chats and processed events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from bot.domain.access import Binding, Person, Role
from bot.domain.channels import EventKey, Identity
from bot.domain.links import PartyLink
from bot.domain.model import OrganisationKind
from storage.locks import lock_rows
from storage.tables import (
    bindings,
    channel_invites,
    chat_bindings,
    identities,
    invites,
    organisations,
    outbox,
    parties,
    party_links,
    people,
    processed_events,
    report_drafts,
    unreachable_chats,
)

TELEGRAM = "telegram"
# PostgreSQL's advisory lock held while a new person's number is taken (see `identify`).
NEW_PEOPLE_LOCK = 0x0EA5_0001

# Built once (every report claims its event): insert unless noted, in one statement. The
# SQLite dialect's own on_conflict_do_nothing() is not cacheable (compiled on every call),
# so SQLite gets the generic insert with its "OR IGNORE" prefix.
# On PostgreSQL an event may be in hand, claimed by the ledger before handling (claimed_by set,
# see storage/events.py): the effects' claim then takes that row and marks it handled, so the
# effects are stored once whoever holds it. (On SQLite the ledger claims nothing: one process.)
_CLAIM = {
    "sqlite": insert(processed_events).prefix_with("OR IGNORE", dialect="sqlite"),
    "postgresql": postgresql.insert(processed_events).on_conflict_do_update(
        index_elements=[processed_events.c.channel, processed_events.c.event_key],
        set_={"claimed_by": None},
        where=processed_events.c.claimed_by.is_not(None),
    ),
}


def claim_event(connection: Connection, event: EventKey, now: datetime) -> bool:
    """Note one event inside the caller's (sync) transaction; False if it was noted before.
    Claimed in the same transaction as what the event wrote, a redelivery writes nothing."""
    claimed = connection.execute(
        _CLAIM[connection.dialect.name],
        {"channel": event.channel, "event_key": event.key, "processed_at": now},
    )
    return bool(claimed.rowcount == 1)


@dataclass(frozen=True, slots=True)
class StoredInvite:
    id: int
    role: Role
    organisation: str | None
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    multi_use: bool
    uses: int
    revoked_at: datetime | None


def _invite(row: Any) -> StoredInvite:
    return StoredInvite(
        id=row.id,
        role=Role(row.role),
        organisation=row.organisation,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        multi_use=row.multi_use,
        uses=row.uses,
        revoked_at=row.revoked_at,
    )


@dataclass(frozen=True, slots=True)
class StoredChannelInvite:
    """A personal link adding `channel` to person `person_id` (only its hash is stored)."""

    id: int
    person_id: int
    channel: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredPerson:
    """A people row as the `people list` shows it: whoever joined (or was forgotten)."""

    id: int
    name: str
    username: str | None
    bindings: tuple[Binding, ...]
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class ChatBinding:
    chat_id: int
    title: str | None
    party: str | None
    organisation: str | None
    channel: str = TELEGRAM


class PeopleStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _org_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        found = await self.connection.scalar(
            select(organisations.c.id).where(organisations.c.name == name)
        )
        if found is None:
            raise LookupError(name)
        return int(found)

    # -- people and bindings ----------------------------------------------------------------

    async def get(self, person_id: int) -> Person | None:
        row = (
            await self.connection.execute(select(people).where(people.c.id == person_id))
        ).first()
        if row is None:
            return None
        found = await self.bindings_of([person_id])
        known_as = await self.identities_of([person_id])
        return Person(
            id=row.id,
            name=row.name,
            username=row.username,
            language=row.language,
            bindings=tuple(found.get(person_id, ())),
            addresses=tuple(identity.address for identity in known_as.get(person_id, ())),
        )

    async def person_of(self, channel: str, external_id: str) -> int | None:
        """The number of the person known in `channel` as `external_id`; None: nobody."""
        found = await self.connection.scalar(
            select(identities.c.person_id).where(
                identities.c.channel == channel, identities.c.external_id == external_id
            )
        )
        return None if found is None else int(found)

    async def identify(
        self,
        identity: Identity,
        *,
        name: str,
        username: str | None,
        language: str | None,
        now: datetime,
    ) -> int:
        """The number of the person behind `identity`, who is stored as seen now (name,
        username, language; their private chat when the channel gave one): a person unknown
        in the channel becomes a new person, with a new number.

        Run inside the database's write transaction. The new number is the highest one plus
        one: `people.id` cannot be assigned by the database (a BIGINT key is no rowid alias
        in SQLite, and its values so far were Telegram ids), and on SQLite the transaction
        holds the write lock from BEGIN, so no other writer can take the same number or
        store the same identity in between. On PostgreSQL (READ COMMITTED) new people are
        numbered one at a time: a unit about to make one takes a transaction-scoped advisory
        lock, then looks the identity up again (whoever held the lock has committed).
        """
        person_id = await self.person_of(identity.channel, identity.external_id)
        if person_id is None and self.connection.dialect.name == "postgresql":
            await self.connection.execute(select(func.pg_advisory_xact_lock(NEW_PEOPLE_LOCK)))
            person_id = await self.person_of(identity.channel, identity.external_id)
        values = {"name": name, "username": username, "language": language, "seen_at": now}
        known: dict[str, object] = {"username": username, "language": language, "seen_at": now}
        if identity.chat_id is not None:
            known["chat_id"] = identity.chat_id
        if person_id is not None:
            await self.connection.execute(
                update(people).where(people.c.id == person_id).values(**values)
            )
            await self.connection.execute(
                update(identities)
                .where(
                    identities.c.channel == identity.channel,
                    identities.c.external_id == identity.external_id,
                )
                .values(**known)
            )
            return person_id
        highest = await self.connection.scalar(select(func.max(people.c.id)))
        person_id = int(highest or 0) + 1
        await self.connection.execute(insert(people).values(id=person_id, created_at=now, **values))
        await self.connection.execute(
            insert(identities).values(
                person_id=person_id,
                channel=identity.channel,
                external_id=identity.external_id,
                **known,
            )
        )
        return person_id

    async def add_identity(
        self,
        person_id: int,
        identity: Identity,
        *,
        username: str | None,
        language: str | None,
        now: datetime,
    ) -> bool:
        """Make the person known in `identity`'s channel as `identity` too (a second
        messenger). False, and nothing written, when that identity is someone's already (the
        caller tells whose: `person_of`). Run inside the database's write transaction."""
        if await self.person_of(identity.channel, identity.external_id) is not None:
            return False
        await self.connection.execute(
            insert(identities).values(
                person_id=person_id,
                channel=identity.channel,
                external_id=identity.external_id,
                chat_id=identity.chat_id,
                username=username,
                language=language,
                seen_at=now,
            )
        )
        await self.connection.execute(
            update(people).where(people.c.id == person_id).values(seen_at=now)
        )
        return True

    async def identities_of(self, person_ids: Iterable[int]) -> dict[int, list[Identity]]:
        """How each of these people is known, channel by channel (in the order they joined)."""
        ids = sorted(set(person_ids))
        found: defaultdict[int, list[Identity]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            rows = await self.connection.execute(
                select(
                    identities.c.person_id,
                    identities.c.channel,
                    identities.c.external_id,
                    identities.c.chat_id,
                )
                .where(identities.c.person_id.in_(ids[start : start + 500]))
                .order_by(identities.c.id)
            )
            for person_id, channel, external_id, chat_id in rows:
                found[person_id].append(Identity(channel, external_id, chat_id))
        return found

    async def bindings_of(self, person_ids: Iterable[int]) -> dict[int, list[Binding]]:
        rows = await self.connection.execute(
            select(bindings.c.person_id, bindings.c.role, organisations.c.name)
            .select_from(bindings.outerjoin(organisations))
            .where(bindings.c.person_id.in_(list(person_ids)))
            .order_by(bindings.c.id)
        )
        found: defaultdict[int, list[Binding]] = defaultdict(list)
        for person_id, role, organisation in rows:
            found[person_id].append(Binding(Role(role), organisation))
        return found

    async def bind(
        self,
        person_id: int,
        binding: Binding,
        now: datetime,
        *,
        invite_id: int | None = None,
    ) -> bool:
        """Add a binding; False when the person already holds exactly this one.

        On PostgreSQL the person's row is locked before the check (storage.locks): the
        same invite opened twice at once (a double tap) binds once."""
        await lock_rows(self.connection, people, [person_id])
        org_id = await self._org_id(binding.organisation)
        same_org = (
            bindings.c.organisation_id.is_(None)
            if org_id is None
            else bindings.c.organisation_id == org_id
        )
        exists = await self.connection.scalar(
            select(func.count())
            .select_from(bindings)
            .where(
                bindings.c.person_id == person_id, bindings.c.role == binding.role.value, same_org
            )
        )
        if exists:
            return False
        await self.connection.execute(
            insert(bindings).values(
                person_id=person_id,
                role=binding.role.value,
                organisation_id=org_id,
                created_at=now,
                invite_id=invite_id,
            )
        )
        return True

    async def bound_people(self) -> list[Person]:
        """Everyone holding at least one binding."""
        # The audience is built from this: what it selects is what moves the database's
        # version (storage/db.py, BOOKKEEPING_COLUMNS), so not when each person last wrote.
        rows = await self.connection.execute(
            select(people.c.id, people.c.name, people.c.username, people.c.language)
            .where(people.c.id.in_(select(bindings.c.person_id)))
            .order_by(people.c.id)
        )
        found = list(rows)
        by_person = await self.bindings_of(row.id for row in found)
        known_as = await self.identities_of(row.id for row in found)
        return [
            Person(
                row.id,
                row.name,
                tuple(by_person[row.id]),
                row.username,
                row.language,
                tuple(identity.address for identity in known_as.get(row.id, ())),
            )
            for row in found
        ]

    async def languages(self) -> dict[int, str | None]:
        """Every stored person's language (as their messenger last said it), by number."""
        rows = await self.connection.execute(select(people.c.id, people.c.language))
        return {int(row.id): row.language for row in rows}

    async def everyone(self) -> list[StoredPerson]:
        """Every people row, bound or not (someone unbound stays until forgotten)."""
        rows = list(
            await self.connection.execute(
                select(people.c.id, people.c.name, people.c.username, people.c.seen_at).order_by(
                    people.c.id
                )
            )
        )
        by_person = await self.bindings_of(row.id for row in rows)
        return [
            StoredPerson(r.id, r.name, r.username, tuple(by_person.get(r.id, ())), r.seen_at)
            for r in rows
        ]

    async def unbind(self, person_id: int, organisations_: Iterable[str] | None = None) -> int:
        """Remove the person's bindings (only those to `organisations_` when given); how many."""
        where = [bindings.c.person_id == person_id]
        if organisations_ is not None:
            names = list(organisations_)
            where.append(
                bindings.c.organisation_id.in_(
                    select(organisations.c.id).where(organisations.c.name.in_(names))
                )
            )
        result = await self.connection.execute(delete(bindings).where(*where))
        return int(result.rowcount or 0)

    async def settings_admins(self) -> list[int]:
        """People whose admin binding came from ADMIN_IDS (no invite behind it)."""
        rows = await self.connection.execute(
            select(bindings.c.person_id)
            .where(bindings.c.role == Role.ADMIN.value, bindings.c.invite_id.is_(None))
            .distinct()
        )
        return [int(person_id) for person_id in rows.scalars()]

    async def drop_settings_admin(self, person_id: int) -> int:
        """Remove an admin binding that came from ADMIN_IDS; one from an admin invite stays."""
        result = await self.connection.execute(
            delete(bindings).where(
                bindings.c.person_id == person_id,
                bindings.c.role == Role.ADMIN.value,
                bindings.c.invite_id.is_(None),
            )
        )
        return int(result.rowcount or 0)

    async def forget(self, person_id: int, placeholder: str, now: datetime) -> bool:
        """Erase what identifies the person: bindings gone; the row keeps only the number
        (which reports and the audit log name as their author) under `placeholder`; how they
        were known in each channel dropped (writing again, they are a stranger); reminders not
        yet sent to them cancelled, drafts and delivery notes about their chats dropped."""
        result = await self.connection.execute(
            update(people)
            .where(people.c.id == person_id)
            .values(name=placeholder, username=None, language=None, created_at=now, seen_at=now)
        )
        if not result.rowcount:
            return False
        chats = [
            identity.address for identity in (await self.identities_of([person_id]))[person_id]
        ]
        await self.connection.execute(delete(bindings).where(bindings.c.person_id == person_id))
        await self.connection.execute(
            update(outbox)
            .where(
                or_(
                    outbox.c.person_id == person_id,
                    *(
                        and_(outbox.c.channel == chat.channel, outbox.c.chat_id == chat.chat_id)
                        for chat in chats
                    ),
                ),
                outbox.c.status == "pending",
            )
            .values(status="cancelled", reason="person forgotten")
        )
        await self.connection.execute(
            delete(report_drafts).where(report_drafts.c.person_id == person_id)
        )
        for chat in chats:
            await self.connection.execute(
                delete(unreachable_chats).where(
                    unreachable_chats.c.channel == chat.channel,
                    unreachable_chats.c.chat_id == chat.chat_id,
                )
            )
        await self.connection.execute(delete(identities).where(identities.c.person_id == person_id))
        await self.connection.execute(
            delete(channel_invites).where(channel_invites.c.person_id == person_id)
        )
        return True

    async def people_at(self, organisation_names: Iterable[str]) -> dict[str, list[Person]]:
        """Who is bound to each of these organisations (any role)."""
        names = list(organisation_names)
        rows = await self.connection.execute(
            select(organisations.c.name, people.c.id, people.c.name.label("person_name"))
            .select_from(bindings.join(organisations).join(people))
            .where(organisations.c.name.in_(names))
            .order_by(people.c.id)
        )
        found: defaultdict[str, list[Person]] = defaultdict(list)
        for organisation, person_id, person_name in rows:
            found[organisation].append(Person(person_id, person_name))
        return found

    # -- invites ----------------------------------------------------------------------------

    async def add_invite(
        self,
        *,
        token_hash: str,
        role: Role,
        organisation: str | None,
        created_by: int | None,
        now: datetime,
        expires_at: datetime,
        multi_use: bool,
    ) -> int:
        result = await self.connection.execute(
            insert(invites).values(
                token_hash=token_hash,
                role=role.value,
                organisation_id=await self._org_id(organisation),
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
                multi_use=multi_use,
                uses=0,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def find_invite(self, token_hash: str) -> StoredInvite | None:
        row = (
            await self.connection.execute(
                select(invites, organisations.c.name.label("organisation"))
                .select_from(invites.outerjoin(organisations))
                .where(invites.c.token_hash == token_hash)
            )
        ).first()
        return None if row is None else _invite(row)

    async def all_invites(self) -> list[StoredInvite]:
        rows = await self.connection.execute(
            select(invites, organisations.c.name.label("organisation"))
            .select_from(invites.outerjoin(organisations))
            .order_by(invites.c.id)
        )
        return [_invite(row) for row in rows]

    async def invite(self, invite_id: int) -> StoredInvite | None:
        row = (
            await self.connection.execute(
                select(invites, organisations.c.name.label("organisation"))
                .select_from(invites.outerjoin(organisations))
                .where(invites.c.id == invite_id)
            )
        ).first()
        return None if row is None else _invite(row)

    async def revoke_invite(self, invite_id: int, now: datetime) -> bool:
        """Revoke an invite not yet revoked; False if it was already (or does not exist)."""
        result = await self.connection.execute(
            update(invites)
            .where(invites.c.id == invite_id, invites.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def use_invite(self, invite_id: int, now: datetime) -> bool:
        """Count one use, atomically: a single-use invite is used once even if two people race."""
        result = await self.connection.execute(
            update(invites)
            .where(
                invites.c.id == invite_id,
                invites.c.revoked_at.is_(None),
                invites.c.expires_at > now,
                or_(invites.c.multi_use.is_(True), invites.c.uses == 0),
            )
            .values(uses=invites.c.uses + 1)
        )
        return result.rowcount == 1

    # -- personal links to another channel ---------------------------------------------------

    async def add_channel_invite(
        self, *, token_hash: str, person_id: int, channel: str, now: datetime, expires_at: datetime
    ) -> int:
        result = await self.connection.execute(
            insert(channel_invites).values(
                token_hash=token_hash,
                person_id=person_id,
                channel=channel,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def find_channel_invite(self, token_hash: str) -> StoredChannelInvite | None:
        row = (
            await self.connection.execute(
                select(channel_invites).where(channel_invites.c.token_hash == token_hash)
            )
        ).first()
        if row is None:
            return None
        return StoredChannelInvite(
            id=row.id,
            person_id=row.person_id,
            channel=row.channel,
            created_at=row.created_at,
            expires_at=row.expires_at,
            used_at=row.used_at,
        )

    async def use_channel_invite(self, invite_id: int, now: datetime) -> bool:
        """Use a personal link once, atomically: False if it was used (or expired) already."""
        result = await self.connection.execute(
            update(channel_invites)
            .where(
                channel_invites.c.id == invite_id,
                channel_invites.c.used_at.is_(None),
                channel_invites.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    # -- party links and chats --------------------------------------------------------------

    async def party_links(self, roadmap_id: int) -> list[PartyLink]:
        rows = await self.connection.execute(
            select(parties.c.name, organisations.c.name.label("organisation"), party_links.c.kind)
            .select_from(party_links.join(parties).join(organisations))
            .where(parties.c.roadmap_id == roadmap_id)
            .order_by(party_links.c.id)
        )
        return [
            PartyLink(party, organisation, OrganisationKind(kind) if kind else None)
            for party, organisation, kind in rows
        ]

    async def set_party_links(self, party_id: int, links: Sequence[PartyLink]) -> None:
        await self.connection.execute(delete(party_links).where(party_links.c.party_id == party_id))
        for link in links:
            await self.connection.execute(
                insert(party_links).values(
                    party_id=party_id,
                    organisation_id=await self._org_id(link.organisation),
                    kind=link.kind.value if link.kind else None,
                )
            )

    async def bind_chat(
        self,
        chat_id: int,
        title: str | None,
        *,
        party_id: int | None,
        organisation: str | None,
        created_by: int,
        now: datetime,
        channel: str = TELEGRAM,
    ) -> bool:
        org_id = await self._org_id(organisation)
        # Checked, then inserted: the party's or organisation's row keeps a second /bind of
        # the same chat out until this one commits (PostgreSQL; SQLite's writer is alone).
        if party_id is not None:
            await lock_rows(self.connection, parties, [party_id])
        elif org_id is not None:
            await lock_rows(self.connection, organisations, [org_id])
        target = and_(
            chat_bindings.c.channel == channel,
            chat_bindings.c.chat_id == chat_id,
            chat_bindings.c.party_id.is_(None)
            if party_id is None
            else chat_bindings.c.party_id == party_id,
            chat_bindings.c.organisation_id.is_(None)
            if org_id is None
            else chat_bindings.c.organisation_id == org_id,
        )
        if await self.connection.scalar(
            select(func.count()).select_from(chat_bindings).where(target)
        ):
            return False
        await self.connection.execute(
            insert(chat_bindings).values(
                channel=channel,
                chat_id=chat_id,
                title=title,
                party_id=party_id,
                organisation_id=org_id,
                created_by=created_by,
                created_at=now,
            )
        )
        return True

    async def chats(self) -> list[ChatBinding]:
        party = aliased(parties)
        rows = await self.connection.execute(
            select(
                chat_bindings.c.channel,
                chat_bindings.c.chat_id,
                chat_bindings.c.title,
                party.c.name.label("party"),
                organisations.c.name.label("organisation"),
            )
            .select_from(chat_bindings.outerjoin(party).outerjoin(organisations))
            .order_by(chat_bindings.c.id)
        )
        return [ChatBinding(r.chat_id, r.title, r.party, r.organisation, r.channel) for r in rows]

    # -- events ------------------------------------------------------------------------------

    async def claim_event(self, event: EventKey, now: datetime) -> bool:
        """Note one event inside the caller's transaction; False if it was noted before."""
        return await self.connection.run_sync(claim_event, event, now)

    async def record_events(self, handled: Sequence[tuple[EventKey, datetime]]) -> None:
        """Note handled events; those already noted are left as they are."""
        if not handled:
            return
        by_channel: defaultdict[str, dict[str, datetime]] = defaultdict(dict)
        for event, at in handled:
            by_channel[event.channel].setdefault(event.key, at)
        for channel, keys in sorted(by_channel.items()):
            known = set(
                (
                    await self.connection.execute(
                        select(processed_events.c.event_key).where(
                            processed_events.c.channel == channel,
                            processed_events.c.event_key.in_(list(keys)),
                        )
                    )
                ).scalars()
            )
            fresh = [
                {"channel": channel, "event_key": key, "processed_at": at}
                for key, at in keys.items()
                if key not in known
            ]
            if fresh:
                await self.connection.execute(insert(processed_events), fresh)
