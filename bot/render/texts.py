"""Every sentence people read, in Russian and English, kept side by side so they stay in step.

`Texts(language)("key", name=value)` formats a message; `Texts.count(noun, n)` gives "22
мероприятия" / "22 tasks" with the right plural form. A test checks that both languages have
the same keys and the same placeholders.
"""

from __future__ import annotations

import html
from datetime import date
from functools import lru_cache
from typing import Literal

from bot.render.report_texts import REPORT_MESSAGES
from bot.render.share_texts import SHARE_MESSAGES

Language = Literal["ru", "en"]

MESSAGES: dict[str, dict[str, str]] = {
    "ru": {
        "import.created": "Импортирована дорожная карта «{title}» ({slug}): {tasks} в {sections}, "
        "{parties}.",
        "import.revised": "Обновлена дорожная карта «{title}» ({slug}): {tasks} в {sections}.",
        "import.figures": "Статистика: {figures}; целевые показатели: {targets}.",
        "import.needs_date": "Без даты (нужно назначить срок): {tasks}.",
        "import.warning": "Внимание: {warning}",
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
        "status.overdue_item": "• № {number} «{title}» — срок {due}, просрочено на {days}; "
        "отв.: {responsible}",
        "status.upcoming": "Ближайшие {days}:",
        "status.upcoming.due": "• {day} — срок: № {number} «{title}»; отв.: {responsible}",
        "status.upcoming.start": "• {day} — начало: № {number} «{title}»; отв.: {responsible}",
        "status.upcoming.occurrence": "• {day} — очередной срок: № {number} «{title}»; "
        "отв.: {responsible}",
        "status.needs_date": "Нужно назначить дату ({count}):",
        "status.needs_date_item": "• № {number} «{title}» — «{text}»; отв.: {responsible}",
        "status.nothing": "—",
        "status.nobody": "не указаны",
        "status.nobody_to_remind": "Некому напоминать (никто не подключён): {parties}",
        "status.unreachable": "Не получают напоминаний (заблокировали бота): {people}",
        "tasks.header": "№ | Раздел | Мероприятие | Ответственные | Срок | Как понят | Статус",
        "deadline.none": "дата не определена",
        "deadline.due": "до {due}",
        "deadline.start": "с {start}",
        "deadline.range": "{start} – {due}",
        "deadline.every": "{rule}",
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
        "export.xlsx_written": "Книга записана: {path} (листов: {sheets}).",
        "export.caption": "Всё по дорожной карте на {day}: мероприятия, показатели, отчёты, "
        "журнал изменений.",
        "export.refused": "Выгрузка — для сотрудников департамента и координаторов.",
        "audit.action.added": "добавлено",
        "audit.action.changed": "изменено",
        "audit.action.removed": "удалено",
        "audit.action.status": "статус",
        "audit.action.comment": "комментарий",
        "audit.action.share": "отметка организации",
        "audit.action.report": "недельные цифры",
        "audit.action.define": "показатель задан",
        "audit.action.links": "ответственные",
        "audit.action.policy": "правила напоминаний",
        "audit.action.current": "текущая дорожная карта",
        "audit.action.invite": "приглашение",
        "audit.action.revoked": "приглашение отозвано",
        "audit.action.bound": "подключение",
        "audit.action.unbound": "отключение",
        "audit.action.forgotten": "данные удалены",
        "audit.subject.task": "мероприятие",
        "audit.subject.share": "доля организации",
        "audit.subject.party": "ответственный",
        "audit.subject.person": "человек",
        "audit.subject.invite": "приглашение",
        "audit.subject.chat": "чат",
        "audit.subject.indicator": "показатель",
        "audit.subject.roadmap": "дорожная карта",
        "audit.subject.report": "отчёт",
        "db.upgraded": "База данных обновлена до последней версии.",
        "copy.header": "Копирование {source} → {target} (одной транзакцией), строк по таблицам:",
        "copy.table": "  {table}: {rows}",
        "copy.done": "Скопировано строк: {rows} в {tables} таблицах; проверено: в каждой таблице "
        "их столько же, сколько в исходной базе.",
        "copy.mismatch": "Число строк не совпало: {tables}. Проверьте целевую базу, прежде чем "
        "ею пользоваться.",
        "copy.mismatched": "{table} — в исходной {source}, в целевой {target}",
        "copy.failed": "Копирование не удалось: {detail}. Транзакция откачена: скопированных "
        "строк в целевой базе нет.",
        "copy.scheme": "«{url}» — не адрес нашей базы: нужен sqlite:///… или postgresql://…. "
        "Ничего не скопировано.",
        "copy.same": "Откуда и куда — одна и та же база ({url}). Ничего не скопировано.",
        "copy.memory": "База в памяти ({url}) исчезнет вместе с командой: укажите файл "
        "sqlite:///… или postgresql://…. Ничего не скопировано.",
        "copy.no_source": "Исходной базы {url} нет (файл не найден). Ничего не скопировано.",
        "copy.not_ours": "{url} — не база roadmap-bot ({detail}). Ничего не скопировано.",
        "copy.source_behind": "Исходная база {url} на старой версии схемы ({source}, нужна "
        "{head}). Сначала обновите её: DATABASE_URL={database_url} roadmap-bot db upgrade (или "
        "запустите на ней бота). Ничего не скопировано.",
        "copy.source_ahead": "Исходная база {url} новее этой версии roadmap-bot ({source}, "
        "известна до {head}): обновите roadmap-bot. Ничего не скопировано.",
        "copy.target_ahead": "Целевая база {url} создана более новой версией roadmap-bot "
        "({target}): обновите roadmap-bot. Ничего не скопировано.",
        "copy.target_not_empty": "В целевой базе {url} уже есть данные (таблица {table}, строк: "
        "{rows}); копировать можно только в пустую. Ничего не изменено.",
        "copy.unreachable": "Не удалось подключиться к {url}: {detail}. Ничего не скопировано.",
        "copy.driver": "Нет драйвера базы для {url} ({detail}). Ничего не скопировано.",
        "policy.show": "Напоминания по {slug}: за {before} дн. до срока; после срока каждые "
        "{every} раб. дн., не более {limit} раз; после {escalate} дн. просрочки — вышестоящему "
        "координатору; при начале: {kickoff}; повторяющиеся: {recurring}; задачи без даты — "
        "координаторам по дням: {weekday}.",
        "policy.on": "да",
        "policy.off": "нет",
        "error.policy": "Такую политику напоминаний задать нельзя: {detail}",
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
        # -- the bot ------------------------------------------------------------------------
        "role.admin": "сотрудник департамента",
        "role.coordinator": "координатор",
        "role.rep": "представитель организации",
        "role.observer": "наблюдатель",
        "scope.region": "весь регион",
        "bot.stranger": "Здравствуйте! Это бот дорожной карты. Чтобы начать работу, попросите у "
        "координатора ссылку-приглашение и откройте её.",
        "bot.joined": "Готово: вы подключены как {role} ({scope}).",
        "bot.already": "Вы уже подключены как {role} ({scope}).",
        "welcome.asked": "📅 {when} в {hour}:00 спрошу недельные цифры: {names}. Ответьте на "
        "вопрос числом — можно одним сообщением на всё.",
        "welcome.nothing_asked": "Недельных показателей пока не задано — когда появятся, я "
        "спрошу о них сам.",
        "welcome.rep": "🔔 Перед сроками мероприятий вашей организации пришлю напоминание в "
        "{hour}:00, по рабочим дням. Сейчас: /mytasks — ваши мероприятия.",
        "welcome.coordinator": "🔔 По рабочим дням в {hour}:00 — напоминания о сроках ваших "
        "организаций; после срока недельных цифр — кто не ответил, с кнопкой «Напомнить им». "
        "Сейчас: /orgs — кто из ваших организаций подключился, /invite — пригласить остальных.",
        "welcome.admin": "Сейчас: /status — сводка, /parties — кто за что отвечает, /invite — "
        "пригласить координаторов, /export — всё одной книгой Excel.",
        "welcome.observer": "Сейчас: /status — сводка, /orgs — кто подключился.",
        "invite.malformed": "Эта ссылка-приглашение повреждена. Скопируйте её целиком или "
        "попросите новую.",
        "invite.unknown": "Такого приглашения нет. Попросите у координатора новую ссылку.",
        "invite.expired": "Срок действия приглашения истёк. Попросите у координатора новую ссылку.",
        "invite.used": "Это приглашение уже использовано. Попросите у координатора новую ссылку.",
        "invite.revoked": "Это приглашение отозвано. Попросите у координатора новую ссылку.",
        "help.header": "Что вы можете:",
        "help.status": "/status — дорожная карта: выполнено, просрочено, ближайшие сроки",
        "help.tasks": "/tasks — мероприятия (фильтры: раздел, статус, мои)",
        "help.mytasks": "/mytasks — мероприятия вашей организации",
        "help.task": "/task N — карточка мероприятия № N",
        "help.invite": "/invite — ссылка-приглашение для организации",
        "help.orgs": "/orgs — организации и кто из них подключён",
        "help.parties": "/parties — кто отвечает за пункты дорожной карты",
        "help.bind": "/bind — в группе: сделать её адресом напоминаний",
        "help.whoami": "/whoami — кто вы в боте",
        "help.help": "/help — что вы можете",
        "help.cancel": "/cancel — отменить начатое действие",
        "help.report": "/report — недельные цифры вашей организации (или ответьте на вопрос)",
        "help.indicators": "/indicators — показатели, о которых спрашиваю по неделям",
        "help.template": "/template — таблица для ваших организаций: заполните и пришлите",
        "help.export": "/export — одна книга Excel: мероприятия, показатели, отчёты, изменения",
        "help.indicator": "/indicator — задать показатель (или его новую версию)",
        "whoami": "{name}, id {id}.",
        "whoami.binding": "• {role}: {scope}",
        "whoami.none": "Вы пока не подключены ни к одной организации.",
        "cancel.done": "Отменено.",
        "cancel.nothing": "Нечего отменять.",
        "forbidden": "Это действие вам недоступно.",
        "not_joined": "Сначала подключитесь по ссылке-приглашению от координатора.",
        "task.usage": "Укажите номер: /task 7",
        "task.not_found": "Мероприятия № {number} нет среди доступных вам.",
        "task.which": "Мероприятий с номером {number} несколько — выберите:",
        "task.gone": "Этого мероприятия больше нет в дорожной карте.",
        "card.title": "№ {number}. {title}",
        "card.section": "Раздел: {section}",
        "card.responsible": "Ответственные: {responsible}",
        "card.deadline": "Срок: {text} ({understood})",
        "card.deadline_plain": "Срок: {text}",
        "card.deadline_agreed": "Срок: {text} — назначен: до {due}",
        "cli.task_ambiguous": "Мероприятий с номером {number} несколько ({count}) — укажите "
        "дорожную карту (--roadmap) или поправьте номера в приказе.",
        "button.agree": "📅 Назначить срок",
        "agree.ask": "Срок № {number} «{text}». Напишите дату: например, 15.05.2023 или «до 15 "
        "мая». «нет» — снять назначенный срок. /cancel — отменить.",
        "agree.done": "Срок № {number} назначен: до {due}. Напоминания пойдут, как по другим "
        "срокам.",
        "agree.cleared": "Назначенный срок № {number} снят: снова «{text}».",
        "agree.unread": "Не понял дату в «{text}». Напишите, например, 15.05.2023 или «до 15 мая».",
        "agree.past": "{day} уже прошло. Напишите дату не раньше сегодняшней.",
        "agree.in_document": "У № {number} срок задан приказом («{text}»). Он меняется новой "
        "редакцией приказа: roadmap-bot import.",
        "actor.import": "при импорте приказа",
        "actor.cli": "из командной строки",
        "actor.person": "удалённый пользователь",
        "card.deadline_note": "Условие: {note}",
        "card.result": "Результат: {result}",
        "card.standing": "Статус: {standing}",
        "card.history": "История:",
        "reply.cut": "… и ещё {lines}: ответ сокращён, чтобы не засыпать чат. Уточните запрос.",
        "card.history_more": "• … и ещё {entries} раньше",
        "card.event.added": "• {at} — добавлено ({actor})",
        "card.event.changed": "• {at} — {field}: «{old}» → «{new}» ({actor})",
        "card.event.removed": "• {at} — удалено ({actor})",
        "card.event.status": "• {at} — {old} → {new} ({actor})",
        "card.event.comment": "• {at} — комментарий ({actor}): {new}",
        "button.done": "✅ Выполнено",
        "button.reopen": "↩️ Вернуть в работу",
        "button.comment": "💬 Комментарий",
        "button.previous": "◀️",
        "button.next": "▶️",
        "button.all": "Все",
        "button.mine": "Мои",
        "button.sections": "Разделы",
        "button.overdue": "Просроченные",
        "button.open": "В работе",
        "button.done_filter": "Выполненные",
        "button.multi_use": "Многоразовая",
        "button.single_use": "Одноразовая",
        "done.ok": "Отмечено как выполненное: № {number}.",
        "done.already": "№ {number} уже отмечено как выполненное.",
        "reopen.ok": "№ {number} снова в работе.",
        "comment.ask": "Напишите комментарий к № {number} одним сообщением (или /cancel).",
        "comment.ok": "Комментарий к № {number} сохранён.",
        "comment.empty": "Комментарий пустой — напишите текст или /cancel.",
        "tasks.page": "Мероприятия ({shown} из {total}), стр. {page}/{pages}:",
        "tasks.item": "{mark} № {number} — {title} · {deadline}",
        "tasks.none": "Мероприятий по этому фильтру нет.",
        "invite.ask_role": "Кого пригласить?",
        "invite.ask_org": "Для какой организации? Напишите часть названия (или /cancel).",
        "invite.pick_org": "Выберите организацию:",
        "invite.no_match": "Не нашлось организаций «{query}» среди доступных вам. Попробуйте "
        "иначе или /cancel.",
        "invite.too_many": "Нашлось {count} организаций — уточните название.",
        "invite.ask_use": "Сколько раз можно воспользоваться ссылкой?",
        "invite.link": "Приглашение: {role}, {scope}. Действует до {until}, {use}.\n{link}",
        "invite.channel_link": "{channel}: {link}",
        "invite.no_link": "Ссылку для {channel} сделать не удалось: {channel} не ответил "
        "({detail}).",
        "link.offer": "Получать напоминания также в {channel}: {link} (ссылка личная, "
        "одноразовая, действует до {until})",
        "link.done": "Готово: вы подключены и в {channel}, напоминания будут приходить и сюда.",
        "link.already": "Вы уже подключены в {channel} — ничего не изменилось.",
        "link.used": "Эта ссылка уже использована. Новую пришлёт команда /start в чате с ботом "
        "там, где вы уже подключены.",
        "link.expired": "Срок действия этой ссылки истёк. Новую пришлёт команда /start в чате "
        "с ботом там, где вы уже подключены.",
        "link.forgotten": "Эта ссылка больше не действует: того, для кого она сделана, "
        "отключили от бота. Ничего не изменено.",
        "link.taken": "Эта учётная запись {channel} уже подключена к боту как другой человек. "
        "Ничего не изменено; если это ошибка — напишите координатору.",
        "link.elsewhere": "Эта ссылка — для {channel}: откройте её там. Ничего не изменено.",
        "invite.single": "одноразовое",
        "invite.multi": "многоразовое",
        "invite.wrong_kind": "Координатора можно привязать только к органу управления "
        "образованием.",
        "invite.unknown_org": "Организации «{name}» нет в реестре.",
        "orgs.header": "{name}: подключены {joined} из {count}.",
        "orgs.item.joined": "✅ {name} — {people}",
        "orgs.item.missing": "⏳ {name} — никто не подключился",
        "orgs.choose": "Под «{query}» подходят несколько организаций ({count}) — выберите:",
        "orgs.missing_list": "⏳ никто не подключился: {names}",
        "orgs.choose_more": "Показаны первые {shown}; для остальных уточните название.",
        "parties.header": "Ответственные и кто действует за них:",
        "parties.item": "{index}. {party} → {targets}",
        "parties.nobody": "никто (некому напоминать)",
        "parties.kind_under": "все «{kind}» в «{organisation}» ({count})",
        "parties.usage": "Чтобы назначить: /parties N часть названия организации, или "
        "/parties N все школы | все колледжи | все органы | нет",
        "parties.set": "«{party}» → {targets}",
        "parties.no_party": "Ответственного с номером {index} нет.",
        "bind.private": "Команда /bind работает в группе: добавьте бота в группу и отправьте "
        "/bind там.",
        "bind.ask": "Для кого эта группа? Выберите ответственного:",
        "bind.ok": "Группа «{title}» будет получать напоминания для «{target}».",
        "bind.already": "Группа уже получает напоминания для «{target}».",
        "error.internal": "Что-то пошло не так. Попробуйте ещё раз; если повторится — сообщите "
        "в департамент.",
        "error.no_roadmap_bot": "Дорожная карта ещё не загружена.",
        "error.busy": "База данных занята другой записью дольше {seconds} с; ничего не "
        "записано. Повторите команду чуть позже.",
        "error.telegram": "Telegram не ответил ({detail}). Ничего не изменено, попробуйте ещё раз.",
        "error.max": "MAX не ответил ({detail}). Ничего не изменено, попробуйте ещё раз.",
        "roadmaps.line": "  {slug} — {title}",
        "roadmaps.line_current": "* {slug} — {title} (текущая)",
        "roadmaps.used": "Текущая дорожная карта: «{title}» ({slug}). Бот показывает её.",
        "roadmaps.not_current": "Текущей осталась {current}; сделать текущей эту: "
        "roadmap-bot roadmaps use {slug}",
        "digest.header": "Напоминание по дорожной карте «{title}»:",
        "digest.escalation": "🔺 Просрочено у подведомственных: № {number} «{title}» — срок {day}, "
        "просрочено на {days}: {organisations}",
        "digest.overdue": "🔴 № {number} «{title}» — срок {day} прошёл, просрочено на {days}",
        "digest.due_today": "🟠 № {number} «{title}» — срок сегодня, {day}",
        "digest.before": "🟡 № {number} «{title}» — срок {day}, осталось {days}",
        "digest.occurrence": "🔁 № {number} «{title}» — очередной срок {day}",
        "digest.kickoff": "▶️ № {number} «{title}» — начинается {day}",
        "digest.undated": "📅 № {number} «{title}» — нужно назначить дату (сейчас: «{text}»)",
        "digest.more": "и ещё {count}",
        "digest.rest": "…и ещё {count} — в списке по кнопке 📋",
        "digest.footer": "Выполнено? ✅ — отметить, 📄 — открыть карточку.",
        "button.full_list": "📋 Весь список",
        "digest.escalation_count": "🔺 Просрочено у подведомственных: № {number} «{title}» — срок "
        "{day}, просрочено на {days}: у {late} из {among}",
        "digest.also_below": "; подведомственные: просрочено у {late} из {among}",
        "digest.footer_list": "Выполнено? ✅ — отметить, 📄 — открыть карточку, 📋 — кто не "
        "выполнил.",
        "button.digest_list": "📋 список № {number}",
        "digest.list.header": "№ {number} «{title}»: просрочено у {late} из {among}",
        "digest.list.page": "Стр. {page} из {pages}",
        "digest.list.none": "№ {number}: у подведомственных ничего не просрочено.",
        "digest.list.item": "{index}. {name}",
        "button.quick_done": "✅ № {number}",
        "button.open_card": "📄 № {number}",
        "error.no_token": "Не задан ни BOT_TOKEN, ни MAX_TOKEN. Для Telegram создайте бота у "
        "@BotFather (команда /newbot) и впишите токен в .env как BOT_TOKEN=...; для MAX — токен "
        "бота с платформы MAX как MAX_TOKEN=... (образец — config.example.env). Затем "
        "запустите снова.",
        "error.bad_token": "BOT_TOKEN не похож на токен бота (вида 123456:ABC...). Скопируйте "
        "его из @BotFather заново.",
        "error.ambiguous": "Под «{query}» подходят несколько организаций: {matches}. Уточните.",
        "invite.written": "Приглашений записано: {count}, файл {path}.",
        "cli.database": "База данных: {url}",
        "cli.no_org": "Организации «{query}» нет в реестре.",
        "cli.org_suggest": "Может быть: {names}?",
        "cli.org_list": "Названия: roadmap-bot orgs list.",
        "cli.ambiguous": "Под «{query}» подходят организации ({count}): {matches}. Уточните "
        "название.",
        "cli.more": "и ещё {count}",
        "cli.confirm_hint": "Принять эти строки как есть: roadmap-bot reports confirm {id}; "
        "отбросить: roadmap-bot reports discard {id}. Или исправьте файл и импортируйте снова.",
        "cli.confirmed": "Подтверждено, принято строк: {count}.",
        "cli.discarded": "Строки черновика {id} отброшены.",
        "cli.no_draft": "Черновика {id}, ждущего подтверждения, нет (уже подтверждён или "
        "отброшен?).",
        "cli.csv.organisation": "Организация",
        "cli.csv.role": "Роль",
        "cli.csv.link": "Ссылка ({channel})",
        "cli.csv.expires": "Действует до",
        "cli.calendar.header": "Рабочий календарь на {year} год: {source}.",
        "cli.calendar.ru": "производственный календарь России",
        "cli.calendar.none": "только субботы и воскресенья (WORK_CALENDAR=none)",
        "cli.calendar.days_off": "Нерабочие дни, кроме суббот и воскресений ({count}):",
        "cli.calendar.workdays": "Рабочие субботы и воскресенья ({count}):",
        "cli.calendar.line": "• {day} — {name}",
        "cli.calendar.added": "из HOLIDAYS",
        "cli.calendar.taken_back": "из WORKDAYS",
        "cli.calendar.transfer": "рабочий день по переносу",
        "cli.calendar.nothing": "• нет",
        "cli.broken_kinds": "«{text}»: не понял, какие это организации. Можно: «все школы», "
        "«все колледжи», «все органы», «все сады», «все допобразование» — и вместе: «все школы "
        "и колледжи».",
        "help.revoke": "/revoke — отозвать приглашение",
        "help.unbind": "/unbind — отключить человека от организации",
        "help.delete_me": "/delete_me — удалить ваши данные из бота",
        "invite.throttled": "Слишком много попыток ввести приглашение. Подождите {seconds} с и "
        "попробуйте снова; если ссылка не работает — попросите новую.",
        "revoke.none": "Действующих приглашений, которые вы можете отозвать, нет.",
        "revoke.pick": "Действующие приглашения — какое отозвать?",
        "revoke.item": "№ {id}: {role}, {scope}, {use}, до {until}",
        "revoke.done": "Приглашение № {id} ({role}, {scope}) отозвано: ссылка больше не работает.",
        "revoke.already": "Приглашение № {id} уже было отозвано.",
        "revoke.no_such": "Приглашения № {id} нет.",
        "revoke.forbidden": "Приглашение № {id} не из тех, что вы можете отозвать; ничего не "
        "изменено.",
        "revoke.usage": "/revoke — выбрать из списка, /revoke N — отозвать приглашение № N.",
        "unbind.none": "Нет подключённых людей, которых вы можете отключить.",
        "unbind.pick": "Кого отключить?",
        "unbind.item": "{name} (id {id}): {bindings}",
        "unbind.done": "{name} (id {id}) отключён(а): {bindings}.",
        "unbind.kept": "Остаётся: {bindings}.",
        "unbind.no_such": "Среди подключённых нет человека с id {id}.",
        "unbind.not_there": "Человек с id {id} не подключён к «{organisation}».",
        "unbind.forbidden": "Этот человек подключён вне ваших полномочий; ничего не изменено.",
        "unbind.usage": "/unbind — выбрать из списка, /unbind ID — отключить человека по id.",
        "unbind.binding": "{role} — {scope}",
        "delete_me.ask": "Удалить ваши данные из бота? Будут стёрты имя, имя пользователя, язык и "
        "привязки к организациям; вы перестанете получать напоминания. Отчёты организации "
        "останутся, автором будет указан «удалённый пользователь».",
        "delete_me.done": "Ваши данные удалены. Чтобы вернуться, понадобится новое приглашение.",
        "delete_me.nothing": "О вас ничего не хранится.",
        "delete_me.kept": "Хорошо, ничего не удалено.",
        "button.delete_me": "🗑 Удалить мои данные",
        "button.keep_me": "Отмена",
        "invites.none": "Приглашений нет.",
        "invites.item": "№ {id}: {role}, {scope}, {use} — {state}, использований: {uses}, "
        "до {until}",
        "invites.open": "действует",
        "invites.revoked": "отозвано",
        "invites.expired": "истекло",
        "invites.used": "использовано",
        "people.none": "Никого нет.",
        "people.item": "{id}: {name}{username} — {bindings}",
        "people.unbound": "не подключён",
        "people.forgotten": "Данные человека с id {id} удалены; его отчёты подписаны "
        "«удалённый пользователь».",
        "people.not_found": "Человека с id {id} в базе нет.",
        "summary.title": "📊 Итоги недели на {day}: «{roadmap}»",
        "summary.indicators": "Показатели:",
        "summary.indicator": "• {name}: {total}{share}, {change} за неделю",
        "summary.indicator_first": "• {name}: {total}{share}, первая неделя",
        "summary.share": " ({percent} %)",
        "summary.weakest": "Отстают сильнее всех ({name}):",
        "summary.weakest_item": "{n}. {name} — {percent} %",
        "summary.weakest_silent": "{n}. {name} — нет отчётов",
        "summary.tasks": "Мероприятия: выполнено {done} из {total}, просрочено {overdue}.",
        "summary.done": "✅ Выполнено за неделю: {count}",
        "summary.newly_overdue": "⏰ Новые просрочки: {count}",
        "summary.task": "  № {number} «{title}»",
        "summary.numbers": "  № {numbers}",
        "summary.more": "  …и ещё {count}",
        "missing.group.silent": "Не ответили ({count}):",
        "missing.group.held": "Ответили, ждём их подтверждения ({count}):",
        "missing.group.unreachable": "Подключились, но бот не может им написать ({count}):",
        "missing.group.nobody": "Никто не подключился к боту ({count}):",
        "missing.hint": "🔔 «Напомнить им» — тем, кто подключился; ✉️ «Пригласить» — ссылки "
        "для тех, где никто не подключился; ✍️ «Ввести за них» — внести число за школу.",
        "button.invite_them": "✉️ Пригласить",
        "button.enter_for_them": "✍️ Ввести за них",
        "remind.sent": "🔔 Напомнили ({count}): {names}.",
        "remind.recently": "⏳ Уже спрашивали недавно, повторно не напоминаем ({count}): {names}.",
        "remind.recently.item": "{name} (в {time})",
        "remind.nobody": "👤 Некому напомнить — никто не подключился ({count}): {names}. "
        "Пригласите их кнопкой «✉️ Пригласить».",
        "remind.unreachable": "🚫 Не дозвониться — подключившиеся заблокировали бота "
        "({count}): {names}.",
        "remind.held": "Из них ответ ждёт их подтверждения: {names}.",
        "remind.all_done": "Все уже отчитались.",
        "invite_missing.header": "✉️ Ссылки-приглашения для представителей школ, где никто "
        "не подключился ({count}). Каждая ссылка — для одного человека, действует до {until}; "
        "перешлите её директору или ответственному:",
        "invite_missing.item": "• {name}\n{link}",
        "invite_missing.none": "Приглашать некого: во всех школах без отчёта кто-то уже "
        "подключился.",
        "enter.choose": "За какую организацию ввести числа?",
        "enter.none": "Вводить не за кого: все в вашей зоне уже отчитались.",
        "enter.ask": "✍️ Вводите за {organisation}. Пришлите числа одним сообщением, как "
        "ответила бы школа (например: {example}). /cancel — отменить.",
        "enter.done": "Готово: за {organisation} всё введено.",
        "changed.header": "✏️ {who} изменил(а) данные за {organisation}, неделя с {week}:",
        "changed.item": "• {indicator}: {old} → {new}",
    },
    "en": {
        "import.created": "Imported the roadmap “{title}” ({slug}): {tasks} in {sections}, "
        "{parties}.",
        "import.revised": "Updated the roadmap “{title}” ({slug}): {tasks} in {sections}.",
        "import.figures": "Statistics: {figures}; targets: {targets}.",
        "import.needs_date": "Without a date (set one): {tasks}.",
        "import.warning": "Warning: {warning}",
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
        "status.overdue_item": "• No. {number} “{title}” — due {due}, {days} late; "
        "responsible: {responsible}",
        "status.upcoming": "Next {days}:",
        "status.upcoming.due": "• {day} — due: No. {number} “{title}”; responsible: {responsible}",
        "status.upcoming.start": "• {day} — starts: No. {number} “{title}”; responsible: "
        "{responsible}",
        "status.upcoming.occurrence": "• {day} — next occurrence: No. {number} “{title}”; "
        "responsible: {responsible}",
        "status.needs_date": "Needs a date ({count}):",
        "status.needs_date_item": "• No. {number} “{title}” — “{text}”; responsible: {responsible}",
        "status.nothing": "—",
        "status.nobody": "not named",
        "status.nobody_to_remind": "Nobody to remind (nobody has joined): {parties}",
        "status.unreachable": "Not receiving reminders (blocked the bot): {people}",
        "tasks.header": "No. | Section | Task | Responsible | Deadline | Understood as | Status",
        "deadline.none": "no date determined",
        "deadline.due": "by {due}",
        "deadline.start": "from {start}",
        "deadline.range": "{start} – {due}",
        "deadline.every": "{rule}",
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
        "export.xlsx_written": "Workbook written: {path} ({sheets} sheets).",
        "export.caption": "Everything of the roadmap as of {day}: tasks, figures, reports, the "
        "change log.",
        "export.refused": "The export is for the department's staff and coordinators.",
        "audit.action.added": "added",
        "audit.action.changed": "changed",
        "audit.action.removed": "removed",
        "audit.action.status": "status",
        "audit.action.comment": "comment",
        "audit.action.share": "organisation's mark",
        "audit.action.report": "weekly figures",
        "audit.action.define": "indicator defined",
        "audit.action.links": "responsible parties",
        "audit.action.policy": "reminder policy",
        "audit.action.current": "current roadmap",
        "audit.action.invite": "invite",
        "audit.action.revoked": "invite revoked",
        "audit.action.bound": "joined",
        "audit.action.unbound": "unbound",
        "audit.action.forgotten": "data erased",
        "audit.subject.task": "task",
        "audit.subject.share": "organisation's share",
        "audit.subject.party": "responsible party",
        "audit.subject.person": "person",
        "audit.subject.invite": "invite",
        "audit.subject.chat": "chat",
        "audit.subject.indicator": "indicator",
        "audit.subject.roadmap": "roadmap",
        "audit.subject.report": "report",
        "db.upgraded": "The database is at the newest version.",
        "copy.header": "Copying {source} → {target} (one transaction), rows per table:",
        "copy.table": "  {table}: {rows}",
        "copy.done": "Rows copied: {rows} in {tables} tables; checked: each table holds as many "
        "as in the source.",
        "copy.mismatch": "Row counts differ: {tables}. Check the target before using it.",
        "copy.mismatched": "{table}: {source} in the source, {target} in the target",
        "copy.failed": "The copy failed: {detail}. The transaction was rolled back: no row of it "
        "is in the target.",
        "copy.scheme": "«{url}» is not one of our databases: use sqlite:///… or postgresql://…. "
        "Nothing was copied.",
        "copy.same": "From and to are the same database ({url}). Nothing was copied.",
        "copy.memory": "A database in memory ({url}) is gone when the command ends: name a "
        "sqlite:///… file or postgresql://…. Nothing was copied.",
        "copy.no_source": "The source database {url} does not exist (no such file). Nothing was "
        "copied.",
        "copy.not_ours": "{url} is not a roadmap-bot database ({detail}). Nothing was copied.",
        "copy.source_behind": "The source database {url} has an older schema ({source}, "
        "{head} needed). Upgrade it first: DATABASE_URL={database_url} roadmap-bot db upgrade "
        "(or run the bot on it). Nothing was copied.",
        "copy.source_ahead": "The source database {url} is newer than this roadmap-bot "
        "({source}; it knows up to {head}): upgrade roadmap-bot. Nothing was copied.",
        "copy.target_ahead": "The target database {url} was made by a newer roadmap-bot "
        "({target}): upgrade roadmap-bot. Nothing was copied.",
        "copy.target_not_empty": "The target database {url} already holds data (table {table}, "
        "rows: {rows}); a copy goes into an empty one only. Nothing was changed.",
        "copy.unreachable": "Could not connect to {url}: {detail}. Nothing was copied.",
        "copy.driver": "No database driver for {url} ({detail}). Nothing was copied.",
        "policy.show": "Reminders for {slug}: {before} days before the due date; after it every "
        "{every} working days, at most {limit} times; after {escalate} days overdue the "
        "supervising coordinator too; at the start: {kickoff}; recurring: {recurring}; tasks "
        "without a date go to coordinators on: {weekday}.",
        "policy.on": "yes",
        "policy.off": "no",
        "error.policy": "That reminder policy cannot be set: {detail}",
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
        # -- the bot ------------------------------------------------------------------------
        "role.admin": "department staff",
        "role.coordinator": "coordinator",
        "role.rep": "organisation representative",
        "role.observer": "observer",
        "scope.region": "the whole region",
        "bot.stranger": "Hello! This is the roadmap bot. To start, ask your coordinator for an "
        "invite link and open it.",
        "bot.joined": "Done: you are connected as {role} ({scope}).",
        "bot.already": "You are already connected as {role} ({scope}).",
        "welcome.asked": "📅 {when} at {hour}:00 I will ask for the weekly figures: {names}. "
        "Answer the question with numbers, all in one message if you like.",
        "welcome.nothing_asked": "No weekly figures are defined yet; when they are, I will ask "
        "for them.",
        "welcome.rep": "🔔 Before your organisation's deadlines I will remind you at {hour}:00 on "
        "working days. Now: /mytasks — your tasks.",
        "welcome.coordinator": "🔔 On working days at {hour}:00: reminders of your organisations' "
        "deadlines; after the weekly figures are due, who has not answered, with a «Remind "
        "them» button. Now: /orgs — who of your organisations has joined, /invite — invite the "
        "rest.",
        "welcome.admin": "Now: /status — the summary, /parties — who answers for what, /invite — "
        "invite coordinators, /export — everything in one Excel workbook.",
        "welcome.observer": "Now: /status — the summary, /orgs — who has joined.",
        "invite.malformed": "This invite link is damaged. Copy it whole or ask for a new one.",
        "invite.unknown": "There is no such invite. Ask your coordinator for a new link.",
        "invite.expired": "This invite has expired. Ask your coordinator for a new link.",
        "invite.used": "This invite has already been used. Ask your coordinator for a new link.",
        "invite.revoked": "This invite was revoked. Ask your coordinator for a new link.",
        "help.header": "What you can do:",
        "help.status": "/status — the roadmap: done, overdue, coming up",
        "help.tasks": "/tasks — tasks (filters: section, status, mine)",
        "help.mytasks": "/mytasks — your organisation's tasks",
        "help.task": "/task N — the card of task No. N",
        "help.invite": "/invite — an invite link for an organisation",
        "help.orgs": "/orgs — organisations and who of them has joined",
        "help.parties": "/parties — who answers for the roadmap's parties",
        "help.bind": "/bind — in a group: make it a reminder target",
        "help.whoami": "/whoami — who you are to the bot",
        "help.help": "/help — what you can do",
        "help.cancel": "/cancel — cancel what you started",
        "help.report": "/report — your organisation's weekly figures (or reply to the question)",
        "help.indicators": "/indicators — the figures I ask for every week",
        "help.template": "/template — a sheet of your organisations to fill in and send back",
        "help.export": "/export — one Excel workbook: tasks, figures, reports, changes",
        "help.indicator": "/indicator — define an indicator (or its new version)",
        "whoami": "{name}, id {id}.",
        "whoami.binding": "• {role}: {scope}",
        "whoami.none": "You are not connected to any organisation yet.",
        "cancel.done": "Cancelled.",
        "cancel.nothing": "Nothing to cancel.",
        "forbidden": "You may not do this.",
        "not_joined": "Join first, with an invite link from your coordinator.",
        "task.usage": "Give a number: /task 7",
        "task.not_found": "There is no task No. {number} among yours.",
        "task.which": "Several tasks are numbered {number} — choose one:",
        "task.gone": "This task is no longer in the roadmap.",
        "card.title": "No. {number}. {title}",
        "card.section": "Section: {section}",
        "card.responsible": "Responsible: {responsible}",
        "card.deadline": "Deadline: {text} ({understood})",
        "card.deadline_plain": "Deadline: {text}",
        "card.deadline_agreed": "Deadline: {text} — set: by {due}",
        "cli.task_ambiguous": "There are {count} tasks numbered {number}: name the roadmap "
        "(--roadmap) or fix the numbers in the order.",
        "button.agree": "📅 Set the date",
        "agree.ask": "No. {number} is due “{text}”. Write the date: e.g. 15.05.2023 or «до 15 "
        "мая». «нет» takes a set date back. /cancel to stop.",
        "agree.done": "No. {number} is now due by {due}. Reminders come as for any deadline.",
        "agree.cleared": "The date set for No. {number} is taken back: “{text}” again.",
        "agree.unread": "No date in “{text}”. Write e.g. 15.05.2023 or «до 15 мая».",
        "agree.past": "{day} is past. Write a date from today on.",
        "agree.in_document": "No. {number} has its date in the order (“{text}”). It changes with "
        "a new version of the order: roadmap-bot import.",
        "actor.import": "on importing the order",
        "actor.cli": "from the command line",
        "actor.person": "a deleted user",
        "card.deadline_note": "Condition: {note}",
        "card.result": "Result: {result}",
        "card.standing": "Status: {standing}",
        "card.history": "History:",
        "reply.cut": "… and {lines} more: the answer was cut short. Narrow the request down.",
        "card.history_more": "• … and {entries} before",
        "card.event.added": "• {at} — added ({actor})",
        "card.event.changed": "• {at} — {field}: “{old}” → “{new}” ({actor})",
        "card.event.removed": "• {at} — removed ({actor})",
        "card.event.status": "• {at} — {old} → {new} ({actor})",
        "card.event.comment": "• {at} — comment ({actor}): {new}",
        "button.done": "✅ Done",
        "button.reopen": "↩️ Reopen",
        "button.comment": "💬 Comment",
        "button.previous": "◀️",
        "button.next": "▶️",
        "button.all": "All",
        "button.mine": "Mine",
        "button.sections": "Sections",
        "button.overdue": "Overdue",
        "button.open": "In progress",
        "button.done_filter": "Done",
        "button.multi_use": "Multi-use",
        "button.single_use": "Single-use",
        "done.ok": "Marked done: No. {number}.",
        "done.already": "No. {number} is already done.",
        "reopen.ok": "No. {number} is in progress again.",
        "comment.ask": "Write your comment on No. {number} in one message (or /cancel).",
        "comment.ok": "Comment on No. {number} saved.",
        "comment.empty": "The comment is empty — write some text or /cancel.",
        "tasks.page": "Tasks ({shown} of {total}), page {page}/{pages}:",
        "tasks.item": "{mark} No. {number} — {title} · {deadline}",
        "tasks.none": "No tasks match this filter.",
        "invite.ask_role": "Whom do you invite?",
        "invite.ask_org": "For which organisation? Type part of its name (or /cancel).",
        "invite.pick_org": "Choose the organisation:",
        "invite.no_match": "No organisation “{query}” within your reach. Try again or /cancel.",
        "invite.too_many": "{count} organisations match — be more specific.",
        "invite.ask_use": "How many times may the link be used?",
        "invite.link": "Invite: {role}, {scope}. Valid until {until}, {use}.\n{link}",
        "invite.channel_link": "{channel}: {link}",
        "invite.no_link": "No link for {channel}: {channel} did not answer ({detail}).",
        "link.offer": "Get reminders in {channel} too: {link} (a personal single-use link, "
        "valid until {until})",
        "link.done": "Done: you are connected in {channel} too; reminders will come here as well.",
        "link.already": "You are connected in {channel} already — nothing changed.",
        "link.used": "This link has been used already. /start in the chat with the bot where "
        "you are connected sends a new one.",
        "link.expired": "This link has expired. /start in the chat with the bot where you are "
        "connected sends a new one.",
        "link.forgotten": "This link no longer works: the person it was made for has been "
        "disconnected from the bot. Nothing was changed.",
        "link.taken": "This {channel} account is connected to the bot as another person already. "
        "Nothing was changed; if this is a mistake, write to your coordinator.",
        "link.elsewhere": "This link is for {channel}: open it there. Nothing was changed.",
        "invite.single": "single-use",
        "invite.multi": "multi-use",
        "invite.wrong_kind": "A coordinator can only be bound to an education authority.",
        "invite.unknown_org": "There is no organisation “{name}” in the registry.",
        "orgs.header": "{name}: {joined} of {count} joined.",
        "orgs.item.joined": "✅ {name} — {people}",
        "orgs.item.missing": "⏳ {name} — nobody has joined",
        "orgs.choose": "Several organisations match “{query}” ({count}): choose one.",
        "orgs.missing_list": "⏳ nobody has joined: {names}",
        "orgs.choose_more": "The first {shown} are shown; be more specific for the others.",
        "parties.header": "Responsible parties and who acts for them:",
        "parties.item": "{index}. {party} → {targets}",
        "parties.nobody": "nobody (nobody to remind)",
        "parties.kind_under": "every “{kind}” in “{organisation}” ({count})",
        "parties.usage": "To assign: /parties N part of an organisation's name, or "
        "/parties N all schools | all colleges | all authorities | none",
        "parties.set": "“{party}” → {targets}",
        "parties.no_party": "There is no party number {index}.",
        "bind.private": "/bind works in a group: add the bot to a group and send /bind there.",
        "bind.ask": "Whom is this group for? Choose the responsible party:",
        "bind.ok": "The group “{title}” will receive reminders for “{target}”.",
        "bind.already": "The group already receives reminders for “{target}”.",
        "error.internal": "Something went wrong. Try again; if it happens again, tell the "
        "department.",
        "error.no_roadmap_bot": "No roadmap has been loaded yet.",
        "error.busy": "The database was busy with another write for over {seconds} s; nothing "
        "was written. Run the command again in a moment.",
        "error.telegram": "Telegram did not answer ({detail}). Nothing was changed; try again.",
        "error.max": "MAX did not answer ({detail}). Nothing was changed; try again.",
        "roadmaps.line": "  {slug} — {title}",
        "roadmaps.line_current": "* {slug} — {title} (current)",
        "roadmaps.used": "The current roadmap is now «{title}» ({slug}). The bot serves it.",
        "roadmaps.not_current": "{current} stays current; to make this one current: "
        "roadmap-bot roadmaps use {slug}",
        "digest.header": "Reminder on the roadmap “{title}”:",
        "digest.escalation": "🔺 Overdue below you: No. {number} “{title}” — due {day}, "
        "{days} late: {organisations}",
        "digest.overdue": "🔴 No. {number} “{title}” — was due {day}, {days} late",
        "digest.due_today": "🟠 No. {number} “{title}” — due today, {day}",
        "digest.before": "🟡 No. {number} “{title}” — due {day}, {days} left",
        "digest.occurrence": "🔁 No. {number} “{title}” — next occurrence {day}",
        "digest.kickoff": "▶️ No. {number} “{title}” — starts {day}",
        "digest.undated": "📅 No. {number} “{title}” — needs a date (now: “{text}”)",
        "digest.more": "and {count} more",
        "digest.rest": "…and {count}: see the list under 📋",
        "digest.footer": "Done? ✅ marks it, 📄 opens the card.",
        "button.full_list": "📋 Full list",
        "digest.escalation_count": "🔺 Overdue below you: No. {number} “{title}” — due {day}, "
        "{days} late: at {late} of {among}",
        "digest.also_below": "; below you: late at {late} of {among}",
        "digest.footer_list": "Done? ✅ marks it, 📄 opens the card, 📋 shows who has not done it.",
        "button.digest_list": "📋 list No. {number}",
        "digest.list.header": "No. {number} “{title}”: late at {late} of {among}",
        "digest.list.page": "Page {page} of {pages}",
        "digest.list.none": "No. {number}: nothing is late below you.",
        "digest.list.item": "{index}. {name}",
        "button.quick_done": "✅ No. {number}",
        "button.open_card": "📄 No. {number}",
        "error.no_token": "Neither BOT_TOKEN nor MAX_TOKEN is set. For Telegram, create a bot "
        "with @BotFather (/newbot) and put the token into .env as BOT_TOKEN=...; for MAX, the "
        "bot's token from the MAX platform as MAX_TOKEN=... (see config.example.env). Then start "
        "again.",
        "error.bad_token": "BOT_TOKEN does not look like a bot token (123456:ABC...). Copy it "
        "from @BotFather again.",
        "error.ambiguous": "Several organisations match “{query}”: {matches}. Be more specific.",
        "invite.written": "Invites written: {count}, file {path}.",
        "cli.database": "Database: {url}",
        "cli.no_org": "There is no organisation “{query}” in the registry.",
        "cli.org_suggest": "Did you mean: {names}?",
        "cli.org_list": "Names: roadmap-bot orgs list.",
        "cli.ambiguous": "Several organisations match “{query}” ({count}): {matches}. Be more "
        "specific.",
        "cli.more": "and {count} more",
        "cli.confirm_hint": "To accept these rows as they are: roadmap-bot reports confirm {id}; "
        "to drop them: roadmap-bot reports discard {id}. Or correct the file and import again.",
        "cli.confirmed": "Confirmed, rows accepted: {count}.",
        "cli.discarded": "The rows of draft {id} were dropped.",
        "cli.no_draft": "No draft {id} waits for a confirmation (confirmed or dropped already?).",
        "cli.csv.organisation": "Organisation",
        "cli.csv.role": "Role",
        "cli.csv.link": "Link ({channel})",
        "cli.csv.expires": "Valid until",
        "cli.calendar.header": "Working calendar for {year}: {source}.",
        "cli.calendar.ru": "Russia's official calendar",
        "cli.calendar.none": "Saturdays and Sundays only (WORK_CALENDAR=none)",
        "cli.calendar.days_off": "Days off besides Saturdays and Sundays ({count}):",
        "cli.calendar.workdays": "Working Saturdays and Sundays ({count}):",
        "cli.calendar.line": "• {day} — {name}",
        "cli.calendar.added": "from HOLIDAYS",
        "cli.calendar.taken_back": "from WORKDAYS",
        "cli.calendar.transfer": "working day by a transfer",
        "cli.calendar.nothing": "• none",
        "cli.broken_kinds": "“{text}”: which organisations are these? Say «all schools», «all "
        "colleges», «all authorities», «all preschools», «all additional», or several: «all "
        "schools and colleges».",
        "help.revoke": "/revoke — revoke an invite",
        "help.unbind": "/unbind — take a person off an organisation",
        "help.delete_me": "/delete_me — erase your data from the bot",
        "invite.throttled": "Too many invite attempts. Wait {seconds} s and try again; if the "
        "link does not work, ask for a new one.",
        "revoke.none": "There are no open invites you may revoke.",
        "revoke.pick": "Open invites — which one to revoke?",
        "revoke.item": "No. {id}: {role}, {scope}, {use}, until {until}",
        "revoke.done": "Invite No. {id} ({role}, {scope}) revoked: the link no longer works.",
        "revoke.already": "Invite No. {id} was already revoked.",
        "revoke.no_such": "There is no invite No. {id}.",
        "revoke.forbidden": "Invite No. {id} is not one you may revoke; nothing was changed.",
        "revoke.usage": "/revoke — choose from a list, /revoke N — revoke invite No. N.",
        "unbind.none": "There is nobody you may take off.",
        "unbind.pick": "Whom to take off?",
        "unbind.item": "{name} (id {id}): {bindings}",
        "unbind.done": "{name} (id {id}) taken off: {bindings}.",
        "unbind.kept": "Still bound: {bindings}.",
        "unbind.no_such": "Nobody bound has the id {id}.",
        "unbind.not_there": "The person with id {id} is not bound to “{organisation}”.",
        "unbind.forbidden": "This person is bound outside your reach; nothing was changed.",
        "unbind.usage": "/unbind — choose from a list, /unbind ID — take a person off by id.",
        "unbind.binding": "{role} — {scope}",
        "delete_me.ask": "Erase your data from the bot? Your name, username, language and "
        "bindings to organisations will be erased and reminders stop. Your organisation's "
        "reports stay, attributed to “deleted user”.",
        "delete_me.done": "Your data is erased. To come back you will need a new invite.",
        "delete_me.nothing": "Nothing about you is stored.",
        "delete_me.kept": "All right, nothing was erased.",
        "button.delete_me": "🗑 Erase my data",
        "button.keep_me": "Cancel",
        "invites.none": "No invites.",
        "invites.item": "No. {id}: {role}, {scope}, {use} — {state}, uses: {uses}, until {until}",
        "invites.open": "open",
        "invites.revoked": "revoked",
        "invites.expired": "expired",
        "invites.used": "used",
        "people.none": "Nobody.",
        "people.item": "{id}: {name}{username} — {bindings}",
        "people.unbound": "not bound",
        "people.forgotten": "The personal data of id {id} is erased; their reports are "
        "attributed to “deleted user”.",
        "people.not_found": "Nobody with id {id} is stored.",
        "summary.title": "📊 The week to {day}: “{roadmap}”",
        "summary.indicators": "Indicators:",
        "summary.indicator": "• {name}: {total}{share}, {change} this week",
        "summary.indicator_first": "• {name}: {total}{share}, the first week",
        "summary.share": " ({percent}%)",
        "summary.weakest": "Furthest behind ({name}):",
        "summary.weakest_item": "{n}. {name} — {percent}%",
        "summary.weakest_silent": "{n}. {name} — no reports",
        "summary.tasks": "Tasks: {done} of {total} done, {overdue} overdue.",
        "summary.done": "✅ Done this week: {count}",
        "summary.newly_overdue": "⏰ Newly overdue: {count}",
        "summary.task": "  No. {number} “{title}”",
        "summary.numbers": "  No. {numbers}",
        "summary.more": "  …and {count} more",
        "missing.group.silent": "Not answered ({count}):",
        "missing.group.held": "Answered, waiting for their confirmation ({count}):",
        "missing.group.unreachable": "Joined, but the bot cannot write to them ({count}):",
        "missing.group.nobody": "Nobody has joined the bot ({count}):",
        "missing.hint": "🔔 “Remind them”: those who joined; ✉️ “Invite”: links for those "
        "where nobody has joined; ✍️ “Enter for them”: enter a school's number yourself.",
        "button.invite_them": "✉️ Invite",
        "button.enter_for_them": "✍️ Enter for them",
        "remind.sent": "🔔 Reminded ({count}): {names}.",
        "remind.recently": "⏳ Asked recently, not reminded again ({count}): {names}.",
        "remind.recently.item": "{name} (at {time})",
        "remind.nobody": "👤 Nobody to remind — nobody has joined ({count}): {names}. "
        "Invite them with “✉️ Invite”.",
        "remind.unreachable": "🚫 Unreachable — those who joined blocked the bot "
        "({count}): {names}.",
        "remind.held": "Of them, an answer waits for their confirmation: {names}.",
        "remind.all_done": "Everyone has reported.",
        "invite_missing.header": "✉️ Invite links for the schools where nobody has joined "
        "({count}). Each link is for one person, valid until {until}; forward it to the head "
        "or whoever reports:",
        "invite_missing.item": "• {name}\n{link}",
        "invite_missing.none": "Nobody to invite: every school without a report has someone "
        "who joined.",
        "enter.choose": "Which organisation do you enter numbers for?",
        "enter.none": "Nobody to enter for: everyone within your reach has reported.",
        "enter.ask": "✍️ Entering for {organisation}. Send the numbers in one message, as the "
        "school would (e.g. {example}). /cancel to stop.",
        "enter.done": "Done: everything for {organisation} is entered.",
        "changed.header": "✏️ {who} changed the numbers of {organisation}, week of {week}:",
        "changed.item": "• {indicator}: {old} → {new}",
    },
}

for _language, _messages in (*REPORT_MESSAGES.items(), *SHARE_MESSAGES.items()):
    MESSAGES[_language].update(_messages)

# Russian nouns take one of three forms after a number (1 мероприятие, 2 мероприятия,
# 5 мероприятий); English takes two.
NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "task": ("мероприятие", "мероприятия", "мероприятий"),
        "section": ("разделе", "разделах", "разделах"),
        "party": ("ответственный", "ответственных", "ответственных"),
        "figure": ("показатель", "показателя", "показателей"),
        "target": ("цель", "цели", "целей"),
        "day": ("день", "дня", "дней"),
        "entry": ("запись", "записи", "записей"),
        "line": ("строка", "строки", "строк"),
        "more_reminder": ("напоминание", "напоминания", "напоминаний"),  # "…и ещё 5 напоминаний"
        "of_school": ("школы", "школ", "школ"),  # "у 15 из 40 школ", "из 21 школы"
        "of_org": ("организации", "организаций", "организаций"),
    },
    "en": {
        "task": ("task", "tasks"),
        "section": ("section", "sections"),
        "party": ("responsible party", "responsible parties"),
        "figure": ("figure", "figures"),
        "target": ("target", "targets"),
        "day": ("day", "days"),
        "entry": ("entry", "entries"),
        "line": ("line", "lines"),
        "more_reminder": ("more reminder", "more reminders"),  # "…and 5 more reminders"
        "of_school": ("school", "schools"),
        "of_org": ("organisation", "organisations"),
    },
}

WEEKDAYS = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


WEEKDAY_NAMES = {
    "ru": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def plural_index(language: Language, n: int) -> int:
    if language == "en":
        return 0 if n == 1 else 1
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


class Safe(str):
    """Text already fit for Telegram's HTML: not escaped again when put into a message."""

    __slots__ = ()


def escape_html(value: object) -> Safe:
    if isinstance(value, Safe):
        return value
    if type(value) is str:
        return _escaped(value)
    return Safe(html.escape(str(value), quote=False))


@lru_cache(maxsize=8192)
def _escaped(text: str) -> Safe:
    """Titles, names and dates recur in every /status and digest: escaped once each."""
    return Safe(html.escape(text, quote=False))


@lru_cache(maxsize=4096)
def _day(value: date, language: str) -> str:
    return value.strftime("%d.%m.%Y") if language == "ru" else value.isoformat()


class Texts:
    """Messages in one language. With `html=True` (Telegram), every value put into a message
    is escaped — titles and names come from documents and people, and a "<" or "&" in them
    must not break a reply — while the results of earlier calls are not escaped twice."""

    def __init__(self, language: Language, *, html: bool = False) -> None:
        self.language = language
        self.html = html
        self.messages = MESSAGES[language]

    def __call__(self, key: str, **values: object) -> str:
        if not self.html:
            return self.messages[key].format(**values)
        # Numbers need no escaping (and are most of what a status puts into a message).
        escaped = {
            name: value if type(value) is int else escape_html(value)
            for name, value in values.items()
        }
        return Safe(self.messages[key].format(**escaped))

    def count(self, noun: str, n: int) -> str:
        return f"{n} {NOUNS[self.language][noun][plural_index(self.language, n)]}"

    def day(self, value: date) -> str:
        return _day(value, self.language)

    def weekday_name(self, index: int) -> str:
        return WEEKDAY_NAMES[self.language][index]

    def weekday_day(self, value: date) -> str:
        return f"{self.day(value)} ({WEEKDAYS[self.language][value.weekday()]})"


_FOR_LANGUAGE: dict[str, Texts] = {}


def texts_for(language_code: str | None, default: str) -> Texts:
    """HTML texts in English for people whose messenger speaks English, else in the bot's
    language (`default`)."""
    english = bool(language_code and language_code.lower().startswith("en")) or default == "en"
    language: Language = "en" if english else "ru"
    found = _FOR_LANGUAGE.get(language)
    if found is None:
        found = _FOR_LANGUAGE[language] = Texts(language, html=True)
    return found
