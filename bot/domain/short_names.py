"""Short names of organisations, as people say them: «Сычёвский район», «СШ № 1 Вязьма».

The registry's names are legal names, a line long: «Отдел образования Администрации
муниципального образования «Сычёвский район» Смоленской области», «МБОУ «Средняя школа № 1»
г. Вязьмы Смоленской области». Lists and buttons show a short name instead: the one the registry
gives (its `short_name` column) or, when it gives none, one made here from the genre:

- a municipal body is its municipality, the text in quotes after «муниципального образования»
  («Сычёвский район», «город Десногорск»), or «город Смоленск» for «… Администрации города
  Смоленска»;
- anything else named in quotes is what the quotes hold, without the legal form before them
  (МБОУ, ОГБПОУ, ГАУ ДПО) and without «имени …»; school types are abbreviated («Средняя школа»
  → «СШ», «основная школа» → «ОШ», «средняя общеобразовательная школа» → «СОШ») and the town
  that follows («г. Вязьмы») is added in the nominative («СШ № 1 Вязьма»);
- a name that fits none of these is its own short name.

A derived short name is unique within the registry: when two organisations would get the same
one, or one equals another organisation's name or given short name, each of them keeps its full
name. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from bot.domain.model import Organisation

_MUNICIPALITY = re.compile(r"муниципального\s+образования\s+«(?P<name>[^«»]+)»", re.IGNORECASE)
_CITY_BODY = re.compile(r"\bАдминистрации\s+города\s+(?P<town>[А-ЯЁ][а-яё-]+)")
_QUOTED = re.compile(r"«(?P<inner>[^«»]+(?:«[^«»]*»[^«»]*)*)»(?P<tail>[^«»]*)$")
_TOWN = re.compile(r"^\s*г\.\s*(?P<town>[А-ЯЁ][а-яё-]+)")
_NAMED_AFTER = re.compile(r"\s+(?:им\.|имени)\s.*$", re.IGNORECASE)
_SCHOOL_TYPES = (
    (re.compile(r"\bсредняя\s+общеобразовательная\s+школа\b", re.IGNORECASE), "СОШ"),
    (re.compile(r"\bосновная\s+общеобразовательная\s+школа\b", re.IGNORECASE), "ООШ"),
    (re.compile(r"\bначальная\s+общеобразовательная\s+школа\b", re.IGNORECASE), "НОШ"),
    (re.compile(r"\bсредняя\s+школа\b", re.IGNORECASE), "СШ"),
    (re.compile(r"\bосновная\s+школа\b", re.IGNORECASE), "ОШ"),
    (re.compile(r"\bначальная\s+школа\b", re.IGNORECASE), "НШ"),
)
_SPACE = re.compile(r"\s+")


def town_nominative(genitive: str) -> str:
    """«Вязьмы» -> «Вязьма», «Смоленска» -> «Смоленск», «Рославля» -> «Рославль», «Починка» ->
    «Починок»; «Сафоново», «Ярцево» do not change. A guess for the usual town names."""
    word = genitive
    if word.endswith("ы"):
        return word[:-1] + "а"
    if word.endswith("ля"):
        return word[:-1] + "ь"
    if word.endswith("ка") and len(word) > 3 and word[-3] not in "аеёиоуыэюяс":
        return word[:-2] + "ок"  # the vowel that drops: Починок, Починка
    if word.endswith(("а", "я")):
        return word[:-1]
    return word


def derive(name: str) -> str | None:
    """The short name the genre suggests for `name`, or None when it suggests none."""
    name = _SPACE.sub(" ", name).strip()
    municipality = _MUNICIPALITY.search(name)
    if municipality:
        return municipality["name"].strip()
    city = _CITY_BODY.search(name)
    if city and "«" not in name:
        return f"город {town_nominative(city['town'])}"
    quoted = _QUOTED.search(name)
    if quoted is None:
        return None
    inner = _NAMED_AFTER.sub("", quoted["inner"]).strip(" ,")
    for pattern, abbreviation in _SCHOOL_TYPES:
        inner = pattern.sub(abbreviation, inner)
    inner = inner[:1].upper() + inner[1:]
    town = _TOWN.match(quoted["tail"])
    if town:
        inner = f"{inner} {town_nominative(town['town'])}"
    return inner or None


def fold(text: str) -> str:
    """A name as compared: any case, ё = е, quotes aside (as OrgTree compares names)."""
    return " ".join(text.casefold().replace("ё", "е").replace("«", " ").replace("»", " ").split())


_NUMBER = re.compile(r"(\d+)")


def order_key(text: str) -> tuple[tuple[int, str], ...]:
    """Alphabetical as people expect it: any case, ё = е, «СШ № 2» before «СШ № 10»."""
    return tuple(
        (1, part.zfill(12)) if part.isdigit() else (0, part)
        for part in _NUMBER.split(fold(text))
        if part
    )


def short_names(organisations: Iterable[Organisation]) -> dict[str, str]:
    """Each organisation's short name by its full name: as given, else derived and unique,
    else the full name."""
    orgs = list(organisations)
    derived = {org.name: derive(org.name) for org in orgs if not org.short_name}
    taken = Counter(fold(short) for short in derived.values() if short is not None)
    others: Counter[str] = Counter(fold(org.name) for org in orgs)
    others.update(fold(org.short_name) for org in orgs if org.short_name)
    names: dict[str, str] = {}
    for org in orgs:
        if org.short_name:
            names[org.name] = org.short_name
            continue
        short = derived[org.name]
        if short is None:
            names[org.name] = org.name
            continue
        key = fold(short)
        own = 1 if key == fold(org.name) else 0
        unique = taken[key] == 1 and others[key] == own
        names[org.name] = short if unique else org.name
    return names


def aliases(organisation: Organisation, short: Mapping[str, str]) -> tuple[str, ...]:
    """The names `organisation` is found by: its name, its short name, and the short name the
    genre suggests even when the registry gives another or it is not unique."""
    found = [organisation.name, short.get(organisation.name, organisation.name)]
    if organisation.short_name:
        found.append(organisation.short_name)
    suggested = derive(organisation.name)
    if suggested:
        found.append(suggested)
    return tuple(dict.fromkeys(found))
