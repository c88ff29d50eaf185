"""«My bookings»: the user's bookings, a talon, «Move to another time» (the number stays) and
«Cancel» (the place is free for others at once)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.booking import MOVING, NUMBER, OFFICE, STANDARD, go_back, render_talon
from dialogs.common import catalog_of, locale_of, menu_button, renderer_of
from dialogs.states import BookingSG, MyBookingsSG
from dialogs.widgets import I18nFormat, Pages
from presentation.labels import booking_error
from services.bookings import BookingError, BookingService


def _service(manager: DialogManager) -> BookingService:
    return manager.middleware_data["bookings"]



async def get_mine(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    renderer, locale, catalog = renderer_of(manager), locale_of(manager), catalog_of(manager)
    bookings = await _service(manager).of_user(manager.event.from_user.id)
    items = [(b.number, renderer.render("booking_button.j2", locale, booking=b,
                                        service=catalog.service(b.service_id))) for b in bookings[:30]]
    return {"items": items, "empty": not items}


async def on_booking(callback: CallbackQuery, widget: Any, manager: DialogManager, number: str) -> None:
    try:
        await _service(manager).visible(number, callback.from_user.id, is_clerk=False)
    except BookingError as error:
        await callback.answer(booking_error(error, locale_of(manager)), show_alert=True)
        return
    manager.dialog_data[NUMBER] = number
    await manager.switch_to(MyBookingsSG.detail)


async def get_detail(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    number = dialog_manager.dialog_data[NUMBER]
    booking = await _service(dialog_manager).visible(number, dialog_manager.event.from_user.id, is_clerk=False)
    return {"text": await render_talon(dialog_manager, number), "active": booking.status == "active"}


async def move(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    service = _service(manager)
    booking = await service.visible(manager.dialog_data[NUMBER], callback.from_user.id, is_clerk=False)
    await manager.start(BookingSG.day, data={STANDARD: booking.standard_id, OFFICE: booking.office_id,
                                            MOVING: booking.number})


async def cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    try:
        await _service(manager).cancel(manager.dialog_data[NUMBER], callback.from_user.id)
    except BookingError as error:
        await callback.answer(booking_error(error, locale_of(manager)), show_alert=True)
        return
    await callback.answer(_("The booking is cancelled; the place is free for others."), show_alert=True)
    await manager.switch_to(MyBookingsSG.list)


async def get_number(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"number": dialog_manager.dialog_data[NUMBER]}


async def on_start_mine(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data[NUMBER] = data.get(NUMBER)


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("🎫 <b>My bookings</b>", when=lambda d, w, m: not d["empty"]),
            I18nFormat("You have no bookings. Open a service and press «Book a visit».", when="empty"),
            Pages(
                Select(Format("{item[1]}"), id="booking", item_id_getter=itemgetter(0), items="items",
                       on_click=on_booking),
                id="bookings", width=1, height=8, hide_on_single_page=True,
            ),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button()),
            state=MyBookingsSG.list,
            getter=get_mine,
        ),
        Window(
            Format("{text}"),
            Button(I18nFormat("🔁 Move to another time"), id="move", on_click=move, when="active"),
            SwitchTo(I18nFormat("❌ Cancel the booking"), id="cancel", state=MyBookingsSG.cancel, when="active"),
            Row(SwitchTo(I18nFormat("🎫 My bookings"), id="all", state=MyBookingsSG.list), menu_button()),
            state=MyBookingsSG.detail,
            getter=get_detail,
        ),
        Window(
            I18nFormat("Cancel talon No {number}? The place will go to someone else."),
            Button(I18nFormat("Yes, cancel it"), id="yes", on_click=cancel),
            SwitchTo(I18nFormat("No, keep it"), id="no", state=MyBookingsSG.detail),
            state=MyBookingsSG.cancel,
            getter=get_number,
        ),
        on_start=on_start_mine,
    )
