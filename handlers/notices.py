"""The buttons under notices (presentation/notices.py): a notice is not a dead end.

Under a case's notice: its screen, booking a visit to the office (to collect the result), the
office's hours today, a complaint about the case; under a complaint's notice: its screen;
under a booking reminder: the office's hours today (cancelling is handlers/bookings.py). Each
button acts only for the case's or booking's owner; someone else's number is "not found".
"""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, StartMode

from dialogs.states import BookingSG, CasesSG, ComplaintSG, MyComplaintsSG
from dialogs.widgets import keeping_buttons
from domain.catalog import Catalog, Placement
from domain.deadlines import WorkingCalendar, local_date
from domain.slots import bookable_standard, is_open
from presentation.callbacks import BookingAction, CaseNoticeAction, ComplaintOpen
from presentation.labels import booking_error
from presentation.rendering import Renderer
from services.bookings import BookingError, BookingService
from services.cases import CaseNotFound, CaseService
from storage.models import Case


def hours_today(renderer: Renderer, locale: str, calendar: WorkingCalendar, placement: Placement,
                today: date) -> str:
    """The office, its address once, and whether it receives visitors today (or when it next does)."""
    schedule = placement.standard.schedule
    next_open = None
    if schedule.weekdays and not is_open(calendar, schedule, today):
        next_open = next((day for day in (today + timedelta(days=n) for n in range(1, 60))
                          if is_open(calendar, schedule, day)), None)
    return renderer.render("office_hours.j2", locale, s=placement.standard, office=placement.office,
                           today=today, open_today=is_open(calendar, schedule, today), next_open=next_open)


async def on_case_notice(callback: CallbackQuery, callback_data: CaseNoticeAction, dialog_manager: DialogManager,
                         cases: CaseService, catalog: Catalog, renderer: Renderer, calendar: WorkingCalendar,
                         i18n: I18n) -> None:
    try:
        case = await cases.visible(callback_data.number, callback.from_user.id, is_clerk=False)
    except CaseNotFound:
        await callback.answer(_("No application with this number was found."), show_alert=True)
        return
    placement = catalog.placement(case.standard_id, case.office_id)
    action = callback_data.action
    if action == "hours":
        await callback.answer()
        await callback.bot.send_message(  # type: ignore[union-attr]
            callback.from_user.id,
            hours_today(renderer, i18n.current_locale, calendar, placement, local_date(cases.clock())))
        return
    if action == "book" and not bookable_standard(placement.standard):
        await callback.answer(_("Visits to this office cannot be booked."), show_alert=True)
        return
    await callback.answer()
    with keeping_buttons(callback.message):
        await _open(dialog_manager, action, case)


async def _open(dialog_manager: DialogManager, action: str, case: Case) -> None:
    if action == "book":
        await dialog_manager.start(BookingSG.day, data={"standard": case.standard_id, "office": case.office_id},
                                   mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    elif action == "complain":
        await dialog_manager.start(ComplaintSG.about, data={"standard": case.standard_id, "office": case.office_id,
                                                            "case": case.number},
                                   mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    else:
        await dialog_manager.start(CasesSG.detail, data={"number": case.number}, mode=StartMode.RESET_STACK,
                                   show_mode=ShowMode.SEND)


async def on_complaint_notice(callback: CallbackQuery, callback_data: ComplaintOpen,
                              dialog_manager: DialogManager) -> None:
    """The complaint's screen (it checks that the complaint is the user's)."""
    await callback.answer()
    with keeping_buttons(callback.message):
        await dialog_manager.start(MyComplaintsSG.detail, data={"number": callback_data.number},
                                   mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def on_booking_hours(callback: CallbackQuery, callback_data: BookingAction, bookings: BookingService,
                           catalog: Catalog, renderer: Renderer, calendar: WorkingCalendar, i18n: I18n) -> None:
    try:
        booking = await bookings.visible(callback_data.number, callback.from_user.id, is_clerk=False)
    except BookingError as error:
        await callback.answer(booking_error(error, i18n.current_locale), show_alert=True)
        return
    await callback.answer()
    placement = catalog.placement(booking.standard_id, booking.office_id)
    await callback.bot.send_message(  # type: ignore[union-attr]
        callback.from_user.id,
        hours_today(renderer, i18n.current_locale, calendar, placement, local_date(bookings.clock())))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_case_notice, CaseNoticeAction.filter())
    router.callback_query.register(on_complaint_notice, ComplaintOpen.filter())
    router.callback_query.register(on_booking_hours, BookingAction.filter(F.action == "hours"))
    return router
