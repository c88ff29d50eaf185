"""Commands that work in any state: /start, /menu, /services, /language, /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.rendering import Renderer
from dialogs.states import CatalogSG, LanguageSG, MenuSG
from storage.models import User

MENU_CALLBACK = "menu"


async def start(message: Message, dialog_manager: DialogManager, user: User) -> None:
    """First contact: choose the language; afterwards: the main menu."""
    state = LanguageSG.choose if user.language is None else MenuSG.main
    await dialog_manager.start(state, mode=StartMode.RESET_STACK)


async def menu(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK)


async def services(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(CatalogSG.service, mode=StartMode.RESET_STACK)


async def language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(LanguageSG.choose, mode=StartMode.RESET_STACK)


async def help_(message: Message, renderer: Renderer, i18n: I18n) -> None:
    await message.answer(renderer.render("help.j2", i18n.current_locale))


async def menu_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    """The «Main menu» button under plain messages (not part of a dialog)."""
    await callback.answer()
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(start, CommandStart())
    router.message.register(menu, Command("menu"))
    router.message.register(services, Command("services"))
    router.message.register(language, Command("language"))
    router.message.register(help_, Command("help"))
    router.callback_query.register(menu_button, F.data == MENU_CALLBACK)
    return router
