"""Whatever the bot cannot use gets a short, polite hint in the user's language.

Two routers. The first goes before the dialogs, which would otherwise swallow any message
and any button press silently while one of them is open: it answers non-text messages and
buttons that are not dialog buttons (forged or foreign data). The second goes after the
dialogs, for dialog buttons no dialog took.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog.utils import CB_SEP

from dialogs.states import NotTypingIntoDialog
from handlers.handoff import missed
from handlers.questions import menu_markup
from presentation.filters import PRIVATE, Is
from services.handoff import HandoffDesk


async def not_text(message: Message, state: FSMContext, handoff_desk: HandoffDesk) -> None:
    """Stickers, voice, photos, files, locations...: only text questions are understood."""
    await message.answer(
        _("I can only read text. Please type your question or use the menu."),
        reply_markup=await missed(state, handoff_desk),
    )


async def unknown_button(callback: CallbackQuery) -> None:
    """A button the bot no longer knows (an old message, or forged data)."""
    await callback.answer(_("This button is no longer active."))
    if callback.message is not None:
        await callback.message.answer(_("Please use the menu."), reply_markup=menu_markup())


def create_messages_router() -> Router:
    router = Router(name=f"{__name__}.messages")
    router.message.filter(PRIVATE, NotTypingIntoDialog())
    router.message.register(not_text)
    router.callback_query.register(unknown_button, Is(~F.data.contains(CB_SEP)))
    return router


def create_buttons_router() -> Router:
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.register(unknown_button)
    return router
