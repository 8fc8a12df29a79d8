"""Organisation names on the command line, found as the bot finds them (OrgTree.search: every
word of the query in the name, any case, ё = е, an exact name winning outright), with
suggestions when nothing or several match."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.access import OrgTree
from bot.domain.model import OrganisationKind

SUGGESTIONS = 5


class NoOrganisation(Exception):
    """Nothing in the registry matches `query`; `suggestions` are names sharing some words."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        super().__init__(query)
        self.query = query
        self.suggestions = suggestions


class SeveralOrganisations(Exception):
    def __init__(self, query: str, matches: list[str]) -> None:
        super().__init__(query)
        self.query = query
        self.matches = matches


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").replace("«", " ").replace("»", " ").split())


def _stem(word: str) -> str:
    """ "школу" and "школа" alike: a long word without its last two letters."""
    return word[:-2] if len(word) > 4 else word


def suggest(tree: OrgTree, query: str, kinds: Collection[OrganisationKind] = ()) -> list[str]:
    """The names sharing the most words (or word stems) with `query`, best first."""
    stems = {_stem(word) for word in _fold(query).split()}
    scored = []
    for name, organisation in tree.by_name.items():
        if kinds and organisation.kind not in kinds:
            continue
        folded = _fold(name)
        score = sum(1 for stem in stems if stem in folded)
        if score:
            scored.append((-score, len(name), name))
    return [name for _, _, name in sorted(scored)[:SUGGESTIONS]]


def one_organisation(tree: OrgTree, query: str, kinds: Collection[OrganisationKind] = ()) -> str:
    """The one organisation `query` names (of one of `kinds`, when given)."""
    matches = tree.search(query)
    if kinds:
        matches = [name for name in matches if tree.by_name[name].kind in kinds]
    if not matches:
        raise NoOrganisation(query, suggest(tree, query, kinds))
    if len(matches) > 1:
        raise SeveralOrganisations(query, sorted(matches))
    return matches[0]
