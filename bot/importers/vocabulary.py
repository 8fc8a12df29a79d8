"""Words the genre uses for kinds of organisation and for what a figure counts.

Shared by the statistics of a roadmap ("педагогических работников общеобразовательных организаций
– 7654") and by the organisations list ("Тип: СПО").
"""

from __future__ import annotations

import re

from bot.domain.model import Measure, OrganisationKind

_TOKEN = re.compile(r"[^\W\d_]+")

# Checked in order: the first rule that fits wins. "дополнительного профессионального" is adult
# training (ДПО), not additional education for children, hence the look-ahead.
_KIND_STEMS: tuple[tuple[OrganisationKind, tuple[str, ...]], ...] = (
    (OrganisationKind.PRESCHOOL, ("дошкольн", "детск", "детсад", "ясл", "воспитанник")),
    (
        OrganisationKind.ADDITIONAL,
        ("дополнительного образования", "дополнительное образование", "доп. образ", "допобраз"),
    ),
    (OrganisationKind.COLLEGE, ("профессиональн", "студент", "колледж", "техникум", "училищ")),
    (
        OrganisationKind.SCHOOL,
        ("общеобразовательн", "школ", "гимнази", "лице", "обучающихся", "учащихся", "учеников"),
    ),
    (
        OrganisationKind.AUTHORITY,
        ("управлени", "департамент", "министерств", "комитет", "отдел", "администраци"),
    ),
)
_KIND_TOKENS: dict[str, OrganisationKind] = {
    "доу": OrganisationKind.PRESCHOOL,
    "доо": OrganisationKind.PRESCHOOL,
    "мдоу": OrganisationKind.PRESCHOOL,
    "мбдоу": OrganisationKind.PRESCHOOL,
    "удо": OrganisationKind.ADDITIONAL,
    "одо": OrganisationKind.ADDITIONAL,
    "доп": OrganisationKind.ADDITIONAL,
    "спо": OrganisationKind.COLLEGE,
    "поо": OrganisationKind.COLLEGE,
    "оо": OrganisationKind.SCHOOL,
    "оу": OrganisationKind.SCHOOL,
    "сош": OrganisationKind.SCHOOL,
    "оош": OrganisationKind.SCHOOL,
    "нош": OrganisationKind.SCHOOL,
    "мбоу": OrganisationKind.SCHOOL,
    "моу": OrganisationKind.SCHOOL,
    "маоу": OrganisationKind.SCHOOL,
    "мкоу": OrganisationKind.SCHOOL,
    "орган": OrganisationKind.AUTHORITY,  # not a stem: "организация" is no authority
    "органы": OrganisationKind.AUTHORITY,
    "органов": OrganisationKind.AUTHORITY,
    "моуо": OrganisationKind.AUTHORITY,
    "омсу": OrganisationKind.AUTHORITY,
    "муо": OrganisationKind.AUTHORITY,
    "руо": OrganisationKind.AUTHORITY,
}
_MEASURE_STEMS: tuple[tuple[Measure, tuple[str, ...]], ...] = (
    (Measure.TEACHERS, ("педагог", "учител", "преподавател")),
    (Measure.PUPILS, ("обучающ", "учащ", "ученик", "студент", "воспитанник", "детей", "дети")),
    (Measure.STAFF, ("работник", "сотрудник", "персонал")),
    (
        Measure.ORGANISATIONS,
        ("организаци", "учреждени", "школ", "колледж", "техникум", "органов", "сад"),
    ),
)


def kind_of(text: str) -> OrganisationKind | None:
    """The kind of organisation a phrase speaks of, if it says: "СПО" -> COLLEGE."""
    lowered = text.casefold().replace("ё", "е")
    try:
        return OrganisationKind(lowered.strip())
    except ValueError:
        pass
    for token in _TOKEN.findall(lowered):
        if token in _KIND_TOKENS:
            return _KIND_TOKENS[token]
    for kind, stems in _KIND_STEMS:
        if any(stem in lowered for stem in stems) and (
            kind is not OrganisationKind.COLLEGE
            or "дополнительного профессионального" not in lowered
        ):
            return kind
    return None


def measure_of(text: str) -> Measure | None:
    """What a figure's label counts: "педагогических работников ..." -> TEACHERS."""
    lowered = text.casefold()
    for measure, stems in _MEASURE_STEMS:
        if any(stem in lowered for stem in stems):
            return measure
    return None
