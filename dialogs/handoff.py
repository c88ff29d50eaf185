"""The applicant's way to a clerk from anywhere in the bot: the button, opening a hand-off,
and the texts shown while one is open. The hand-off's messages are relayed by
handlers.handoff; the desk itself is services.handoff."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from presentation.callbacks import HandoffAction
from presentation.formats import format_time_of_day, format_weekday_moment
from services.handoff import DeskUnavailable, HandoffDesk
from storage.repositories import Repositories

START, END = HandoffAction(event="start").pack(), HandoffAction(event="end").pack()


def talk_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("👩‍💼 Talk to a clerk"), callback_data=START)


def end_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("↩️ Back to the bot"), callback_data=END)]])


def when_text(moment: Any, locale: str) -> str:
    return format_weekday_moment(moment, locale)



async def open_handoff(event: CallbackQuery | Message, bot: Bot, repositories: Repositories, handoff_desk: HandoffDesk,
                       dialog_manager: DialogManager, i18n: I18n) -> None:
    """Hand the conversation to the clerks, from the menu or from the offer after misunderstandings."""
    person = event.from_user
    message = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(event, CallbackQuery):
        await event.answer()
    if person is None or not isinstance(message, Message):
        return
    if not handoff_desk.available:
        await message.answer(_("Talking to a clerk is not available at the moment. Please use the menu."))
        return
    try:
        handoff, opened = await handoff_desk.open(bot, repositories, person)
    except DeskUnavailable:
        await message.answer(_("Sorry, I cannot reach the clerks right now. Please try again later or call the "
                               "office."))
        return
    await dialog_manager.reset_stack()
    if not opened:
        await message.answer(_("You are already talking to a clerk: write your question here."),
                             reply_markup=end_markup())
        return
    text = _("👩‍💼 You are now writing to a clerk. Send your question as text, photos or documents; "
             "a clerk will answer here. To return to the bot, press the button below or send /menu.")
    opening = await handoff_desk.tell_off_hours(repositories, handoff)
    if opening is not None:
        text += "\n\n" + off_hours_text(handoff_desk, opening, i18n.current_locale)
    await message.answer(text, reply_markup=end_markup())


def off_hours_text(desk: HandoffDesk, opening: Any, locale: str) -> str:
    opens, closes = desk.hours.opens, desk.hours.closes
    return _("🌙 Clerks answer on working days from {opens} to {closes}. They will answer after {when}; "
             "your messages will wait for them.").format(
        opens=format_time_of_day(opens, locale), closes=format_time_of_day(closes, locale),
        when=when_text(opening, locale))
