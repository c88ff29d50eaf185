"""/bookings, and the «Cancel the booking» button under reminders."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, ShowMode, StartMode

from dialogs.states import MyBookingsSG
from dialogs.widgets import keeping_buttons
from presentation.callbacks import BookingAction
from presentation.filters import PRIVATE
from presentation.labels import booking_error
from services.bookings import BookingError, BookingService


async def my_bookings(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MyBookingsSG.list, mode=StartMode.RESET_STACK)


async def cancel_from_reminder(callback: CallbackQuery, callback_data: BookingAction, dialog_manager: DialogManager,
                               bookings: BookingService,
                               i18n: I18n) -> None:
    """Ask to confirm the cancellation of the booking a reminder is about."""
    number = callback_data.number
    try:
        booking = await bookings.visible(number, callback.from_user.id, is_clerk=False)
    except BookingError as error:
        await callback.answer(booking_error(error, i18n.current_locale), show_alert=True)
        return
    await callback.answer()
    with keeping_buttons(callback.message):  # the reminder keeps its «Hours today»
        await dialog_manager.start(MyBookingsSG.cancel, data={"number": booking.number},
                                   mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(my_bookings, PRIVATE, Command("bookings"))
    router.callback_query.register(cancel_from_reminder, BookingAction.filter(F.action == "cancel"))
    return router
