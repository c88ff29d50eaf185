"""Complaints without Telegram: the lifecycle, the review deadline across holidays, the service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from domain.complaints import ComplaintAction, ComplaintStatus, allowed_actions, plan, review_due
from domain.deadlines import ALMATY, CalendarOverrides, WorkingCalendar
from domain.hours import DeskHours
from domain.lifecycle import IllegalTransition
from services.cases import NewAttachment
from services.complaints import ComplaintNotFound, ComplaintService, NewComplaint, parse_number
from storage.models import OutboxMessage, SurveyAnswer
from tests.conftest import CLERK_CHAT_ID, App, FakeClock
from tests.test_case_service import add_user, submit

COMPLAINANT = {"name": "Ахметов Ерлан", "phone": "+77011234567"}
CALENDAR = WorkingCalendar(CalendarOverrides.load())


def at(day: date, hour: int = 11, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ALMATY)


# --- domain -----------------------------------------------------------------------------


@pytest.mark.parametrize(("registered", "due"), [
    (at(date(2026, 11, 23)), date(2026, 11, 30)),   # Monday: five working days later, the next Monday
    (at(date(2026, 12, 14)), date(2026, 12, 22)),   # across Independence Day (Wednesday 16 December)
    (at(date(2026, 3, 19)), date(2026, 3, 31)),     # across Nowruz, 21-25 March 2026
    (at(date(2025, 1, 1)), date(2025, 1, 10)),      # New Year 2025: 2-3 January off, Sunday 5th worked, 7th off
    (at(date(2026, 11, 28), 23, 50), date(2026, 12, 4)),  # registered on a Saturday night (Almaty)
])
def test_review_deadline_is_five_working_days(registered: datetime, due: date) -> None:
    assert review_due(CALENDAR, registered, 5) == due


def test_lifecycle() -> None:
    assert allowed_actions(ComplaintStatus.REGISTERED) == [ComplaintAction.TAKE, ComplaintAction.FORWARD]
    assert allowed_actions(ComplaintStatus.UNDER_REVIEW) == [ComplaintAction.ANSWER, ComplaintAction.FORWARD]
    assert allowed_actions(ComplaintStatus.ANSWERED) == []
    change = plan(ComplaintStatus.UNDER_REVIEW, ComplaintAction.ANSWER, outcome="partly", comment=" Text ")
    assert (change.to_status, change.outcome, change.comment) == (ComplaintStatus.ANSWERED, "partly", "Text")
    with pytest.raises(IllegalTransition) as error:
        plan(ComplaintStatus.REGISTERED, ComplaintAction.ANSWER, outcome="upheld", comment="x")
    assert error.value.code == "status"
    for kwargs, code in (({"outcome": "maybe", "comment": "x"}, "needs_outcome"),
                         ({"outcome": "upheld", "comment": "  "}, "needs_answer")):
        with pytest.raises(IllegalTransition) as error:
            plan(ComplaintStatus.UNDER_REVIEW, ComplaintAction.ANSWER, **kwargs)
        assert error.value.code == code
    with pytest.raises(IllegalTransition) as error:
        plan(ComplaintStatus.REGISTERED, ComplaintAction.FORWARD)
    assert error.value.code == "needs_body"
    with pytest.raises(IllegalTransition) as error:
        plan(ComplaintStatus.ANSWERED, ComplaintAction.ADD_INFO, comment="more")
    assert error.value.code == "status"
    assert plan(ComplaintStatus.REGISTERED, ComplaintAction.ADD_INFO, comment="more").to_status is \
        ComplaintStatus.REGISTERED


def test_clerk_hours() -> None:
    hours = DeskHours(time(9), time(18))
    assert hours.is_open(CALENDAR, at(date(2026, 11, 23), 9))
    assert not hours.is_open(CALENDAR, at(date(2026, 11, 23), 18))
    assert hours.next_opening(CALENDAR, at(date(2026, 11, 23), 7)) == at(date(2026, 11, 23), 9)
    # Friday evening: Monday morning; before Independence Day: the day after it.
    assert hours.next_opening(CALENDAR, at(date(2026, 11, 27), 19)) == at(date(2026, 11, 30), 9)
    assert hours.next_opening(CALENDAR, at(date(2026, 12, 15), 20)) == at(date(2026, 12, 17), 9)
    assert hours.next_opening(CALENDAR, at(date(2026, 11, 28), 12)) == at(date(2026, 11, 30), 9)


def test_numbers() -> None:
    assert parse_number("C-26-000042") == parse_number("с 26 000042") == parse_number("26-000042") == "C-26-000042"
    assert parse_number("hello") is None


# --- the service ---------------------------------------------------------------------------


@asynccontextmanager
async def service(app: App) -> AsyncIterator[ComplaintService]:
    async with app.sessions() as session:
        yield app.services.units(app.sessions).over(session).complaints


async def register(app: App, user_id: int = 7001, case_number: str | None = None, **kwargs: object) -> str:
    new = NewComplaint(
        user_id=user_id, standard_id="psc_military_service_certificate", office_id="psc_aktau",
        topic="courtesy", text="Сотрудник грубо разговаривал и отказался принять документы.", language="ru",
        complainant=COMPLAINANT, case_number=case_number,
        attachments=[NewAttachment("complaint", "photo-1", "u-photo-1", "photo", "image/jpeg", None, 2048)],
    )
    async with service(app) as complaints:
        complaint = await complaints.register(NewComplaint(**{**vars(new), **kwargs}))
        return complaint.number or ""


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_registration(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    case = await submit(app)
    number = await register(app, case_number=case)
    assert number == "C-26-000001"
    async with service(app) as complaints:
        complaint = await complaints.get(number)
        assert complaint.status == "registered" and complaint.due_date == date(2026, 11, 30)
        assert complaint.case is not None and complaint.case.number == case
        assert complaint.attachments[0].file_id == "photo-1" and complaint.attachments[0].case_id is None
        assert [e.action for e in complaint.events] == ["register"]
    notice = (await outbox(app))[-1]
    assert notice.chat_id == CLERK_CHAT_ID and notice.kind == "clerks_new_complaint"
    assert "C-26-000001" in notice.text and notice.complaint_id == 1


async def test_someone_elses_case_cannot_be_complained_about(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    await add_user(app, 7002, "ru")
    case = await submit(app, user_id=7002)
    with pytest.raises(ComplaintNotFound):
        await register(app, case_number=case)


async def test_the_whole_review_with_notices_and_survey(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "kk")
    number = await register(app)
    async with service(app) as complaints:
        await complaints.add_info(number, 7001, "Это было 20 ноября около 15:00.")
        with pytest.raises(ComplaintNotFound):
            await complaints.add_info(number, 7002, "чужая жалоба")
        taken = await complaints.transition(number, ComplaintAction.TAKE, "clerk:900001")
        assert taken.status == "under_review"
        clock.advance(days=2)
        answered = await complaints.transition(number, ComplaintAction.ANSWER, "clerk:900001", outcome="upheld",
                                               comment="Жалоба обоснована, с сотрудником проведена беседа.")
        assert (answered.status, answered.outcome, answered.closed_at) == ("answered", "upheld", clock.now)
        assert [e.action for e in answered.events] == ["register", "add_info", "take", "answer"]
        with pytest.raises(IllegalTransition):
            await complaints.transition(number, ComplaintAction.FORWARD, "clerk:900001", comment="Минюст")
    messages = [(m.chat_id, m.kind) for m in await outbox(app)]
    assert messages == [(CLERK_CHAT_ID, "clerks_new_complaint"), (CLERK_CHAT_ID, "clerks_complaint_info"),
                        (7001, "complaint_take"), (7001, "complaint_answer"), (7001, "complaint_survey")]
    texts = {m.kind: m.text for m in await outbox(app)}
    assert "Это было 20 ноября около 15:00." in texts["clerks_complaint_info"]
    assert "№ C-26-000001 шағымыңыз қаралуда" in texts["complaint_take"], texts["complaint_take"]
    assert "Жалоба обоснована" in texts["complaint_answer"] and "қанағаттандырылды" in texts["complaint_answer"]

    async with service(app) as complaints:
        await complaints.answer_survey(number, 7001, 1, "satisfied")
        await complaints.answer_survey(number, 7001, 1, "not_satisfied")  # a second click changes nothing
        await complaints.answer_survey(number, 7001, 2, "partly")
        with pytest.raises(ComplaintNotFound):
            await complaints.answer_survey(number, 7002, 2, "partly")
    async with app.sessions() as session:
        answers = {(a.complaint_id, a.question, a.answer) for a in await session.scalars(select(SurveyAnswer))}
    assert answers == {(1, 1, "satisfied"), (1, 2, "partly")}


async def test_forwarding_and_overdue_first(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    first = await register(app)
    clock.advance(days=3)
    second = await register(app)
    async with service(app) as complaints:
        forwarded = await complaints.transition(second, ComplaintAction.FORWARD, "clerk:900001",
                                                comment="Министерство юстиции РК")
        assert forwarded.status == "forwarded" and forwarded.forwarded_to == "Министерство юстиции РК"
    third = await register(app)
    clock.advance(days=5)  # the first is due Monday 30 November; now is Tuesday 1 December
    async with service(app) as complaints:
        open_ = await complaints.open_complaints()
        assert [c.number for c in open_] == [first, third]
        assert complaints.is_overdue(open_[0]) and not complaints.is_overdue(open_[1])
        assert [c.number for c in await complaints.search(overdue=True)] == [first]
    notice = next(m for m in await outbox(app) if m.kind == "complaint_forward")
    assert "перенаправлена: Министерство юстиции РК" in notice.text
