"""Free-text questions in Kazakh or Russian: the exact facts asked, small talk, or an honest
answer when the subject is not one of Kenes' services."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, StartMode

from dialogs.common import asked_data
from dialogs.handoff import talk_button
from dialogs.navigation import open_placements
from dialogs.states import NotTypingIntoDialog
from domain.catalog import Catalog, Placement
from handlers.commands import MENU_CALLBACK
from handlers.handoff import missed, understood
from presentation.filters import PRIVATE, Is
from presentation.rendering import Renderer
from services.handoff import HandoffDesk
from understanding.engine import Query, Understanding, candidates

logger = logging.getLogger(__name__)

MAX_QUESTION_LENGTH = 500
MAX_STACK_DEPTH = 5
EGOV = "https://egov.kz"


def menu_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("🏠 Main menu"), callback_data=MENU_CALLBACK)]]
    )


def elsewhere_markup(desk: HandoffDesk) -> InlineKeyboardMarkup:
    """Where to go for what Kenes does not do: eGov, a clerk, the menu."""
    rows = [[InlineKeyboardButton(text=_("🌐 eGov.kz"), url=EGOV)]]
    if desk.available:
        rows.append([talk_button()])
    rows.append([InlineKeyboardButton(text=_("🏠 Main menu"), callback_data=MENU_CALLBACK)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. Send /help to see what I can do."),
                         reply_markup=menu_markup())


async def question(
    message: Message, dialog_manager: DialogManager, understanding: Understanding, catalog: Catalog,
    renderer: Renderer, i18n: I18n, state: FSMContext, handoff_desk: HandoffDesk,
) -> None:
    text = message.text or ""
    if len(text) > MAX_QUESTION_LENGTH:
        await message.answer(
            _("That is a long message. Please ask one short question, for example: "
              "«documents for a missionary».")
        )
        return
    query = understanding.parse(text)
    logger.info("question: %s facts=%s services=%s kinds=%s places=%s", query.kind, query.facts,
                sorted(query.services), sorted(query.office_kinds), sorted(query.cities | query.regions))
    locale = i18n.current_locale
    if query.kind == "smalltalk":
        await understood(state)
        await message.answer(renderer.render("smalltalk.j2", locale, kind=query.smalltalk), reply_markup=menu_markup())
        return
    if query.kind == "out_of_scope":
        await understood(state)
        await message.answer(renderer.render("out_of_scope.j2", locale, services=catalog.services),
                             reply_markup=elsewhere_markup(handoff_desk))
        return
    if query.kind == "unknown":
        await message.answer(renderer.render("not_understood.j2", locale, cities=_names(catalog, query, locale)),
                             reply_markup=await missed(state, handoff_desk))
        return
    await understood(state)
    found = candidates(catalog, query)
    if found.place_missed:
        await message.answer(_("I have no office for this in {place}. Here is where it is provided:").format(
            place=", ".join(_names(catalog, query, locale))))
    await answer(dialog_manager, found.placements, query)


def _names(catalog: Catalog, query: Query, locale: str) -> list[str]:
    places = [catalog.cities[c] for c in sorted(query.cities)] + [catalog.regions[r] for r in sorted(query.regions)]
    return [place.name.get(locale) for place in places]


async def answer(manager: DialogManager, placements: list[Placement], query: Query) -> None:
    """Open the answer (or the card, or the step that tells the placements apart)."""
    depth = len(manager.current_stack().intents)
    mode = StartMode.NORMAL if depth < MAX_STACK_DEPTH else StartMode.RESET_STACK
    await open_placements(manager, [list(p.key) for p in placements],
                          asked=asked_data(query.facts, query.focus, query.service_named), mode=mode)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PRIVATE, NotTypingIntoDialog())
    router.message.register(unknown_command, Is(F.text.startswith("/")))
    router.message.register(question, Is(F.text))
    return router
