"""Cases in the registry: submitting, moving through the lifecycle, finding, showing.

The bot's clerk commands and the HTTP API both go through :class:`CaseService`, so a move
is checked by the same lifecycle (``domain/lifecycle.py``), recorded in the same history
and announced through the same outbox, written in the same transaction as the change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm.exc import StaleDataError

from domain.actors import Actor
from domain.catalog import Catalog
from domain.clock import Clock
from domain.deadlines import ALMATY, WorkingCalendar, due_date, is_overdue, local_date
from domain.lifecycle import OPEN, Action, CaseState, IllegalTransition, Status, allowed_actions, plan
from domain.surveys import SURVEY_ANSWERS, SURVEY_QUESTIONS
from storage.models import Attachment, Case, CaseEvent, SurveyAnswer
from storage.repositories import Repositories

FINAL = frozenset({Status.RETURNED, Status.ISSUED, Status.REFUSED, Status.ARCHIVED})
# The e-service regulation's satisfaction survey (its appendix 7): two questions, three answers.
NUMBER = re.compile(r"^\D*(\d{2})\D*(\d{6})\D*$")


class CaseNotFound(LookupError):
    """No such case, or none the asker may see (the two are answered alike)."""


class Notices(Protocol):
    """Announces changes to the people concerned by adding outbox messages to the session."""

    async def case_submitted(self, repositories: Repositories, case: Case) -> None: ...

    async def case_changed(self, repositories: Repositories, case: Case, event: CaseEvent) -> None: ...


@dataclass(frozen=True)
class NewAttachment:
    document_id: str
    file_id: str
    file_unique_id: str
    kind: str
    mime_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class NewApplication:
    """What an applicant hands in: who, which service at which office, the fields, the scans."""

    user_id: int
    standard_id: str
    office_id: str
    language: str
    applicant: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    attachments: Sequence[NewAttachment] = ()


def format_number(case: Case) -> str:
    """The case number people type: two digits of the year and the sequence, "26-000042"."""
    return f"{local_date(case.submitted_at).year % 100:02d}-{case.id:06d}"


def parse_number(text: str) -> str | None:
    """A case number from what someone typed ("26-000042", "№ 26 000042", "26000042")."""
    match = NUMBER.match(text.strip())
    return f"{match.group(1)}-{match.group(2)}" if match else None


def state_of(case: Case) -> CaseState:
    return CaseState(Status(case.status), case.submitted_at, case.due_date, case.ready_at)


class CaseService:
    """Everything that happens to cases, over one unit of work (one session)."""

    def __init__(
        self,
        repositories: Repositories,
        catalog: Catalog,
        calendar: WorkingCalendar,
        notices: Notices,
        clock: Clock,
    ) -> None:
        self.repositories = repositories
        self.catalog = catalog
        self.calendar = calendar
        self.notices = notices
        self.clock = clock

    async def submit(self, application: NewApplication) -> Case:
        """Register an application; its due date follows the standard's deadline."""
        placement = self.catalog.placement(application.standard_id, application.office_id)
        standard = placement.standard
        now = self.clock()
        due = due_date(self.calendar, now, standard.deadline.days, standard.deadline.unit)
        case = Case(
            user_id=application.user_id,
            service_id=standard.service,
            standard_id=standard.id,
            office_id=placement.office.id,
            status=Status.SUBMITTED.value,
            language=application.language,
            applicant={"kind": "individual", **application.applicant},
            details=dict(application.details),
            submitted_at=now,
            due_date=due,
            updated_at=now,
        )
        case.events = [CaseEvent(at=now, actor=Actor.user(application.user_id).encode(), action="submit",
                                 to_status=Status.SUBMITTED.value, due_date=due)]
        case.attachments = [Attachment(**vars(a), download_attempts=0) for a in application.attachments]
        self.repositories.cases.add(case)
        await self.repositories.session.flush()
        case.number = format_number(case)
        await self.notices.case_submitted(self.repositories, case)
        await self.repositories.commit()
        return case

    async def get(self, number: str) -> Case:
        case = await self.repositories.cases.by_number(parse_number(number) or number)
        if case is None:
            raise CaseNotFound(number)
        return case

    async def visible(self, number: str, viewer_id: int, is_clerk: bool) -> Case:
        """The case if the viewer submitted it or is a clerk; otherwise as if it did not exist."""
        case = await self.get(number)
        if not is_clerk and case.user_id != viewer_id:
            raise CaseNotFound(number)
        return case

    def actions(self, case: Case) -> list[Action]:
        return allowed_actions(state_of(case), self.catalog.standard(case.standard_id))

    async def transition(
        self,
        number: str,
        action: Action,
        actor: str,
        *,
        comment: str | None = None,
        ground: int | None = None,
        extension_months: int | None = None,
    ) -> Case:
        """Make a move, record it, announce it (all or nothing); raise IllegalTransition if not allowed."""
        case = await self.get(number)
        now = self.clock()
        change = plan(
            state_of(case), action, self.catalog.standard(case.standard_id), self.calendar, now,
            comment=comment, ground=ground, extension_months=extension_months,
        )
        case.status = change.to_status
        if change.new_due_date is not None:
            case.due_date = change.new_due_date
        if change.to_status is Status.READY:
            case.ready_at = now
        if change.to_status in FINAL:
            case.closed_at = now
        case.updated_at = now
        event = CaseEvent(
            at=now, actor=actor, action=change.action.value, from_status=change.from_status.value,
            to_status=change.to_status.value, comment=change.comment, ground=change.ground,
            due_date=change.new_due_date,
        )
        case.events.append(event)
        try:
            # The notices query (the applicant's language), which flushes the change first: a
            # clerk elsewhere who moved the case meanwhile is found there or at the commit.
            await self.notices.case_changed(self.repositories, case, event)
            await self.repositories.commit()
        except StaleDataError:
            await self.repositories.session.rollback()
            raise IllegalTransition(
                "concurrent", "the case was changed by someone else meanwhile; look at it again"
            ) from None
        return case

    async def of_user(self, user_id: int) -> Sequence[Case]:
        return await self.repositories.cases.of_user(user_id)

    async def search(
        self,
        *,
        statuses: Sequence[str] | None = None,
        service_id: str | None = None,
        office_id: str | None = None,
        overdue: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Case]:
        """Cases by status, service, office; ``overdue=True``: open cases past their due day."""
        today = local_date(self.clock())
        if overdue:
            open_statuses = [s.value for s in OPEN]
            statuses = [s for s in statuses if s in open_statuses] if statuses else open_statuses
        cases = await self.repositories.cases.search(
            statuses=statuses, service_id=service_id, office_id=office_id,
            due_before=today if overdue else None, limit=limit, offset=offset,
        )
        if overdue is False:
            cases = [c for c in cases if not self.is_overdue(c)]
        return cases

    async def open_cases(self) -> list[Case]:
        """Open cases, overdue first, then by due date."""
        cases = await self.repositories.cases.search(statuses=[s.value for s in OPEN], limit=1000)
        return sorted(cases, key=lambda c: (not self.is_overdue(c), c.due_date, c.id))

    def is_overdue(self, case: Case) -> bool:
        return Status(case.status) in OPEN and is_overdue(case.due_date, self.clock())

    async def archive_uncollected(self) -> list[str]:
        """Archive results not collected within a month of being ready; the numbers archived."""
        now = self.clock()
        cutoff = (now.astimezone(ALMATY) - relativedelta(months=1)).astimezone(now.tzinfo)
        archived = []
        for case in await self.repositories.cases.ready_before(cutoff):
            try:
                await self.transition(case.number or "", Action.ARCHIVE, Actor.system().encode())
            except IllegalTransition:
                continue
            archived.append(case.number or "")
        return archived

    async def answer_survey(self, number: str, user_id: int, question: int, answer: str) -> Case:
        """Store the applicant's answer to a survey question of an issued case (once per question)."""
        case = await self.visible(number, user_id, is_clerk=False)
        if case.status != Status.ISSUED.value or question not in SURVEY_QUESTIONS or answer not in SURVEY_ANSWERS:
            raise CaseNotFound(number)
        if question not in await self.repositories.survey.answers(case.id):
            self.repositories.survey.add(SurveyAnswer(case_id=case.id, question=question, answer=answer,
                                                      at=self.clock()))
            await self.repositories.commit()
        return case
