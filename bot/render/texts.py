"""Every sentence people read, in Russian and English, kept side by side so they stay in step.

`Texts(language)("key", name=value)` formats a message; `Texts.count(noun, n)` gives "22
мероприятия" / "22 tasks" with the right plural form. A test checks that both languages have
the same keys and the same placeholders.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Language = Literal["ru", "en"]

MESSAGES: dict[str, dict[str, str]] = {
    "ru": {
        "import.created": "Импортирована дорожная карта «{title}» ({slug}): {tasks} в {sections}, "
        "{parties}.",
        "import.revised": "Обновлена дорожная карта «{title}» ({slug}): {tasks} в {sections}.",
        "import.figures": "Статистика: {figures}; целевые показатели: {targets}.",
        "import.needs_date": "Без даты (нужно назначить срок): {tasks}.",
        "import.no_changes": "Изменений нет.",
        "import.summary": "Добавлено: {added}, изменено: {changed}, удалено: {removed}.",
        "import.added": "+ № {number} «{title}»",
        "import.changed": "~ № {number} «{title}»: {fields}",
        "import.removed": "- № {number} «{title}»",
        "field.number": "номер",
        "field.section": "раздел",
        "field.title": "название",
        "field.responsible": "ответственные",
        "field.deadline": "срок",
        "field.result": "результат",
        "status.header": "Дорожная карта «{title}» ({slug}) на {day}",
        "status.totals": "Мероприятий: {total} — выполнено {done}, в работе {open}, "
        "просрочено {overdue}, отменено {cancelled}.",
        "status.overdue": "Просрочено ({count}):",
        "status.overdue_item": "• № {number} «{title}» — срок {due}, просрочено на {days} дн.; "
        "отв.: {responsible}",
        "status.upcoming": "Ближайшие {days} дн.:",
        "status.upcoming.due": "• {day} — срок: № {number} «{title}»; отв.: {responsible}",
        "status.upcoming.start": "• {day} — начало: № {number} «{title}»; отв.: {responsible}",
        "status.upcoming.occurrence": "• {day} — очередной срок: № {number} «{title}»; "
        "отв.: {responsible}",
        "status.needs_date": "Нужно назначить дату ({count}):",
        "status.needs_date_item": "• № {number} «{title}» — «{text}»; отв.: {responsible}",
        "status.nothing": "—",
        "status.nobody": "не указаны",
        "tasks.header": "№ | Раздел | Мероприятие | Ответственные | Срок | Как понят | Статус",
        "deadline.none": "дата не определена",
        "deadline.due": "до {due}",
        "deadline.start": "с {start}",
        "deadline.range": "{start} – {due}",
        "deadline.every": "повторяется: {rule}",
        "standing.open": "в работе",
        "standing.overdue": "просрочено",
        "standing.done": "выполнено",
        "standing.cancelled": "отменено",
        "orgs.saved": "Организации: добавлено {added}, обновлено {updated}, без изменений "
        "{unchanged}.",
        "orgs.total": "Всего организаций: {count}.",
        "orgs.teachers": "педагогов {count}",
        "orgs.staff": "сотрудников {count}",
        "orgs.pupils": "обучающихся {count}",
        "kind.authority": "орган управления",
        "kind.school": "школа",
        "kind.college": "колледж",
        "kind.preschool": "детский сад",
        "kind.additional": "доп. образование",
        "orgs.empty": "Организаций пока нет. Загрузите реестр: roadmap-bot orgs import ФАЙЛ",
        "export.written": "Дорожная карта {slug} выгружена в {path}.",
        "db.upgraded": "База данных обновлена до последней версии.",
        "error.document": "Не удалось импортировать {path}: {problem}.",
        "error.document.row": "Не удалось импортировать {path}, строка {row}: {problem}.",
        "problem.unreadable": "файл не читается",
        "problem.unsupported_format": "такой формат не поддерживается "
        "(нужен .docx, .xlsx, .csv, .txt или .yaml)",
        "problem.no_roadmap_table": "не найдена таблица дорожной карты "
        "(строка заголовков с колонками «№», «Мероприятие», «Ответственные», «Срок»)",
        "problem.row_without_title": "у мероприятия нет названия",
        "problem.bad_value": "неверное значение",
        "problem.missing_column": "нет обязательной колонки",
        "problem.bad_yaml": "файл YAML повреждён или имеет не тот вид",
        "error.nothing_written": "Ничего не записано.",
        "error.no_roadmap": "Дорожная карта ещё не загружена. Импортируйте её: "
        "roadmap-bot import ФАЙЛ.docx",
        "error.roadmap_not_found": "Дорожной карты «{slug}» нет. Есть: {known}.",
        "error.unknown_parent": "У организации «{organisation}» указана неизвестная вышестоящая "
        "организация «{parent}». Ничего не записано.",
        "error.parent_cycle": "Организации ссылаются друг на друга по кругу: {names}. "
        "Ничего не записано.",
        "error.bad_date": "Дата должна быть в виде ГГГГ-ММ-ДД, например 2023-04-20: {value}",
        "error.settings": "Ошибка в настройках: {detail}. См. config.example.env.",
        "error.database": "Ошибка базы данных: {detail}",
    },
    "en": {
        "import.created": "Imported the roadmap “{title}” ({slug}): {tasks} in {sections}, "
        "{parties}.",
        "import.revised": "Updated the roadmap “{title}” ({slug}): {tasks} in {sections}.",
        "import.figures": "Statistics: {figures}; targets: {targets}.",
        "import.needs_date": "Without a date (set one): {tasks}.",
        "import.no_changes": "No changes.",
        "import.summary": "Added: {added}, changed: {changed}, removed: {removed}.",
        "import.added": "+ No. {number} “{title}”",
        "import.changed": "~ No. {number} “{title}”: {fields}",
        "import.removed": "- No. {number} “{title}”",
        "field.number": "number",
        "field.section": "section",
        "field.title": "title",
        "field.responsible": "responsible",
        "field.deadline": "deadline",
        "field.result": "result",
        "status.header": "Roadmap “{title}” ({slug}) as of {day}",
        "status.totals": "Tasks: {total} — done {done}, in progress {open}, overdue {overdue}, "
        "cancelled {cancelled}.",
        "status.overdue": "Overdue ({count}):",
        "status.overdue_item": "• No. {number} “{title}” — due {due}, {days} d late; "
        "responsible: {responsible}",
        "status.upcoming": "Next {days} days:",
        "status.upcoming.due": "• {day} — due: No. {number} “{title}”; responsible: {responsible}",
        "status.upcoming.start": "• {day} — starts: No. {number} “{title}”; responsible: "
        "{responsible}",
        "status.upcoming.occurrence": "• {day} — next occurrence: No. {number} “{title}”; "
        "responsible: {responsible}",
        "status.needs_date": "Needs a date ({count}):",
        "status.needs_date_item": "• No. {number} “{title}” — “{text}”; responsible: {responsible}",
        "status.nothing": "—",
        "status.nobody": "not named",
        "tasks.header": "No. | Section | Task | Responsible | Deadline | Understood as | Status",
        "deadline.none": "no date determined",
        "deadline.due": "by {due}",
        "deadline.start": "from {start}",
        "deadline.range": "{start} – {due}",
        "deadline.every": "repeats: {rule}",
        "standing.open": "in progress",
        "standing.overdue": "overdue",
        "standing.done": "done",
        "standing.cancelled": "cancelled",
        "orgs.saved": "Organisations: {added} added, {updated} updated, {unchanged} unchanged.",
        "orgs.total": "Organisations: {count}.",
        "orgs.teachers": "teachers {count}",
        "orgs.staff": "staff {count}",
        "orgs.pupils": "pupils {count}",
        "kind.authority": "authority",
        "kind.school": "school",
        "kind.college": "college",
        "kind.preschool": "preschool",
        "kind.additional": "additional education",
        "orgs.empty": "No organisations yet. Load the registry: roadmap-bot orgs import FILE",
        "export.written": "Roadmap {slug} exported to {path}.",
        "db.upgraded": "The database is at the newest version.",
        "error.document": "Could not import {path}: {problem}.",
        "error.document.row": "Could not import {path}, row {row}: {problem}.",
        "problem.unreadable": "the file cannot be read",
        "problem.unsupported_format": "this format is not supported "
        "(use .docx, .xlsx, .csv, .txt or .yaml)",
        "problem.no_roadmap_table": "no roadmap table found "
        "(a header row with columns No., Task, Responsible, Deadline)",
        "problem.row_without_title": "the task has no title",
        "problem.bad_value": "bad value",
        "problem.missing_column": "a required column is missing",
        "problem.bad_yaml": "the YAML file is broken or of the wrong shape",
        "error.nothing_written": "Nothing was written.",
        "error.no_roadmap": "No roadmap has been imported yet. Import one: "
        "roadmap-bot import FILE.docx",
        "error.roadmap_not_found": "There is no roadmap “{slug}”. Known: {known}.",
        "error.unknown_parent": "Organisation “{organisation}” names an unknown parent "
        "“{parent}”. Nothing was written.",
        "error.parent_cycle": "Organisations are each other's parents: {names}. "
        "Nothing was written.",
        "error.bad_date": "A date must look like YYYY-MM-DD, e.g. 2023-04-20: {value}",
        "error.settings": "Bad setting: {detail}. See config.example.env.",
        "error.database": "Database error: {detail}",
    },
}

# Russian nouns take one of three forms after a number (1 мероприятие, 2 мероприятия,
# 5 мероприятий); English takes two.
NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "task": ("мероприятие", "мероприятия", "мероприятий"),
        "section": ("разделе", "разделах", "разделах"),
        "party": ("ответственный", "ответственных", "ответственных"),
        "figure": ("показатель", "показателя", "показателей"),
        "target": ("цель", "цели", "целей"),
    },
    "en": {
        "task": ("task", "tasks"),
        "section": ("section", "sections"),
        "party": ("responsible party", "responsible parties"),
        "figure": ("figure", "figures"),
        "target": ("target", "targets"),
    },
}

WEEKDAYS = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def plural_index(language: Language, n: int) -> int:
    if language == "en":
        return 0 if n == 1 else 1
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


class Texts:
    def __init__(self, language: Language) -> None:
        self.language = language
        self.messages = MESSAGES[language]

    def __call__(self, key: str, **values: object) -> str:
        return self.messages[key].format(**values)

    def count(self, noun: str, n: int) -> str:
        return f"{n} {NOUNS[self.language][noun][plural_index(self.language, n)]}"

    def day(self, value: date) -> str:
        return value.strftime("%d.%m.%Y") if self.language == "ru" else value.isoformat()

    def weekday_day(self, value: date) -> str:
        return f"{self.day(value)} ({WEEKDAYS[self.language][value.weekday()]})"
