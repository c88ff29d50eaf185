"""The counts behind the standards' quality indicators, by month, in a few SQL aggregates.

One query per kind of record (cases, case surveys, complaints, complaint surveys, visits,
visit surveys) over the months asked for, for one standard and one office (or all its
offices). Each returns ``{month: {counter: n}}``; a period's counts are the sums of its
months' (services/indicators.py does the arithmetic, domain/indicators.py the rules).

Months and days are Almaty's. The rows are chosen by the UTC bounds of the months (midnight
in Almaty), so an index on the moment serves; a row's month is ``local_month`` and "on
time" compares ``local_day`` of a moment with a due date: on PostgreSQL these are
``timezone('Asia/Almaty', x)``, on SQLite a function the engine registers on each
connection (storage/database.py), so the same statements run on both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import Float, NullType

from storage.models import Booking, Case, Complaint, SurveyAnswer

Counts = dict[str, dict[str, int]]
"""``{month ("2026-11"): {counter: n}}``; a month with nothing counted is absent."""

OPEN_CASES = ("submitted", "in_work")
JUSTIFIED = ("upheld", "partly")


class local_day(FunctionElement[date]):
    """The date in Almaty of a stored UTC moment."""

    type = Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(timezone('Asia/Almaty', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"kenes_local_date({compiler.process(element.clauses, **kw)})"


class local_month(FunctionElement[Any]):
    """The month in Almaty of a stored UTC moment: its first moment on PostgreSQL (date_trunc
    is cheaper than formatting), "2026-11" on SQLite; :func:`month_label` makes both a label."""

    type = NullType()
    inherit_cache = True
    name = "local_month"


@compiles(local_month, "postgresql")
def _local_month_pg(element: local_month, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('month', timezone('Asia/Almaty', {compiler.process(element.clauses, **kw)}))"


@compiles(local_month, "sqlite")
def _local_month_sqlite(element: local_month, compiler: Any, **kw: Any) -> str:
    return f"substr(kenes_local_date({compiler.process(element.clauses, **kw)}), 1, 7)"


class seconds_between(FunctionElement[float]):
    """``later - earlier`` in seconds."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})) * 86400.0)"


def month_label(value: Any) -> str:
    """"2026-11" from what ``local_month`` gave (a string or a datetime)."""
    return value if isinstance(value, str) else f"{value.year:04d}-{value.month:02d}"


def _count(condition: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class IndicatorRepository:
    """Monthly counts for the indicators of one standard, at one office or all of them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _bucket(column: Any, bounds: Sequence[tuple[str, datetime]]) -> Any:
        """The month label ("2026-11") of ``column`` in Almaty; the caller keeps ``column``
        within the first month's start and the last of ``bounds`` (each month's label and end)."""
        return local_month(column)

    @staticmethod
    def _rows(rows: Any) -> Counts:
        counts: Counts = defaultdict(dict)
        for row in rows:
            mapping = dict(row._mapping)
            month = month_label(mapping.pop("month"))
            for key, value in mapping.items():
                counts[month][key] = counts[month].get(key, 0) + int(value or 0)
        return dict(counts)

    async def _grouped(self, query: Any) -> Counts:
        return self._rows((await self.session.execute(query)).all())

    async def cases(self, standard_id: str, office_id: str | None, start: datetime,
                    bounds: Sequence[tuple[str, datetime]]) -> Counts:
        """Cases decided in each month (the result ready, refused, or returned for errors):
        ``decided`` (a result or a refusal), ``on_time`` (decided by the due date in Almaty),
        ``returned`` (returned to the applicant for errors)."""
        decided_at = func.coalesce(Case.ready_at, Case.closed_at)
        end = bounds[-1][1]
        month = self._bucket(decided_at, bounds).label("month")
        returned = Case.status == "returned"
        query = (select(month, _count(~returned).label("decided"),
                        _count(and_(~returned, local_day(decided_at) <= Case.due_date)).label("on_time"),
                        _count(returned).label("returned"))
                 .where(Case.standard_id == standard_id, decided_at >= start, decided_at < end,
                        Case.status.not_in(OPEN_CASES))
                 .group_by(month))
        if office_id is not None:
            query = query.where(Case.office_id == office_id)
        return await self._grouped(query)

    async def overdue_cases(self, standard_id: str, office_id: str | None, months: Sequence[tuple[str, date]],
                            today: date) -> Counts:
        """Open cases whose due date fell in the month and has passed: ``overdue`` (each
        counts as not served on time until it is decided, then in the month it is).
        ``months`` are each month's label and its first day, then the day after the last."""
        first, *rest = months
        ends = [(label, day) for (label, _), (_, day) in zip(months[:-1], rest, strict=True)]
        month = case(*[(Case.due_date < end, label) for label, end in ends[:-1]], else_=ends[-1][0]).label("month")
        query = (select(month, func.count().label("overdue"))
                 .where(Case.standard_id == standard_id, Case.status.in_(OPEN_CASES),
                        Case.due_date >= first[1], Case.due_date < months[-1][1], Case.due_date < today)
                 .group_by(month))
        if office_id is not None:
            query = query.where(Case.office_id == office_id)
        return await self._grouped(query)

    async def _survey(self, owner: Any, key: Any, standard_id: str, office_id: str | None, start: datetime,
                      bounds: Sequence[tuple[str, datetime]]) -> Counts:
        month = self._bucket(SurveyAnswer.at, bounds).label("month")
        query = (select(month, SurveyAnswer.question, func.count().label("answered"),
                        _count(SurveyAnswer.answer == "satisfied").label("satisfied"))
                 .join(owner, key == owner.id)
                 .where(owner.standard_id == standard_id, SurveyAnswer.at >= start, SurveyAnswer.at < bounds[-1][1])
                 .group_by(month, SurveyAnswer.question))
        if office_id is not None:
            query = query.where(owner.office_id == office_id)
        counts: Counts = defaultdict(dict)
        for row in (await self.session.execute(query)).all():
            month = month_label(row.month)
            counts[month][f"q{row.question}_answered"] = int(row.answered)
            counts[month][f"q{row.question}_satisfied"] = int(row.satisfied)
        return dict(counts)

    async def case_surveys(self, standard_id: str, office_id: str | None, start: datetime,
                           bounds: Sequence[tuple[str, datetime]]) -> Counts:
        """Answers about issued cases by the month answered: ``q<n>_answered``, ``q<n>_satisfied``."""
        return await self._survey(Case, SurveyAnswer.case_id, standard_id, office_id, start, bounds)

    async def complaint_surveys(self, standard_id: str, office_id: str | None, start: datetime,
                                bounds: Sequence[tuple[str, datetime]]) -> Counts:
        """Answers about answered complaints, like :meth:`case_surveys`."""
        return await self._survey(Complaint, SurveyAnswer.complaint_id, standard_id, office_id, start, bounds)

    async def visit_surveys(self, standard_id: str, office_id: str | None, start: datetime,
                            bounds: Sequence[tuple[str, datetime]]) -> Counts:
        """Answers about served visits, like :meth:`case_surveys`."""
        return await self._survey(Booking, SurveyAnswer.booking_id, standard_id, office_id, start, bounds)

    async def complaints(self, standard_id: str, office_id: str | None, start: datetime,
                         bounds: Sequence[tuple[str, datetime]]) -> Counts:
        """Complaints answered in each month: ``answered``, ``justified`` (upheld or partly
        upheld), ``justified_on_time`` (and answered by the review's last day in Almaty)."""
        month = self._bucket(Complaint.closed_at, bounds).label("month")
        justified = Complaint.outcome.in_(JUSTIFIED)
        query = (select(month, func.count().label("answered"), _count(justified).label("justified"),
                        _count(and_(justified, local_day(Complaint.closed_at) <= Complaint.due_date))
                        .label("justified_on_time"))
                 .where(Complaint.standard_id == standard_id, Complaint.status == "answered",
                        Complaint.closed_at >= start, Complaint.closed_at < bounds[-1][1])
                 .group_by(month))
        if office_id is not None:
            query = query.where(Complaint.office_id == office_id)
        return await self._grouped(query)

    async def visits(self, standard_id: str, office_id: str | None, start: datetime,
                     bounds: Sequence[tuple[str, datetime]], limit_minutes: int) -> Counts:
        """Visits served in each month: ``served``, ``within_limit`` (waited no longer than
        ``limit_minutes`` from arriving, or the booked time if later, to being served, as
        services.bookings.waited_minutes counts it)."""
        month = self._bucket(Booking.served_at, bounds).label("month")
        waited_from = case((Booking.arrived_at > Booking.starts_at, Booking.arrived_at), else_=Booking.starts_at)
        within = seconds_between(Booking.served_at, waited_from) <= literal(limit_minutes * 60, Integer())
        query = (select(month, func.count().label("served"), _count(within).label("within_limit"))
                 .where(Booking.standard_id == standard_id, Booking.status == "served",
                        Booking.served_at >= start, Booking.served_at < bounds[-1][1])
                 .group_by(month))
        if office_id is not None:
            query = query.where(Booking.office_id == office_id)
        return await self._grouped(query)
