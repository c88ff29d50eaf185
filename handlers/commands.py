"""Commands that work in any state: /start, /menu, /services, /language, /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.rendering import Renderer
from dialogs.states import CatalogSG, LanguageSG, MenuSG
from storage.models import User

router = Router(name=__name__)

MENU_CALLBACK = "menu"


@router.message(CommandStart())
async def start(message: Message, dialog_manager: DialogManager, user: User) -> None:
    """First contact: choose the language; afterwards: the main menu."""
    state = LanguageSG.choose if user.language is None else MenuSG.main
    await dialog_manager.start(state, mode=StartMode.RESET_STACK)


@router.message(Command("menu"))
async def menu(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK)


@router.message(Command("services"))
async def services(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(CatalogSG.service, mode=StartMode.RESET_STACK)


@router.message(Command("language"))
async def language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(LanguageSG.choose, mode=StartMode.RESET_STACK)


@router.message(Command("help"))
async def help_(message: Message, renderer: Renderer, i18n: I18n) -> None:
    await message.answer(renderer.render("help.j2", i18n.current_locale))


@router.callback_query(F.data == MENU_CALLBACK)
async def menu_button(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    """The «Main menu» button under plain messages (not part of a dialog)."""
    await callback.answer()
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
