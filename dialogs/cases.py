"""«My cases»: the applicant's applications (number, service, status, due date) and each one's history."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.states import CasesSG
from dialogs.widgets import I18nFormat, Pages
from services.cases import CaseNotFound, CaseService

NUMBER = "number"


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data[NUMBER] = data.get(NUMBER)


def _service(manager: DialogManager) -> CaseService:
    return manager.middleware_data["cases"]


async def get_list(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    catalog, locale, renderer = catalog_of(manager), locale_of(manager), renderer_of(manager)
    cases = await _service(manager).of_user(manager.event.from_user.id)
    items = [
        (case.number, renderer.render("case_button.j2", locale, case=case,
                                      service=catalog.service(case.service_id)))
        for case in cases
    ]
    return {"items": items, "empty": not items}


async def on_case(callback: CallbackQuery, widget: Any, manager: DialogManager, number: str) -> None:
    manager.dialog_data[NUMBER] = number
    await manager.switch_to(CasesSG.detail)


async def get_detail(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    service = _service(manager)
    user_id = manager.event.from_user.id
    try:
        case = await service.visible(manager.dialog_data[NUMBER] or "", user_id, is_clerk=False)
    except CaseNotFound:
        return {"text": _("No application with this number was found.")}
    catalog = catalog_of(manager)
    placement = catalog.placement(case.standard_id, case.office_id)
    text = renderer_of(manager).render(
        "case_detail.j2", locale_of(manager), case=case, s=placement.standard, office=placement.office,
        service=catalog.service(case.service_id), overdue=service.is_overdue(case),
    )
    return {"text": text}


async def go_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await leave(manager)


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("📂 <b>My applications</b>", when=lambda d, w, m: not d["empty"]),
            I18nFormat("You have no applications yet. Open a service and press «Apply online».",
                       when="empty"),
            Pages(
                Select(Format("{item[1]}"), id="case", item_id_getter=itemgetter(0), items="items",
                       on_click=on_case),
                id="cases", width=1, height=8, hide_on_single_page=True,
            ),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button()),
            state=CasesSG.list,
            getter=get_list,
        ),
        Window(
            Format("{text}"),
            Row(SwitchTo(I18nFormat("📂 My cases"), id="all", state=CasesSG.list), menu_button()),
            state=CasesSG.detail,
            getter=get_detail,
        ),
        on_start=on_start,
    )
