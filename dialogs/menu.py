"""The main menu, and the hint on asking questions in one's own words."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row, Select, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs import drafts
from dialogs.common import PURPOSE, PURPOSE_APPLY, PURPOSE_BOOK, PURPOSE_CHECKLIST, locale_of, renderer_of
from dialogs.handoff import open_handoff
from dialogs.states import CasesSG, CatalogSG, ComplaintSG, LanguageSG, MenuSG, MyBookingsSG, MyComplaintsSG
from dialogs.widgets import I18nFormat


def _template(name: str) -> Any:
    """A getter of a text that depends on the language alone (rendered once per language)."""

    async def getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        found = await drafts.menu_items(dialog_manager) if name == "menu.j2" else []
        return {"text": renderer_of(dialog_manager).render_static(name, locale_of(dialog_manager), name),
                "desk": dialog_manager.middleware_data["handoff_desk"].available, "drafts": found}

    return getter


async def talk_to_clerk(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Hand the conversation to a clerk (see :mod:`handlers.handoff`)."""
    data = manager.middleware_data
    await open_handoff(callback, data["bot"], data["repositories"], data["handoff_desk"], manager, data["i18n"])


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{text}"),
            Column(Select(Format("{item[1]}"), id="draft", item_id_getter=itemgetter(0), items="drafts",
                          on_click=drafts.continue_from_menu)),
            Group(
                Start(I18nFormat("🗂 Services"), id="services", state=CatalogSG.service),
                Start(
                    I18nFormat("✅ Check my documents"),
                    id="checklist",
                    state=CatalogSG.service,
                    data={PURPOSE: PURPOSE_CHECKLIST},
                ),
                Start(
                    I18nFormat("📝 Apply online"), id="apply", state=CatalogSG.service, data={PURPOSE: PURPOSE_APPLY}
                ),
                Start(I18nFormat("📂 My cases"), id="my_cases", state=CasesSG.list),
                Start(I18nFormat("📅 Book a visit"), id="book", state=CatalogSG.service, data={PURPOSE: PURPOSE_BOOK}),
                Start(I18nFormat("🎫 My bookings"), id="my_bookings", state=MyBookingsSG.list),
                Start(I18nFormat("📣 Complain"), id="complain", state=ComplaintSG.about),
                Start(I18nFormat("🗳 My complaints"), id="my_complaints", state=MyComplaintsSG.list),
                width=2,
            ),
            Row(
                SwitchTo(I18nFormat("💬 Ask a question"), id="ask", state=MenuSG.ask),
                Button(I18nFormat("👩‍💼 Talk to a clerk"), id="clerk", on_click=talk_to_clerk, when="desk"),
            ),
            Start(I18nFormat("🌐 Language: Қазақша / Русский"), id="language", state=LanguageSG.choose),
            state=MenuSG.main,
            getter=_template("menu.j2"),
        ),
        Window(
            Format("{text}"),
            SwitchTo(I18nFormat("⬅️ Back"), id="back", state=MenuSG.main),
            state=MenuSG.ask,
            getter=_template("ask.j2"),
        ),
    )
