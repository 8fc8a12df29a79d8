"""The outbox: messages the bot sends on its own, planned once and sent at most once per claim.

A row's life: ``pending`` (planned; due from ``not_before``) -> ``sending`` (claimed by one
sender with a lease) -> ``sent`` | ``failed`` (with the reason) | ``cancelled`` (nothing left
to say, or the chat is unreachable) — or back to ``pending`` for a later retry (``reason``
keeps the last error meanwhile) or until the recipient's quiet hours end (``postpone``: the
claim's attempt is undone). A row whose retries outlive its round ends ``failed`` with a reason
that starts "stale" (``stale_reason``).

A newer round for the same chat and kind supersedes the older rows that were never heard: the
ones still ``pending`` and the stale ones. Their lines are not lost: when payloads are JSON
objects with a "lines" list (the reminder digests), the older rows' lines join the newer
round's, those whose (task, reason) it does not say already (``fold``), and the older rows
become ``superseded``. Other payloads are not merged: the older pending row is superseded and a
stale one stays failed.

Claims and leases: ``claim`` moves due rows to ``sending`` in one UPDATE, so two senders
claiming at the same moment never get the same row (see ``claim``). A claim is a lease: a
sender that dies leaves its rows ``sending`` until ``claimed_until`` passes, and then any
sender claims them again (and sends them again: a crash duplicates at most the messages that
were sent and not yet recorded). Every transition out of ``sending`` names the worker and
happens only while the row is still claimed by it, so a sender whose lease ran out and was
taken over cannot overwrite the new owner's outcome.

Works inside the caller's transaction and never commits. Portable SQL (SQLite and
PostgreSQL); instants are aware UTC datetimes.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.channels import PRIVATE_CHAT_IS_USER
from storage.tables import identities, outbox, unreachable_chats

PENDING: Final = "pending"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
SUPERSEDED: Final = "superseded"
STATUSES: Final = (PENDING, SENDING, SENT, FAILED, CANCELLED, SUPERSEDED)

STALE: Final = "stale"  # how the reason of a row whose round ended unsent begins
# The kind of a reply Telegram told us to hold back (a long 429): "reply:<token>", one row
# each. Nobody planned it; somebody is waiting for it, so quiet hours never hold it.
REPLY: Final = "reply"
_CHUNK = 500  # ids per IN (...) list: well under every backend's bound-parameter limit
TELEGRAM: Final = "telegram"  # the channel of every row written before there were others


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to plan: one per chat, kind and round (planning it again adds nothing)."""

    chat_id: int  # in `channel`
    person_id: int | None
    kind: str
    round: date
    payload: str  # JSON: what the message is about; composed into text when it is sent
    not_before: datetime  # the earliest instant to send (aware, UTC)
    channel: str = TELEGRAM


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_id: int
    person_id: int | None
    kind: str
    round: date
    payload: str
    status: str
    attempts: int
    not_before: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    sent_at: datetime | None
    message_id: str | None  # the channel's id of the message sent
    reason: str | None
    created_at: datetime
    channel: str = TELEGRAM


def _row(mapping: Any) -> OutboxRow:
    return OutboxRow(**dict(mapping))


def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Prepared once: the outcome statements run for every message sent.
_OWNED = and_(
    outbox.c.id == bindparam("b_id"),
    outbox.c.status == SENDING,
    outbox.c.claimed_by == bindparam("b_worker"),
)
_MARK_SENT = (
    update(outbox)
    .where(_OWNED)
    .values(
        status=SENT,
        message_id=bindparam("b_message_id", type_=outbox.c.message_id.type),
        sent_at=bindparam("b_now", type_=outbox.c.sent_at.type),
        claimed_until=None,
        reason=None,
    )
)
_END = (
    update(outbox)
    .where(_OWNED)
    .values(
        status=bindparam("b_status", type_=outbox.c.status.type),
        reason=bindparam("b_reason", type_=outbox.c.reason.type),
        claimed_until=None,
    )
)
_RETRY = (
    update(outbox)
    .where(_OWNED)
    .values(
        status=PENDING,
        not_before=bindparam("b_not_before", type_=outbox.c.not_before.type),
        reason=bindparam("b_reason", type_=outbox.c.reason.type),
        claimed_by=None,
        claimed_until=None,
    )
)


_POSTPONE = (
    update(outbox)
    .where(_OWNED)
    .values(
        status=PENDING,
        not_before=bindparam("b_not_before", type_=outbox.c.not_before.type),
        claimed_by=None,
        claimed_until=None,
        attempts=case((outbox.c.attempts > 0, outbox.c.attempts - 1), else_=0),
    )
)


def insert_once(dialect: str) -> Any:
    """An INSERT of outbox rows that skips a row whose (channel, chat_id, kind, round) is there
    already: belt and braces where another planner could commit between a SELECT and the
    INSERT (PostgreSQL), and the way a unit writing in plain SQLAlchemy plans rows exactly
    once."""
    keys = ["channel", "chat_id", "kind", "round"]
    if dialect == "sqlite":
        return sqlite.insert(outbox).on_conflict_do_nothing(index_elements=keys)
    if dialect == "postgresql":
        return postgresql.insert(outbox).on_conflict_do_nothing(index_elements=keys)
    return insert(outbox)


def superseded_reason(newer: date) -> str:
    return f"superseded by the round of {newer.isoformat()}"


def stale_reason(round_: date, last_error: str) -> str:
    """Why a row whose round ended before it could be sent failed (a newer round folds it)."""
    return f"{STALE}: the round of {round_.isoformat()} ended unsent; last error: {last_error}"


def _lines(payload: str) -> list[Any] | None:
    """The "lines" of a JSON object payload, or None when the payload has none to fold."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        return None
    return list(data["lines"])


def _line_key(line: Any) -> tuple[str, str] | None:
    if not isinstance(line, dict):
        return None
    return (json.dumps(line.get("task")), json.dumps(line.get("reason")))


def fold(payload: str, older: Iterable[str]) -> str:
    """`payload` with the lines of `older` payloads (newest first) it does not say already.

    A line is known by its (task, reason): the newer round's line wins (its count of days is
    current). Payloads without a "lines" list are returned as they are, and add nothing.
    """
    lines = _lines(payload)
    if lines is None:
        return payload
    seen = {_line_key(line) for line in lines}
    added = []
    for old in older:
        for line in _lines(old) or ():
            key = _line_key(line)
            if key is None or key in seen:
                continue
            seen.add(key)
            added.append(line)
    if not added:
        return payload
    data = json.loads(payload)
    data["lines"] = [*lines, *added]
    return json.dumps(data, ensure_ascii=False)


class OutboxStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # -- planning ------------------------------------------------------------------------------

    async def add(self, messages: Iterable[NewMessage], now: datetime) -> int:
        """Plan messages; returns how many rows were inserted.

        Idempotent: a message whose (channel, chat_id, kind, round) is already there is
        skipped, so
        planning a round twice inserts nothing the second time. Older rounds of the same chat
        and kind that are still pending are superseded (they would say something stale), and
        so are stale ones whose lines can be folded; their lines are folded into the new
        message (see ``fold``). A message for a round older than one already planned is
        inserted as superseded.

        The first statement is an UPDATE, so on SQLite the transaction holds the write lock
        before it reads what exists (no other planner can insert in between).
        """
        wanted: dict[tuple[str, int, str, date], NewMessage] = {}
        for message in messages:
            key = (message.channel, message.chat_id, message.kind, message.round)
            wanted.setdefault(key, message)
        if not wanted:
            return 0

        groups: dict[tuple[str, str, date], list[int]] = defaultdict(list)
        for channel, chat_id, kind, round_ in wanted:
            groups[(channel, kind, round_)].append(chat_id)
        # Older rows never heard, newest first: (id, status, payload) by the new message's key.
        unheard: defaultdict[tuple[str, int, str, date], list[tuple[int, str, str]]] = defaultdict(
            list
        )
        for (channel, kind, round_), chat_ids in groups.items():
            superseded = superseded_reason(round_)
            for chunk in _chunks(chat_ids):
                older = and_(
                    outbox.c.channel == channel,
                    outbox.c.kind == kind,
                    outbox.c.round < round_,
                    outbox.c.chat_id.in_(chunk),
                )
                await self.connection.execute(
                    update(outbox)
                    .where(older, outbox.c.status == PENDING)
                    .values(status=SUPERSEDED, reason=superseded)
                )
                # What those rows and the stale ones meant to say, newest first, to fold.
                found = await self.connection.execute(
                    select(outbox.c.id, outbox.c.chat_id, outbox.c.status, outbox.c.payload)
                    .where(
                        older,
                        or_(
                            and_(outbox.c.status == SUPERSEDED, outbox.c.reason == superseded),
                            and_(outbox.c.status == FAILED, outbox.c.reason.startswith(STALE)),
                        ),
                    )
                    .order_by(outbox.c.round.desc(), outbox.c.id.desc())
                )
                for row_id, chat_id, status, payload in found:
                    unheard[(channel, chat_id, kind, round_)].append((row_id, status, payload))

        existing: set[tuple[str, int, str, date]] = set()
        newest: dict[tuple[str, int, str], date] = {}
        kinds = sorted({kind for _, _, kind, _ in wanted})
        oldest = min(round_ for _, _, _, round_ in wanted)
        chats_by_channel: defaultdict[str, set[int]] = defaultdict(set)
        for channel, chat_id, _, _ in wanted:
            chats_by_channel[channel].add(chat_id)
        for channel, chats in sorted(chats_by_channel.items()):
            for chunk in _chunks(sorted(chats)):
                found = await self.connection.execute(
                    select(outbox.c.chat_id, outbox.c.kind, outbox.c.round).where(
                        outbox.c.channel == channel,
                        outbox.c.chat_id.in_(chunk),
                        outbox.c.kind.in_(kinds),
                        outbox.c.round >= oldest,
                    )
                )
                for chat_id, kind, round_ in found:
                    existing.add((channel, chat_id, kind, round_))
                    if round_ > newest.get((channel, chat_id, kind), date.min):
                        newest[(channel, chat_id, kind)] = round_

        rows: list[dict[str, Any]] = []
        folded: list[tuple[int, date]] = []
        for key, message in wanted.items():
            if key in existing:
                continue
            newer = newest.get((message.channel, message.chat_id, message.kind))
            stale = newer is not None and newer > message.round
            payload = message.payload
            if key in unheard and not stale and _lines(payload) is not None:
                foldable = [row for row in unheard[key] if _lines(row[2]) is not None]
                payload = fold(payload, [old_payload for _, _, old_payload in foldable])
                # Stale rows now heard in this round: superseded, so no round folds them again.
                folded.extend((row_id, key[3]) for row_id, was, _ in foldable if was == FAILED)
            rows.append(
                {
                    "channel": message.channel,
                    "chat_id": message.chat_id,
                    "person_id": message.person_id,
                    "kind": message.kind,
                    "round": message.round,
                    "payload": payload,
                    "status": SUPERSEDED if stale else PENDING,
                    "attempts": 0,
                    "not_before": message.not_before,
                    "reason": superseded_reason(newer) if stale and newer else None,
                    "created_at": now,
                }
            )
        if rows:
            await self.connection.execute(self._insert_ignoring_duplicates(), rows)
        for row_id, round_ in folded:
            await self.connection.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.status == FAILED)
                .values(status=SUPERSEDED, reason=superseded_reason(round_))
            )
        return len(rows)

    def _insert_ignoring_duplicates(self) -> Any:
        return insert_once(self.connection.dialect.name)

    async def planned_since(
        self, prefixes: Sequence[str], since: datetime
    ) -> list[tuple[str, datetime]]:
        """(kind, when) of the rows whose kind starts with one of `prefixes`, planned to go
        from `since` on and not cancelled or superseded: when sent, or else when due."""
        rows = await self.connection.execute(
            select(outbox.c.kind, outbox.c.not_before, outbox.c.sent_at).where(
                or_(*(outbox.c.kind.startswith(prefix) for prefix in prefixes)),
                outbox.c.status.in_((PENDING, SENDING, SENT)),
                outbox.c.not_before >= since,
            )
        )
        return [(kind, sent_at or not_before) for kind, not_before, sent_at in rows]

    # -- claiming ------------------------------------------------------------------------------

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        *,
        channel: str | None = None,
    ) -> list[OutboxRow]:
        """Take up to `limit` due rows for `worker` until `now + lease`, oldest first.

        Due: ``pending`` with ``not_before <= now``, or ``sending`` whose lease ran out
        (``claimed_until < now``: its sender died). Each claimed row becomes ``sending``
        with ``attempts + 1``.

        Atomic: the rows are taken by one UPDATE whose WHERE re-checks that each row is still
        claimable, so of two senders claiming at once each row goes to exactly one of them.
        On SQLite that UPDATE is the transaction's first statement and takes the database's
        write lock, so the second claimer waits and then sees the first one's rows as taken;
        on PostgreSQL the candidates are locked with ``FOR UPDATE SKIP LOCKED``, so a second
        claimer passes over the rows the first is taking instead of queueing behind it, and the
        re-check runs against the committed row all the same. The
        rows are first stamped with a one-off token in ``claimed_by``, read back by it and
        then handed to `worker` — plain SQL, no RETURNING needed, and a worker claiming twice
        at the same instant gets only the rows of this claim. With `channel`, only that
        channel's rows (a sender speaks in one).
        """
        if limit <= 0:
            return []
        token = f"claim:{secrets.token_hex(16)}"
        claimable = or_(
            and_(outbox.c.status == PENDING, outbox.c.not_before <= now),
            and_(outbox.c.status == SENDING, outbox.c.claimed_until < now),
        )
        if channel is not None:
            claimable = and_(outbox.c.channel == channel, claimable)
        candidates = (
            select(outbox.c.id)
            .where(claimable)
            .order_by(outbox.c.not_before, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's compiler leaves it out
        )
        # Read first, then update those: inside an UPDATE's IN (…) PostgreSQL may run a
        # locking subquery more than once, and took twice the limit.
        ids = list(await self.connection.scalars(candidates))
        if not ids:
            return []
        until = now + lease
        taken = await self.connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), claimable)
            .values(
                status=SENDING,
                claimed_by=token,
                claimed_until=until,
                attempts=outbox.c.attempts + 1,
            )
        )
        if not taken.rowcount:
            return []
        result = await self.connection.execute(
            select(outbox)
            .where(outbox.c.claimed_by == token)
            .order_by(outbox.c.not_before, outbox.c.id)
        )
        rows = [replace(_row(row._mapping), claimed_by=worker) for row in result]
        await self.connection.execute(
            update(outbox).where(outbox.c.claimed_by == token).values(claimed_by=worker)
        )
        return rows

    async def renew(self, worker: str, row_ids: Iterable[int], until: datetime) -> set[int]:
        """Extend the lease of rows `worker` still holds; returns the ids it still holds."""
        ids = sorted(set(row_ids))
        held: set[int] = set()
        for chunk in _chunks(ids):
            owned = and_(
                outbox.c.id.in_(chunk),
                outbox.c.status == SENDING,
                outbox.c.claimed_by == worker,
            )
            await self.connection.execute(update(outbox).where(owned).values(claimed_until=until))
            held.update(await self.connection.scalars(select(outbox.c.id).where(owned)))
        return held

    async def release(self, worker: str, row_ids: Iterable[int]) -> int:
        """Give back claimed rows that were never tried: pending again, the attempt undone."""
        released = 0
        for chunk in _chunks(sorted(set(row_ids))):
            result = await self.connection.execute(
                update(outbox)
                .where(
                    outbox.c.id.in_(chunk),
                    outbox.c.status == SENDING,
                    outbox.c.claimed_by == worker,
                )
                .values(
                    status=PENDING,
                    claimed_by=None,
                    claimed_until=None,
                    attempts=case((outbox.c.attempts > 0, outbox.c.attempts - 1), else_=0),
                )
            )
            released += result.rowcount
        return released

    # -- outcomes (only by the worker holding the claim) --------------------------------------

    async def _finish(self, statement: Any, params: list[dict[str, Any]], worker: str) -> int:
        if not params:
            return 0
        for each in params:
            each["b_worker"] = worker
        result = await self.connection.execute(statement, params)
        return int(result.rowcount)

    async def mark_sent(
        self, row_id: int, message_id: int | str, now: datetime, *, worker: str
    ) -> bool:
        return await self.mark_sent_many([(row_id, message_id)], now, worker=worker) == 1

    async def mark_sent_many(
        self, sent: Iterable[tuple[int, int | str]], now: datetime, *, worker: str
    ) -> int:
        """Rows (id, the channel's message id) sent; returns how many were still ours.

        One executemany of one prepared statement: the sender records every message this
        way, so its cost per row is what matters at hundreds of messages a second."""
        params: list[dict[str, Any]] = [
            {"b_id": row_id, "b_message_id": str(message_id), "b_now": now}
            for row_id, message_id in sent
        ]
        return await self._finish(_MARK_SENT, params, worker)

    async def mark_failed(self, row_id: int, reason: str, now: datetime, *, worker: str) -> bool:
        """Ended without being delivered; `now` is accepted for symmetry (no column keeps it)."""
        return await self.end_many(FAILED, [(row_id, reason)], worker=worker) == 1

    async def cancel(self, row_id: int, reason: str, now: datetime, *, worker: str) -> bool:
        """Nothing left to say (the task was done meanwhile, the chat is unreachable)."""
        return await self.end_many(CANCELLED, [(row_id, reason)], worker=worker) == 1

    async def end_many(self, status: str, ended: Iterable[tuple[int, str]], *, worker: str) -> int:
        """Rows (id, reason) ended as `status` (failed or cancelled); returns how many were
        still ours."""
        if status not in (FAILED, CANCELLED):
            raise ValueError(f"not an end without delivery: {status!r}")
        params = [
            {"b_id": row_id, "b_reason": reason, "b_status": status} for row_id, reason in ended
        ]
        return await self._finish(_END, params, worker)

    async def retry_later(
        self, row_id: int, not_before: datetime, reason: str, *, worker: str
    ) -> bool:
        """Back to pending, due again at `not_before`; `reason` says what went wrong."""
        params = [{"b_id": row_id, "b_not_before": not_before, "b_reason": reason}]
        return await self._finish(_RETRY, params, worker) == 1

    async def postpone(self, row_id: int, not_before: datetime, *, worker: str) -> bool:
        """Back to pending untried, due again at `not_before` (the recipient's quiet hours
        end then): the claim's attempt is undone and the reason left as it was."""
        params = [{"b_id": row_id, "b_not_before": not_before}]
        return await self._finish(_POSTPONE, params, worker) == 1

    async def cancel_pending_for(self, chat_id: int, reason: str, channel: str = TELEGRAM) -> int:
        """Cancel every pending row of a chat (it told us to stop); returns how many."""
        result = await self.connection.execute(
            update(outbox)
            .where(
                outbox.c.channel == channel,
                outbox.c.chat_id == chat_id,
                outbox.c.status == PENDING,
            )
            .values(status=CANCELLED, reason=reason)
        )
        return int(result.rowcount)

    # -- unreachable chats ---------------------------------------------------------------------

    async def mark_unreachable(
        self, chat_id: int, reason: str, now: datetime, channel: str = TELEGRAM
    ) -> None:
        """Remember that a chat told us to stop (403); keeps the first `since`."""
        result = await self.connection.execute(
            update(unreachable_chats)
            .where(unreachable_chats.c.channel == channel, unreachable_chats.c.chat_id == chat_id)
            .values(reason=reason)
        )
        if not result.rowcount:
            await self.connection.execute(
                insert(unreachable_chats).values(
                    channel=channel, chat_id=chat_id, since=now, reason=reason
                )
            )

    async def unreachable(
        self, chat_ids: Iterable[int] | None = None, channel: str = TELEGRAM
    ) -> set[int]:
        """Unreachable chats of `channel`: all of them, or those among `chat_ids`."""
        of_channel = unreachable_chats.c.channel == channel
        if chat_ids is None:
            return set(
                await self.connection.scalars(select(unreachable_chats.c.chat_id).where(of_channel))
            )
        found: set[int] = set()
        for chunk in _chunks(sorted(set(chat_ids))):
            found.update(
                await self.connection.scalars(
                    select(unreachable_chats.c.chat_id).where(
                        of_channel, unreachable_chats.c.chat_id.in_(chunk)
                    )
                )
            )
        return found

    async def user_chats(self, chat_ids: Iterable[int], channel: str = TELEGRAM) -> set[int]:
        """The chats among `chat_ids` that are people's user ids in `channel` rather than
        chat ids (bot.domain.channels.Address, kind "user"): a person's identity there has
        that external id, and no identity has it as its private chat. A person whose dialog's
        id is not known (identities.chat_id NULL) is addressed so; so is a row planned for
        them before it became known, which MAX still delivers by user id. None in a channel
        where a user id is a chat id (Telegram)."""
        if channel in PRIVATE_CHAT_IS_USER:
            return set()
        wanted = sorted(set(chat_ids))
        users: set[int] = set()
        chats: set[int] = set()
        for chunk in _chunks(wanted):
            users.update(
                int(external)
                for external in await self.connection.scalars(
                    select(identities.c.external_id).where(
                        identities.c.channel == channel,
                        identities.c.external_id.in_([str(chat) for chat in chunk]),
                    )
                )
            )
            chats.update(
                await self.connection.scalars(
                    select(identities.c.chat_id).where(
                        identities.c.channel == channel, identities.c.chat_id.in_(chunk)
                    )
                )
            )
        return users - chats

    async def unreachable_everywhere(self) -> set[tuple[str, int]]:
        """Every unreachable chat, as (channel, chat id)."""
        rows = await self.connection.execute(
            select(unreachable_chats.c.channel, unreachable_chats.c.chat_id)
        )
        return {(channel, chat_id) for channel, chat_id in rows}

    async def reachable_again(self, chat_id: int, channel: str = TELEGRAM) -> bool:
        """The chat talks to us again (/start after a block); True if it was unreachable."""
        result = await self.connection.execute(
            delete(unreachable_chats).where(
                unreachable_chats.c.channel == channel, unreachable_chats.c.chat_id == chat_id
            )
        )
        return bool(result.rowcount)

    # -- reading -------------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        """Rows by status; every status is present (0 when none)."""
        result = await self.connection.execute(
            select(outbox.c.status, func.count()).group_by(outbox.c.status)
        )
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({status: int(count) for status, count in result})
        return counts

    async def pending_for(self, chat_id: int, channel: str = TELEGRAM) -> list[OutboxRow]:
        result = await self.connection.execute(
            select(outbox)
            .where(
                outbox.c.channel == channel,
                outbox.c.chat_id == chat_id,
                outbox.c.status == PENDING,
            )
            .order_by(outbox.c.not_before, outbox.c.id)
        )
        return [_row(row._mapping) for row in result]

    async def sent_as(
        self, chat_id: int, message_id: int | str, channel: str = TELEGRAM
    ) -> OutboxRow | None:
        """The row a message in a chat was sent for (a reply to a question finds it)."""
        found = (
            await self.connection.execute(
                select(outbox).where(
                    outbox.c.channel == channel,
                    outbox.c.chat_id == chat_id,
                    outbox.c.message_id == str(message_id),
                )
            )
        ).first()
        return _row(found._mapping) if found is not None else None

    async def get(self, row_id: int) -> OutboxRow | None:
        found = (await self.connection.execute(select(outbox).where(outbox.c.id == row_id))).first()
        return _row(found._mapping) if found is not None else None

    async def rows(self) -> list[OutboxRow]:
        """Every row, by id (tests, diagnostics)."""
        result = await self.connection.execute(select(outbox).order_by(outbox.c.id))
        return [_row(row._mapping) for row in result]

    async def next_due(self, channel: str | None = None) -> datetime | None:
        """When something (of `channel`) next becomes claimable: the earliest pending
        `not_before` or `sending` lease end; None when nothing is pending or sending."""
        of_channel = [] if channel is None else [outbox.c.channel == channel]
        pending = await self.connection.scalar(
            select(func.min(outbox.c.not_before)).where(outbox.c.status == PENDING, *of_channel)
        )
        leased = await self.connection.scalar(
            select(func.min(outbox.c.claimed_until)).where(outbox.c.status == SENDING, *of_channel)
        )
        moments = [moment for moment in (pending, leased) if moment is not None]
        return min(moments) if moments else None
