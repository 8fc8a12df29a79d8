"""/invite: a short guided flow — role, organisation, single- or multi-use — ending in a link."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.access import INVITABLE, Action, Person, Role, visible_organisations
from bot.domain.model import OrganisationKind
from bot.render.telegram import render_invite
from bot.render.texts import Texts
from bot.services.people import Forbidden, PeopleService
from handlers.callbacks import InviteStep
from handlers.filters import PRIVATE, TEXT

MAX_CHOICES = 10


class Inviting(StatesGroup):
    organisation = State()
    choosing = State()
    use = State()


async def start_invite(message: Message, person: Person, t: Texts, state: FSMContext) -> None:
    roles = [role for role in Role if any(role in INVITABLE[b.role] for b in person.bindings)]
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
    tree = await people.tree()
    matches = tree.search(query, visible_organisations(person, tree))
    if role is Role.COORDINATOR:
        matches = [n for n in matches if tree.by_name[n].kind is OrganisationKind.AUTHORITY]
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
) -> None:
    await query.answer()
    data = await state.get_data()
    await state.clear()
    invite = await people.create_invite(
        person, Role(data["role"]), data.get("organisation"), multi_use=callback_data.value == "n"
    )
    me = await bot.me()
    if isinstance(query.message, Message):
        await query.message.answer(render_invite(invite, me.username or "", t))


def make_router() -> Router:
    router = Router(name="invites")
    router.message.register(start_invite, Command("invite"), PRIVATE)
    router.callback_query.register(chose_role, InviteStep.filter(F.step == "role"))
    router.message.register(typed_organisation, StateFilter(Inviting.organisation), TEXT)
    router.callback_query.register(
        chose_organisation, StateFilter(Inviting.choosing), InviteStep.filter(F.step == "org")
    )
    router.callback_query.register(
        chose_use, StateFilter(Inviting.use), InviteStep.filter(F.step == "use")
    )
    return router
