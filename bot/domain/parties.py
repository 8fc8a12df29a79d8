"""Responsible parties (ответственные): splitting a cell into names and folding spellings together.

A roadmap table names the same body in several ways: "ЦО/VK" and "ЦО/ВК", "Муниципальные органы
управления образованием" and "муниципальные органы ..." and "МОУО". The bot needs one party per
body, with the other spellings kept as aliases so that people can still type any of them.

Rules:
- a cell is split on commas, semicolons and line breaks, never inside parentheses or quotes,
  a full form defined by "(далее – X)" or a body's name running on past a comma
  ("Министерство образования, науки и молодежной политики") or before a clause describing it
  ("органы местного самоуправления, осуществляющие управление в сфере образования");
- "(по согласованию)" is a note, not part of a name;
- names that differ only by the case of the first letter, whitespace, quotes, trailing dots or
  Latin/Cyrillic look-alikes and transliterations ("VK" / "ВК") are one party;
- an abbreviation and its full form are one party. Abbreviations come from the document itself
  ("... (далее – ГАУ ДПО СОИРО)", see `find_abbreviations`, the responsible cells included) and
  from `COMMON_ABBREVIATIONS`;
- the canonical name is the spelling used most often in the table (ties: the first seen), with a
  capital first letter; every other spelling, and the full forms of abbreviations, are aliases.

Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.domain.model import Party

# The genre's usual abbreviations, used in addition to those a document defines itself.
COMMON_ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "МОУО": "муниципальные органы управления образованием",
        "ОМСУ": "органы местного самоуправления",
        "ОМС": "органы местного самоуправления",
        "ОИВ": "органы исполнительной власти",
        "РОИВ": "региональные органы исполнительной власти",
        "ОО": "образовательные организации",
        "ОУ": "образовательные учреждения",
        "МОО": "муниципальные образовательные организации",
        "МОУ": "муниципальные образовательные учреждения",
        "СПО": "профессиональные образовательные организации",
        "ПОО": "профессиональные образовательные организации",
        "ДОО": "дошкольные образовательные организации",
        "ДОУ": "дошкольные образовательные учреждения",
        "ОДО": "организации дополнительного образования",
        "УДО": "учреждения дополнительного образования",
        "ИРО": "институт развития образования",
        "РЦОИ": "региональный центр обработки информации",
        "ЦНППМ": "центр непрерывного повышения профессионального мастерства",
    }
)

_QUOTES = "«»\"“”„‘’'"
_SPACE = re.compile(r"\s+")
_LIST_MARK = re.compile(r"^(?:[-–—•·*]+|\d+[.)])\s+")

# Latin letters that look like Cyrillic ones; case matters ("B" looks like "В", "b" does not).
_LOOKALIKE = str.maketrans(
    "ABCEHKMOPTXYaceopxyk",
    "АВСЕНКМОРТХУасеорхук",
)
# Transliteration, longest sequences first, applied to casefolded text.
_TRANSLIT_PAIRS = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("iu", "ю"),
    ("ya", "я"),
    ("ia", "я"),
    ("yo", "е"),
    *zip("abvgdezijklmnoprstufhcyx", "абвгдезийклмнопрстуфхцык", strict=True),
)
_TRANSLIT = dict(_TRANSLIT_PAIRS)
_LATIN = re.compile("|".join(latin for latin, _ in _TRANSLIT_PAIRS))


def tidy(name: str) -> str:
    """A name as written, minus what nobody means: outer spaces, list marks, trailing dots."""
    name = _SPACE.sub(" ", name).strip()
    name = _LIST_MARK.sub("", name)
    return name.rstrip(" .,;")


def display(name: str) -> str:
    """`tidy` with a capital first letter: "руководители ОО" -> "Руководители ОО"."""
    name = tidy(name)
    return name[:1].upper() + name[1:]


# A body's official name that runs on past a comma: "Министерство образования, науки и
# молодежной политики ...". A comma followed by one of these words continues the name.
_BODY_HEAD = re.compile(
    r"^(?:министерств|департамент|комитет|управлени|агентств|главное\s+управлени)", re.IGNORECASE
)
_NAME_GOES_ON = re.compile(
    r"^\s*(?:наук|молод[её]ж|спорт|культур|туризм|труд|социальн|здравоохранен|цифров|"
    r"инновац|кадров|семейн|демограф|делам|печати|информац|массов|связ|молодой)",
)


# A clause that describes the body before the comma: "органы местного самоуправления, осуществляющие
# управление в сфере образования" is one party, not two. An active participle in lower case.
_QUALIFIER = re.compile(
    r"^\s*[а-яё]+(?:ющ|ящ|ащ|вш)(?:ие|их|ий|ая|ее|ей|им|ими|его|ему|ую|ое)(?![а-яё])"
)
# "(по согласованию)" says the body takes part if it agrees: a note, no part of its name.
_AGREED = re.compile(r"\(\s*по\s+согласовани[юя]\s*\)", re.IGNORECASE)


def _defined_spans(cell: str) -> list[tuple[int, int]]:
    """Where a cell defines an abbreviation: from the start of the full form to the closing
    parenthesis of "(далее – X)". Nothing in such a span separates names."""
    spans: list[tuple[int, int]] = []
    for match in _DEFINITION.finditer(cell):
        abbreviation = _unquote(_SPACE.sub(" ", match["abbr"]).strip())
        line_start = cell.rfind("\n", 0, match.start()) + 1
        before = cell[line_start : match.start()]
        start = _full_form_start(before, abbreviation) if abbreviation else None
        if start is not None:
            spans.append((line_start + start, match.end()))
    return spans


def split_parties(cell: str) -> list[str]:
    """Names in a responsible cell, in order: "Департамент, МОУО; ЦО/VK" -> three names.

    Commas, semicolons and line breaks separate names, except inside parentheses or quotes
    ("ГАУ ДПО «Центр оценки, мониторинга»" stays whole), inside a full form defined by
    "(далее – X)" and before a lower-case word carrying on a body's name ("Министерство
    образования, науки и молодежной политики"). A definition is dropped from the name:
    "Управление образования (далее – УО)" -> "Управление образования".
    """
    spans = _defined_spans(cell)
    names: list[str] = []
    current: list[str] = []
    parens = guillemets = 0
    straight = curly = False
    for index, char in enumerate(cell):
        if char == "," and (
            any(start <= index < end for start, end in spans)
            or (
                _BODY_HEAD.match("".join(current).lstrip(" -–—•·*"))
                and _NAME_GOES_ON.match(cell[index + 1 :])
            )
            or (current and _QUALIFIER.match(cell[index + 1 :]))
        ):
            current.append(char)
            continue
        if char == "(":
            parens += 1
        elif char == ")":
            parens = max(parens - 1, 0)
        elif char == "«":
            guillemets += 1
        elif char == "»":
            guillemets = max(guillemets - 1, 0)
        elif char == '"':
            straight = not straight
        elif char in "“„":
            curly = True
        elif char == "”":
            curly = False
        elif char in ",;\n" and not (parens or guillemets or straight or curly):
            names.append("".join(current))
            current = []
            continue
        current.append(char)
    names.append("".join(current))
    return [
        tidied
        for tidied in (tidy(_AGREED.sub(" ", _DEFINITION.sub(" ", name))) for name in names)
        if tidied
    ]


# --- abbreviations -------------------------------------------------------------------------

_DEFINITION = re.compile(
    r"\(\s*далее(?:\s+по\s+тексту|\s+также)?\s*(?:[-–—:]\s*|(?=[«\"“]))"
    r"(?P<abbr>[^()]+?)\s*\)",
    re.IGNORECASE,
)
# Words an abbreviation usually leaves out: "Департамент образования и науки" -> "ДОН".
_FUNCTION_WORDS = frozenset(
    {"в", "во", "и", "по", "на", "с", "со", "для", "к", "ко", "о", "об", "при", "за", "из", "от"}
    | {"до", "а", "или", "the", "of", "and", "for", "in", "on"}
)
_CLAUSE_END = re.compile(r"[.;:!?(]\s")
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*\.?\s+")
_WORD = re.compile(r"\S+")


def _bare(token: str) -> str:
    """A token without surrounding quotes and punctuation, casefolded."""
    return token.strip(_QUOTES + ".,;:!?()[]").casefold()


def _initials(word: str) -> list[str]:
    parts = [part for part in word.split("-") if part]
    return [part[0] for part in parts]


def _is_initials(part: str) -> bool:
    """True for parts spelt as initials ("СОИРО", "ДОиН", "ЦО/VK"), not words ("«Сферум»")."""
    return sum(char.isupper() for char in part) >= 2


def _stem(word: str) -> str:
    return _bare(word)[:5]


def _match_initials(tokens: list[str], index: int, parts: list[tuple[bool, str]]) -> int | None:
    """The index of the token where a full form starts, matching `parts` backwards from
    `tokens[index]`; None when the words before do not spell the abbreviation."""
    if not parts:
        return index + 1
    if index < 0:
        return None
    token = tokens[index]
    if index < len(tokens) - 1 and token[-1:] in ".;:!?":
        return None  # the clause ended: a full form does not run across it
    word = _bare(token)
    is_initials, value = parts[-1]
    if not is_initials:
        if word != value:
            return None
        return _match_initials(tokens, index - 1, parts[:-1])
    rest = parts[:-1]
    if not word or not word[0].isalpha():
        return None
    candidates: list[list[str]] = []
    hyphenated = _initials(word)
    candidates.append(hyphenated)
    if len(hyphenated) > 1:
        candidates.append(hyphenated[:1])
    for letters in candidates:
        joined = "".join(letters)
        if value.endswith(joined):
            remaining = value[: len(value) - len(joined)]
            following = [*rest, (True, remaining)] if remaining else rest
            start = _match_initials(tokens, index - 1, following)
            if start is not None:
                return start
    if word in _FUNCTION_WORDS:  # "Департамент образования и науки" may be spelt "ДОН"
        return _match_initials(tokens, index - 1, parts)
    return None


def _clause_start(before: str) -> int:
    ends = list(_CLAUSE_END.finditer(before))
    start = ends[-1].end() if ends else 0
    numbering = _NUMBERING.match(before, start)
    return numbering.end() if numbering else start


def _full_form(before: str, abbreviation: str) -> str | None:
    full = _SPACE.sub(" ", before[_full_form_start(before, abbreviation) :]).strip(" ,–—-")
    return full or None


def _full_form_start(before: str, abbreviation: str) -> int:
    """Where in `before` the full form of `abbreviation` starts."""
    spans = [(match.start(), match.group()) for match in _WORD.finditer(before)]
    tokens = [token for _, token in spans]
    parts = [
        (True, "".join(char.casefold() for char in part if char.isalpha()))
        if _is_initials(part)
        else (False, _bare(part))
        for part in abbreviation.split()
    ]
    start: int | None = None
    if any(is_initials for is_initials, _ in parts):
        index = _match_initials(tokens, len(tokens) - 1, parts)
        if index is not None and index < len(tokens):
            start = spans[index][0]
    else:
        # A short name such as "Департамент" is the head word of its full form.
        clause = _clause_start(before)
        head = _stem(abbreviation.split()[0])
        for position, token in reversed(spans):
            if position < clause:
                break
            if _bare(token).startswith(head):
                start = position
                break
    if start is None:
        start = _clause_start(before)
    return start


def _unquote(text: str) -> str:
    """«СОИРО» -> СОИРО, but ИКОП «Сферум» stays as it is."""
    for opening, closing in (("«", "»"), ('"', '"'), ("“", "”")):
        inner = text[1:-1]
        if text[:1] == opening and text[-1:] == closing and opening not in inner:
            return inner.strip()
    return text


def find_abbreviations(text: str) -> dict[str, str]:
    """Abbreviations a document defines, mapped to their full forms.

    "Назначить государственное автономное учреждение ... «Смоленский областной институт развития
    образования» (далее – ГАУ ДПО СОИРО)" gives
    {"ГАУ ДПО СОИРО": "государственное автономное ... развития образования»"}.
    The full form is found by matching the abbreviation's letters against the initials of the
    words before it, walking backwards; when they do not spell it, the clause start is used.
    """
    found: dict[str, str] = {}
    for match in _DEFINITION.finditer(text):
        abbreviation = _SPACE.sub(" ", match["abbr"]).strip()
        abbreviation = _unquote(abbreviation)
        if not abbreviation or abbreviation in found:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1  # a definition stays in its paragraph
        full = _full_form(text[line_start : match.start()], abbreviation)
        if full and full.casefold() != abbreviation.casefold():
            found[abbreviation] = full
    return found


# --- folding spellings into parties -----------------------------------------------------------


def _base(name: str) -> str:
    stripped = "".join(char for char in tidy(name) if char not in _QUOTES)
    return _SPACE.sub(" ", stripped).strip().rstrip(".")


def _translit(text: str) -> str:
    return _LATIN.sub(lambda match: _TRANSLIT[match.group()], text)


@functools.lru_cache(maxsize=4096)  # a table repeats a handful of names hundreds of times
def name_keys(name: str) -> frozenset[str]:
    """Keys under which two spellings of one party meet: a look-alike key and a transliteration.

    "ЦО/VK" and "ЦО/ВК" share the transliteration key; "COИРО" (Latin C, O) and "СОИРО" share
    the look-alike key.
    """
    base = _base(name)
    lookalike = base.translate(_LOOKALIKE).casefold().replace("ё", "е")
    transliterated = _translit(base.casefold()).replace("ё", "е")
    return frozenset({lookalike, transliterated})


def _stem_key(name: str) -> str:
    """Words cut to five letters, so that a full form written in another grammatical case
    still meets the table's spelling: "муниципальных органов" ~ "муниципальные органы"."""
    return " ".join(_stem(word) for word in _base(name).split())


@dataclass(slots=True)
class _Spelling:
    text: str
    count: int
    order: int
    from_table: bool


@dataclass(frozen=True, slots=True)
class PartyIndex:
    """The parties of one roadmap and the way from any spelling to the canonical name."""

    parties: tuple[Party, ...]
    _canonical: Mapping[str, str] = field(repr=False)

    def canonical(self, name: str) -> str:
        """The canonical name for a spelling; an unknown name is returned tidied."""
        for key in name_keys(name):
            if key in self._canonical:
                return self._canonical[key]
        return display(name)

    def responsible(self, cell: str) -> tuple[str, ...]:
        """A responsible cell as canonical names, in the cell's order, without repeats."""
        return tuple(dict.fromkeys(self.canonical(name) for name in split_parties(cell)))


class _Groups:
    """Union-find over spellings."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def add(self, item: str) -> None:
        self.parent.setdefault(item, item)

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, first: str, second: str) -> None:
        self.parent[self.find(second)] = self.find(first)


def normalise_parties(
    cells: Iterable[str], abbreviations: Mapping[str, str] | None = None
) -> PartyIndex:
    """Parties from a table's responsible cells.

    `abbreviations` are the document's own (from `find_abbreviations`); they take precedence over
    `COMMON_ABBREVIATIONS`. Parties come in order of first mention.
    """
    cells = list(cells)
    # A responsible cell may define an abbreviation itself: "Управление образования ... (далее –
    # УОКГО)", with "УОКГО" in the next row.
    own = {**find_abbreviations("\n".join(cells)), **(abbreviations or {})}
    known = {**COMMON_ABBREVIATIONS, **own}

    spellings: dict[str, _Spelling] = {}

    def note(text: str, *, from_table: bool) -> str:
        shown = display(text)
        spelling = spellings.get(shown)
        if spelling is None:
            spelling = spellings[shown] = _Spelling(shown, 0, len(spellings), from_table)
        if from_table:
            spelling.count += 1
            spelling.from_table = True
        return shown

    for cell in cells:
        for name in split_parties(cell):
            note(name, from_table=True)
    table_names = [spelling.text for spelling in spellings.values()]

    groups = _Groups()
    by_key: dict[str, str] = {}
    by_stem: dict[str, str] = {}

    def join(text: str) -> None:
        groups.add(text)
        for key in name_keys(text):
            if key in by_key:
                groups.union(by_key[key], text)
            else:
                by_key[key] = text

    for text in table_names:
        join(text)
        by_stem.setdefault(_stem_key(text), text)

    for abbreviation, full in known.items():
        abbreviation_keys = name_keys(abbreviation)
        named = next((by_key[key] for key in abbreviation_keys if key in by_key), None)
        spelt_out = next((by_key[key] for key in name_keys(full) if key in by_key), None)
        spelt_out = spelt_out or by_stem.get(_stem_key(full))
        if named is None and spelt_out is None:
            continue
        if named is None and abbreviation not in own:
            continue  # a built-in abbreviation nobody used: no alias to offer
        short, long = note(abbreviation, from_table=False), note(full, from_table=False)
        join(short)
        join(long)
        groups.union(short, long)
        if spelt_out is not None:
            groups.union(spelt_out, long)

    members: dict[str, list[_Spelling]] = {}
    for spelling in spellings.values():
        members.setdefault(groups.find(spelling.text), []).append(spelling)

    parties: list[tuple[int, Party]] = []
    canonical: dict[str, str] = {}
    for group in members.values():
        used = [spelling for spelling in group if spelling.from_table]
        if not used:
            continue
        best = max(used, key=lambda spelling: (spelling.count, -spelling.order))
        aliases = tuple(
            spelling.text
            for spelling in sorted(group, key=lambda s: (not s.from_table, s.order))
            if spelling is not best
        )
        parties.append((min(s.order for s in used), Party(best.text, aliases)))
        for spelling in group:
            for key in name_keys(spelling.text):
                canonical.setdefault(key, best.text)
    parties.sort(key=lambda pair: pair[0])
    return PartyIndex(tuple(party for _, party in parties), MappingProxyType(canonical))
