"""Helpers every dialog uses: dependencies from the middleware data, common buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.kbd import Start

from dialogs.states import MenuSG
from dialogs.widgets import I18nFormat
from domain.facts import NO_FOCUS, Focus

if TYPE_CHECKING:
    from domain.catalog import Catalog, Placement
    from presentation.rendering import Renderer

# Keys kept in dialog data and start data.
KEYS = "keys"
GROUPS = "groups"
MEMBERS = "members"
ASKED = "asked"  # what a question asked: {"facts": [...], "focus": {"indicators": [...], "documents": [...]}}
PURPOSE = "purpose"
PURPOSE_CARD = "card"
PURPOSE_CHECKLIST = "checklist"
PURPOSE_APPLY = "apply"
PURPOSE_BOOK = "book"
PURPOSE_COMPLAIN = "complain"
ANSWERS = "answers"


def asked_data(facts: Sequence[str], focus: Focus, service_named: bool = True) -> dict[str, Any] | None:
    """What a question asked, as kept in dialog data (``None``: no fact, the whole card).
    ``service_named`` is false when the question did not say which service ("справка алу
    үшін не керек"): answers that differ by service then ask which one, not list each."""
    if not facts:
        return None
    data: dict[str, Any] = {"facts": list(facts),
                            "focus": {"indicators": list(focus.indicators), "documents": list(focus.documents)}}
    if not service_named:
        data["unnamed"] = True
    return data


def asked_of(data: dict[str, Any] | None) -> tuple[list[str], Focus]:
    """The facts and focus kept by :func:`asked_data`."""
    if not data:
        return [], NO_FOCUS
    focus = data.get("focus") or {}
    return list(data["facts"]), Focus(tuple(focus.get("indicators", ())), tuple(focus.get("documents", ())))


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
