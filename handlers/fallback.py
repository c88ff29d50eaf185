"""Whatever the bot cannot use gets a short, polite hint in the user's language.

Two routers: ``messages`` goes before the dialogs (which would otherwise swallow any
message silently), ``buttons`` after them (dialog buttons must reach their dialogs first).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.questions import menu_markup

messages = Router(name=f"{__name__}.messages")
buttons = Router(name=f"{__name__}.buttons")


@messages.message()
async def not_text(message: Message) -> None:
    """Stickers, voice, photos, files, locations...: only text questions are understood."""
    await message.answer(
        _("I can only read text. Please type your question or use the menu."),
        reply_markup=menu_markup(),
    )


@buttons.callback_query()
async def unknown_button(callback: CallbackQuery) -> None:
    """A button the bot no longer knows (an old message, or forged data)."""
    await callback.answer(_("This button is no longer active."))
    if callback.message is not None:
        await callback.message.answer(_("Please use the menu."), reply_markup=menu_markup())
