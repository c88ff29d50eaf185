"""Choosing the language (first contact and /language); the choice is stored per user."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, StartMode, Window
from aiogram_dialog.widgets.kbd import Column, Select
from aiogram_dialog.widgets.text import Format

from config import SUPPORTED_LOCALES
from dialogs.common import locale_of
from dialogs.states import LanguageSG, MenuSG
from dialogs.widgets import I18nFormat
from presentation.i18n import N_
from storage.repositories import Repositories

# Each language is named in itself (an endonym), the same whatever the interface language.
ENDONYMS = {"kk": "Қазақша", "ru": "Русский"}

# What Kenes does, shown to a new user in every language before they choose one.
INTRODUCTION = N_("🤝 Kenes helps with state services: documents, applications, visits and complaints.")


async def get_languages(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    current = locale_of(dialog_manager)
    i18n = dialog_manager.middleware_data["i18n"]
    new = dialog_manager.middleware_data["user"].language is None
    return {
        "introduction": "\n".join(i18n.gettext(INTRODUCTION, locale=code) for code in SUPPORTED_LOCALES)
        if new else "",
        "languages": [
            (code, f"✅ {ENDONYMS[code]}" if code == current else ENDONYMS[code])
            for code in SUPPORTED_LOCALES
        ]
    }


async def on_language(callback: CallbackQuery, widget: Any, manager: DialogManager, code: str) -> None:
    if code not in SUPPORTED_LOCALES:
        return
    repositories: Repositories = manager.middleware_data["repositories"]
    user = manager.middleware_data["user"]
    changed = user.language is not None and user.language != code
    await repositories.users.set_language(user, code)
    if changed:  # reminders already written in the old language are written again (a user
        # choosing for the first time has booked nothing yet)
        await manager.middleware_data["bookings"].language_changed(user.id)
    await repositories.commit()
    manager.middleware_data["i18n"].current_locale = code
    await manager.start(MenuSG.main, mode=StartMode.RESET_STACK)


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{introduction}\n", when="introduction"),
            I18nFormat("🌐 Choose the language of our conversation:"),
            Column(
                Select(Format("{item[1]}"), id="lang", item_id_getter=itemgetter(0), items="languages",
                       on_click=on_language),
            ),
            state=LanguageSG.choose,
            getter=get_languages,
        ),
    )
