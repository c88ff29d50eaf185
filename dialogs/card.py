"""The service card for one office, page by page, and single-fact answers to questions."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, SwitchTo
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

from dialogs.common import (
    FACT,
    GROUPS,
    KEYS,
    PURPOSE_APPLY,
    PURPOSE_BOOK,
    PURPOSE_CARD,
    PURPOSE_CHECKLIST,
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
from domain.catalog import Placement
from domain.facts import SHORT_FACTS
from domain.slots import bookable_standard

# Cards mention web sites; a preview of one of them would only push the text away.
NO_PREVIEW = LinkPreview(is_disabled=True)

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
    manager.dialog_data.update({GROUPS: groups, KEYS: [k for g in groups for k in g], FACT: data.get(FACT)})


async def get_page(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    placement = placements_of(dialog_manager, dialog_manager.dialog_data[KEYS])[0]
    template = PAGES[dialog_manager.current_context().state]
    text = renderer_of(dialog_manager).render_static(
        template, locale_of(dialog_manager), placement.key, **card_context(dialog_manager, placement)
    )
    return {"text": text, "bookable": bookable_standard(placement.standard)}


def _answer_block(manager: DialogManager, placements: list[Placement], fact: str, short: bool) -> str:
    catalog = catalog_of(manager)
    renderer, locale = renderer_of(manager), locale_of(manager)
    services = list({p.standard.service: catalog.service(p.standard.service) for p in placements}.values())
    offices = list({p.office.name.kk: p.office for p in placements}.values())
    header = renderer.render("fact_header.j2", locale, services=services, offices=offices)
    template = "fact_short.j2" if short else "fact.j2"
    body = renderer.render(template, locale, fact=fact, **card_context(manager, placements[0]))
    return f"{header}\n\n{body}"


async def get_fact(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    groups = [placements_of(dialog_manager, keys) for keys in data[GROUPS]]
    single = len(groups) == 1 and len(groups[0]) == 1
    short = not single and data[FACT] in SHORT_FACTS
    text = "\n\n".join(_answer_block(dialog_manager, group, data[FACT], short) for group in groups)
    return {"text": text, "one_standard": len({k[0] for k in data[KEYS]}) == 1}


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


def _page_buttons() -> Group:
    pages = (
        (CardSG.overview, I18nFormat("📄 Overview")),
        (CardSG.where, I18nFormat("📍 Where and when")),
        (CardSG.documents, I18nFormat("📑 Documents")),
        (CardSG.refusal, I18nFormat("⛔ Refusal")),
        (CardSG.complaints, I18nFormat("📣 Complaints")),
        (CardSG.contacts, I18nFormat("☎️ Contacts")),
        (CardSG.quality, I18nFormat("📊 Quality")),
    )
    return Group(
        *(
            SwitchTo(label, id=f"p_{state.state.split(':')[1]}", state=state, when=_not_on(state))
            for state, label in pages
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
    return Window(Format("{text}"), NO_PREVIEW, _page_buttons(), *_footer(), state=state, getter=get_page)


def create_dialog() -> Dialog:
    return Dialog(
        *(_page(state) for state in PAGES),
        Window(
            Format("{text}"),
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
