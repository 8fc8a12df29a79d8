"""/invite: a short guided flow — role, organisation, single- or multi-use — ending in a link.
/revoke and /unbind take access back: a list with a button per invite or person within reach,
or the number / id as an argument. The service checks the reach again on every press."""

from __future__ import annotations

from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.access import ALLOWED, Action, Binding, Person, Role
from bot.render.telegram import render_invite, scope_text
from bot.render.texts import Texts
from bot.services.invites import BotNames, here_of
from bot.services.people import (
    Forbidden,
    NoSuchInvite,
    NoSuchPerson,
    NotBoundThere,
    PeopleService,
    StoredInvite,
    Unbound,
)
from handlers.callbacks import InviteStep, RevokeInvite, UnbindPerson
from handlers.filters import PRIVATE, TEXT
from handlers.menus import MenuPublisher

MAX_CHOICES = 10
MAX_BUTTONS = 30


class Inviting(StatesGroup):
    organisation = State()
    choosing = State()
    use = State()


async def start_invite(
    message: Message, person: Person, t: Texts, people: PeopleService, state: FSMContext
) -> None:
    roles = people.invitable_roles(person)
    if not roles:
        raise Forbidden(Action.INVITE)
    await state.clear()
    builder = InlineKeyboardBuilder()
    for role in roles:
        builder.button(
            text=t(f"role.{role.value}"), callback_data=InviteStep(step="role", value=role.value)
        )
    builder.adjust(1)
    await message.answer(t("invite.ask_role"), reply_markup=builder.as_markup())


def _use_keyboard(t: Texts) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("button.single_use"), callback_data=InviteStep(step="use", value="1"))
    builder.button(text=t("button.multi_use"), callback_data=InviteStep(step="use", value="n"))
    return builder


async def chose_role(
    query: CallbackQuery, callback_data: InviteStep, t: Texts, state: FSMContext
) -> None:
    await query.answer()
    role = Role(callback_data.value)
    await state.update_data(role=role.value, organisation=None)
    if not isinstance(query.message, Message):
        return
    if role is Role.ADMIN:
        await state.set_state(Inviting.use)
        await query.message.answer(t("invite.ask_use"), reply_markup=_use_keyboard(t).as_markup())
    else:
        await state.set_state(Inviting.organisation)
        await query.message.answer(t("invite.ask_org"))


async def typed_organisation(
    message: Message, person: Person, t: Texts, people: PeopleService, state: FSMContext
) -> None:
    query = (message.text or "").strip()
    role = Role((await state.get_data())["role"])
    matches = await people.invite_targets(person, role, query)
    if not matches:
        await message.answer(t("invite.no_match", query=query))
        return
    if len(matches) > MAX_CHOICES:
        await message.answer(t("invite.too_many", count=len(matches)))
        return
    await state.update_data(choices=matches)
    await state.set_state(Inviting.choosing)
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(matches):
        builder.button(text=name[:60], callback_data=InviteStep(step="org", value=str(index)))
    builder.adjust(1)
    await message.answer(t("invite.pick_org"), reply_markup=builder.as_markup())


async def chose_organisation(
    query: CallbackQuery, callback_data: InviteStep, t: Texts, state: FSMContext
) -> None:
    await query.answer()
    choices = (await state.get_data()).get("choices", [])
    index = int(callback_data.value) if callback_data.value.isdigit() else -1
    if not 0 <= index < len(choices):
        return
    await state.update_data(organisation=choices[index])
    await state.set_state(Inviting.use)
    if isinstance(query.message, Message):
        await query.message.answer(t("invite.ask_use"), reply_markup=_use_keyboard(t).as_markup())


async def chose_use(
    query: CallbackQuery,
    callback_data: InviteStep,
    person: Person,
    t: Texts,
    people: PeopleService,
    state: FSMContext,
    bot: Bot,
    bot_names: BotNames,
) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()
    invite = await people.create_invite(
        person, Role(data["role"]), data.get("organisation"), multi_use=callback_data.value == "n"
    )
    bot_names.know(here_of(person), (await bot.me()).username or "")
    links = await bot_names.invite_links(invite.token)
    if isinstance(query.message, Message):
        await query.message.answer(render_invite(invite, links, t))


def _invite_line(invite: StoredInvite, t: Texts) -> str:
    return t(
        "revoke.item",
        id=invite.id,
        role=t(f"role.{invite.role.value}"),
        scope=invite.organisation or t("scope.region"),
        use=t("invite.multi" if invite.multi_use else "invite.single"),
        until=t.day(invite.expires_at.date()),
    )


def _bindings(bindings: tuple[Binding, ...], t: Texts) -> str:
    return "; ".join(
        t("unbind.binding", role=t(f"role.{b.role.value}"), scope=scope_text(b, t))
        for b in bindings
    )


async def _revoke(
    message: Message, person: Person, t: Texts, people: PeopleService, invite_id: int
) -> None:
    try:
        revoked = await people.revoke(person, invite_id)
    except NoSuchInvite:
        await message.answer(t("revoke.no_such", id=invite_id))
        return
    except Forbidden:
        await message.answer(t("revoke.forbidden", id=invite_id))
        return
    if not revoked.changed:
        await message.answer(t("revoke.already", id=invite_id))
        return
    invite = revoked.invite
    await message.answer(
        t(
            "revoke.done",
            id=invite.id,
            role=t(f"role.{invite.role.value}"),
            scope=invite.organisation or t("scope.region"),
        )
    )


async def revoke(
    message: Message, command: CommandObject, person: Person, t: Texts, people: PeopleService
) -> None:
    if not any(Action.REVOKE_INVITE in ALLOWED[b.role] for b in person.bindings):
        raise Forbidden(Action.REVOKE_INVITE)
    argument = (command.args or "").strip().lstrip("№#").strip()
    if argument:
        if not argument.isdigit():
            await message.answer(t("revoke.usage"))
            return
        await _revoke(message, person, t, people, int(argument))
        return
    open_invites = await people.invites(person)
    if not open_invites:
        await message.answer(t("revoke.none"))
        return
    builder = InlineKeyboardBuilder()
    for invite in open_invites[-MAX_BUTTONS:]:
        builder.button(
            text=_invite_line(invite, t)[:60], callback_data=RevokeInvite(invite_id=invite.id)
        )
    builder.adjust(1)
    await message.answer(t("revoke.pick"), reply_markup=builder.as_markup())


async def pressed_revoke(
    query: CallbackQuery,
    callback_data: RevokeInvite,
    person: Person,
    t: Texts,
    people: PeopleService,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _revoke(query.message, person, t, people, callback_data.invite_id)


async def _unbind(
    message: Message,
    person: Person,
    t: Texts,
    people: PeopleService,
    person_id: int,
    menus: MenuPublisher,
) -> None:
    try:
        unbound: Unbound = await people.unbind(person, person_id)
    except (NoSuchPerson, NotBoundThere):
        await message.answer(t("unbind.no_such", id=person_id))
        return
    except Forbidden:
        await message.answer(t("unbind.forbidden"))
        return
    text = t(
        "unbind.done",
        name=unbound.person.name,
        id=person_id,
        bindings=_bindings(unbound.removed, t),
    )
    if unbound.kept:
        text += "\n" + t("unbind.kept", bindings=_bindings(unbound.kept, t))
    await message.answer(text)
    if message.bot is not None:  # their menu shrinks with their rights, now
        await menus.publish(message.bot, replace(unbound.person, bindings=unbound.kept))


async def unbind(
    message: Message,
    command: CommandObject,
    person: Person,
    t: Texts,
    people: PeopleService,
    menus: MenuPublisher,
) -> None:
    if not any(Action.UNBIND in ALLOWED[b.role] for b in person.bindings):
        raise Forbidden(Action.UNBIND)
    argument = (command.args or "").strip()
    if argument:
        if not argument.isdigit():
            await message.answer(t("unbind.usage"))
            return
        await _unbind(message, person, t, people, int(argument), menus)
        return
    reachable = await people.people_in_reach(person)
    if not reachable:
        await message.answer(t("unbind.none"))
        return
    builder = InlineKeyboardBuilder()
    for someone in reachable[:MAX_BUTTONS]:
        label = t(
            "unbind.item",
            name=someone.name,
            id=someone.id,
            bindings=_bindings(someone.bindings, t),
        )
        builder.button(text=label[:60], callback_data=UnbindPerson(person_id=someone.id))
    builder.adjust(1)
    await message.answer(t("unbind.pick"), reply_markup=builder.as_markup())


async def pressed_unbind(
    query: CallbackQuery,
    callback_data: UnbindPerson,
    person: Person,
    t: Texts,
    people: PeopleService,
    menus: MenuPublisher,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _unbind(query.message, person, t, people, callback_data.person_id, menus)


def make_router() -> Router:
    router = Router(name="invites")
    router.message.register(start_invite, Command("invite"), PRIVATE)
    router.message.register(revoke, Command("revoke"), PRIVATE)
    router.message.register(unbind, Command("unbind"), PRIVATE)
    router.callback_query.register(pressed_revoke, RevokeInvite.filter())
    router.callback_query.register(pressed_unbind, UnbindPerson.filter())
    router.callback_query.register(chose_role, InviteStep.filter(F.step == "role"))
    router.message.register(typed_organisation, StateFilter(Inviting.organisation), TEXT)
    router.callback_query.register(
        chose_organisation, StateFilter(Inviting.choosing), InviteStep.filter(F.step == "org")
    )
    router.callback_query.register(
        chose_use, StateFilter(Inviting.use), InviteStep.filter(F.step == "use")
    )
    return router
