"""The service card for one office, page by page, and single-fact answers to questions."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

from dialogs.common import (
    ASKED,
    GROUPS,
    KEYS,
    PURPOSE_APPLY,
    PURPOSE_BOOK,
    PURPOSE_CARD,
    PURPOSE_CHECKLIST,
    asked_of,
    card_context,
    catalog_of,
    leave,
    locale_of,
    menu_button,
    placements_of,
    renderer_of,
)
from dialogs.navigation import open_placements
from dialogs.states import CardSG
from dialogs.widgets import I18nFormat
from domain.slots import bookable_standard
from presentation.answers import compose, pages_of
from presentation.i18n import N_
from presentation.screens import split_screens

# Cards mention web sites; a preview of one of them would only push the text away.
NO_PREVIEW = LinkPreview(is_disabled=True)

PAGE_STATES: dict[str, State] = {
    "overview": CardSG.overview, "where": CardSG.where, "documents": CardSG.documents,
    "refusal": CardSG.refusal, "complaints": CardSG.complaints, "contacts": CardSG.contacts,
    "quality": CardSG.quality,
}
PAGES: dict[State, str] = {
    CardSG.overview: "card_overview.j2",
    CardSG.where: "card_where.j2",
    CardSG.documents: "card_documents.j2",
    CardSG.refusal: "card_refusal.j2",
    CardSG.complaints: "card_complaints.j2",
    CardSG.contacts: "card_contacts.j2",
    CardSG.quality: "card_quality.j2",
}


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    groups = data.get(GROUPS) or [data[KEYS]]
    manager.dialog_data.update({GROUPS: groups, KEYS: [k for g in groups for k in g], ASKED: data.get(ASKED)})


# Which screen of a long page is shown: [page state, index] in dialog data; another page starts
# at its first screen.
SCREEN = "screen"


def _screen_index(manager: DialogManager) -> int:
    state, index = manager.dialog_data.get(SCREEN) or (None, 0)
    return int(index) if state == manager.current_context().state.state else 0


async def get_page(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    placement = placements_of(dialog_manager, dialog_manager.dialog_data[KEYS])[0]
    template = PAGES[dialog_manager.current_context().state]
    text = renderer_of(dialog_manager).render_static(
        template, locale_of(dialog_manager), placement.key, **card_context(dialog_manager, placement)
    )
    screens = split_screens(text)
    index = min(_screen_index(dialog_manager), len(screens) - 1)
    return {"text": screens[index], "bookable": bookable_standard(placement.standard),
            "more": index + 1 < len(screens), "later": index > 0}


async def next_screen(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """«Подробнее»: the page's next screen, in place of this one."""
    manager.dialog_data[SCREEN] = [manager.current_context().state.state, _screen_index(manager) + 1]


async def first_screen(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """«Кратко»: back to the page's first screen, its essentials."""
    manager.dialog_data.pop(SCREEN, None)


async def get_fact(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """The answer to the facts a question asked, for each group of placements sharing it."""
    data = dialog_manager.dialog_data
    facts, focus = asked_of(data[ASKED])
    groups = [placements_of(dialog_manager, keys) for keys in data[GROUPS]]
    text = compose(renderer_of(dialog_manager), catalog_of(dialog_manager), locale_of(dialog_manager), groups,
                   facts, focus)
    one_office = len({k[1] for k in data[KEYS]}) == 1
    pages = pages_of(facts) if one_office else []
    return {"text": text, "one_standard": len({k[0] for k in data[KEYS]}) == 1,
            "pages": [(page, gettext(PAGE_LABELS[page])) for page in pages][:2],
            "bookable": one_office and "booking" in facts and bookable_standard(groups[0][0].standard)}


async def open_page(callback: CallbackQuery, widget: Any, manager: DialogManager, page: str) -> None:
    """The card page an answer comes from (one office answered)."""
    await manager.switch_to(PAGE_STATES[page])


async def open_full_card(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """From an answer to the whole card: at once for one office, else choose the office."""
    keys = manager.dialog_data[KEYS]
    if len(keys) == 1:
        await manager.switch_to(CardSG.overview)
    else:
        await open_placements(manager, keys, purpose=PURPOSE_CARD)


async def open_checklist(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await open_placements(manager, manager.dialog_data[KEYS], purpose=PURPOSE_CHECKLIST)


async def open_application(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await open_placements(manager, manager.dialog_data[KEYS], purpose=PURPOSE_APPLY)


async def open_booking(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await open_placements(manager, manager.dialog_data[KEYS], purpose=PURPOSE_BOOK)


async def go_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await leave(manager)


def _not_on(state: State) -> Any:
    return lambda data, widget, manager: manager.current_context().state != state


# The card's pages and their buttons (msgids, translated where shown).
PAGE_LABELS = {
    "overview": N_("📄 Overview"), "where": N_("📍 Where and when"), "documents": N_("📑 Documents"),
    "refusal": N_("⛔ Refusal"), "complaints": N_("📣 Complaints"), "contacts": N_("☎️ Contacts"),
    "quality": N_("📊 Quality"),
}


def _page_buttons() -> Group:
    return Group(
        *(
            SwitchTo(I18nFormat(PAGE_LABELS[page]), id=f"p_{page}", state=state, when=_not_on(state))
            for page, state in PAGE_STATES.items()
        ),
        width=2,
    )


def _footer() -> list[Any]:
    return [
        Row(Button(I18nFormat("✅ Check my documents"), id="checklist", on_click=open_checklist),
            Button(I18nFormat("📝 Apply online"), id="apply", on_click=open_application)),
        Button(I18nFormat("📅 Book a visit"), id="book", on_click=open_booking, when="bookable"),
        Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button()),
    ]


def _page(state: State) -> Window:
    screens = Row(Button(I18nFormat("‹ In short"), id="short", on_click=first_screen, when="later"),
                  Button(I18nFormat("More ›"), id="more", on_click=next_screen, when="more"))
    return Window(Format("{text}"), NO_PREVIEW, screens, _page_buttons(), *_footer(), state=state,
                  getter=get_page)


def create_dialog() -> Dialog:
    return Dialog(
        *(_page(state) for state in PAGES),
        Window(
            Format("{text}"),
            Select(Format("{item[1]}"), id="page", item_id_getter=itemgetter(0), items="pages",
                   on_click=open_page),
            Button(I18nFormat("📅 Book a visit"), id="book", on_click=open_booking, when="bookable"),
            Button(I18nFormat("📄 Full card"), id="full", on_click=open_full_card),
            Button(I18nFormat("✅ Check my documents"), id="checklist", on_click=open_checklist,
                   when="one_standard"),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button()),
            NO_PREVIEW,
            state=CardSG.fact,
            getter=get_fact,
        ),
        on_start=on_start,
    )
