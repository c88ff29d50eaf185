"""Free-text questions in Kazakh or Russian: the matching service card or the exact fact."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, StartMode

from bot.handoff import HandoffDesk
from dialogs.navigation import open_placements
from domain.catalog import Catalog
from domain.matching import Matcher, candidates
from handlers.commands import MENU_CALLBACK
from handlers.filters import PRIVATE, Is, NotTypingIntoDialog
from handlers.handoff import missed, understood

logger = logging.getLogger(__name__)

MAX_QUESTION_LENGTH = 500
MAX_STACK_DEPTH = 5


def menu_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("🏠 Main menu"), callback_data=MENU_CALLBACK)]]
    )


def _place_name(catalog: Catalog, place: str, locale: str) -> str:
    kind, _sep, place_id = place.partition(":")
    source = catalog.cities if kind == "city" else catalog.regions
    return source[place_id].name.get(locale)


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. Send /help to see what I can do."),
                         reply_markup=menu_markup())


async def question(
    message: Message, dialog_manager: DialogManager, matcher: Matcher, catalog: Catalog, i18n: I18n,
    state: FSMContext, handoff_desk: HandoffDesk,
) -> None:
    text = message.text or ""
    if len(text) > MAX_QUESTION_LENGTH:
        await message.answer(
            _("That is a long message. Please ask one short question, for example: "
              "«documents for a missionary».")
        )
        return
    intent = matcher.match(text)
    logger.info("question matched: services=%s fact=%s places=%s",
                sorted(intent.services), intent.fact, sorted(intent.places))
    if not intent.understood:
        await message.answer(
            _("Sorry, I did not understand the question. Try naming the service and what you "
              "want to know, for example «Aktau working hours», or use the menu."),
            reply_markup=await missed(state, handoff_desk),
        )
        return
    await understood(state)
    found = candidates(catalog, intent)
    if found.place_missed:
        places = ", ".join(_place_name(catalog, p, i18n.current_locale) for p in sorted(intent.places))
        await message.answer(
            _("I have no office for this in {place}. Here is where it is provided:").format(place=places)
        )
    depth = len(dialog_manager.current_stack().intents)
    mode = StartMode.NORMAL if depth < MAX_STACK_DEPTH else StartMode.RESET_STACK
    await open_placements(dialog_manager, [list(p.key) for p in found.placements], fact=intent.fact,
                          mode=mode)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PRIVATE, NotTypingIntoDialog())
    router.message.register(unknown_command, Is(F.text.startswith("/")))
    router.message.register(question, Is(F.text))
    return router
