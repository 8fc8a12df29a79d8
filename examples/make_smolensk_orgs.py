"""Write a synthetic but plausible registry of the Smolensk region's education organisations.

The municipalities are the real 27 of the Smolensk region (2 city okrugs and 25 districts); the
schools, colleges and their figures are invented. The totals match the statistics of the regional
Department of Education's order 319-ОД: 355 general-education schools with 7654 teachers and 95868
pupils, 20 professional colleges with 989 teachers and 17329 students.

Run ``python examples/make_smolensk_orgs.py``; the output is the same on every run (fixed seed):

* ``examples/smolensk-orgs.csv`` - UTF-8, comma-separated, English header and kinds;
* ``examples/smolensk-orgs-excel.csv`` - the same rows as Russian Excel saves them: Windows-1251,
  semicolon-separated, Russian header and kinds.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SEED = 319
HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "smolensk-orgs.csv"
EXCEL_CSV_PATH = HERE / "smolensk-orgs-excel.csv"

TIMEZONE = "Europe/Moscow"
DEPARTMENT = "Департамент Смоленской области по образованию и науке"
INSTITUTE = "ГАУ ДПО «Смоленский областной институт развития образования»"

# The figures of order 319-ОД.
SCHOOLS = 355
SCHOOL_TEACHERS = 7654
SCHOOL_PUPILS = 95868
COLLEGES = 20
COLLEGE_TEACHERS = 989
COLLEGE_STUDENTS = 17329

# Per-school bounds: pupils per teacher stays within 8-16 for every school.
SCHOOL_PUPILS_MIN, SCHOOL_PUPILS_MAX = 48, 1200
SCHOOL_TEACHERS_MIN, SCHOOL_TEACHERS_MAX = 6, 75
SCHOOL_RATIO_MIN, SCHOOL_RATIO_MAX = 8, 16
# Per-college bounds: students per teacher within 12-24.
COLLEGE_STUDENTS_MIN, COLLEGE_STUDENTS_MAX = 250, 2500
COLLEGE_TEACHERS_MIN, COLLEGE_TEACHERS_MAX = 15, 130
COLLEGE_RATIO_MIN, COLLEGE_RATIO_MAX = 12, 24

HEADER = ("name", "kind", "parent", "teachers", "staff", "pupils", "timezone")
EXCEL_HEADER = (
    "Наименование",
    "Тип",
    "Вышестоящая организация",
    "Педагогов",
    "Сотрудников",
    "Обучающихся",
    "Часовой пояс",
)
EXCEL_KINDS = {"authority": "орган управления", "school": "школа", "college": "колледж"}


@dataclass(frozen=True, slots=True)
class Municipality:
    """A municipality's education body and the schools it runs.

    `towns` are the schools of a town (named in full); `villages` are adjectives of rural
    settlements ("Катынская"), each of which gets one secondary or basic school. `city` marks the
    big towns whose schools are large.
    """

    body: str
    towns: tuple[str, ...]
    villages: tuple[str, ...]
    city: bool = False


@dataclass(frozen=True, slots=True)
class Org:
    name: str
    kind: str
    parent: str | None = None
    teachers: int | None = None
    staff: int | None = None
    pupils: int | None = None
    timezone: str | None = TIMEZONE


def numbered(pattern: str, numbers: Iterable[int]) -> tuple[str, ...]:
    """School names from a pattern with one ``{}`` for the school's number."""
    return tuple(pattern.format(n) for n in numbers)


def district_body(district: str, unit: str = "Отдел образования") -> str:
    return f"{unit} Администрации муниципального образования «{district}» Смоленской области"


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SMOLENSK_SCHOOLS = (
    "МБОУ «Лицей № 1 им. академика Б.Н. Петрова» г. Смоленска",
    "МБОУ «Гимназия № 4» г. Смоленска",
    "МБОУ «Гимназия № 32» г. Смоленска",
    *numbered(
        "МБОУ «Средняя школа № {}» г. Смоленска", (n for n in range(1, 41) if n not in (1, 4, 32))
    ),
)

MUNICIPALITIES: tuple[Municipality, ...] = (
    Municipality(
        "Комитет по образованию Администрации города Смоленска", SMOLENSK_SCHOOLS, (), city=True
    ),
    Municipality(
        "Комитет по образованию Администрации муниципального образования «город Десногорск» "
        "Смоленской области",
        numbered("МБОУ «Средняя школа № {}» г. Десногорска", range(1, 5)),
        (),
        city=True,
    ),
    Municipality(
        district_body("Вяземский район", "Комитет по образованию"),
        numbered("МБОУ «Средняя школа № {}» г. Вязьмы", (1, 2, 3, 4, 5, 8, 9, 10)),
        words(
            "Андрейковская Кайдаковская Исаковская Новосельская Степаниковская Тумановская "
            "Семлёвская Относовская Шуйская Хмелитская Ефремовская Каснянская Богородицкая "
            "Поляновская Царёво-Займищенская Калпитская Масловская Вязьма-Брянская Мещёрская "
            "Кошелевская Чепчуговская Юшинская Максимковская Быковская"
        ),
        city=True,
    ),
    Municipality(
        district_body("Рославльский район", "Комитет образования"),
        numbered("МБОУ «Средняя школа № {}» г. Рославля", range(1, 11)),
        words(
            "Остёрская Екимовичская Перенская Липовская Кирилловская Павловская Астапковичская "
            "Волковичская Крапивенская Косюковичская Грязенятская Жарынская Любовская "
            "Сырокоренская Бахаевская Хорошовская Рябковская Радичская Ивановская Козловская"
        ),
        city=True,
    ),
    Municipality(
        district_body("Сафоновский район", "Комитет по образованию"),
        numbered("МБОУ «Средняя школа № {}» г. Сафоново", range(1, 10)),
        words(
            "Вадинская Игнатковская Дроздовская Пушкинская Рыбковская Беленинская "
            "Николо-Погореловская Издешковская Барановская Зимницкая Дурневская Старосельская "
            "Вышегорская Лукинская"
        ),
        city=True,
    ),
    Municipality(
        district_body("Ярцевский район", "Управление образования и молодёжной политики"),
        numbered("МБОУ «Средняя школа № {}» г. Ярцево", range(1, 11)),
        words(
            "Капыревщинская Суетовская Миропольская Михейковская Засижьевская Мушковичская "
            "Подрощинская Кротовская Яковлевичская Ольшанская Репинская Хотеевская"
        ),
        city=True,
    ),
    Municipality(
        district_body("Гагаринский район", "Комитет по образованию"),
        numbered("МБОУ «Средняя школа № {}» г. Гагарина", range(1, 7)),
        words(
            "Ашковская Баскаковская Кармановская Самуйловская Пречистенская Никольская "
            "Токаревская Серго-Ивановская Покровская Родомановская Мальцевская Акатовская "
            "Клушинская Гжатская Потаповская Ивакинская Карамзинская"
        ),
        city=True,
    ),
    Municipality(
        district_body("Смоленский район", "Комитет по образованию"),
        (),
        words(
            "Катынская Касплянская Пригорская Печерская Стабенская Талашкинская Хохловская "
            "Кощинская Гнёздовская Михновская Лоинская Дивасовская Корохоткинская Сметанинская "
            "Туринская Синьковская Жуковская Козинская Моготовская Верховская Сосновская "
            "Чекулинская Сыр-Липецкая Ракитнянская Волоковская"
        ),
    ),
    Municipality(
        district_body("Починковский район"),
        numbered("МБОУ «Средняя школа № {}» г. Починка", (1, 2)),
        words(
            "Стодолищенская Шаталовская Васьковская Лосненская Мурыгинская Прудковская "
            "Климщинская Даньковская Княжинская Переснянская Мачулинская Лучесская "
            "Самолюбовская Полуэктовская"
        ),
    ),
    Municipality(
        district_body("Руднянский район"),
        numbered("МБОУ «Руднянская СШ № {}»", (1, 2, 3)),
        words(
            "Понизовская Любавичская Микулинская Голынковская Чистиковская Плосковская "
            "Кляриновская Смолиговская Казимировская Переволочская"
        ),
    ),
    Municipality(
        district_body("Дорогобужский район", "Комитет по образованию"),
        (
            *numbered("МБОУ «Дорогобужская СШ № {}»", (1, 2)),
            *numbered("МБОУ «Верхнеднепровская СШ № {}»", (1, 2, 3)),
        ),
        words("Алексинская Усвятская Слойковская Ушаковская Озерищенская Полибинская"),
    ),
    Municipality(
        district_body("Демидовский район"),
        numbered("МБОУ «Демидовская СШ № {}»", (1, 2)),
        words(
            "Пржевальская Титовщинская Закустищенская Заборьевская Дубровская Шаповская "
            "Воробьёвская Бородинская"
        ),
    ),
    Municipality(
        district_body("Духовщинский район"),
        numbered("МБОУ «Духовщинская СШ № {}»", (1, 2)),
        words(
            "Озёрненская Булгаковская Третьяковская Добринская Береснёвская Микшинская "
            "Бабинская Копыревская"
        ),
    ),
    Municipality(
        district_body("Краснинский район"),
        ("МБОУ «Краснинская СШ»",),
        words(
            "Гусинская Мерлинская Глубокинская Николаевская Волоедовская Малеевская "
            "Викторовская Кутьковская Маньковская"
        ),
    ),
    Municipality(
        district_body("Ельнинский район"),
        numbered("МБОУ «Ельнинская СШ № {}»", (1, 2, 3)),
        words("Коробецкая Леонидовская Болтутинская Бывалковская Шараповская"),
    ),
    Municipality(
        district_body("Ершичский район"),
        ("МБОУ «Ершичская СШ»",),
        words("Сеннянская Руханская Кузьмичская Поселковская Егоровская"),
    ),
    Municipality(
        district_body("Кардымовский район"),
        ("МБОУ «Кардымовская СШ»",),
        words("Шокинская Тюшинская Каменская Соловьёвская Мольковская Берёзкинская Смогиревская"),
    ),
    Municipality(
        district_body("Монастырщинский район"),
        ("МБОУ «Монастырщинская СШ»",),
        words("Соболевская Татарская Новомихайловская Барсуковская Доброселецкая Гоголевская"),
    ),
    Municipality(
        district_body("Новодугинский район"),
        ("МБОУ «Новодугинская СШ»",),
        words("Высоковская Днепровская Извековская Тесовская Торбеевская Капустинская"),
    ),
    Municipality(
        district_body("Сычёвский район"),
        numbered("МБОУ «Сычёвская СШ № {}»", (1, 2)),
        words("Никитская Вараксинская Караваевская Субботниковская Дугинская"),
    ),
    Municipality(
        district_body("Тёмкинский район"),
        ("МБОУ «Тёмкинская СШ»",),
        words("Власовская Замыцкая Кикинская Батюшковская"),
    ),
    Municipality(
        district_body("Угранский район"),
        ("МБОУ «Угранская СШ»",),
        words("Знаменская Русановская Всходская Слободская Мытишинская Вешковская Погорельская"),
    ),
    Municipality(
        district_body("Хиславичский район"),
        ("МБОУ «Хиславичская СШ»",),
        words("Кожуховичская Упинская Городищенская Корзовская Владимировская"),
    ),
    Municipality(
        district_body("Холм-Жирковский район"),
        ("МБОУ «Холм-Жирковская СШ»",),
        words("Игоревская Богдановская Тупиковская Нахимовская Канютинская Стешинская Лехминская"),
    ),
    Municipality(
        district_body("Шумячский район"),
        ("МБОУ «Шумячская СШ»",),
        words("Первомайская Студенецкая Руссковская Надейковичская Криволесская Петровичская"),
    ),
    Municipality(
        district_body("Велижский район"),
        numbered("МБОУ «Велижская СШ № {}»", (1, 2)),
        words("Беляевская Крутовская Селезнёвская"),
    ),
    Municipality(
        district_body("Глинковский район"),
        ("МБОУ «Глинковская СШ»",),
        words("Доброминская Белохолмская Бердниковская"),
    ),
)

# Colleges with a typical size in students, before scaling to the order's total.
COLLEGE_SIZES: tuple[tuple[str, int], ...] = (
    ("ОГБПОУ «Смоленская академия профессионального образования»", 1900),
    ("ОГБПОУ «Смоленский педагогический колледж»", 1100),
    ("ОГБПОУ «Смоленский базовый медицинский колледж имени К.С. Константиновой»", 1300),
    ("ОГБПОУ «Смоленский автотранспортный колледж имени Е.Г. Трубицына»", 950),
    ("ОГБПОУ «Смоленский строительный колледж»", 900),
    ("ОГБПОУ «Смоленский политехнический техникум»", 800),
    ("ОГБПОУ «Смоленский промышленно-экономический колледж»", 850),
    ("ОГБПОУ «Смоленский техникум железнодорожного транспорта, связи и сервиса»", 800),
    ("ОГБПОУ «Техникум отраслевых технологий»", 700),
    ("ОГБПОУ «Рославльский многопрофильный колледж»", 1100),
    ("ОГБПОУ «Рославльский медицинский техникум»", 500),
    ("ОГБПОУ «Вяземский политехнический техникум»", 900),
    ("ОГБПОУ «Сафоновский индустриально-технологический техникум»", 700),
    ("ОГБПОУ «Ярцевский индустриально-технологический техникум»", 650),
    ("ОГБПОУ «Гагаринский многопрофильный колледж»", 650),
    ("ОГБПОУ «Десногорский энергетический колледж»", 600),
    ("ОГБПОУ «Дорогобужский индустриально-технологический техникум»", 450),
    ("ОГБПОУ «Починковский аграрно-технологический техникум»", 400),
    ("ОГБПОУ «Руднянский аграрно-промышленный техникум»", 350),
    ("ОГБПОУ «Велижский многопрофильный техникум»", 300),
)


def fit_to_total(
    raw: Sequence[float], total: int, lo: Sequence[int], hi: Sequence[int], rng: random.Random
) -> list[int]:
    """Integers proportional to `raw`, each within its [lo, hi], summing exactly to `total`.

    Scales and rounds, clamps to the bounds, then walks the items in a seeded order moving each by
    one unit until the sum is exact.
    """
    if not sum(lo) <= total <= sum(hi):
        raise ValueError(f"{total} cannot be reached within bounds [{sum(lo)}, {sum(hi)}]")
    scale = total / sum(raw)
    values = [min(h, max(low, round(r * scale))) for r, low, h in zip(raw, lo, hi, strict=True)]
    order = list(range(len(values)))
    rng.shuffle(order)
    diff = total - sum(values)
    while diff:
        step = 1 if diff > 0 else -1
        for i in order:
            if diff and lo[i] <= values[i] + step <= hi[i]:
                values[i] += step
                diff -= step
    return values


def teacher_bounds(
    pupils: int, ratio_min: int, ratio_max: int, least: int, most: int
) -> tuple[int, int]:
    """Teachers that keep pupils per teacher within [ratio_min, ratio_max] and the size bounds."""
    return max(least, math.ceil(pupils / ratio_max)), min(most, pupils // ratio_min)


def make_schools(rng: random.Random) -> list[Org]:
    parents: list[str] = []
    names: list[str] = []
    pupils_raw: list[float] = []
    ratios: list[float] = []
    for municipality in MUNICIPALITIES:
        for name in municipality.towns:
            parents.append(municipality.body)
            names.append(name)
            if municipality.city:
                pupils_raw.append(rng.uniform(350, 1100))
                ratios.append(rng.uniform(12.5, 16))
            else:
                pupils_raw.append(rng.uniform(180, 520))
                ratios.append(rng.uniform(11, 15))
        for village in municipality.villages:
            parents.append(municipality.body)
            if rng.random() < 0.55:
                names.append(f"МБОУ «{village} средняя школа»")
                pupils_raw.append(rng.uniform(90, 240))
                ratios.append(rng.uniform(9, 13))
            else:
                names.append(f"МБОУ «{village} основная школа»")
                pupils_raw.append(rng.uniform(48, 120))
                ratios.append(rng.uniform(8, 11))

    count = len(names)
    pupils = fit_to_total(
        pupils_raw,
        SCHOOL_PUPILS,
        [SCHOOL_PUPILS_MIN] * count,
        [SCHOOL_PUPILS_MAX] * count,
        rng,
    )
    bounds = [
        teacher_bounds(
            p, SCHOOL_RATIO_MIN, SCHOOL_RATIO_MAX, SCHOOL_TEACHERS_MIN, SCHOOL_TEACHERS_MAX
        )
        for p in pupils
    ]
    teachers = fit_to_total(
        [p / r for p, r in zip(pupils, ratios, strict=True)],
        SCHOOL_TEACHERS,
        [b[0] for b in bounds],
        [b[1] for b in bounds],
        rng,
    )
    return [
        Org(
            name=name,
            kind="school",
            parent=parent,
            teachers=t,
            staff=t + round(t * rng.uniform(0.3, 0.6)) + rng.randint(3, 8),
            pupils=p,
        )
        for name, parent, t, p in zip(names, parents, teachers, pupils, strict=True)
    ]


def make_colleges(rng: random.Random) -> list[Org]:
    count = len(COLLEGE_SIZES)
    students = fit_to_total(
        [size * rng.uniform(0.85, 1.15) for _, size in COLLEGE_SIZES],
        COLLEGE_STUDENTS,
        [COLLEGE_STUDENTS_MIN] * count,
        [COLLEGE_STUDENTS_MAX] * count,
        rng,
    )
    bounds = [
        teacher_bounds(
            s, COLLEGE_RATIO_MIN, COLLEGE_RATIO_MAX, COLLEGE_TEACHERS_MIN, COLLEGE_TEACHERS_MAX
        )
        for s in students
    ]
    teachers = fit_to_total(
        [s / rng.uniform(15, 20) for s in students],
        COLLEGE_TEACHERS,
        [b[0] for b in bounds],
        [b[1] for b in bounds],
        rng,
    )
    return [
        Org(
            name=name,
            kind="college",
            parent=DEPARTMENT,
            teachers=t,
            staff=t + round(t * rng.uniform(0.5, 0.9)) + rng.randint(5, 15),
            pupils=s,
        )
        for (name, _), t, s in zip(COLLEGE_SIZES, teachers, students, strict=True)
    ]


def make_orgs() -> list[Org]:
    rng = random.Random(SEED)
    authorities = [
        Org(DEPARTMENT, "authority"),
        Org(INSTITUTE, "authority", parent=DEPARTMENT),
        *(Org(m.body, "authority", parent=DEPARTMENT) for m in MUNICIPALITIES),
    ]
    colleges = make_colleges(rng)
    schools = make_schools(rng)
    return [*authorities, *colleges, *schools]


def check(orgs: Sequence[Org]) -> list[str]:
    """What is wrong with the registry; empty when it matches the order's statistics."""
    problems: list[str] = []
    names = [o.name for o in orgs]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        problems.append(f"duplicate names: {duplicates}")
    known = set(names)
    problems += [f"unknown parent of {o.name}" for o in orgs if o.parent and o.parent not in known]
    bodies = {m.body for m in MUNICIPALITIES}
    if len(bodies) != 27:
        problems.append(f"{len(bodies)} municipal bodies, expected 27")
    schools = [o for o in orgs if o.kind == "school"]
    colleges = [o for o in orgs if o.kind == "college"]
    expected = (
        ("schools", len(schools), SCHOOLS),
        ("school teachers", sum(o.teachers or 0 for o in schools), SCHOOL_TEACHERS),
        ("school pupils", sum(o.pupils or 0 for o in schools), SCHOOL_PUPILS),
        ("colleges", len(colleges), COLLEGES),
        ("college teachers", sum(o.teachers or 0 for o in colleges), COLLEGE_TEACHERS),
        ("college students", sum(o.pupils or 0 for o in colleges), COLLEGE_STUDENTS),
    )
    problems += [f"{what}: {got}, expected {want}" for what, got, want in expected if got != want]
    for o in schools:
        t, p, s = o.teachers or 0, o.pupils or 0, o.staff or 0
        if o.parent not in bodies:
            problems.append(f"school {o.name} is not under a municipal body")
        if not (t > 0 and p > 0 and s > t and SCHOOL_RATIO_MIN <= p / t <= SCHOOL_RATIO_MAX):
            problems.append(f"implausible school {o.name}: {t} teachers, {s} staff, {p} pupils")
    for o in colleges:
        t, p, s = o.teachers or 0, o.pupils or 0, o.staff or 0
        if not (t > 0 and p > 0 and s > t):
            problems.append(f"implausible college {o.name}: {t} teachers, {s} staff, {p} students")
    return problems


def row(org: Org, kind: str) -> list[str]:
    """An organisation's CSV cells, with `kind` as the file spells it; absent figures are empty."""
    values = (org.name, kind, org.parent, org.teachers, org.staff, org.pupils, org.timezone)
    return ["" if v is None else str(v) for v in values]


def write_csv(orgs: Sequence[Org], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for o in orgs:
            writer.writerow(row(o, o.kind))


def write_excel_csv(orgs: Sequence[Org], path: Path) -> None:
    """The same rows as Russian Excel's "CSV (разделители - точка с запятой)" saves them."""
    with path.open("w", encoding="cp1251", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(EXCEL_HEADER)
        for o in orgs:
            writer.writerow(row(o, EXCEL_KINDS[o.kind]))


def main() -> None:
    orgs = make_orgs()
    problems = check(orgs)
    if problems:
        raise SystemExit("registry does not match order 319-ОД:\n" + "\n".join(problems))
    write_csv(orgs, CSV_PATH)
    write_excel_csv(orgs, EXCEL_CSV_PATH)
    schools = [o for o in orgs if o.kind == "school"]
    colleges = [o for o in orgs if o.kind == "college"]
    print(
        f"wrote {len(orgs)} organisations: {len(schools)} schools "
        f"({sum(o.teachers or 0 for o in schools)} teachers, "
        f"{sum(o.pupils or 0 for o in schools)} pupils), {len(colleges)} colleges "
        f"({sum(o.teachers or 0 for o in colleges)} teachers, "
        f"{sum(o.pupils or 0 for o in colleges)} students)"
    )


if __name__ == "__main__":
    main()
