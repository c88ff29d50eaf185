"""Clerks in Telegram: /case NUMBER with buttons for the allowed moves, /cases, reasons and grounds;
/schedule OFFICE [DATE] and /visit TALON for booked visits (arrived, served, did not come).

Clerks are the users in ``CLERK_IDS``; they work in a private chat with the bot or in the
clerks' group (``CLERK_CHAT_ID``). Anyone else gets a polite "not allowed" and nothing changes.
Moves go through :class:`services.cases.CaseService`, like the registry API's.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_percent

from config import Settings
from domain.catalog import Catalog
from domain.deadlines import ALMATY, local_date
from domain.lifecycle import Action, IllegalTransition
from domain.slots import BookingStatus
from presentation.callbacks import ClerkAction, ClerkExtension, ClerkGround, ClerkScan, VisitAction
from presentation.filters import Is, clerk_actor
from presentation.labels import booking_error, status_name
from presentation.rendering import Renderer
from presentation.screens import short_label
from services.bookings import BookingError, BookingService, waited_minutes
from services.cases import CaseNotFound, CaseService, parse_number
from storage.models import Attachment, Booking, Case

logger = logging.getLogger(__name__)
MAX_REASON = 1000






class ClerkSG(StatesGroup):
    reason = State()


def is_clerk(settings: Settings, user_id: int | None) -> bool:
    return user_id is not None and user_id in settings.clerk_ids


class ClerkPlace(BaseFilter):
    """A private chat, or the clerks' group."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        chat = getattr(message, "chat", None)
        if chat is None:
            return False
        return chat.type == ChatType.PRIVATE or chat.id == settings.clerk_chat_id


class Clerk(BaseFilter):
    async def __call__(self, event: TelegramObject, settings: Settings, event_from_user: Any = None) -> bool:
        return is_clerk(settings, event_from_user.id if event_from_user else None)


def explain(error: IllegalTransition) -> str:
    """Why a move was not made, in the clerk's language."""
    details = error.details
    if error.code == "status":
        return _("this case is already «{status}»; that move is not possible now.").format(
            status=status_name(str(details["status"])))
    messages = {
        "not_in_standard": _("the service's standard does not provide for it."),
        "needs_reasons": _("write the reasons for returning the case."),
        "needs_ground": _("choose one of the standard's grounds for refusal."),
        "extension_months": _("choose one of the standard's extensions."),
        "needs_reason": _("write the reason for the extension."),
        "already_due": _("the case is already due later than that."),
        "kept_for_a_month": _("a result is kept for a month before it is archived."),
        "concurrent": _("someone changed the case at the same moment; open it again."),
    }
    return messages.get(error.code, str(error))


def action_label(action: Action) -> str:
    labels = {
        Action.ACCEPT: _("📥 Accept"), Action.RETURN: _("↩️ Return"), Action.EXTEND: _("⏳ Extend"),
        Action.READY: _("✅ Ready"), Action.ISSUE: _("📄 Issued"), Action.REFUSE: _("❌ Refuse"),
    }
    return labels[action]


def openable(case: Case) -> list[Attachment]:
    """The case's scans a clerk can open: those the bot kept (not refused by type or size)."""
    return [a for a in case.attachments if a.rejected is None]


def case_markup(case: Case, service: CaseService,
                names: dict[str, str] | None = None) -> InlineKeyboardMarkup | None:
    """The allowed moves, two a row, then one button per scan (the bot sends the file)."""
    number = case.number or ""
    buttons = [
        InlineKeyboardButton(text=action_label(a), callback_data=ClerkAction(number=number, action=a.value).pack())
        for a in service.actions(case)
    ]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows += [[InlineKeyboardButton(
        text=short_label(f"📎 {index}. {(names or {}).get(a.document_id, a.document_id)}"),
        callback_data=ClerkScan(number=number, scan=a.id).pack())]
        for index, a in enumerate(openable(case), 1)]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def document_names(case: Case, catalog: Catalog, locale: str) -> dict[str, str]:
    standard = catalog.placement(case.standard_id, case.office_id).standard
    return {d.id: d.name.get(locale) for d in standard.documents}


def render_case(case: Case, service: CaseService, renderer: Renderer, catalog: Catalog, locale: str) -> str:
    placement = catalog.placement(case.standard_id, case.office_id)
    standard = placement.standard
    return renderer.render(
        "clerk_case.j2", locale, case=case, s=standard, office=placement.office,
        service=catalog.service(standard.service), overdue=service.is_overdue(case),
        form=standard.application, documents={d.id: d for d in standard.documents},
    )


async def show(message: Message, case: Case, service: CaseService, renderer: Renderer, catalog: Catalog,
               i18n: I18n, edit: bool = False) -> None:
    text = render_case(case, service, renderer, catalog, i18n.current_locale)
    markup = case_markup(case, service, document_names(case, catalog, i18n.current_locale))
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def case_command(message: Message, command: CommandObject, cases: CaseService, renderer: Renderer,
                       catalog: Catalog, i18n: I18n) -> None:
    number = parse_number(command.args or "")
    if number is None:
        await message.answer(_("Send the case number: /case 26-000042"))
        return
    try:
        case = await cases.get(number)
    except CaseNotFound:
        await message.answer(_("No case {number}.").format(number=number))
        return
    await show(message, case, cases, renderer, catalog, i18n)


async def cases_command(message: Message, cases: CaseService, renderer: Renderer, catalog: Catalog,
                        i18n: I18n) -> None:
    open_cases = await cases.open_cases()
    overdue = {c.number for c in open_cases if cases.is_overdue(c)}
    await message.answer(renderer.render("clerk_list.j2", i18n.current_locale, cases=open_cases[:100],
                                         overdue=overdue, catalog=catalog))


async def not_allowed_message(message: Message) -> None:
    await message.answer(_("Sorry, this is for clerks only."))


async def not_allowed_button(callback: CallbackQuery) -> None:
    await callback.answer(_("Sorry, this is for clerks only."), show_alert=True)


async def _move(callback: CallbackQuery, cases: CaseService, renderer: Renderer, catalog: Catalog, i18n: I18n,
                number: str, action: Action, **kwargs: Any) -> None:
    try:
        case = await cases.transition(number, action, clerk_actor(callback.from_user), **kwargs)
    except CaseNotFound:
        await callback.answer(_("No case {number}.").format(number=number), show_alert=True)
        return
    except IllegalTransition as exc:
        await callback.answer(_("Not done: {reason}").format(reason=explain(exc)), show_alert=True)
        return
    logger.info("case %s: %s by clerk %s", number, action.value, callback.from_user.id)
    # The toast names the new status (not a bare «Готово», the word of the Ready button).
    await callback.answer(_("Case {number}: now «{status}».").format(number=case.number,
                                                                  status=status_name(case.status)))
    if callback.message is not None and isinstance(callback.message, Message):
        await show(callback.message, case, cases, renderer, catalog, i18n, edit=True)


async def on_action(callback: CallbackQuery, callback_data: ClerkAction, state: FSMContext, cases: CaseService,
                    renderer: Renderer, catalog: Catalog, i18n: I18n) -> None:
    try:
        action = Action(callback_data.action)
        case = await cases.get(callback_data.number)
    except (ValueError, CaseNotFound):
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    if action not in cases.actions(case):
        reason = _("this case is already «{status}»; that move is not possible now.").format(
            status=status_name(case.status))
        await callback.answer(_("Not done: {reason}").format(reason=reason), show_alert=True)
        return
    standard = catalog.standard(case.standard_id)
    message = callback.message if isinstance(callback.message, Message) else None
    if action is Action.REFUSE and message is not None:
        locale = i18n.current_locale
        lines = [f"{i + 1}. {g.get(locale)}" for i, g in enumerate(standard.refusal_grounds)]
        number = case.number or ""
        buttons = [[InlineKeyboardButton(text=str(i + 1), callback_data=ClerkGround(number=number, ground=i).pack())
                    for i in range(len(lines))]]
        await callback.answer()
        await message.answer(_("Case {number}: choose the ground for refusal:").format(number=case.number)
                             + "\n\n" + "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))
        return
    if action is Action.EXTEND and message is not None:
        locale = i18n.current_locale
        buttons = [[InlineKeyboardButton(
            text=_("{months} month(s): {reason}").format(months=e.months, reason=e.reason.get(locale)[:40]),
            callback_data=ClerkExtension(number=case.number or "", months=e.months).pack())]
            for e in standard.deadline.extensions]
        await callback.answer()
        await message.answer(_("Case {number}: extend up to how long?").format(number=case.number),
                             reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))
        return
    if action is Action.RETURN and message is not None:
        await state.set_state(ClerkSG.reason)
        await state.update_data(number=case.number, action=action.value, months=None)
        await callback.answer()
        await message.answer(_("Case {number}: write the reasons for returning it. The applicant will read them. "
                               "/cancel to stop.").format(number=case.number))
        return
    await _move(callback, cases, renderer, catalog, i18n, case.number or "", action)


async def on_ground(callback: CallbackQuery, callback_data: ClerkGround, cases: CaseService, renderer: Renderer,
                    catalog: Catalog, i18n: I18n) -> None:
    await _move(callback, cases, renderer, catalog, i18n, callback_data.number, Action.REFUSE,
                ground=callback_data.ground)


async def on_extension(callback: CallbackQuery, callback_data: ClerkExtension, state: FSMContext,
                       cases: CaseService) -> None:
    await state.set_state(ClerkSG.reason)
    await state.update_data(number=callback_data.number, action=Action.EXTEND.value, months=callback_data.months)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(_("Case {number}: write the reason for the extension. The applicant will read "
                                        "it. /cancel to stop.").format(number=callback_data.number))


async def on_reason(message: Message, state: FSMContext, cases: CaseService, renderer: Renderer, catalog: Catalog,
                    i18n: I18n) -> None:
    text = (message.text or "").strip()
    if not text or text.startswith("/") or len(text) > MAX_REASON:
        await message.answer(_("Please write the reason as text (up to {limit} characters), or /cancel.").format(
            limit=MAX_REASON))
        return
    data = await state.get_data()
    await state.clear()
    try:
        case = await cases.transition(data["number"], Action(data["action"]), clerk_actor(message.from_user),
                                      comment=text, extension_months=data.get("months"))
    except CaseNotFound:
        await message.answer(_("No case {number}.").format(number=data["number"]))
        return
    except IllegalTransition as exc:
        await message.answer(_("Not done: {reason}").format(reason=explain(exc)))
        return
    logger.info("case %s: %s by clerk %s", case.number, data["action"], message.from_user.id)
    await show(message, case, cases, renderer, catalog, i18n)


async def cancel_reason(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled; the case is unchanged."))


def parse_day(text: str, today: date) -> date | None:
    """A date typed as 2026-11-24 or 24.11.2026; today when nothing is typed."""
    text = text.strip()
    if not text:
        return today
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


async def schedule_command(message: Message, command: CommandObject, bookings: BookingService,
                           renderer: Renderer, catalog: Catalog, i18n: I18n) -> None:
    office_id, _sep, rest = (command.args or "").strip().partition(" ")
    offices = {o.id: (s, o) for s in catalog.standards.values() for o in catalog.offices_of(s.id)}
    day = parse_day(rest, local_date(bookings.clock()))
    if office_id not in offices or day is None:
        await message.answer(_("Send the office and, if not today, the date: /schedule psc_aktau 2026-11-24"))
        return
    standard, office = offices[office_id]
    day_bookings = await bookings.day(office_id, day)
    waited = {b.number: round(w) for b in day_bookings if (w := waited_minutes(b)) is not None}
    limit = standard.queue.submit_minutes or 40
    within = sum(1 for w in waited.values() if w <= limit)
    share = format_percent(within / len(waited), locale=i18n.current_locale) if waited else ""
    text = renderer.render("clerk_schedule.j2", i18n.current_locale, office=office, day=day, bookings=day_bookings,
                           catalog=catalog, waited=waited, served=len(waited), limit=limit, within=within,
                           share=share)
    buttons = [[InlineKeyboardButton(text=f"{b.starts_at.astimezone(ALMATY):%H:%M} {b.number}",
                                     callback_data=VisitAction(number=b.number or "", event="show").pack())]
               for b in day_bookings if b.status == BookingStatus.ACTIVE][:30]
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None)


def visit_markup(booking: Booking) -> InlineKeyboardMarkup | None:
    if booking.status != BookingStatus.ACTIVE:
        return None
    number = booking.number or ""
    events = [("served", _("✅ Served"))] if booking.arrived_at else [
        ("arrived", _("👋 Arrived")), ("served", _("✅ Served")), ("no_show", _("❌ Did not come"))]
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=label, callback_data=VisitAction(number=number, event=event).pack())
        for event, label in events]])


def render_visit(booking: Booking, renderer: Renderer, catalog: Catalog, locale: str) -> str:
    placement = catalog.placement(booking.standard_id, booking.office_id)
    return renderer.render("clerk_visit.j2", locale, booking=booking, office=placement.office,
                           service=catalog.service(booking.service_id))


async def visit_command(message: Message, command: CommandObject, bookings: BookingService, renderer: Renderer,
                        catalog: Catalog, i18n: I18n) -> None:
    try:
        booking = await bookings.get(command.args or "")
    except BookingError as error:
        await message.answer(booking_error(error, i18n.current_locale))
        return
    await message.answer(render_visit(booking, renderer, catalog, i18n.current_locale),
                         reply_markup=visit_markup(booking))


async def on_visit(callback: CallbackQuery, callback_data: VisitAction, bookings: BookingService,
                   renderer: Renderer, catalog: Catalog, i18n: I18n) -> None:
    locale = i18n.current_locale
    try:
        if callback_data.event == "show":
            booking = await bookings.get(callback_data.number)
        else:
            booking = await bookings.mark(callback_data.number, callback_data.event)
            logger.info("booking %s: %s by clerk %s", booking.number, callback_data.event, callback.from_user.id)
    except BookingError as error:
        await callback.answer(booking_error(error, locale) if error.code != "too_early" else
                              _("Not done: the time of the visit has not come yet."), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        text = render_visit(booking, renderer, catalog, locale)
        if callback_data.event == "show":
            await callback.message.answer(text, reply_markup=visit_markup(booking))
        else:
            await callback.message.edit_text(text, reply_markup=visit_markup(booking))


async def on_scan(callback: CallbackQuery, callback_data: ClerkScan, bot: Bot, settings: Settings,
                  cases: CaseService, catalog: Catalog, i18n: I18n) -> None:
    """Send a case's scan to the clerk who tapped it, where the card is (their private chat or
    the clerks' group). Anyone else, or a scan not of this case, gets a polite refusal."""
    message = callback.message
    in_place = isinstance(message, Message) and (
        message.chat.type == ChatType.PRIVATE or message.chat.id == settings.clerk_chat_id)
    if not is_clerk(settings, callback.from_user.id) or not in_place or not isinstance(message, Message):
        await callback.answer(_("Sorry, this is for clerks only."), show_alert=True)
        return
    try:
        case = await cases.get(callback_data.number)
    except CaseNotFound:
        await callback.answer(_("No case {number}.").format(number=callback_data.number), show_alert=True)
        return
    scans = openable(case)
    scan = next((a for a in scans if a.id == callback_data.scan), None)
    if scan is None:
        await callback.answer(_("This scan is not in case {number}.").format(number=case.number), show_alert=True)
        return
    names = document_names(case, catalog, i18n.current_locale)
    caption = _("Case {number}, scan {index}: {document}").format(
        number=case.number, index=scans.index(scan) + 1, document=names.get(scan.document_id, scan.document_id))
    await callback.answer()
    thread = message.message_thread_id if message.is_topic_message else None
    if scan.kind == "photo":
        await bot.send_photo(message.chat.id, scan.file_id, caption=caption, message_thread_id=thread)
    else:
        await bot.send_document(message.chat.id, scan.file_id, caption=caption, message_thread_id=thread)
    logger.info("case %s: scan %s sent to clerk %s", case.number, scan.id, callback.from_user.id)


def create_router() -> Router:
    """Clerk commands and buttons; placed before the dialogs and the free-text questions."""
    router = Router(name=__name__)
    place = ClerkPlace()
    clerk = Clerk()
    router.message.register(cancel_reason, place, clerk, StateFilter(ClerkSG.reason), Command("cancel"))
    router.message.register(on_reason, place, clerk, StateFilter(ClerkSG.reason), Is(F.text))
    router.message.register(case_command, place, clerk, Command("case"))
    router.message.register(cases_command, place, clerk, Command("cases"))
    router.message.register(schedule_command, place, clerk, Command("schedule"))
    router.message.register(visit_command, place, clerk, Command("visit"))
    router.message.register(not_allowed_message, place, Command("case", "cases", "schedule", "visit"))
    router.callback_query.register(on_action, clerk, ClerkAction.filter())
    router.callback_query.register(on_ground, clerk, ClerkGround.filter())
    router.callback_query.register(on_extension, clerk, ClerkExtension.filter())
    router.callback_query.register(on_visit, clerk, VisitAction.filter())
    router.callback_query.register(on_scan, ClerkScan.filter())  # the role is checked in the handler
    router.callback_query.register(not_allowed_button, Is(F.data.regexp(r"^(c[kgx]|vs):")))
    return router
