"""Errors: outdated dialog buttons restart the menu; anything else is logged and apologised for."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from dialogs.states import MenuSG
from handlers.questions import menu_markup

logger = logging.getLogger(__name__)


async def outdated(event: ErrorEvent, dialog_manager: DialogManager) -> None:
    """A button of a dialog that no longer exists (pressed twice, or in an old message)."""
    logger.info("outdated dialog button in update %s: %s", event.update.update_id, event.exception)
    callback = event.update.callback_query
    stack = dialog_manager.current_stack()
    if callback is not None and stack is not None and not stack.empty():
        # A live dialog is on screen (e.g. a double click): a short notice is enough.
        await callback.answer(_("This button is out of date: please use the newest message."))
        return
    if callback is not None:
        await callback.answer(_("This menu is out of date, here is a fresh one."))
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def unexpected(event: ErrorEvent) -> None:
    """Log the failure and tell the user; the bot goes on with the next update."""
    logger.error("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(_("Something went wrong. Please try again."))
        message = update.message or (update.callback_query.message if update.callback_query else None)
        if message is not None:
            await message.answer(_("Something went wrong on my side. Please try again or open the menu."),
                                 reply_markup=menu_markup())
    except Exception:  # the apology itself may fail (e.g. Telegram is down): only log it
        logger.exception("could not tell the user about the failure of update %s", update.update_id)


def create_router() -> Router:
    router = Router(name=__name__)
    router.error.register(outdated, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState))
    router.error.register(unexpected)
    return router
