"""The command line's own words — argparse's and ours — in Russian and English.

argparse translates through `gettext`; `argparse_language("ru")` hands it a Russian catalogue
for as long as the parser is built and used, so "usage:", "options", "show this help message
and exit" and its error messages read in Russian. `HELP[language]` holds our help texts.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

Language = Literal["ru", "en"]

# argparse's msgids (Python 3.11 to 3.13) -> Russian.
ARGPARSE_RU: dict[str, str] = {
    "usage: ": "использование: ",
    "positional arguments": "аргументы",
    "options": "параметры",
    "optional arguments": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "не указаны обязательные аргументы: %s",
    "one of the arguments %s is required": "нужен один из аргументов: %s",
    "not allowed with argument %s": "нельзя вместе с аргументом %s",
    "unrecognized arguments: %s": "непонятные аргументы: %s",
    "expected one argument": "нужно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "ambiguous option: %(option)s could match %(matches)s": (
        "неоднозначный параметр: %(option)s может означать %(matches)s"
    ),
    "invalid %(type)s value: %(value)r": "недопустимое значение: %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "недопустимое значение: %(value)r (выберите из %(choices)s)"
    ),
    "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)": (
        "недопустимое значение: %(value)r, может быть, %(closest)r? (выберите из %(choices)s)"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "неизвестная команда %(parser_name)r (выберите из %(choices)s)"
    ),
    "ignored explicit argument %r": "лишнее значение %r",
    "unexpected option string: %s": "неожиданный параметр: %s",
    "can't open '%(filename)s': %(error)s": "не открыть «%(filename)s»: %(error)s",
    'argument "-" with mode %r': "аргумент «-» в режиме %r",
}
ARGPARSE_RU_PLURAL: dict[str, tuple[str, str, str]] = {
    "expected %s argument": ("нужно %s значение", "нужно %s значения", "нужно %s значений"),
}


def _plural_ru(n: int) -> int:
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def _gettext_ru(message: str) -> str:
    return ARGPARSE_RU.get(message, message)


def _ngettext_ru(singular: str, plural: str, n: int) -> str:
    forms = ARGPARSE_RU_PLURAL.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    return forms[_plural_ru(n)]


@contextmanager
def argparse_language(language: Language) -> Iterator[None]:
    """argparse speaks `language` inside the block (it looks its words up through the
    module-level `_` and `ngettext` it imported from gettext)."""
    if language != "ru":
        yield
        return
    module: object = argparse
    saved = module.__dict__["_"], module.__dict__["ngettext"]
    module.__dict__["_"], module.__dict__["ngettext"] = _gettext_ru, _ngettext_ru
    try:
        yield
    finally:
        module.__dict__["_"], module.__dict__["ngettext"] = saved


HELP: dict[str, dict[str, str]] = {
    "ru": {
        "prog.description": "Дорожная карта внедрения: импорт документов, ход работ, реестр "
        "организаций, приглашения. Настройки берутся из окружения и файла .env (см. "
        "config.example.env).",
        "metavar.command": "КОМАНДА",
        "roadmap": "какая дорожная карта (по умолчанию текущая)",
        "import.help": "импортировать или обновить дорожную карту (.docx, .xlsx, .csv, .txt, "
        ".yaml)",
        "import.description": "Импорт дорожной карты. Повторный импорт исправленного документа "
        "обновляет мероприятия на месте (по номеру и названию), сохраняя их статус и историю, "
        "и показывает, что добавлено, изменено и удалено. Из плохого файла ничего не "
        "записывается.",
        "import.path": "документ",
        "import.roadmap": "сохранить под этим коротким именем (по умолчанию — из номера и года "
        "приказа)",
        "import.current": "сделать её той, с которой работает бот (первая импортированная "
        "становится текущей всегда)",
        "roadmaps.help": "сохранённые дорожные карты и какая из них текущая",
        "roadmaps.description": "Сохранённые дорожные карты; `use SLUG` делает одну текущей: с "
        "ней работает бот и команды без --roadmap.",
        "roadmaps.list": "сохранённые дорожные карты, текущая отмечена",
        "roadmaps.use": "сделать SLUG текущей дорожной картой",
        "export.help": "выгрузить дорожную карту",
        "deadline.help": "назначить срок мероприятию «по согласованию»",
        "deadline.description": "Срок мероприятия, который приказ оставил на согласование: "
        "напоминания и /status начинают его считать; повторный импорт приказа его сохраняет.",
        "deadline.number": "номер мероприятия",
        "deadline.date": "дата: 15.05.2023, «до 15 мая»; «нет» — снять назначенный срок",
        "export.description": "Выгрузка дорожной карты в нашем формате без потерь.",
        "export.yaml": "файл YAML ('-' — вывести на экран)",
        "export.xlsx": "книга Excel обо всём: мероприятия, показатели, отчёты, журнал (файл "
        "или папка)",
        "tasks.help": "список мероприятий",
        "tasks.description": "Мероприятия дорожной карты со сроками: как написано и как понято.",
        "as_of": "состояние на этот день",
        "tasks.json": "вывести массив JSON (см. README)",
        "tasks.org": "мероприятия и доли организации или муниципалитета",
        "status.help": "ход работ по дорожной карте",
        "status.description": "Мероприятия по статусам, просроченные с ответственными, "
        "ближайшие 14 дней и мероприятия без даты.",
        "status.org": "подробно по организации или муниципалитету",
        "indicators.help": "еженедельные показатели",
        "indicators.description": "Еженедельные показатели, которые сдают организации (см. "
        "examples/).",
        "indicators.import.help": "задать показатели из файла YAML",
        "indicators.import.description": "Показатели из файла YAML. Запись с неделей `from` — "
        "новая версия с этой недели; прошлые недели сохраняют прежний смысл.",
        "indicators.path": "файл .yaml",
        "indicators.list": "показатели и их текущие условия",
        "reports.help": "еженедельные отчёты",
        "reports.description": "Еженедельные отчёты организаций.",
        "reports.import.help": "заполнить эту неделю из выгрузки платформы или заполненного "
        "шаблона (.xlsx, .csv)",
        "reports.import.description": "Цифры по организациям, столбцы узнаются по заголовкам; "
        "плохие строки перечисляются, хорошие сохраняются. Сомнительные строки ждут "
        "подтверждения — команда скажет, как их подтвердить.",
        "reports.path": "файл .xlsx или .csv",
        "reports.confirm": "принять строки черновика ID, ждущие подтверждения, как есть",
        "reports.discard": "отбросить строки черновика ID",
        "reports.draft": "номер черновика (его называет `reports import`)",
        "orgs.help": "реестр организаций",
        "orgs.description": "Реестр организаций.",
        "orgs.import.help": "загрузить организации из .csv или .xlsx",
        "orgs.import.description": "Загрузка организаций (название, вид, вышестоящая, учителя, "
        "сотрудники, обучающиеся, часовой пояс по желанию) из .csv или .xlsx; уже известные "
        "(по названию) обновляются.",
        "orgs.path": "файл реестра",
        "orgs.list": "показать реестр деревом",
        "run.help": "запустить бота в Telegram",
        "run.description": "Запуск бота: long polling или вебхук, если задан WEBHOOK_URL. Нужен "
        "BOT_TOKEN. Останавливается аккуратно по SIGTERM/SIGINT.",
        "invite.help": "сделать ссылки-приглашения",
        "invite.description": "Ссылка-приглашение для организации и роли или по одной на каждую "
        "организацию (--all) в CSV для рассылки; ссылка для каждого настроенного мессенджера. "
        "Нужен BOT_TOKEN, MAX_TOKEN или оба (для имени бота).",
        "invite.role": "роль: admin (администратор), coordinator (координатор), rep "
        "(представитель организации), observer (наблюдатель)",
        "invite.org": "организация: полное название или его часть",
        "invite.all": "по ссылке на каждую организацию",
        "invite.region": "на весь регион (администраторы, наблюдатели)",
        "invite.kind": "с --all: только организации этого вида",
        "invite.out": "с --all: файл CSV",
        "invite.multi_use": "ссылкой можно пользоваться много раз",
        "invite.days": "действует N дней (INVITE_TTL_DAYS)",
        "invites.help": "сделанные приглашения",
        "invites.description": "Приглашения: список, отзыв.",
        "invites.list": "все приглашения с номерами и состоянием",
        "invites.revoke.help": "отозвать приглашение ID (ссылка перестаёт работать, "
        "многоразовая тоже)",
        "invites.revoke.description": "Отзыв приглашения по номеру (см. `invites list`). Кто уже "
        "присоединился по нему, остаётся: для этого есть `people unbind`.",
        "invites.id": "номер приглашения",
        "people.help": "кто присоединился",
        "people.description": "Присоединившиеся люди (посторонние не сохраняются): список, "
        "отвязка, удаление данных.",
        "people.list": "все сохранённые люди с их привязками",
        "people.unbind.help": "отнять доступ у человека ID (весь или только к --org)",
        "people.unbind.description": "Убрать привязки человека (только к --org, если указана); "
        "его имя остаётся на сделанном, пока его не удалят.",
        "people.id": "номер человека (см. `people list`)",
        "people.org": "только привязку к этой организации",
        "people.forget.help": "удалить персональные данные человека ID (152-ФЗ)",
        "people.forget.description": "Удаляет имя, username, язык и привязки. Отчёты его "
        "организации остаются, за подписью «удалённый пользователь».",
        "parties.help": "кто действует за ответственных дорожной карты",
        "parties.description": "Кто действует за каждого ответственного (то же, что /parties "
        "в боте).",
        "parties.list": "ответственные и кто действует за них",
        "parties.link.help": "указать, кто действует за ответственного N",
        "parties.link.description": "Кто действует за ответственного N (номера как в `parties "
        "list`): название организации (или его часть), «все школы», «все колледжи», «все "
        "органы», «все сады», «все школы и колледжи» или «нет» (никто).",
        "parties.number": "номер ответственного",
        "parties.target": "организация, «все школы», … или «нет»",
        "reminders.help": "правила напоминаний",
        "reminders.description": "Правила напоминаний дорожной карты.",
        "reminders.policy.help": "показать или изменить, когда приходят напоминания",
        "reminders.policy.description": "Показывает правила напоминаний; с параметрами — "
        "сначала меняет их. Напоминания приходят за BEFORE дней до срока (0 — в день срока), "
        "затем каждые OVERDUE_EVERY рабочих дней после него, не больше LIMIT раз; после "
        "ESCALATE_AFTER дней просрочки узнаёт и курирующий координатор.",
        "reminders.before": "за сколько дней до срока",
        "reminders.overdue_every": "рабочих дней между напоминаниями",
        "reminders.overdue_limit": "не больше стольких напоминаний о просрочке",
        "reminders.escalate_after": "дней просрочки",
        "reminders.kickoff": "напоминать, когда мероприятие начинается",
        "reminders.recurring": "напоминать о каждом повторении",
        "reminders.undated_weekday": "день недели (0 — понедельник), когда координаторам "
        "напоминают о мероприятиях без даты",
        "calendar.help": "рабочий календарь: праздники и переносы",
        "calendar.description": "Нерабочие дни и рабочие выходные года по производственному "
        "календарю России, с поправками из HOLIDAYS и WORKDAYS.",
        "calendar.year": "год (по умолчанию текущий)",
        "db.help": "обслуживание базы данных",
        "db.description": "Обслуживание базы данных.",
        "db.upgrade": "применить миграции (это делается и при каждом запуске)",
        "db.copy.help": "скопировать все данные в другую, пустую базу (SQLite ↔ PostgreSQL)",
        "db.copy.description": "Копирует все таблицы из одной базы в другую, например из "
        "SQLite в PostgreSQL: целевая база обновляется до последней версии схемы и "
        "заполняется одной транзакцией (при ошибке в ней не остаётся ничего), счётчики "
        "номеров PostgreSQL продолжаются после скопированных, затем число строк сверяется. "
        "Целевая база должна быть пустой, а исходная — на последней версии схемы (иначе "
        "сначала `db upgrade` на ней); иначе команда отказывается и ничего не меняет. "
        "Остановите бота на время копирования: записанное им после начала копии в неё не "
        "попадёт. DATABASE_URL не используется.",
        "db.copy.from": "откуда: sqlite:///data/roadmap.db или postgresql://user:pass@host/db",
        "db.copy.to": "куда (пустая база): postgresql://user:pass@host/db или sqlite:///…",
    },
    "en": {
        "prog.description": "Run an education department's rollout roadmap: import documents, "
        "see status, manage organisations. Settings come from the environment and .env "
        "(see config.example.env).",
        "metavar.command": "COMMAND",
        "roadmap": "which roadmap (default: the current one)",
        "import.help": "import or re-import a roadmap (.docx, .xlsx, .csv, .txt, .yaml)",
        "import.description": "Import a roadmap document. Re-importing a revised document "
        "updates the tasks in place (matched by number and title), keeping their status and "
        "history, and prints what was added, changed and removed. Nothing is written if the "
        "file is bad.",
        "import.path": "the document",
        "import.roadmap": "store under this short name (default: from the order's number and year)",
        "import.current": "make it the roadmap the bot serves (the first import always is)",
        "roadmaps.help": "the stored roadmaps and which one the bot serves",
        "roadmaps.description": "The stored roadmaps; `use SLUG` makes one current: the bot "
        "serves it and commands use it without --roadmap.",
        "roadmaps.list": "the stored roadmaps, the current one marked",
        "roadmaps.use": "make SLUG the current roadmap",
        "export.help": "write a roadmap out",
        "deadline.help": "set the date of a task «по согласованию»",
        "deadline.description": "The date of a task its order leaves to be agreed: reminders "
        "and /status count it from then on; re-importing the order keeps it.",
        "deadline.number": "the task's number",
        "deadline.date": "the date: 15.05.2023, «до 15 мая»; «нет» takes it back",
        "export.description": "Export a roadmap in our lossless form.",
        "export.yaml": "YAML file to write ('-': stdout)",
        "export.xlsx": "an Excel workbook of everything: tasks, figures, reports, log (a file or "
        "a folder)",
        "tasks.help": "list the tasks",
        "tasks.description": "List the roadmap's tasks with their deadlines as written and as "
        "understood.",
        "as_of": "status as of this day",
        "tasks.json": "print a JSON array (see README)",
        "tasks.org": "the tasks and shares of an organisation or a municipality",
        "status.help": "where the roadmap stands",
        "status.description": "Tasks by status, overdue with who is responsible, the next 14 "
        "days, and tasks that need a date.",
        "status.org": "drill down into an organisation or a municipality",
        "indicators.help": "weekly indicators",
        "indicators.description": "The weekly indicators organisations report (see examples/).",
        "indicators.import.help": "define indicators from a YAML file",
        "indicators.import.description": "Define indicators from a YAML file. An entry with a "
        "`from` week is a new version from that week on; earlier weeks keep their meaning.",
        "indicators.path": "a .yaml file",
        "indicators.list": "the indicators and their current terms",
        "reports.help": "weekly reports",
        "reports.description": "Weekly reports of organisations.",
        "reports.import.help": "fill this week from a platform export or a filled template "
        "(.xlsx, .csv)",
        "reports.import.description": "Per-organisation counts, columns matched by their "
        "headers; bad rows are listed, good rows kept. Doubtful rows wait for a confirmation: "
        "the command says how to give it.",
        "reports.path": "an .xlsx or .csv file",
        "reports.confirm": "accept the rows of draft ID that wait for a confirmation as they are",
        "reports.discard": "drop the rows of draft ID",
        "reports.draft": "the draft's number (`reports import` names it)",
        "orgs.help": "the organisation registry",
        "orgs.description": "The organisation registry.",
        "orgs.import.help": "load organisations from .csv or .xlsx",
        "orgs.import.description": "Load organisations (name, kind, parent, teachers, staff, "
        "pupils, optional time zone) from .csv or .xlsx; existing ones (by name) are updated.",
        "orgs.path": "the registry file",
        "orgs.list": "show the registry as a tree",
        "run.help": "run the Telegram bot",
        "run.description": "Run the bot: long polling, or a webhook when WEBHOOK_URL is set. "
        "Needs BOT_TOKEN. Stops cleanly on SIGTERM/SIGINT.",
        "invite.help": "make invite links",
        "invite.description": "Make an invite link for an organisation and role, or one per "
        "organisation (--all) into a CSV for a mail merge; a link for each configured "
        "messenger. Needs BOT_TOKEN, MAX_TOKEN or both (for the bot's name).",
        "invite.role": "the role: admin, coordinator, rep (an organisation's representative), "
        "observer",
        "invite.org": "the organisation: its full name or a part of it",
        "invite.all": "one link per organisation",
        "invite.region": "for the whole region (admins, observers)",
        "invite.kind": "with --all: only organisations of this kind",
        "invite.out": "with --all: CSV file",
        "invite.multi_use": "the link may be used many times",
        "invite.days": "valid for N days (INVITE_TTL_DAYS)",
        "invites.help": "invites made so far",
        "invites.description": "Invites: list them, revoke one.",
        "invites.list": "every invite with its number and state",
        "invites.revoke.help": "revoke invite ID (its link stops working; multi-use ones too)",
        "invites.revoke.description": "Revoke an invite by its number (see `invites list`). "
        "Whoever joined through it stays bound: use `people unbind` for that.",
        "invites.id": "the invite's number",
        "people.help": "who has joined",
        "people.description": "People who joined (strangers are never stored): list, unbind, "
        "forget.",
        "people.list": "every stored person with their bindings",
        "people.unbind.help": "take person ID's access away (all, or to --org only)",
        "people.unbind.description": "Remove the person's bindings (to --org only, when given); "
        "they keep their name on what they did until forgotten.",
        "people.id": "the person's number (see `people list`)",
        "people.org": "only the binding to this organisation",
        "people.forget.help": "erase person ID's personal data (152-FZ)",
        "people.forget.description": "Erase the person's name, username, language and "
        "bindings. Their organisation's reports stay, attributed to «удалённый пользователь».",
        "parties.help": "who acts for the roadmap's responsible parties",
        "parties.description": "Who acts for each responsible party (the same as /parties in "
        "the bot).",
        "parties.list": "the parties and who acts for them",
        "parties.link.help": "set who acts for party N",
        "parties.link.description": "Set who acts for party N (numbers as in `parties list`): "
        "an organisation's name (or a part of it), 'все школы' / 'все колледжи' / 'все органы' "
        "/ 'все сады' / 'все школы и колледжи' or 'нет' (all schools, all colleges, all "
        "authorities, all preschools, schools and colleges, nobody).",
        "parties.number": "the party's number",
        "parties.target": "organisation name, 'все школы', ..., or 'нет'",
        "reminders.help": "the reminder policy",
        "reminders.description": "The roadmap's reminder policy.",
        "reminders.policy.help": "show or change when reminders are sent",
        "reminders.policy.description": "Show the reminder policy; with options, change it "
        "first. Reminders come BEFORE days ahead of a due date (0 = on the day), then every "
        "OVERDUE_EVERY working days after it, LIMIT times; after ESCALATE_AFTER days overdue "
        "the supervising coordinator hears too.",
        "reminders.before": "days ahead of a due date",
        "reminders.overdue_every": "working days between",
        "reminders.overdue_limit": "overdue reminders at most",
        "reminders.escalate_after": "days overdue",
        "reminders.kickoff": "remind when a task starts",
        "reminders.recurring": "remind on each occurrence",
        "reminders.undated_weekday": "the weekday (0 = Monday) tasks without a date are put to "
        "coordinators",
        "calendar.help": "the working calendar: holidays and transfers",
        "calendar.description": "A year's days off and working weekend days by Russia's "
        "official calendar, with the changes made in HOLIDAYS and WORKDAYS.",
        "calendar.year": "the year (default: this one)",
        "db.help": "database maintenance",
        "db.description": "Database maintenance.",
        "db.upgrade": "apply migrations (also done on every start)",
        "db.copy.help": "copy all the data into another, empty database (SQLite ↔ PostgreSQL)",
        "db.copy.description": "Copies every table from one database into another, e.g. from "
        "SQLite to PostgreSQL: the target is brought to the newest schema and filled in one "
        "transaction (a failure leaves nothing in it), PostgreSQL's id sequences continue "
        "after the rows copied, and the row counts are compared. The target must hold no "
        "data and the source must be at the newest schema (run `db upgrade` on it first); "
        "otherwise the command refuses and changes nothing. Stop the bot while copying: what "
        "it writes after the copy began is not in the copy. DATABASE_URL is not used.",
        "db.copy.from": "from: sqlite:///data/roadmap.db or postgresql://user:pass@host/db",
        "db.copy.to": "to (an empty database): postgresql://user:pass@host/db or sqlite:///…",
    },
}


def help_texts(language: Language) -> Callable[[str], str]:
    messages = HELP[language]
    return messages.__getitem__
