"""Choosing a service, then its region, then (for Public Service Centres) city and centre."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column, Row, Select
from aiogram_dialog.widgets.text import Format

from dialogs.common import (
    ANSWERS,
    ASKED,
    KEYS,
    MEMBERS,
    PURPOSE,
    PURPOSE_BOOK,
    PURPOSE_CARD,
    catalog_of,
    leave,
    locale_of,
    menu_button,
    placements_of,
)
from dialogs.navigation import decide
from dialogs.states import CatalogSG
from dialogs.widgets import I18nFormat, Pages
from domain.catalog import Catalog, Placement
from domain.slots import bookable_standard
from understanding.normalize import words

HISTORY = "history"
ITEMS = "items"


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    purpose = data.get(PURPOSE, PURPOSE_CARD)
    keys = data.get(KEYS) or [
        list(p.key) for p in catalog_of(manager).placements
        if purpose != PURPOSE_BOOK or bookable_standard(p.standard)
    ]
    manager.dialog_data.update({
        KEYS: keys, ASKED: data.get(ASKED), PURPOSE: purpose,
        MEMBERS: data.get(MEMBERS) or {}, ANSWERS: data.get(ANSWERS) or {}, HISTORY: [],
    })


def _remaining(manager: DialogManager) -> list[Placement]:
    return placements_of(manager, manager.dialog_data[KEYS])


def _unique(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for item_id, label in pairs:
        seen.setdefault(item_id, label)
    return list(seen.items())


Choice = Callable[[Placement, Catalog, str], tuple[str, str]]


def _choices(choice: Choice, sort: bool = False) -> Any:
    """A getter listing the distinct choices (id, label) among the remaining placements.

    Placements come in catalog order, so services and regions keep it; cities are sorted.
    """

    async def getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
        catalog, locale = catalog_of(dialog_manager), locale_of(dialog_manager)
        placements = _remaining(dialog_manager)
        items = _unique([choice(p, catalog, locale) for p in placements])
        if sort:
            items.sort(key=lambda item: words(item[1]))  # Kazakh letters next to their Russian kin
        first = placements[0]
        return {
            ITEMS: items,
            "service": escape(catalog.service(first.standard.service).name.get(locale)),
            "city": escape(first.office.city.get(locale)),
        }

    return getter


def _service_choice(p: Placement, catalog: Catalog, locale: str) -> tuple[str, str]:
    service = catalog.service(p.standard.service)
    return service.id, f"{service.icon} {service.short.get(locale)}"


get_services = _choices(_service_choice)
get_regions = _choices(lambda p, catalog, locale: (p.standard.id, catalog.regions[p.standard.region].name.get(locale)))
get_cities = _choices(lambda p, catalog, locale: (p.office.city_id, p.office.city.get(locale)), sort=True)
get_offices = _choices(lambda p, catalog, locale: (p.office.id, p.office.name.get(locale)))


def _select(attribute: str) -> Any:
    """An ``on_click`` narrowing the placements to the chosen service, standard, city or office."""

    def matches(placement: Placement, item_id: str) -> bool:
        value = {
            "service": placement.standard.service,
            "standard": placement.standard.id,
            "city": placement.office.city_id,
            "office": placement.office.id,
        }[attribute]
        return value == item_id

    async def on_click(callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
        chosen = [list(p.key) for p in _remaining(manager) if matches(p, item_id)]
        if not chosen:  # a button from an older list: show the current one again
            return
        data = manager.dialog_data
        target = decide(manager, chosen, data[ASKED], data[PURPOSE], data[MEMBERS], data[ANSWERS])
        if target.state.group is CatalogSG:
            data[HISTORY].append([manager.current_context().state.state, data[KEYS]])
            data[KEYS] = target.data[KEYS]
            data[MEMBERS] = {**data[MEMBERS], **target.data[MEMBERS]}
            await manager.switch_to(target.state)
        else:
            await manager.start(target.state, data=target.data)

    return on_click


async def go_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """One step back; from the first step, back to where the user came from (or the menu)."""
    history = manager.dialog_data[HISTORY]
    if history:
        state_name, keys = history.pop()
        manager.dialog_data[KEYS] = keys
        state = next(s for s in CatalogSG.__states__ if s.state == state_name)
        await manager.switch_to(state)
    else:
        await leave(manager)


def _window(state: Any, prompt: I18nFormat, attribute: str, getter: Any, width: int = 0) -> Window:
    """A list of choices; with ``width``, paged in a grid of that many columns."""
    select = Select(
        Format("{item[1]}"), id=f"sel_{attribute}", item_id_getter=itemgetter(0),
        items=ITEMS, on_click=_select(attribute),
    )
    body = (
        Pages(select, id=f"pages_{attribute}", width=width, height=6, hide_on_single_page=True)
        if width else Column(select)
    )
    footer = Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button())
    return Window(prompt, body, footer, state=state, getter=getter)


def create_dialog() -> Dialog:
    return Dialog(
        _window(CatalogSG.service, I18nFormat("Which service do you need?"), "service", get_services),
        _window(CatalogSG.region, I18nFormat("<b>{service}</b>\n\nWhere will you apply?"), "standard", get_regions),
        _window(CatalogSG.city, I18nFormat("<b>{service}</b>\n\nChoose your city:"), "city", get_cities,
                width=2),
        _window(CatalogSG.office, I18nFormat("<b>{service}</b>\n\n{city}: choose the office:"), "office",
                get_offices, width=1),
        on_start=on_start,
    )
