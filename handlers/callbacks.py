"""The button payloads (bot/actions.py) as aiogram sees them: each is the neutral action and an
aiogram ``CallbackData`` at once, so ``X.filter(F.action == …)`` routes presses, a keyboard
builder takes an instance, and a handler's ``callback_data`` has the action's fields. The
fields, prefixes and packing are the neutral classes'; nothing is declared twice."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot import actions

__all__ = [
    "BindParty",
    "DeleteMe",
    "DigestList",
    "InviteStep",
    "MissingAction",
    "OrgChoice",
    "ProgressView",
    "ReportButton",
    "RevokeInvite",
    "ShareAction",
    "TaskAction",
    "TaskPage",
    "UnbindPerson",
]


class TaskAction(CallbackData, actions.TaskAction, prefix=actions.TaskAction.prefix):
    __doc__ = actions.TaskAction.__doc__


class TaskPage(CallbackData, actions.TaskPage, prefix=actions.TaskPage.prefix):
    __doc__ = actions.TaskPage.__doc__


class InviteStep(CallbackData, actions.InviteStep, prefix=actions.InviteStep.prefix):
    __doc__ = actions.InviteStep.__doc__


class BindParty(CallbackData, actions.BindParty, prefix=actions.BindParty.prefix):
    __doc__ = actions.BindParty.__doc__


class ReportButton(CallbackData, actions.ReportButton, prefix=actions.ReportButton.prefix):
    __doc__ = actions.ReportButton.__doc__


class ProgressView(CallbackData, actions.ProgressView, prefix=actions.ProgressView.prefix):
    __doc__ = actions.ProgressView.__doc__


class ShareAction(CallbackData, actions.ShareAction, prefix=actions.ShareAction.prefix):
    __doc__ = actions.ShareAction.__doc__


class DigestList(CallbackData, actions.DigestList, prefix=actions.DigestList.prefix):
    __doc__ = actions.DigestList.__doc__


class MissingAction(CallbackData, actions.MissingAction, prefix=actions.MissingAction.prefix):
    __doc__ = actions.MissingAction.__doc__


class DeleteMe(CallbackData, actions.DeleteMe, prefix=actions.DeleteMe.prefix):
    __doc__ = actions.DeleteMe.__doc__


class RevokeInvite(CallbackData, actions.RevokeInvite, prefix=actions.RevokeInvite.prefix):
    __doc__ = actions.RevokeInvite.__doc__


class UnbindPerson(CallbackData, actions.UnbindPerson, prefix=actions.UnbindPerson.prefix):
    __doc__ = actions.UnbindPerson.__doc__


class OrgChoice(CallbackData, actions.OrgChoice, prefix=actions.OrgChoice.prefix):
    __doc__ = actions.OrgChoice.__doc__
