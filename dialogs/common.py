"""Helpers every dialog uses: dependencies from the middleware data, common buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.kbd import Start

from dialogs.states import MenuSG
from dialogs.widgets import I18nFormat

if TYPE_CHECKING:
    from bot.rendering import Renderer
    from domain.catalog import Catalog, Placement

# Keys kept in dialog data and start data.
KEYS = "keys"
GROUPS = "groups"
MEMBERS = "members"
FACT = "fact"
PURPOSE = "purpose"
PURPOSE_CARD = "card"
PURPOSE_CHECKLIST = "checklist"
PURPOSE_APPLY = "apply"
PURPOSE_BOOK = "book"
PURPOSE_COMPLAIN = "complain"
ANSWERS = "answers"


def catalog_of(manager: DialogManager) -> Catalog:
    return manager.middleware_data["catalog"]


def renderer_of(manager: DialogManager) -> Renderer:
    return manager.middleware_data["renderer"]


def locale_of(manager: DialogManager) -> str:
    return manager.middleware_data["i18n"].current_locale


def placements_of(manager: DialogManager, keys: list[list[str]]) -> list[Placement]:
    catalog = catalog_of(manager)
    return [catalog.placement(standard, office) for standard, office in keys]


def card_context(manager: DialogManager, placement: Placement) -> dict[str, Any]:
    """What the card and fact templates need for one placement."""
    catalog = catalog_of(manager)
    standard = placement.standard
    return {
        "s": standard,
        "office": placement.office,
        "service": catalog.service(standard.service),
        "region": catalog.regions[standard.region],
        "indicators": catalog.indicators,
        "groups": catalog.indicator_groups,
    }


async def leave(manager: DialogManager) -> None:
    """Close this dialog and return to the one below it; at the bottom, open the menu."""
    if len(manager.current_stack().intents) > 1:
        await manager.done()
    else:
        await manager.start(MenuSG.main)


def menu_button(show_mode: ShowMode | None = None) -> Start:
    return Start(I18nFormat("🏠 Main menu"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK,
                 show_mode=show_mode)
