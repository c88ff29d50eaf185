"""Talking to a clerk (see :mod:`services.handoff`): the applicant's side and the clerks' topics.

While a hand-off is open, whatever the applicant sends goes to the clerks, except /start
and /menu, the «Back to the bot» button or any of the bot's buttons, which return them to the
bot. In the clerks' group, only clerks' messages in an applicant's topic are relayed; the
bot's own and service messages never are; ``/close`` ends the hand-off.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ContentType
from aiogram.filters import BaseFilter, Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.utils import CB_SEP

from config import Settings
from dialogs.handoff import end_markup, off_hours_text, open_handoff, talk_button
from dialogs.states import MenuSG
from handlers.commands import MENU_CALLBACK
from presentation.callbacks import HandoffAction
from presentation.filters import PRIVATE, Is, clerk_actor
from services.handoff import OPEN_HANDOFF, DeskUnavailable, HandoffDesk
from storage.models import Handoff
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
# Content a clerk's message may have to be relayed (not service messages about the topic).
RELAYED = {ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.VOICE, ContentType.VIDEO,
           ContentType.AUDIO, ContentType.STICKER, ContentType.ANIMATION, ContentType.VIDEO_NOTE,
           ContentType.LOCATION, ContentType.CONTACT}


MISSES = "misses"


async def missed(state: FSMContext, desk: HandoffDesk) -> InlineKeyboardMarkup:
    """Count a message the bot did not understand; the second in a row also offers a clerk."""
    misses = int((await state.get_data()).get(MISSES, 0)) + 1
    await state.update_data({MISSES: misses})
    rows = [[InlineKeyboardButton(text=_("🏠 Main menu"), callback_data=MENU_CALLBACK)]]
    if misses >= 2 and desk.available:
        rows.insert(0, [talk_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def understood(state: FSMContext) -> None:
    if (await state.get_data()).get(MISSES):
        await state.update_data({MISSES: 0})


class InHandoff(BaseFilter):
    """The sender has an open hand-off (given to the handler as ``handoff``)."""

    async def __call__(self, event: TelegramObject, **data: Any) -> bool | dict[str, Any]:
        handoff = data.get(OPEN_HANDOFF)  # looked up with the user by UserMiddleware
        return {"handoff": handoff} if handoff is not None else False


# --- the applicant -----------------------------------------------------------------------------


async def relay(message: Message, bot: Bot, repositories: Repositories, handoff: Handoff,
                handoff_desk: HandoffDesk, i18n: I18n) -> None:
    """Whatever the applicant sends during a hand-off goes to their topic."""
    try:
        await handoff_desk.relay_to_clerks(bot, repositories, message)
    except DeskUnavailable:
        await message.answer(_("Sorry, your message could not be passed on. Please try again later."))
        return
    opening = await handoff_desk.tell_off_hours(repositories, handoff)
    if opening is not None:
        await message.answer(off_hours_text(handoff_desk, opening, i18n.current_locale))


async def other_command(message: Message) -> None:
    await message.answer(_("You are writing to a clerk now. To use the bot's commands, press «Back to the bot» "
                           "first."), reply_markup=end_markup())


async def _applicant_left(bot: Bot, repositories: Repositories, handoff_desk: HandoffDesk, user_id: int) -> None:
    """The applicant ended the hand-off: the clerks are told in the topic, which is closed."""
    if await handoff_desk.close(repositories, user_id, "user"):
        await handoff_desk.note(bot, repositories, user_id,
                                _("↩️ The applicant has returned to the bot; the conversation is closed."))
        await handoff_desk.close_topic(bot, repositories, user_id)


async def back_to_bot(event: CallbackQuery | Message, bot: Bot, repositories: Repositories,
                      handoff_desk: HandoffDesk) -> None:
    """The applicant returns to the bot: /start, /menu or one of the bot's buttons (handled next)."""
    if event.from_user:
        await _applicant_left(bot, repositories, handoff_desk, event.from_user.id)
    raise SkipHandler


async def end_button(callback: CallbackQuery, bot: Bot, repositories: Repositories, handoff_desk: HandoffDesk,
                     dialog_manager: DialogManager) -> None:
    await _applicant_left(bot, repositories, handoff_desk, callback.from_user.id)
    await callback.answer()
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


# --- the clerks' topics ------------------------------------------------------------------------


async def close_command(message: Message, bot: Bot, repositories: Repositories, handoff_desk: HandoffDesk,
                        settings: Settings) -> None:
    """/close in an applicant's topic: the applicant is back with the bot, and told so."""
    user_id = await handoff_desk.user_of(repositories, message)
    if user_id is None:
        await message.reply(_("/close works in an applicant's topic."))
        return
    if not await handoff_desk.close(repositories, user_id, clerk_actor(message.from_user)):
        await message.reply(_("This conversation is already closed."))
        return
    user = await repositories.users.get(user_id)
    locale = (user.language if user and user.language else None) or settings.default_locale
    with handoff_desk.renderer.i18n.context(), handoff_desk.renderer.i18n.use_locale(locale):
        text = _("✅ The clerk has ended the conversation. You are back with Kenes: ask me anything or use "
                 "the menu.")
        markup = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=_("🏠 Main menu"), callback_data=MENU_CALLBACK)]])
    try:
        await bot.send_message(user_id, text, reply_markup=markup)
    except Exception as exc:  # the applicant may have blocked the bot; the hand-off is closed anyway
        logger.warning("could not tell user %s that the hand-off closed: %s", user_id, exc)
    await message.reply(_("Closed. The applicant is back with the bot."))
    await handoff_desk.close_topic(bot, repositories, user_id)


async def from_clerk(message: Message, bot: Bot, repositories: Repositories, handoff_desk: HandoffDesk) -> None:
    outcome = await handoff_desk.relay_to_applicant(bot, repositories, message)
    if outcome == "closed":
        await message.reply(_("Not delivered: the conversation is closed. The applicant can write again with "
                              "«Talk to a clerk»."))
    elif outcome == "blocked":
        await message.reply(_("Not delivered: the applicant has blocked the bot."))


async def edited(message: Message, bot: Bot, repositories: Repositories, handoff_desk: HandoffDesk) -> None:
    """An applicant or a clerk corrected a relayed message: the copy on the other side follows."""
    await handoff_desk.relay_edit(bot, repositories, message)


async def from_someone_else(message: Message, repositories: Repositories, handoff_desk: HandoffDesk) -> None:
    """A member of the group who is not a clerk writes in an applicant's topic: nothing is relayed."""
    if await handoff_desk.user_of(repositories, message) is not None:
        await message.reply(_("Only clerks' messages are passed on to the applicant; this one was not."))


class InClerkTopic(BaseFilter):
    async def __call__(self, message: Message, handoff_desk: HandoffDesk) -> bool:
        return handoff_desk.chat_id is not None and message.chat.id == handoff_desk.chat_id \
            and message.message_thread_id is not None and bool(message.is_topic_message)


class FromClerk(BaseFilter):
    async def __call__(self, message: Message, handoff_desk: HandoffDesk) -> bool:
        return message.from_user is not None and handoff_desk.is_clerk(message.from_user.id)


def create_router() -> Router:
    """Placed after the clerks' commands, before every other router."""
    router = Router(name=__name__)
    router.callback_query.register(open_handoff, HandoffAction.filter(F.event == "start"))
    router.callback_query.register(end_button, HandoffAction.filter(F.event == "end"))

    # The applicant's side: the open hand-off is looked up once per update (a root filter).
    applicant = Router(name=f"{__name__}.applicant")
    applicant.message.filter(PRIVATE, InHandoff())
    applicant.callback_query.filter(Is(F.data.contains(CB_SEP) | (F.data == MENU_CALLBACK)), InHandoff())
    leaving = Command("start", "menu")  # back_to_bot passes these on to the bot's own handlers
    applicant.message.register(back_to_bot, leaving)
    applicant.message.register(other_command, ~leaving, Is(F.text.startswith("/")))
    applicant.message.register(relay, ~leaving)
    applicant.callback_query.register(back_to_bot)
    router.include_router(applicant)

    topic = InClerkTopic()
    router.message.register(close_command, topic, FromClerk(), Command("close"))
    router.message.register(from_clerk, topic, FromClerk(), Is(F.content_type.in_(RELAYED)),
                            Is(~F.text.startswith("/")))
    router.message.register(from_someone_else, topic, ~FromClerk(),
                            Is(F.from_user.is_bot.is_(False)), Is(F.content_type.in_(RELAYED)))
    router.edited_message.register(edited, PRIVATE)
    router.edited_message.register(edited, topic, FromClerk())
    return router
