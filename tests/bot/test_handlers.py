"""Real updates through the real dispatcher; what each person sees, what the database holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiogram import Router
from aiogram.types import Chat, Message

from bot.domain.access import Role
from bot.domain.model import TaskStatus
from bot.render.texts import Texts
from bot.services.people import CLI
from handlers.replies import MAX_PARTS, answer_long
from tests.bot.conftest import (
    ADMIN,
    CITY,
    COORDINATOR,
    OBSERVER,
    OTHER_REP,
    OTHER_SCHOOL,
    REP,
    SCHOOL,
    STRANGER,
    World,
)


async def test_a_stranger_is_told_how_to_join(world: World) -> None:
    (reply,) = await world.send(STRANGER, "/start")
    assert "попросите у координатора ссылку-приглашение" in reply.text
    (reply,) = await world.send(STRANGER, "/status")
    assert reply.text == "Сначала подключитесь по ссылке-приглашению от координатора."


async def test_admin_ids_are_admins_from_the_first_message(world: World) -> None:
    (reply,) = await world.send(ADMIN, "/whoami")
    assert "• сотрудник департамента: весь регион" in reply.text


async def test_invite_link_binds_the_person_and_greets_them_with_what_they_can_do(
    world: World,
) -> None:
    replies = await world.join(REP, Role.REP, SCHOOL)
    greeting = replies[0].text
    assert greeting.startswith("Готово: вы подключены как представитель организации (")
    assert "Гимназия № 4" in greeting
    assert "/status" in greeting
    assert "/invite" not in greeting  # a school cannot invite anyone
    person = await world.app.people.identify("telegram", REP, f"Person {REP}", None, "ru")
    assert [(b.role, b.organisation) for b in person.bindings] == [(Role.REP, SCHOOL)]
    commands = [m for m in world.session.requests if type(m).__name__ == "SetMyCommands"]
    assert commands, "the person's menu was not set"


async def test_status_shows_each_person_their_own_reach(staffed: World) -> None:
    (admin,) = await staffed.send(ADMIN, "/status")
    assert "Мероприятий: 22 —" in admin.text
    (coordinator,) = await staffed.send(COORDINATOR, "/status")
    # The city's education committee answers for the МОУО tasks and, through its schools,
    # for the schools' ones: 4, 5, 6, 7, 9, the first 11, 17 and 20.
    assert "Мероприятий: 8 —" in coordinator.text
    (rep,) = await staffed.send(REP, "/status")
    assert "Мероприятий: 3 —" in rep.text  # 5, 7 and the first 11
    assert "№ 1 «" not in rep.text
    (observer,) = await staffed.send(OBSERVER, "/status")
    assert "Мероприятий: 22 —" in observer.text


async def test_task_card_shows_the_deadline_as_written_and_understood(staffed: World) -> None:
    (card,) = await staffed.send(REP, "/task 7")
    assert card.text.startswith("<b>№ 7. Регистрация муниципальных общеобразовательных")
    assert "Срок: до 28.04.2023\n" in card.text  # the date once, not «(до 28.04.2023)» again
    assert "Статус: в работе" in card.text
    labels = [label for label, _ in card.buttons()]
    assert labels == ["✅ Выполнено", "💬 Комментарий"]
    assert "import:" not in card.text
    assert "при импорте приказа" in card.text  # who added it, in words


async def test_a_recurring_deadline_is_said_in_words(staffed: World) -> None:
    (card,) = await staffed.send(ADMIN, "/task 18")
    assert "Срок: еженедельно, по пятницам (каждую пятницу)" in card.text
    assert "FREQ=" not in card.text


async def test_tasks_that_begin_alike_are_told_apart_in_the_list(staffed: World) -> None:
    (listing,) = await staffed.send(ADMIN, "/tasks")
    (page2,) = await staffed.press(ADMIN, listing, "▶️")
    items = [line for line in page2.text.splitlines() if "Перевод 100%" in line]
    assert len(items) == 3
    assert "(Департамент – муниципальные органы" in items[0]
    assert "(Департамент – подведомственные" in items[1]
    assert "(муниципальные органы" in items[2]
    assert len(set(items)) == 3
    sections = [label for label, data in page2.buttons() if ":s" in data]
    assert all(len(label) <= 40 for label in sections)
    assert "Проведение организационных мероприятий п" not in sections  # cut at a word


async def test_repeated_number_offers_a_choice(staffed: World) -> None:
    (choice,) = await staffed.send(ADMIN, "/task 11")
    assert choice.text == "Мероприятий с номером 11 несколько — выберите:"
    assert len(choice.buttons()) == 2


async def test_a_task_outside_ones_reach_is_not_shown(staffed: World) -> None:
    (reply,) = await staffed.send(REP, "/task 1")
    assert reply.text == "Мероприятия № 1 нет среди доступных вам."


async def test_marking_done_from_the_button_marks_the_schools_own_share(staffed: World) -> None:
    """Task 7 is owed by every school: a school's ✅ is its own share, not everyone's."""
    (card,) = await staffed.send(REP, "/task 7")
    replies = await staffed.press(REP, card, "Выполнено")
    edited, note = replies
    assert edited.method == "EditMessageText"
    assert "Статус: выполнено" in edited.text
    assert f"Ваша часть ({SCHOOL}): выполнено — " in edited.text
    assert "person:" not in edited.text  # people see names, never ids
    assert f", {SCHOOL}, 20.04.2023 10:00" in edited.text
    assert note.text == f"№ 7: выполнено — {SCHOOL}."
    stored = await staffed.app.roadmaps.roadmap()
    task7 = next(t for t in stored.tasks if t.number == "7")
    assert task7.status is TaskStatus.OPEN  # the task itself: still owed by the other schools
    assert [label for label, _ in edited.buttons()] == ["↩️ Вернуть в работу", "💬 Комментарий"]
    (other,) = await staffed.send(OTHER_REP, "/task 7")
    assert f"Ваша часть ({OTHER_SCHOOL}): " in other.text
    assert "Статус: просрочено" in other.text or "Статус: в работе" in other.text
    assert "Выполнено" in next(label for label, _ in other.buttons())


async def test_a_school_cannot_mark_another_partys_task_even_with_a_forged_button(
    staffed: World,
) -> None:
    (card,) = await staffed.send(ADMIN, "/task 1")
    replies = await staffed.press(REP, card, "Выполнено")
    assert [r.text for r in replies] == ["Это действие вам недоступно."]
    stored = await staffed.app.roadmaps.roadmap()
    assert next(t for t in stored.tasks if t.number == "1").status is TaskStatus.OPEN


async def test_comment_flow_saves_the_comment_in_the_history(staffed: World) -> None:
    (card,) = await staffed.send(COORDINATOR, "/task 4")
    (ask,) = await staffed.press(COORDINATOR, card, "Комментарий")
    assert ask.text.startswith("Напишите комментарий к № 4")
    (saved,) = await staffed.send(COORDINATOR, "ВКС проведена 14.04, <протокол> & запись")
    assert saved.text == "Комментарий к № 4 сохранён."
    (card,) = await staffed.send(COORDINATOR, "/task 4")
    assert (
        f"комментарий (Person {COORDINATOR}, {CITY}): "
        "ВКС проведена 14.04, &lt;протокол&gt; &amp; запись" in card.text
    )


async def test_a_card_with_many_long_comments_is_one_message(staffed: World) -> None:
    for n in range(1, 8):
        (card,) = await staffed.send(COORDINATOR, "/task 4")
        await staffed.press(COORDINATOR, card, "Комментарий")
        words = " ".join(f"слово{n}-{i}" for i in range(400))  # about 4,000 characters
        await staffed.send(COORDINATOR, f"Комментарий {n}: {words}")
    (card,) = await staffed.send(COORDINATOR, "/task 4")  # one message, not eleven
    assert len(card.text) <= 4096
    assert "№ 4." in card.text
    assert "История:" in card.text
    assert "Комментарий 7:" in card.text  # the latest are shown ...
    assert "Комментарий 1:" not in card.text  # ... the earliest counted
    assert "… и ещё 3 записи раньше" in card.text  # comments 1 and 2, and the import's
    shown = [line for line in card.text.splitlines() if ": Комментарий " in line]
    assert len(shown) == 5
    for line in shown:  # each said briefly, cut after a whole word
        assert len(line) < 500
        assert re.search(r" слово\d-\d+…$", line), line
    assert card.buttons()  # the buttons came with it


async def test_cancel_leaves_the_comment_flow(staffed: World) -> None:
    (card,) = await staffed.send(COORDINATOR, "/task 4")
    await staffed.press(COORDINATOR, card, "Комментарий")
    (cancelled,) = await staffed.send(COORDINATOR, "/cancel")
    assert cancelled.text == "Отменено."
    (nothing,) = await staffed.send(COORDINATOR, "/cancel")
    assert nothing.text == "Нечего отменять."


async def test_tasks_list_pages_and_filters(staffed: World) -> None:
    (listing,) = await staffed.send(ADMIN, "/tasks")
    assert listing.text.startswith("Мероприятия (22 из 22), стр. 1/3:")
    assert "🔴 № 1 — Проведение ВКС" in listing.text
    (page2,) = await staffed.press(ADMIN, listing, "▶️")
    assert page2.method == "EditMessageText"
    assert "стр. 2/3" in page2.text
    (overdue,) = await staffed.press(ADMIN, listing, "Просроченные")
    assert overdue.text.startswith("Мероприятия (9 из 22), стр. 1/2:")
    (mine,) = await staffed.send(REP, "/mytasks")
    assert mine.text.startswith("Мероприятия (3 из 3)")


async def test_a_title_with_markup_characters_does_not_break_the_reply(staffed: World) -> None:
    roadmap = await staffed.app.roadmaps.roadmap()
    from dataclasses import replace

    tricky = tuple(
        replace(t, title="Совещание <ВКС> & опрос") if t.number == "7" else t for t in roadmap.tasks
    )
    await staffed.app.roadmaps.import_roadmap(replace(roadmap, tasks=tricky))
    (card,) = await staffed.send(REP, "/task 7")
    assert "Совещание &lt;ВКС&gt; &amp; опрос" in card.text


async def test_a_repeated_update_changes_nothing_the_second_time(staffed: World) -> None:
    update = staffed.message_update(REP, "/status")
    first = await staffed.feed(update)
    again = await staffed.feed(update)
    assert len(first) == 1
    assert again == []


async def test_long_replies_are_split_at_line_boundaries(staffed: World) -> None:
    roadmap = await staffed.app.roadmaps.roadmap()
    from dataclasses import replace

    long_titles = tuple(
        replace(t, title=t.title + " — " + "подробности " * 40) for t in roadmap.tasks
    )
    await staffed.app.roadmaps.import_roadmap(replace(roadmap, tasks=long_titles))
    replies = await staffed.send(ADMIN, "/status")
    assert all(len(r.text) <= 4096 for r in replies)


async def test_english_speakers_get_english(staffed: World) -> None:
    (reply,) = await staffed.send(REP, "/status", language="en")
    assert reply.text.startswith("Roadmap “")
    assert "Tasks: 3 —" in reply.text


async def test_coordinator_invites_a_school_through_the_guided_flow(staffed: World) -> None:
    (ask_role,) = await staffed.send(COORDINATOR, "/invite")
    assert [label for label, _ in ask_role.buttons()] == [
        "координатор",
        "представитель организации",
        "наблюдатель",
    ]
    (ask_org,) = await staffed.press(COORDINATOR, ask_role, "представитель организации")
    assert ask_org.text.startswith("Для какой организации?")
    (nothing,) = await staffed.send(COORDINATOR, "Велижская")  # not in the city's subtree
    assert "Не нашлось организаций «Велижская»" in nothing.text
    (pick,) = await staffed.send(COORDINATOR, "Гимназия № 4")
    (ask_use,) = await staffed.press(COORDINATOR, pick, "Гимназия № 4")
    (link,) = await staffed.press(COORDINATOR, ask_use, "Одноразовая")
    assert "https://t.me/roadmap_test_bot?start=" in link.text
    token = link.text.rsplit("start=", 1)[1]
    (joined, *_) = await staffed.send(7777, f"/start {token}")
    assert joined.text.startswith("Готово: вы подключены как представитель организации")


async def test_schools_and_observers_cannot_invite(staffed: World) -> None:
    for person in (REP, OBSERVER):
        (reply,) = await staffed.send(person, "/invite")
        assert reply.text == "Это действие вам недоступно."


async def test_orgs_shows_the_coordinators_schools_and_who_has_not_joined(staffed: World) -> None:
    replies = await staffed.send(COORDINATOR, "/orgs")
    text = "\n".join(r.text for r in replies)
    assert text.startswith(f"<b>{CITY}: подключены 1 из 40.</b>")
    assert f"✅ Гимназия № 4 Смоленск — Person {REP}" in text  # short names in the list
    assert "⏳ Гимназия № 32 Смоленск — никто не подключился" in text
    (refused,) = await staffed.send(REP, "/orgs")
    assert refused.text == "Это действие вам недоступно."


async def test_a_long_answer_is_cut_short_and_says_so(staffed: World) -> None:
    chat = Chat(id=ADMIN, type="private")
    asked = Message(message_id=1, date=datetime(2023, 4, 20, tzinfo=UTC), chat=chat)
    line = "МБОУ «Средняя школа № {}» — никто не подключился"
    listing = "\n".join(line.format(n) for n in range(3000))
    before = len(staffed.session.sent)
    await answer_long(asked.as_(staffed.bot), listing, Texts("ru"))
    replies = staffed.session.sent[before:]
    assert len(replies) == MAX_PARTS
    assert all(len(reply.text) <= 4096 for reply in replies)
    last = replies[-1].text
    found = re.search(r"… и ещё (\d+) строк\w*: ответ сокращён", last)
    assert found is not None, last[-300:]
    assert int(found.group(1)) > 0


async def test_orgs_with_a_name_many_organisations_share_asks_which(staffed: World) -> None:
    (reply,) = await staffed.send(COORDINATOR, "/orgs Гимназия")
    assert reply.text.startswith("Под «Гимназия» подходят несколько организаций (2)")
    assert ("Гимназия № 4 Смоленск", "oc:o:") in [(t, d[:5]) for t, d in reply.buttons()]
    (one,) = await staffed.send(COORDINATOR, "/orgs Гимназия № 4")
    assert one.text.startswith(f"<b>{SCHOOL}:")


async def test_a_party_is_given_schools_and_colleges_at_once(staffed: World) -> None:
    (changed,) = await staffed.send(ADMIN, "/parties 4 все школы и колледжи")
    assert "все «школа»" in changed.text
    assert "все «колледж" in changed.text
    (refused,) = await staffed.send(ADMIN, "/parties 4 все школы и лицеи")
    assert "школы и лицеи" in refused.text
    (again,) = await staffed.send(ADMIN, "/parties")
    assert "все «колледж" in again.text  # the refusal changed nothing


async def test_admin_maps_a_party_and_parties_lists_nobody_to_remind(staffed: World) -> None:
    replies = await staffed.send(ADMIN, "/parties")
    text = "\n".join(r.text for r in replies)
    assert "7. ЦО/VK → никто (некому напоминать)" in text
    assert "2. Муниципальные органы управления образованием → все «орган управления»" in text
    (changed,) = await staffed.send(
        ADMIN, "/parties 7 Комитет по образованию Администрации города Смоленска"
    )
    assert changed.text == f"7. ЦО/VK → {CITY}"
    (refused,) = await staffed.send(COORDINATOR, "/parties")
    assert refused.text == "Это действие вам недоступно."


async def test_bind_a_group_chat_to_a_party(staffed: World) -> None:
    group = -100500
    (ask,) = await staffed.send(ADMIN, "/bind", chat_id=group)
    assert ask.text == "Для кого эта группа? Выберите ответственного:"
    (bound,) = await staffed.press(ADMIN, ask, "ЦО/VK")
    assert bound.text == "Группа «Группа» будет получать напоминания для «ЦО/VK»."
    (again,) = await staffed.press(ADMIN, ask, "ЦО/VK")
    assert again.text == "Группа уже получает напоминания для «ЦО/VK»."
    (refused,) = await staffed.send(COORDINATOR, "/bind", chat_id=group)
    assert refused.text == "Это действие вам недоступно."
    (to_org,) = await staffed.send(ADMIN, "/bind Гимназия № 4", chat_id=group)
    assert to_org.text == f"Группа «Группа» будет получать напоминания для «{SCHOOL}»."
    chats = await staffed.app.people.chats()
    assert [(c.chat_id, c.party, c.organisation) for c in chats] == [
        (group, "ЦО/VK", None),
        (group, None, SCHOOL),
    ]


async def test_other_schools_numbers_and_tasks_stay_hidden(staffed: World) -> None:
    (reply,) = await staffed.send(OTHER_REP, "/task 4")
    assert reply.text == "Мероприятия № 4 нет среди доступных вам."
    scope = await staffed.app.tasks.scope(CLI)
    assert len(scope.tasks) == 22


async def test_start_after_blocking_the_bot_makes_a_person_reachable_again(staffed: World) -> None:
    from storage.outbox import OutboxStore

    async with staffed.app.database.transaction() as connection:
        await OutboxStore(connection).mark_unreachable(
            REP, "forbidden: bot was blocked", staffed.clock.now()
        )
    (status,) = await staffed.send(ADMIN, "/status")
    assert f"Не получают напоминаний (заблокировали бота): Person {REP}" in status.text
    await staffed.send(REP, "/start")
    async with staffed.app.database.transaction() as connection:
        assert REP not in await OutboxStore(connection).unreachable()


def test_every_filter_and_handler_is_awaited_in_place_not_in_a_thread(world: World) -> None:
    """aiogram runs a plain callable — a magic filter, a bare State — through
    asyncio.to_thread: a thread hop per check, per update. Each one found here would cost
    every free-text report several of them (handlers.filters explains)."""
    in_threads = []
    routers: list[Router] = [world.dispatcher]
    while routers:
        router = routers.pop()
        routers.extend(router.sub_routers)
        for name, observer in router.observers.items():
            # The observer's own handler only carries the router's filters; it is not called.
            for handler in [observer._handler, *observer.handlers]:
                if handler is not observer._handler and not handler.awaitable:
                    in_threads.append(f"{router.name}.{name}: {handler.callback!r}")
                for check in handler.filters or []:
                    if not check.awaitable:
                        in_threads.append(f"{router.name}.{name}: filter {check.callback!r}")
    assert in_threads == []
