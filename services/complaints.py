"""Complaints in the registry: registering, reviewing, answering or forwarding, following.

Like cases, every move goes through one service shared by the clerks' commands and the
HTTP API: checked by ``domain/complaints.py``, recorded in the history and announced
through the outbox in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm.exc import StaleDataError

from domain.actors import Actor
from domain.catalog import Catalog, Placement
from domain.clock import Clock
from domain.complaints import (
    OPEN,
    TOPICS,
    ComplaintAction,
    ComplaintStatus,
    Outcome,
    allowed_actions,
    plan,
    review_due,
)
from domain.deadlines import WorkingCalendar, is_overdue, local_date
from domain.lifecycle import IllegalTransition
from domain.surveys import SURVEY_ANSWERS, SURVEY_QUESTIONS
from services.cases import NewAttachment
from storage.models import Attachment, Complaint, ComplaintEvent, SurveyAnswer
from storage.repositories import Repositories

NUMBER = re.compile(r"^\s*[CcСс]?\W*(\d{2})\W*(\d{6})\s*$")


class ComplaintNotFound(LookupError):
    """No such complaint, or none the asker may see (the two are answered alike)."""


class ComplaintNotices(Protocol):
    async def complaint_registered(self, repositories: Repositories, complaint: Complaint) -> None: ...

    async def complaint_changed(self, repositories: Repositories, complaint: Complaint,
                                event: ComplaintEvent) -> None: ...


@dataclass(frozen=True)
class NewComplaint:
    """What a complainant hands in."""

    user_id: int
    standard_id: str
    office_id: str
    topic: str
    text: str
    language: str
    complainant: dict[str, Any]
    case_number: str | None = None
    attachments: Sequence[NewAttachment] = field(default_factory=tuple)


def format_number(complaint: Complaint) -> str:
    """"C-26-000042": C, two digits of the year, the sequence."""
    return f"C-{local_date(complaint.registered_at).year % 100:02d}-{complaint.id:06d}"


def parse_number(text: str) -> str | None:
    """A complaint number from what someone typed ("C-26-000042", "с 26 000042", "26-000042")."""
    match = NUMBER.match(text)
    return f"C-{match.group(1)}-{match.group(2)}" if match else None


class ComplaintService:
    """Everything that happens to complaints, over one unit of work (one session)."""

    def __init__(self, repositories: Repositories, catalog: Catalog, calendar: WorkingCalendar,
                 notices: ComplaintNotices, review_days: int, clock: Clock) -> None:
        self.repositories = repositories
        self.catalog = catalog
        self.calendar = calendar
        self.notices = notices
        self.review_days = review_days
        self.clock = clock

    async def register(self, new: NewComplaint) -> Complaint:
        """Register a complaint; its review is due ``review_days`` working days later."""
        placement = self.catalog.placement(new.standard_id, new.office_id)
        if new.topic not in TOPICS:
            raise IllegalTransition("topic", f"the topic is one of {', '.join(TOPICS)}")
        case_id = None
        if new.case_number:
            case = await self.repositories.cases.by_number(new.case_number)
            if case is None or case.user_id != new.user_id:
                raise ComplaintNotFound(new.case_number)
            case_id = case.id
        now = self.clock()
        due = review_due(self.calendar, now, self.review_days)
        complaint = Complaint(
            user_id=new.user_id, standard_id=placement.standard.id, office_id=placement.office.id, case_id=case_id,
            topic=new.topic, text=new.text, complainant=dict(new.complainant), language=new.language,
            status=ComplaintStatus.REGISTERED.value, registered_at=now, due_date=due, updated_at=now,
        )
        complaint.events = [ComplaintEvent(at=now, actor=Actor.user(new.user_id).encode(),
                                           action=ComplaintAction.REGISTER.value,
                                           to_status=ComplaintStatus.REGISTERED.value)]
        complaint.attachments = [Attachment(**vars(a), download_attempts=0) for a in new.attachments]
        self.repositories.complaints.add(complaint)
        await self.repositories.session.flush()
        complaint.number = format_number(complaint)
        await self.notices.complaint_registered(self.repositories, complaint)
        await self.repositories.commit()
        return complaint

    async def get(self, number: str) -> Complaint:
        complaint = await self.repositories.complaints.by_number(parse_number(number) or number.strip())
        if complaint is None:
            raise ComplaintNotFound(number)
        return complaint

    async def visible(self, number: str, viewer_id: int, is_clerk: bool) -> Complaint:
        """The complaint if the viewer made it or is a clerk; otherwise as if it did not exist."""
        complaint = await self.get(number)
        if not is_clerk and complaint.user_id != viewer_id:
            raise ComplaintNotFound(number)
        return complaint

    def actions(self, complaint: Complaint) -> list[ComplaintAction]:
        return allowed_actions(ComplaintStatus(complaint.status))

    def placement(self, complaint: Complaint) -> Placement:
        return self.catalog.placement(complaint.standard_id, complaint.office_id)

    async def transition(self, number: str, action: ComplaintAction, actor: str, *, comment: str | None = None,
                         outcome: Outcome | str | None = None) -> Complaint:
        """Make a move, record it, announce it (all or nothing); raise IllegalTransition if not allowed."""
        complaint = await self.get(number)
        change = plan(ComplaintStatus(complaint.status), action, comment=comment, outcome=outcome)
        now = self.clock()
        complaint.status = change.to_status
        if action is ComplaintAction.ANSWER:
            complaint.outcome = change.outcome
            complaint.answer = change.comment
        if action is ComplaintAction.FORWARD:
            complaint.forwarded_to = change.comment
        if change.to_status not in OPEN:
            complaint.closed_at = now
        complaint.updated_at = now
        event = ComplaintEvent(
            at=now, actor=actor, action=action.value, from_status=change.from_status.value,
            to_status=change.to_status.value, comment=change.comment,
            outcome=change.outcome.value if change.outcome else None,
        )
        complaint.events.append(event)
        try:
            # The notices query, which flushes the change first (see CaseService.transition).
            await self.notices.complaint_changed(self.repositories, complaint, event)
            await self.repositories.commit()
        except StaleDataError:
            await self.repositories.session.rollback()
            raise IllegalTransition(
                "concurrent", "the complaint was changed by someone else meanwhile; look at it again"
            ) from None
        return complaint

    async def add_info(self, number: str, user_id: int, text: str) -> Complaint:
        """The complainant adds information while the complaint is being reviewed."""
        await self.visible(number, user_id, is_clerk=False)
        return await self.transition(number, ComplaintAction.ADD_INFO, Actor.user(user_id).encode(), comment=text)

    async def of_user(self, user_id: int) -> Sequence[Complaint]:
        return await self.repositories.complaints.of_user(user_id)

    def is_overdue(self, complaint: Complaint) -> bool:
        return ComplaintStatus(complaint.status) in OPEN and is_overdue(complaint.due_date, self.clock())

    async def search(self, *, statuses: Sequence[str] | None = None, office_id: str | None = None,
                     overdue: bool | None = None, limit: int = 100, offset: int = 0) -> Sequence[Complaint]:
        """Complaints by status and office; ``overdue=True``: open ones past their review day."""
        if overdue:
            open_statuses = [s.value for s in OPEN]
            statuses = [s for s in statuses if s in open_statuses] if statuses else open_statuses
        found = await self.repositories.complaints.search(
            statuses=statuses, office_id=office_id, due_before=local_date(self.clock()) if overdue else None,
            limit=limit, offset=offset,
        )
        if overdue is False:
            found = [c for c in found if not self.is_overdue(c)]
        return found

    async def open_complaints(self) -> list[Complaint]:
        """Open complaints, overdue first, then by review day."""
        found = await self.repositories.complaints.search(statuses=[s.value for s in OPEN], limit=1000)
        return sorted(found, key=lambda c: (not self.is_overdue(c), c.due_date, c.id))

    async def answer_survey(self, number: str, user_id: int, question: int, answer: str) -> Complaint:
        """Store the complainant's answer about the procedure (1) or its deadline (2), once each."""
        complaint = await self.visible(number, user_id, is_clerk=False)
        if (complaint.status != ComplaintStatus.ANSWERED.value or question not in SURVEY_QUESTIONS
                or answer not in SURVEY_ANSWERS):
            raise ComplaintNotFound(number)
        if question not in await self.repositories.survey.answers(complaint_id=complaint.id):
            self.repositories.survey.add(SurveyAnswer(complaint_id=complaint.id, question=question, answer=answer,
                                                      at=self.clock()))
            await self.repositories.commit()
        return complaint
