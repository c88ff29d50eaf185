"""What the applicant, the complainant and the clerks' chat are told, in which language, and
under which buttons: notices rendered into the outbox in the same transaction as the change
they announce (the services call these through their ``Notices`` protocols). Delivery is the
outbox worker's (jobs/outbox.py); this module only decides the words and the buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext

from domain.catalog import Catalog
from domain.complaints import EXTERNAL_USER_ID, ComplaintAction, addressee
from domain.lifecycle import Status
from domain.slots import bookable_standard, reminder_times
from domain.surveys import SURVEY_ANSWERS, survey_questions
from presentation.callbacks import (
    BookingAction,
    CaseNoticeAction,
    ComplaintOpen,
    ComplaintSurveyAnswer,
    SurveyAnswer,
    VisitSurveyAnswer,
)
from presentation.labels import survey_answer_labels
from presentation.rendering import Renderer
from storage.models import Attachment, Booking, Case, CaseEvent, Complaint, ComplaintEvent, OutboxMessage
from storage.repositories import Repositories


def survey_markup(number: str, question: int, labels: tuple[str, str, str],
                  kind: type[SurveyAnswer] | type[ComplaintSurveyAnswer] = SurveyAnswer) -> InlineKeyboardMarkup:
    """The three answers to a survey question, one per row (``kind``: a case's or a complaint's)."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=kind(number=number, question=question,
                                                             answer=answer).pack())]
        for answer, label in zip(SURVEY_ANSWERS, labels, strict=True)
    ])


def visit_survey_markup(number: str, labels: tuple[str, str, str]) -> InlineKeyboardMarkup:
    """The three answers to the courtesy question after a visit, one per row."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=VisitSurveyAnswer(number=number, answer=answer).pack())]
        for answer, label in zip(SURVEY_ANSWERS, labels, strict=True)
    ])


class OutboxNotices:
    """Renders the notices of case changes into the outbox (services.cases.Notices)."""

    def __init__(self, renderer: Renderer, catalog: Catalog, default_locale: str,
                 clerk_chat_id: int | None = None, wake: Callable[[], None] | None = None) -> None:
        self.renderer = renderer
        self.catalog = catalog
        self.default_locale = default_locale
        self.clerk_chat_id = clerk_chat_id
        self.wake = wake or (lambda: None)  # the outbox worker's, called after the commit

    def context(self, case: Case) -> dict[str, Any]:
        placement = self.catalog.placement(case.standard_id, case.office_id)
        standard = placement.standard
        return {
            "case": case,
            "s": standard,
            "office": placement.office,
            "service": self.catalog.service(standard.service),
            "region": self.catalog.regions[standard.region],
        }

    async def _locale(self, repositories: Repositories, owner: Case | Complaint) -> str:
        user = await repositories.users.get(owner.user_id)
        return (user.language if user and user.language else None) or owner.language

    def _add(self, repositories: Repositories, chat_id: int, kind: str, text: str, owner: Case | Complaint,
             user_id: int | None, markup: InlineKeyboardMarkup | None = None) -> None:
        """A message about a case or a complaint, to a user (``user_id``) or the clerks' chat."""
        repositories.outbox.add(OutboxMessage(
            chat_id=chat_id, user_id=user_id, kind=kind, text=text,
            case_id=owner.id if isinstance(owner, Case) else None,
            complaint_id=owner.id if isinstance(owner, Complaint) else None,
            reply_markup=markup.model_dump(exclude_none=True) if markup else None,
            status="pending", attempts=0,
        ), wake=self.wake)

    async def case_submitted(self, repositories: Repositories, case: Case) -> None:
        """Tell the clerks' chat about a new application."""
        if self.clerk_chat_id is None:
            return
        text = self.renderer.render("notice_clerks_new.j2", self.default_locale, **self.context(case))
        self._add(repositories, self.clerk_chat_id, "clerks_new_case", text, case, None)

    # The buttons under each notice of a case: what the applicant can do next (handlers/notices.py).
    CASE_BUTTONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "accept": ("open", "complain"),
        "return": ("open",),
        "extend": ("open", "complain"),
        "ready": ("open", "book", "hours", "complain"),
        "refuse": ("complain", "open"),
        "archive": ("hours", "open"),
    }

    def case_markup(self, case: Case, action: str, locale: str) -> InlineKeyboardMarkup | None:
        """The buttons under a case's notice; booking and hours only where the office gives hours."""
        bookable = bookable_standard(self.catalog.placement(case.standard_id, case.office_id).standard)
        wanted = [b for b in self.CASE_BUTTONS.get(action, ()) if bookable or b not in ("book", "hours")]
        if not wanted or not case.number:
            return None
        with self.renderer.i18n.context(), self.renderer.i18n.use_locale(locale):
            labels = {"open": gettext("📂 My application"), "book": gettext("📅 Book a visit to collect"),
                      "hours": gettext("🕘 Hours today"), "complain": gettext("📣 Complain")}
        buttons = [InlineKeyboardButton(text=labels[b], callback_data=CaseNoticeAction(action=b, number=case.number)
                                        .pack()) for b in wanted]
        return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 2] for i in range(0, len(buttons), 2)])

    async def case_changed(self, repositories: Repositories, case: Case, event: CaseEvent) -> None:
        """Tell the applicant, in their language, with what they can do next; after issuing,
        ask the survey's first question."""
        locale = await self._locale(repositories, case)
        context = self.context(case)
        text = self.renderer.render("notice_case.j2", locale, event=event,
                                    bookable=bookable_standard(context["s"]), **context)
        self._add(repositories, case.user_id, f"case_{event.action}", text, case, case.user_id,
                  self.case_markup(case, event.action, locale))
        if event.to_status == Status.ISSUED.value and case.number:
            question = self.renderer.render("survey_question.j2", locale, number=case.number, question=1,
                                            survey=self.survey_texts(case.standard_id), **context)
            markup = survey_markup(case.number, 1, self.answer_labels(locale))
            self._add(repositories, case.user_id, "survey", question, case, case.user_id, markup)

    def complaint_context(self, complaint: Complaint) -> dict[str, Any]:
        placement = self.catalog.placement(complaint.standard_id, complaint.office_id)
        return {
            "complaint": complaint,
            "s": placement.standard,
            "office": placement.office,
            "service": self.catalog.service(placement.standard.service),
            "addressee": addressee(placement),
        }

    async def complaint_registered(self, repositories: Repositories, complaint: Complaint) -> None:
        """Tell the clerks' chat about a new complaint."""
        if self.clerk_chat_id is None:
            return
        text = self.renderer.render("notice_clerks_complaint.j2", self.default_locale, event=None,
                                    **self.complaint_context(complaint))
        self._add(repositories, self.clerk_chat_id, "clerks_new_complaint", text, complaint, None)

    async def complaint_changed(self, repositories: Repositories, complaint: Complaint,
                                event: ComplaintEvent) -> None:
        """Tell the complainant of a move, in their language (and ask the survey after an answer);
        tell the clerks' chat when the complainant adds information."""
        context = self.complaint_context(complaint)
        if event.action == ComplaintAction.ADD_INFO.value:
            if self.clerk_chat_id is not None:
                text = self.renderer.render("notice_clerks_complaint.j2", self.default_locale, event=event,
                                            **context)
                self._add(repositories, self.clerk_chat_id, "clerks_complaint_info", text, complaint, None)
            return
        if complaint.user_id == EXTERNAL_USER_ID:  # filed through Open311: no chat to tell
            return
        locale = await self._locale(repositories, complaint)
        text = self.renderer.render("notice_complaint.j2", locale, event=event, **context)
        markup = None
        if complaint.number:
            with self.renderer.i18n.context(), self.renderer.i18n.use_locale(locale):
                label = gettext("📣 My complaint")
            markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
                text=label, callback_data=ComplaintOpen(number=complaint.number).pack())]])
        self._add(repositories, complaint.user_id, f"complaint_{event.action}", text, complaint, complaint.user_id,
                  markup)
        if event.action == ComplaintAction.ANSWER.value and complaint.number:
            question = self.renderer.render("complaint_survey.j2", locale, number=complaint.number, question=1)
            markup = survey_markup(complaint.number, 1, self.answer_labels(locale), ComplaintSurveyAnswer)
            self._add(repositories, complaint.user_id, "complaint_survey", question, complaint, complaint.user_id,
                      markup)

    def booking_context(self, booking: Booking) -> dict[str, Any]:
        placement = self.catalog.placement(booking.standard_id, booking.office_id)
        return {
            "booking": booking,
            "s": placement.standard,
            "office": placement.office,
            "service": self.catalog.service(placement.standard.service),
        }

    def scan_context(self, attachment: Attachment, owner: Case | Complaint) -> dict[str, Any]:
        placement = self.catalog.placement(owner.standard_id, owner.office_id)
        documents = {d.id: d for d in placement.standard.documents}
        return {"attachment": attachment, "owner": owner, "complaint": isinstance(owner, Complaint),
                "document": documents.get(attachment.document_id), "office": placement.office}

    async def scan_refused(self, repositories: Repositories, attachment: Attachment, limit_mb: int) -> None:
        """Tell the sender, in their language, which file was not kept, why, and what to do
        (jobs.scans.ScanNotices)."""
        owner = attachment.case or attachment.complaint
        if owner is None:
            return
        text = self.renderer.render("notice_scan_refused.j2", await self._locale(repositories, owner),
                                    limit_mb=limit_mb, **self.scan_context(attachment, owner))
        self._add(repositories, owner.user_id, "scan_refused", text, owner, owner.user_id)

    async def scan_failing(self, repositories: Repositories, attachment: Attachment) -> None:
        """Tell the clerks' chat that a file has not been stored for a day: the number, the
        document and the last error; nothing personal (jobs.scans.ScanNotices)."""
        owner = attachment.case or attachment.complaint
        if self.clerk_chat_id is None or owner is None:
            return
        text = self.renderer.render("notice_clerks_scan_failing.j2", self.default_locale,
                                    **self.scan_context(attachment, owner))
        self._add(repositories, self.clerk_chat_id, "clerks_scan_failing", text, owner, None)

    async def booking_made(self, repositories: Repositories, booking: Booking, now: datetime) -> None:
        """Schedule the reminders of a new or moved booking (those whose time has not passed)."""
        user = await repositories.users.get(booking.user_id)
        locale = (user.language if user and user.language else None) or booking.language
        context = self.booking_context(booking)
        for kind, moment in reminder_times(booking.starts_at).items():
            if moment <= now:
                continue
            text = self.renderer.render("booking_reminder.j2", locale, kind=kind, **context)
            with self.renderer.i18n.context(), self.renderer.i18n.use_locale(locale):
                hours, cancel = gettext("🕘 Hours today"), gettext("❌ Cancel the booking")
            markup = InlineKeyboardMarkup(inline_keyboard=[[
                InlineKeyboardButton(text=hours, callback_data=BookingAction(action="hours",
                                                                             number=booking.number or "").pack()),
                InlineKeyboardButton(text=cancel, callback_data=BookingAction(action="cancel",
                                                                              number=booking.number or "").pack()),
            ]])
            repositories.outbox.add(OutboxMessage(
                chat_id=booking.user_id, user_id=booking.user_id, kind=kind, booking_id=booking.id, text=text,
                reply_markup=markup.model_dump(exclude_none=True), status="pending", attempts=0,
                due_at=moment,
            ), wake=self.wake)

    async def visit_served(self, repositories: Repositories, booking: Booking) -> None:
        """Ask the visitor, in their language, whether the staff were courteous (indicator 5.1
        of every standard; services.bookings.BookingNotices)."""
        if not booking.number:
            return
        user = await repositories.users.get(booking.user_id)
        locale = (user.language if user and user.language else None) or booking.language
        text = self.renderer.render("visit_survey.j2", locale, **self.booking_context(booking))
        markup = visit_survey_markup(booking.number, self.answer_labels(locale))
        repositories.outbox.add(OutboxMessage(
            chat_id=booking.user_id, user_id=booking.user_id, kind="visit_survey", booking_id=booking.id, text=text,
            reply_markup=markup.model_dump(exclude_none=True), status="pending", attempts=0,
        ))
        self.wake()

    def survey_texts(self, standard_id: str) -> list[Any]:
        """The survey's two questions: those the case's own standard measures (domain.surveys)."""
        return survey_questions(self.catalog.standards[standard_id], self.catalog.indicators)

    def answer_labels(self, locale: str) -> tuple[str, str, str]:
        with self.renderer.i18n.context(), self.renderer.i18n.use_locale(locale):
            return survey_answer_labels()
