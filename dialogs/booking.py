"""Booking a visit (a calendar of bookable days, the free times, a confirmation, the talon)
and «My bookings» (list, open, move, cancel)."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery, InlineKeyboardButton
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Calendar, Row, Select, Start, SwitchTo
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarConfig,
    CalendarDaysView,
    CalendarScope,
    CalendarScopeView,
    CalendarUserConfig,
    empty_button,
)
from aiogram_dialog.widgets.text import Format, Text
from babel.dates import format_date

from dialogs.common import catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.states import BookingSG, MyBookingsSG
from dialogs.widgets import I18nFormat, Pages
from domain.deadlines import ALMATY, local_date
from presentation.formats import format_time_of_day, format_weekday_day, format_weekday_moment
from presentation.labels import booking_error
from services.bookings import BookingError, BookingService

STANDARD, OFFICE, DAY, START, MOVING, NUMBER = "standard", "office", "day", "start", "moving", "number"
CALENDAR = "calendar"


def _service(manager: DialogManager) -> BookingService:
    return manager.middleware_data["bookings"]


class BabelDate(Text):
    """A date of the calendar in the user's language (babel pattern, e.g. "LLLL y")."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = pattern

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return format_date(data["date"], self.pattern, locale=locale_of(manager))


def _blank(button: InlineKeyboardButton) -> bool:
    return not button.callback_data


# Overrides of library internals are named, with their reasons, in tests/test_library_internals.py.
class BookableDaysView(CalendarDaysView):
    """Days without a free place are blank, weeks without one are left out, no zooming out."""

    async def _render_date_button(self, selected_date: date, today: date, data: dict,
                                  manager: DialogManager) -> InlineKeyboardButton:
        if selected_date.isoformat() not in data.get("bookable", ()):
            return empty_button()
        # "Today" is the application clock's, not the machine's (which the library reads).
        return await super()._render_date_button(selected_date, date.fromisoformat(data["today"]), data, manager)

    async def _render_days(self, config: CalendarConfig, offset: date, data: dict,
                           manager: DialogManager) -> list[list[InlineKeyboardButton]]:
        weeks = await super()._render_days(config, offset, data, manager)
        return [week for week in weeks if not all(_blank(day) for day in week)]

    async def _render_pager(self, config: CalendarConfig, offset: date, data: dict,
                            manager: DialogManager) -> list[InlineKeyboardButton]:
        previous, _zoom, following = await super()._render_pager(config, offset, data, manager) or (
            empty_button(), None, empty_button())
        return [] if _blank(previous) and _blank(following) else [previous, following]


class BookingCalendar(Calendar):
    """aiogram-dialog's calendar, in Kazakh or Russian, offering only bookable days."""

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        days = BookableDaysView(
            self._item_callback_data,
            date_text=BabelDate("d"),
            today_text=BabelDate("'•'d'•'"),
            weekday_text=BabelDate("EEEEEE"),
            header_text=BabelDate("🗓 LLLL y"),
            next_month_text=BabelDate("LLLL »"),
            prev_month_text=BabelDate("« LLLL"),
        )
        views = super()._init_views()
        views[CalendarScope.DAYS] = days
        return views

    async def _handle_scope_months(self, data: Any, manager: DialogManager) -> None:
        """Stay on the days: only the next 30 days matter."""

    async def _get_user_config(self, data: dict, manager: DialogManager) -> CalendarUserConfig:
        bookable = sorted(data.get("bookable", ())) or [data["today"]]
        return CalendarUserConfig(firstweekday=0, timezone=ALMATY,  # type: ignore[arg-type]
                                  min_date=date.fromisoformat(bookable[0]),
                                  max_date=date.fromisoformat(bookable[-1]))


# --- booking --------------------------------------------------------------------------------


def _header(manager: DialogManager) -> str:
    catalog, locale = catalog_of(manager), locale_of(manager)
    placement = catalog.placement(manager.dialog_data[STANDARD], manager.dialog_data[OFFICE])
    service = catalog.service(placement.standard.service)
    return f"📅 <b>{escape(service.name.get(locale))}</b>\n🏢 {escape(placement.office.name.get(locale))}"


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data.update({STANDARD: data[STANDARD], OFFICE: data[OFFICE], MOVING: data.get(MOVING)})
    service = _service(manager)
    if manager.dialog_data[MOVING] is None:
        placement = service.placement(data[STANDARD], data[OFFICE])
        try:
            await service.check_user(manager.event.from_user.id, placement.standard.service,
                                     service.rules(placement))
        except BookingError as error:
            manager.dialog_data["refusal"] = booking_error(error, locale_of(manager))
            await manager.switch_to(BookingSG.refused)


async def get_days(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    service = _service(dialog_manager)
    days = await service.bookable_days(data[STANDARD], data[OFFICE])
    today = local_date(service.clock())
    calendar = dialog_manager.find(CALENDAR)
    if calendar is not None and calendar.get_offset() is None:
        # The calendar opens on the month of the first bookable day (by default the library
        # would open on the machine's month).
        calendar.set_offset(days[0] if days else today)
    return {"header": _header(dialog_manager), "bookable": [d.isoformat() for d in days], "none": not days,
            "moving": data[MOVING] or "", "today": today.isoformat()}


async def on_day(callback: CallbackQuery, widget: Any, manager: DialogManager, day: date) -> None:
    data = manager.dialog_data
    if not await _service(manager).free_slots(data[STANDARD], data[OFFICE], day):
        await callback.answer(_("No free places on this day. Please choose another."), show_alert=True)
        return
    data[DAY] = day.isoformat()
    await manager.switch_to(BookingSG.time)


async def get_times(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    locale = locale_of(dialog_manager)
    day = date.fromisoformat(data[DAY])
    slots = await _service(dialog_manager).free_slots(data[STANDARD], data[OFFICE], day)
    times = [(s.isoformat(), format_time_of_day(s, locale)) for s, _free in slots]
    return {"header": _header(dialog_manager), "day": format_weekday_day(day, locale), "times": times,
            "none": not times}


async def on_time(callback: CallbackQuery, widget: Any, manager: DialogManager, start: str) -> None:
    """A time of the list; a time no longer free (or made up) sends the user back to the list."""
    data = manager.dialog_data
    free = await _service(manager).free_slots(data[STANDARD], data[OFFICE], date.fromisoformat(data[DAY]))
    if start not in {s.isoformat() for s, _n in free}:
        await callback.answer(booking_error(BookingError("full", "taken"), locale_of(manager)), show_alert=True)
        return
    data[START] = start
    await manager.switch_to(BookingSG.confirm)


async def get_confirm(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    start = datetime.fromisoformat(dialog_manager.dialog_data[START])
    locale = locale_of(dialog_manager)
    when = format_weekday_moment(start, locale)
    return {"header": _header(dialog_manager), "when": when, "moving": dialog_manager.dialog_data[MOVING] or ""}


async def confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Book (or move) once; if the place went meanwhile, say so and show the free times again."""
    data = manager.dialog_data
    if data.get(NUMBER):
        await manager.switch_to(BookingSG.talon)
        return
    service = _service(manager)
    start = datetime.fromisoformat(data[START])
    try:
        if data[MOVING]:
            booking = await service.reschedule(data[MOVING], callback.from_user.id, start)
        else:
            booking = await service.book(callback.from_user.id, data[STANDARD], data[OFFICE], start,
                                         locale_of(manager))
    except BookingError as error:
        await callback.answer(booking_error(error, locale_of(manager)), show_alert=True)
        if error.code in ("full", "slot_unavailable"):
            await manager.switch_to(BookingSG.time)
        return
    data[NUMBER] = booking.number
    await manager.switch_to(BookingSG.talon)


async def get_talon(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"text": await render_talon(dialog_manager, dialog_manager.dialog_data[NUMBER])}


async def render_talon(manager: DialogManager, number: str) -> str:
    service = _service(manager)
    booking = await service.get(number)
    placement = manager.middleware_data["catalog"].placement(booking.standard_id, booking.office_id)
    return renderer_of(manager).render(
        "booking_talon.j2", locale_of(manager), booking=booking, s=placement.standard, office=placement.office,
        service=catalog_of(manager).service(placement.standard.service),
        notice=service.rules(placement).min_notice_minutes,
    )


async def get_refused(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"header": _header(dialog_manager), "reason": dialog_manager.dialog_data.get("refusal", "")}


async def go_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await leave(manager)


def create_dialog() -> Dialog:
    footer = Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button())
    return Dialog(
        Window(
            Format("{header}\n"),
            I18nFormat("Moving talon No {moving}.", when="moving"),
            I18nFormat("Choose a day; only days with free places can be chosen:", when=lambda d, w, m: not d["none"]),
            I18nFormat("There are no free places in the coming days. Please try again later.", when="none"),
            BookingCalendar(id=CALENDAR, on_click=on_day, when=lambda d, w, m: not d["none"]),
            footer,
            state=BookingSG.day,
            getter=get_days,
        ),
        Window(
            Format("{header}\n\n<b>{day}</b>"),
            I18nFormat("Choose the time:", when=lambda d, w, m: not d["none"]),
            I18nFormat("All places on this day are taken now. Please choose another day.", when="none"),
            Pages(
                Select(Format("{item[1]}"), id="time", item_id_getter=itemgetter(0), items="times", on_click=on_time),
                id="times", width=5, height=10, hide_on_single_page=True,
            ),
            Row(SwitchTo(I18nFormat("⬅️ Another day"), id="days", state=BookingSG.day), menu_button()),
            state=BookingSG.time,
            getter=get_times,
        ),
        Window(
            Format("{header}\n\n🗓 <b>{when}</b>\n"),
            I18nFormat("Book this time?", when=lambda d, w, m: not d["moving"]),
            I18nFormat("Move talon No {moving} to this time?", when="moving"),
            Button(I18nFormat("✅ Confirm"), id="confirm", on_click=confirm),
            Row(SwitchTo(I18nFormat("⬅️ Another time"), id="times", state=BookingSG.time), menu_button()),
            state=BookingSG.confirm,
            getter=get_confirm,
        ),
        Window(
            Format("{text}"),
            Start(I18nFormat("🎫 My bookings"), id="mine", state=MyBookingsSG.list, mode=StartMode.RESET_STACK,
                  show_mode=ShowMode.SEND),
            menu_button(ShowMode.SEND),
            state=BookingSG.talon,
            getter=get_talon,
        ),
        Window(
            Format("{header}\n\n{reason}"),
            footer,
            state=BookingSG.refused,
            getter=get_refused,
        ),
        on_start=on_start,
    )
