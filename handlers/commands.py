"""Commands that work in any state: /start (with case and complaint deep links), /menu, /services,
/status, /language, /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode

from dialogs import drafts
from dialogs.states import CasesSG, CatalogSG, LanguageSG, MenuSG
from handlers.complaints import open_own
from presentation.filters import PRIVATE, Is
from presentation.rendering import Renderer
from services.cases import parse_number
from storage.models import User
from storage.repositories import Repositories

MENU_CALLBACK = "menu"


async def start(message: Message, dialog_manager: DialogManager, user: User, command: CommandObject,
                repositories: Repositories, i18n: I18n) -> None:
    """First contact: choose the language; afterwards: the main menu. ``case_NUMBER`` opens a
    case, ``complaint_NUMBER`` a complaint."""
    if command.args and command.args.startswith(("case_", "complaint_")):
        if user.language is None:  # keep the language Telegram suggests; /language changes it
            await repositories.users.set_language(user, i18n.current_locale)
            await repositories.commit()
        kind, _sep, number = command.args.partition("_")
        if kind == "case":
            await show_case(message, dialog_manager, number)
        else:
            await open_own(message, dialog_manager, number)
        return
    if user.language is not None and await drafts.ask_before_leaving(dialog_manager, "menu"):
        return
    state = LanguageSG.choose if user.language is None else MenuSG.main
    await dialog_manager.start(state, mode=StartMode.RESET_STACK)


async def status(message: Message, dialog_manager: DialogManager, command: CommandObject) -> None:
    """/status NUMBER: one case; /status alone: all of the user's cases."""
    if not command.args:
        await dialog_manager.start(CasesSG.list, mode=StartMode.RESET_STACK)
        return
    await show_case(message, dialog_manager, command.args)


async def show_case(message: Message, dialog_manager: DialogManager, text: str) -> None:
    number = parse_number(text)
    if number is None:
        await message.answer(_("Please send the number as it is on your receipt, for example: /status 26-000042"))
        return
    await dialog_manager.start(CasesSG.detail, data={"number": number}, mode=StartMode.RESET_STACK)


async def menu(message: Message, dialog_manager: DialogManager) -> None:
    if await drafts.ask_before_leaving(dialog_manager, "menu"):
        return
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
    router.message.filter(PRIVATE)
    router.message.register(start, CommandStart())
    router.message.register(status, Command("status"))
    router.message.register(menu, Command("menu"))
    router.message.register(services, Command("services"))
    router.message.register(language, Command("language"))
    router.message.register(help_, Command("help"))
    router.callback_query.register(menu_button, Is(F.data == MENU_CALLBACK))
    return router
