"""Names of statuses, moves, complaint topics and survey answers, translated; used by templates
and handlers alike."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram.utils.i18n import gettext as _

from domain.actors import Actor
from domain.complaints import ComplaintAction, ComplaintStatus, Outcome
from domain.lifecycle import Action, Status
from domain.slots import BookingStatus
from presentation.formats import format_day
from presentation.i18n import N_

# Every member of every status type has its label here; a test checks each one in kk and ru.
STATUS_NAMES: dict[Status, str] = {
    Status.SUBMITTED: N_("submitted"),
    Status.IN_WORK: N_("in work"),
    Status.RETURNED: N_("returned for correction"),
    Status.READY: N_("ready to collect"),
    Status.ISSUED: N_("issued"),
    Status.REFUSED: N_("refused"),
    Status.ARCHIVED: N_("archived: not collected in time"),
}
EVENT_NAMES: dict[Action, str] = {
    Action.SUBMIT: N_("Application submitted"),
    Action.ACCEPT: N_("Accepted into work"),
    Action.RETURN: N_("Returned for correction"),
    Action.EXTEND: N_("Term extended"),
    Action.READY: N_("Result ready"),
    Action.ISSUE: N_("Result issued"),
    Action.REFUSE: N_("Refused"),
    Action.ARCHIVE: N_("Archived: not collected within a month"),
}
VISIT_STATUSES: dict[BookingStatus, str] = {
    BookingStatus.ACTIVE: N_("booked"),
    BookingStatus.CANCELLED: N_("cancelled"),
    BookingStatus.SERVED: N_("served"),
    BookingStatus.NO_SHOW: N_("missed"),
}
COMPLAINT_STATUSES: dict[ComplaintStatus, str] = {
    ComplaintStatus.REGISTERED: N_("registered"),
    ComplaintStatus.UNDER_REVIEW: N_("under review"),
    ComplaintStatus.ANSWERED: N_("answered"),
    ComplaintStatus.FORWARDED: N_("forwarded to another body"),
}
COMPLAINT_OUTCOMES: dict[Outcome, str] = {
    Outcome.UPHELD: N_("upheld"),
    Outcome.PARTLY: N_("partly upheld"),
    Outcome.REJECTED: N_("rejected"),
}
COMPLAINT_EVENTS: dict[ComplaintAction, str] = {
    ComplaintAction.REGISTER: N_("Complaint registered"),
    ComplaintAction.TAKE: N_("Taken under review"),
    ComplaintAction.ANSWER: N_("Answered"),
    ComplaintAction.FORWARD: N_("Forwarded to another body"),
    ComplaintAction.ADD_INFO: N_("Information added by the complainant"),
}
LABELS: dict[type[StrEnum], dict[Any, str]] = {
    Status: STATUS_NAMES, Action: EVENT_NAMES, BookingStatus: VISIT_STATUSES,
    ComplaintStatus: COMPLAINT_STATUSES, Outcome: COMPLAINT_OUTCOMES, ComplaintAction: COMPLAINT_EVENTS,
}


def _label(names: dict[Any, str], value: str) -> str:
    return _(names[value]) if value in names else value


def status_name(status: str) -> str:
    return _label(STATUS_NAMES, status)


def event_name(action: str) -> str:
    return _label(EVENT_NAMES, action)


def visit_status(status: str) -> str:
    return _label(VISIT_STATUSES, status)


def complaint_status(status: str) -> str:
    return _label(COMPLAINT_STATUSES, status)


def complaint_topic(topic: str) -> str:
    names = {
        "official": _("Action or inaction of an official"),
        "quality": _("Quality of service"),
        "deadline": _("A missed deadline"),
        "courtesy": _("Staff courtesy"),
        "other": _("Something else"),
    }
    return names.get(topic, topic)


def complaint_outcome(outcome: str) -> str:
    return _label(COMPLAINT_OUTCOMES, outcome)


def complaint_event(action: str) -> str:
    return _label(COMPLAINT_EVENTS, action)


def actor_name(actor: str) -> str:
    """Who made a change, for a clerk: a clerk by name, the applicant, a system, the bot."""
    who = Actor.parse(actor)
    if who.kind == "user":
        return _("the applicant")
    if who.kind == "clerk":
        return _("clerk {name}").format(name=who.name) if who.name else _("clerk (id {id})").format(id=who.id)
    if who.kind == "api":
        return _("{system} (registry API)").format(system=who.name or "—")
    return _("automatically")


def attachment_kind(kind: str) -> str:
    """What a file sent in Telegram is: a photo or a document."""
    names = {"photo": _("photo"), "document": _("document")}
    return names.get(kind, kind)


def survey_answer_labels() -> tuple[str, str, str]:
    """The three answers of the satisfaction survey, in the order of ``SURVEY_ANSWERS``."""
    return (_("Not satisfied"), _("Partly satisfied"), _("Satisfied"))


def booking_error(error: object, locale: str) -> str:
    """Why a booking could not be made or changed, for the user (``locale`` is already active)."""
    code = getattr(error, "code", "")
    details = getattr(error, "details", {})
    if code == "blocked":
        return _("New bookings are closed for you until {date}: {count} booked visits were missed within "
                 "{days} days. You can still come to the office and take a place in the queue.").format(
            date=format_day(details["until"], locale), count=details["count"], days=details["days"])
    if code == "active_exists":
        return _("You already have an active booking for this service, talon No {number}. "
                 "Move or cancel it in «My bookings».").format(number=details["number"])
    if code == "too_many":
        return _("No more than {limit} bookings in {days} days. Please try again later.").format(
            limit=details["limit"], days=details["days"])
    if code == "too_late":
        return _("A booking can be changed or cancelled only up to {minutes} minutes before the visit.").format(
            minutes=details["minutes"])
    messages = {
        "full": _("Sorry, this time was just taken. Please choose another."),
        "slot_unavailable": _("This time can no longer be booked. Please choose another."),
        "not_active": _("This booking is no longer active."),
        "not_found": _("No booking with this number was found."),
        "not_bookable": _("Visits to this office cannot be booked."),
        "concurrent": _("The booking changed at the same moment; please open it again."),
    }
    return messages.get(code, _("The booking could not be made."))
