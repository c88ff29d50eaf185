"""Queries of the staff console: sign-in links, the audit log, and the lists it shows.

The audit log has an ``add`` and reads, and nothing else: no code path changes or deletes an
entry (and the database's triggers refuse it, see migration 0008).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from storage.models import OPEN_CASE, AuditEntry, Booking, Case, Complaint, ConsoleLink, Handoff

OPEN_CASES = ("submitted", "in_work")
# Written out (not bound) so that PostgreSQL can use the partial indexes of open cases.
OPEN_COMPLAINTS = ("registered", "under_review")


class ConsoleLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, link: ConsoleLink) -> None:
        self.session.add(link)

    async def use(self, digest: str, now: datetime) -> int | None:
        """Mark the link used if it is unused and unexpired (one statement: of two requests
        racing with the same link, one wins); the clerk's id, or None."""
        result = await self.session.execute(
            update(ConsoleLink)
            .where(ConsoleLink.digest == digest, ConsoleLink.used_at.is_(None), ConsoleLink.expires_at > now)
            .values(used_at=now)
            .returning(ConsoleLink.user_id)
        )
        return result.scalar_one_or_none()


class AuditRepository:
    """Append and read; entries are never changed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def page(self, *, limit: int = 100, before_id: int | None = None, source: str | None = None,
                   actor: str | None = None) -> Sequence[AuditEntry]:
        """The newest entries first (``before_id``: older than that one)."""
        query = select(AuditEntry)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        if source:
            query = query.where(AuditEntry.source == source)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        return (await self.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all()


def _offices(query: Select[Any], column: Any, offices: Collection[str] | None, office: str | None) -> Select[Any]:
    if offices is not None:
        query = query.where(column.in_(sorted(offices)))
    if office:
        query = query.where(column == office)
    return query


class ConsoleQueries:
    """The console's lists: one page of rows, in the lists' order, over the indexes of 0008."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _name_matches(self, column: Any, text: str) -> Any:
        """A case-insensitive substring match, Cyrillic included (SQLite's LIKE folds only ASCII)."""
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            return column.ilike(f"%{text.replace('%', '').replace('_', '')}%")
        variants = {text, text.lower(), text.upper(), text.title(), text.capitalize()}
        return or_(*(column.contains(v, autoescape=True) for v in sorted(variants)))

    async def cases(self, *, offices: Collection[str] | None, office: str | None = None,
                    status: str | None = None, overdue_before: date | None = None, number: str | None = None,
                    name: str | None = None, limit: int = 50, offset: int = 0) -> Sequence[Case]:
        """Cases of the given offices (None: all), earliest due first."""
        query = _offices(select(Case), Case.office_id, offices, office)
        if number:
            query = query.where(Case.number == number)
        if status:
            query = query.where(Case.status == status)
        if overdue_before is not None:
            query = query.where(text(OPEN_CASE), Case.due_date < overdue_before)
        if name:
            query = query.where(self._name_matches(Case.applicant["name"].as_string(), name))
        # A list shows no history or scans: they are not loaded (the model loads them with a case).
        query = query.options(lazyload(Case.events), lazyload(Case.attachments))
        query = query.order_by(Case.due_date, Case.id).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()

    async def complaints(self, *, offices: Collection[str] | None, office: str | None = None,
                         status: str | None = None, overdue_before: date | None = None, number: str | None = None,
                         limit: int = 50, offset: int = 0) -> Sequence[Complaint]:
        query = _offices(select(Complaint), Complaint.office_id, offices, office)
        if number:
            query = query.where(Complaint.number == number)
        if status:
            query = query.where(Complaint.status == status)
        if overdue_before is not None:
            query = query.where(Complaint.status.in_(OPEN_COMPLAINTS), Complaint.due_date < overdue_before)
        query = query.options(lazyload(Complaint.events), lazyload(Complaint.attachments), lazyload(Complaint.case))
        query = query.order_by(Complaint.due_date, Complaint.id).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()

    async def open_handoffs(self, limit: int = 200) -> Sequence[Handoff]:
        """Conversations waiting for a clerk, the longest waiting first."""
        query = select(Handoff).where(Handoff.closed_at.is_(None)).order_by(Handoff.opened_at).limit(limit)
        return (await self.session.scalars(query)).all()

    async def booking(self, number: str) -> Booking | None:
        return await self.session.scalar(select(Booking).where(Booking.number == number))
