"""Which organisations act for a roadmap party.

A roadmap names parties in its own words ("Департамент", "Муниципальные органы управления
образованием", "Руководители муниципальных общеобразовательных организаций"); the registry
names organisations. A link says "this party acts through that organisation" or, with a kind,
"through every organisation of that kind under it" — so "МОУО" reaches every municipal body,
and "Руководители ... общеобразовательных организаций" every school.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.access import OrgTree
from bot.domain.model import OrganisationKind, Task


@dataclass(frozen=True, slots=True)
class PartyLink:
    party: str
    organisation: str
    kind: OrganisationKind | None = None  # None: the organisation itself


def link_targets(link: PartyLink, tree: OrgTree) -> frozenset[str]:
    if link.kind is None:
        return frozenset({link.organisation}) if link.organisation in tree.by_name else frozenset()
    return frozenset(
        name
        for name in tree.subtree(link.organisation)
        if name != link.organisation and tree.by_name[name].kind is link.kind
    )


class PartyMap:
    """Party name -> the organisations acting for it, worked out once per (links, tree)."""

    def __init__(self, links: Iterable[PartyLink], tree: OrgTree) -> None:
        self.links: dict[str, list[PartyLink]] = {}
        self.acting: dict[str, frozenset[str]] = {}
        for link in links:
            self.links.setdefault(link.party, []).append(link)
        for party, party_links in self.links.items():
            self.acting[party] = frozenset().union(*(link_targets(x, tree) for x in party_links))

    def organisations_for(self, parties: Sequence[str]) -> frozenset[str]:
        return frozenset().union(*(self.acting.get(party, frozenset()) for party in parties))

    def acting_for(self, task: Task) -> frozenset[str]:
        return self.organisations_for(task.responsible)


class Clear:
    """`/parties N нет`: the party acts through nobody."""


@dataclass(frozen=True, slots=True)
class EveryOfKind:
    """«все школы», «все школы и колледжи», «все школы, колледжи и сады»."""

    kinds: tuple[OrganisationKind, ...]


# What an admin may type instead of an organisation's name (Russian and English).
_KIND_WORDS: dict[str, OrganisationKind] = {
    "школы": OrganisationKind.SCHOOL,
    "schools": OrganisationKind.SCHOOL,
    "колледжи": OrganisationKind.COLLEGE,
    "спо": OrganisationKind.COLLEGE,
    "colleges": OrganisationKind.COLLEGE,
    "органы": OrganisationKind.AUTHORITY,
    "моуо": OrganisationKind.AUTHORITY,
    "authorities": OrganisationKind.AUTHORITY,
    "сады": OrganisationKind.PRESCHOOL,
    "доу": OrganisationKind.PRESCHOOL,
    "preschools": OrganisationKind.PRESCHOOL,
    "допобразование": OrganisationKind.ADDITIONAL,
    "additional": OrganisationKind.ADDITIONAL,
}
_NOBODY = {"нет", "никто", "none", "nobody", "-"}


_AND = {"и", "and", "&", "+"}


def parse_party_target(text: str) -> Clear | EveryOfKind | str:
    """`нет` -> Clear; `все школы`, `все школы и колледжи`, `all schools and colleges` ->
    EveryOfKind; anything else is a name to look up in the registry."""
    words = text.casefold().replace(",", " , ").split()
    if len(words) == 1 and words[0] in _NOBODY:
        return Clear()
    if len(words) >= 2 and words[0] in ("все", "all"):
        kinds: list[OrganisationKind] = []
        for word in words[1:]:
            if word in _AND or word == ",":
                continue
            if word not in _KIND_WORDS:
                break
            if _KIND_WORDS[word] not in kinds:
                kinds.append(_KIND_WORDS[word])
        else:
            if kinds:
                return EveryOfKind(tuple(kinds))
    return " ".join(text.split())
