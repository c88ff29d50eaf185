"""«My complaints»: the complainant's complaints, one with its history, and «Add information»
while it is registered or under review."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.states import MyComplaintsSG
from dialogs.widgets import I18nFormat, Input, Pages
from domain.complaints import MAX_NOTE, OPEN, ComplaintStatus, addressee
from domain.lifecycle import IllegalTransition
from services.complaints import ComplaintNotFound, ComplaintService

NUMBER = "number"


def _complaints(manager: DialogManager) -> ComplaintService:
    return manager.middleware_data["complaints"]


async def _explain(manager: DialogManager, message: Message, text: str) -> None:
    manager.show_mode = ShowMode.SEND
    await message.answer(text)


async def other_input(message: Message, widget: Input, manager: DialogManager) -> None:
    await _explain(manager, message, _("Please use the buttons below the message."))



async def on_start_mine(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data[NUMBER] = data.get(NUMBER)


async def get_mine(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    renderer, locale = renderer_of(dialog_manager), locale_of(dialog_manager)
    found = await _complaints(dialog_manager).of_user(dialog_manager.event.from_user.id)
    items = [(c.number, renderer.render("complaint_button.j2", locale, complaint=c)) for c in found[:30]]
    return {"items": items, "empty": not items}


async def on_mine(callback: CallbackQuery, widget: Any, manager: DialogManager, number: str) -> None:
    try:
        await _complaints(manager).visible(number, callback.from_user.id, is_clerk=False)
    except ComplaintNotFound:
        await callback.answer(_("No complaint with this number was found."), show_alert=True)
        return
    manager.dialog_data[NUMBER] = number
    await manager.switch_to(MyComplaintsSG.detail)


async def get_detail(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    service = _complaints(dialog_manager)
    try:
        complaint = await service.visible(dialog_manager.dialog_data[NUMBER] or "",
                                          dialog_manager.event.from_user.id, is_clerk=False)
    except ComplaintNotFound:
        return {"text": _("No complaint with this number was found."), "open": False}
    placement = service.placement(complaint)
    text = renderer_of(dialog_manager).render(
        "complaint_card.j2", locale_of(dialog_manager), complaint=complaint, office=placement.office, clerk=False,
        service=catalog_of(dialog_manager).service(placement.standard.service), addressee=addressee(placement),
        overdue=False,
    )
    return {"text": text, "open": ComplaintStatus(complaint.status) in OPEN}


async def on_info(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND  # the next window comes after the user's message
    text = (message.text or "").strip()
    if not text or text.startswith("/") or len(text) > MAX_NOTE:
        await _explain(manager, message, _("Please write it as text, up to {limit} characters.").format(
            limit=MAX_NOTE))
        return
    try:
        await _complaints(manager).add_info(manager.dialog_data[NUMBER], message.from_user.id, text)
    except (ComplaintNotFound, IllegalTransition):
        await _explain(manager, message, _("Information can be added only while the complaint is being reviewed."))
        await manager.switch_to(MyComplaintsSG.detail)
        return
    await _explain(manager, message, _("Added to your complaint; the clerks will see it."))
    await manager.switch_to(MyComplaintsSG.detail)


async def get_number(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"number": dialog_manager.dialog_data[NUMBER], "max": MAX_NOTE}


async def go_back_mine(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await leave(manager)


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("📣 <b>My complaints</b>", when=lambda d, w, m: not d["empty"]),
            I18nFormat("You have no complaints. To complain, press «Complain» in the menu.", when="empty"),
            Pages(
                Select(Format("{item[1]}"), id="complaint", item_id_getter=itemgetter(0), items="items",
                       on_click=on_mine),
                id="complaints", width=1, height=8, hide_on_single_page=True,
            ),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back_mine), menu_button()),
            state=MyComplaintsSG.list,
            getter=get_mine,
        ),
        Window(
            Format("{text}"),
            SwitchTo(I18nFormat("➕ Add information"), id="add", state=MyComplaintsSG.add_info, when="open"),
            Row(SwitchTo(I18nFormat("📣 My complaints"), id="all", state=MyComplaintsSG.list), menu_button()),
            state=MyComplaintsSG.detail,
            getter=get_detail,
        ),
        Window(
            I18nFormat("Complaint {number}: write what you want to add, in one message (up to {max} characters)."),
            Input(on_info, content_types=ContentType.TEXT),
            Input(other_input),
            SwitchTo(I18nFormat("⬅️ Back"), id="back", state=MyComplaintsSG.detail),
            state=MyComplaintsSG.add_info,
            getter=get_number,
        ),
        on_start=on_start_mine,
    )
