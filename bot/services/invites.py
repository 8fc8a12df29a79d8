"""Links in every messenger the bot speaks in: the bot's name there (asked once and kept), an
invite's link per messenger, and the personal links that add a messenger to someone who joined
in another one. Nothing here knows a messenger's library: the names come from resolvers the
composition root gives (bot/channels/names.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.access import Person
from bot.domain.channels import CHANNELS, TELEGRAM
from bot.domain.invites import deep_link
from bot.services.people import PeopleService

log = logging.getLogger(__name__)


def here_of(person: Person) -> str:
    """The messenger the person writes from now (Telegram when nothing says otherwise)."""
    return person.via.channel if person.via is not None else TELEGRAM


class ChannelSilent(Exception):
    """A messenger did not tell the bot's name there (it did not answer); `detail` says why."""

    def __init__(self, channel: str, detail: str) -> None:
        super().__init__(f"{channel}: {detail}")
        self.channel = channel
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ChannelLink:
    channel: str
    url: str
    expires_at: datetime | None = None  # a personal link's end; an invite's is its own


@dataclass(frozen=True, slots=True)
class InviteLinks:
    """An invite's links, one per messenger that answered; `silent`: those that did not."""

    links: tuple[ChannelLink, ...]
    silent: tuple[ChannelSilent, ...] = ()


class BotNames:
    """The bot's username in each configured messenger. `resolvers` ask a messenger (once;
    the answer is kept for the process's life) and raise ChannelSilent when it does not
    answer; `know` records a name a front-end has already (Telegram's getMe)."""

    def __init__(self, resolvers: Mapping[str, Callable[[], Awaitable[str]]]) -> None:
        self._resolvers = dict(resolvers)
        self._names: dict[str, str] = {}

    @property
    def channels(self) -> tuple[str, ...]:
        """The messengers the bot speaks in, Telegram first."""
        return tuple(c for c in CHANNELS if c in self._resolvers or c in self._names)

    def know(self, channel: str, username: str) -> None:
        if username:
            self._names[channel] = username

    async def username(self, channel: str) -> str:
        known = self._names.get(channel)
        if known is not None:
            return known
        resolver = self._resolvers.get(channel)
        if resolver is None:
            raise ChannelSilent(channel, "not configured")
        name = await resolver()
        if not name:
            raise ChannelSilent(channel, "the bot has no username")
        self._names[channel] = name
        return name

    async def all_usernames(self) -> dict[str, str]:
        """Every configured messenger's name; ChannelSilent for the first that is silent."""
        return {channel: await self.username(channel) for channel in self.channels}

    async def invite_links(self, token: str) -> InviteLinks:
        """The invite's link in every configured messenger; a silent one is left out and
        named (the token works there all the same)."""
        links: list[ChannelLink] = []
        silent: list[ChannelSilent] = []
        for channel in self.channels:
            try:
                username = await self.username(channel)
                links.append(ChannelLink(channel, deep_link(channel, username, token)))
            except ChannelSilent as error:
                log.warning("no %s link for an invite: %s", channel, error.detail)
                silent.append(error)
        return InviteLinks(tuple(links), tuple(silent))


async def other_channel_links(
    people: PeopleService, names: BotNames, person: Person, *, here: str
) -> list[ChannelLink]:
    """Personal one-time links for the messengers the bot speaks in where the person (who
    has joined) is not known yet: opened there, each makes them known there as themselves.
    A messenger that does not answer is left out (the person may ask again with /start)."""
    if not person.known:
        return []
    known_in = {address.channel for address in person.addresses} | {here}
    offers: list[ChannelLink] = []
    for channel in (c for c in names.channels if c not in known_in):
        try:
            username = await names.username(channel)
        except ChannelSilent as error:
            log.warning("no personal %s link: %s", channel, error.detail)
            continue
        personal = await people.channel_invite(person, channel)
        offers.append(
            ChannelLink(channel, deep_link(channel, username, personal.token), personal.expires_at)
        )
    return offers
