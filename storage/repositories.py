"""Repositories: queries over one session. They never commit; the caller does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from domain.lifecycle import Status
from storage.cache import KnownUser
from storage.console import AuditRepository, ConsoleLinkRepository, ConsoleQueries
from storage.database import SessionFactory, call_after_commit, clock_of
from storage.indicators import IndicatorRepository
from storage.models import (
    Attachment,
    Case,
    ClerkTopic,
    Complaint,
    Draft,
    Handoff,
    JobRun,
    OutboxMessage,
    RelayedMessage,
    SurveyAnswer,
    User,
)

HANDOFF_OPEN = Handoff.closed_at.is_(None)


class UserRepository:
    """Users of the bot, keyed by their Telegram id."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def with_open_handoff(self, user_id: int) -> tuple[User | None, Handoff | None]:
        """The user and their open hand-off to a clerk, in one query (done for every update)."""
        row = (await self.session.execute(
            select(User, Handoff).outerjoin(Handoff, (Handoff.user_id == User.id) & HANDOFF_OPEN)
            .where(User.id == user_id).limit(1))).first()
        return (row[0], row[1]) if row else (None, None)

    async def touch(self, user_id: int) -> User:
        """The user, created on first contact; ``last_seen`` updated, a block lifted."""
        return self.seen(user_id, await self.get(user_id))

    def seen(self, user_id: int, user: User | None) -> User:
        """:meth:`touch` with the row already read (``None``: there is none, create it)."""
        now = clock_of(self.session)()
        if user is None:
            user = User(id=user_id, language=None, first_seen=now, last_seen=now)
            self.session.add(user)
        else:
            user.last_seen = now
            user.blocked_at = None
        return user

    async def set_language(self, user: User | KnownUser, language: str) -> User:
        """Change a user's language (a user known from the cache is attached to the session first)."""
        row = user.attach(self.session) if isinstance(user, KnownUser) else user
        row.language = language
        return row

    async def mark_blocked(self, user_id: int, at: datetime) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(blocked_at=at))


class CaseRepository:
    """Cases with their history and attachments (loaded with them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, case: Case) -> None:
        self.session.add(case)

    async def by_number(self, number: str) -> Case | None:
        """The case with its history and attachments, in one query (a case has a few of each)."""
        query = select(Case).where(Case.number == number).options(joinedload(Case.events),
                                                                   joinedload(Case.attachments))
        return (await self.session.scalars(query)).unique().one_or_none()

    async def of_user(self, user_id: int) -> Sequence[Case]:
        query = select(Case).where(Case.user_id == user_id).order_by(Case.submitted_at.desc())
        return (await self.session.scalars(query)).all()

    async def search(
        self,
        *,
        statuses: Sequence[str] | None = None,
        service_id: str | None = None,
        office_id: str | None = None,
        due_before: date | None = None,
        due_on: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Case]:
        """Cases matching every given filter, earliest due first."""
        query = select(Case)
        if statuses:
            query = query.where(Case.status.in_(statuses))
        if service_id:
            query = query.where(Case.service_id == service_id)
        if office_id:
            query = query.where(Case.office_id == office_id)
        if due_before is not None:
            query = query.where(Case.due_date < due_before)
        if due_on is not None:
            query = query.where(Case.due_date == due_on)
        query = query.order_by(Case.due_date, Case.id).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()

    async def ready_before(self, moment: datetime) -> Sequence[Case]:
        query = select(Case).where(Case.status == Status.READY, Case.ready_at < moment).order_by(Case.id)
        return (await self.session.scalars(query)).all()


class ComplaintRepository:
    """Complaints with their history and files (loaded with them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, complaint: Complaint) -> None:
        self.session.add(complaint)

    async def by_number(self, number: str) -> Complaint | None:
        return await self.session.scalar(select(Complaint).where(Complaint.number == number))

    async def of_user(self, user_id: int) -> Sequence[Complaint]:
        query = select(Complaint).where(Complaint.user_id == user_id).order_by(Complaint.registered_at.desc())
        return (await self.session.scalars(query)).all()

    async def registered_between(self, start: datetime, end: datetime, limit: int = 1000) -> Sequence[Complaint]:
        """Complaints registered from ``start`` up to ``end``, newest first (Open311's list)."""
        query = (select(Complaint).where(Complaint.registered_at >= start, Complaint.registered_at <= end)
                 .order_by(Complaint.registered_at.desc(), Complaint.id.desc()).limit(limit))
        return (await self.session.scalars(query)).all()

    async def search(
        self,
        *,
        statuses: Sequence[str] | None = None,
        office_id: str | None = None,
        due_before: date | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Complaint]:
        """Complaints matching every given filter, earliest due first."""
        query = select(Complaint)
        if statuses:
            query = query.where(Complaint.status.in_(statuses))
        if office_id:
            query = query.where(Complaint.office_id == office_id)
        if due_before is not None:
            query = query.where(Complaint.due_date < due_before)
        query = query.order_by(Complaint.due_date, Complaint.id).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()


class HandoffRepository:
    """Hand-offs to clerks and the applicants' topics in the clerks' forum group."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_for(self, user_id: int) -> Handoff | None:
        return await self.session.scalar(
            select(Handoff).where(Handoff.user_id == user_id, HANDOFF_OPEN))

    def add(self, handoff: Handoff) -> None:
        self.session.add(handoff)

    async def topic_of(self, user_id: int) -> ClerkTopic | None:
        return await self.session.get(ClerkTopic, user_id)

    async def user_of_topic(self, chat_id: int, thread_id: int) -> int | None:
        return await self.session.scalar(
            select(ClerkTopic.user_id).where(ClerkTopic.chat_id == chat_id, ClerkTopic.thread_id == thread_id))

    def remember_relay(self, user_id: int, private_message_id: int, topic_chat_id: int, topic_message_id: int,
                       from_applicant: bool, now: datetime) -> None:
        self.session.add(RelayedMessage(user_id=user_id, private_message_id=private_message_id,
                                        topic_chat_id=topic_chat_id, topic_message_id=topic_message_id,
                                        from_applicant=from_applicant, at=now))

    async def relayed_private(self, user_id: int, private_message_id: int) -> RelayedMessage | None:
        """The relay of a message in the applicant's chat (sent by them, or the copy they got)."""
        return await self.session.scalar(
            select(RelayedMessage).where(RelayedMessage.user_id == user_id,
                                         RelayedMessage.private_message_id == private_message_id).limit(1))

    async def relayed_topic(self, chat_id: int, topic_message_id: int) -> RelayedMessage | None:
        """The relay of a message in a topic (a clerk's, or the copy of the applicant's)."""
        return await self.session.scalar(
            select(RelayedMessage).where(RelayedMessage.topic_chat_id == chat_id,
                                         RelayedMessage.topic_message_id == topic_message_id).limit(1))

    async def set_topic(self, user_id: int, chat_id: int, thread_id: int, now: datetime) -> None:
        topic = await self.topic_of(user_id)
        if topic is None:
            self.session.add(ClerkTopic(user_id=user_id, chat_id=chat_id, thread_id=thread_id, created_at=now))
        else:
            topic.chat_id, topic.thread_id, topic.created_at = chat_id, thread_id, now


class AttachmentRepository:
    """Applicants' files and their copying into the file store (see :mod:`jobs.scans`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, attachment_id: int) -> Attachment | None:
        return await self.session.get(Attachment, attachment_id)

    async def with_owner(self, attachment_id: int) -> Attachment | None:
        """The attachment with its case or complaint, as they are now."""
        return await self.session.scalar(
            select(Attachment).options(joinedload(Attachment.case), joinedload(Attachment.complaint))
            .where(Attachment.id == attachment_id).execution_options(populate_existing=True))

    @staticmethod
    def _pending() -> Any:
        return and_(Attachment.stored_path.is_(None), Attachment.rejected.is_(None))

    @classmethod
    def _due(cls, now: datetime) -> Any:
        return and_(cls._pending(), or_(Attachment.next_attempt_at.is_(None), Attachment.next_attempt_at <= now))

    async def claim_due(self, now: datetime, limit: int, until: datetime) -> list[Attachment]:
        """Take up to ``limit`` attachments due for a download (with their case or complaint),
        oldest first, and put their next attempt at ``until``: no other process takes them
        meanwhile, and if this one dies they are tried again then. On PostgreSQL the candidates
        are locked ``FOR UPDATE SKIP LOCKED``; the update re-checks that each is still due. The
        caller commits."""
        candidates = list(await self.session.scalars(
            select(Attachment.id).where(self._due(now)).order_by(Attachment.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if not candidates:
            return []
        claimed = set(await self.session.scalars(
            update(Attachment).where(Attachment.id.in_(candidates), self._due(now))
            .values(next_attempt_at=until).returning(Attachment.id)))
        rows = await self.session.scalars(
            select(Attachment).options(joinedload(Attachment.case), joinedload(Attachment.complaint))
            .where(Attachment.id.in_(claimed)).order_by(Attachment.id).execution_options(populate_existing=True))
        return list(rows)

    async def next_attempt(self) -> datetime | None:
        """When the earliest pending attachment is due (one never tried is due at once: ``None``
        is returned only when nothing is pending)."""
        row = (await self.session.execute(
            select(func.count(Attachment.id).filter(Attachment.next_attempt_at.is_(None)),
                   func.min(Attachment.next_attempt_at)).where(self._pending()))).one()
        return clock_of(self.session)() if row[0] else row[1]

    async def stored(self, attachment_id: int, path: str, content_type: str, now: datetime) -> None:
        """The file is in the store at ``path``: whatever failed before is over."""
        await self.session.execute(
            update(Attachment).where(Attachment.id == attachment_id, self._pending()).values(
                stored_path=path, stored_at=now, content_type=content_type, last_error=None,
                next_attempt_at=None, failing_since=None))

    async def refused(self, attachment_id: int, reason: str, content_type: str | None) -> bool:
        """The file is not kept (``reason``: "type" or "size"); ``False`` if it was settled already."""
        result = await self.session.execute(
            update(Attachment).where(Attachment.id == attachment_id, self._pending()).values(
                rejected=reason, content_type=content_type, next_attempt_at=None, failing_since=None))
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def failed(self, attachment_id: int, error: str, now: datetime, retry_at: datetime) -> None:
        """An attempt failed: count it, keep the error, try again at ``retry_at``; the first
        failure of a row starts its ``failing_since``."""
        await self.session.execute(
            update(Attachment).where(Attachment.id == attachment_id, self._pending()).values(
                download_attempts=Attachment.download_attempts + 1, last_error=error[:500],
                next_attempt_at=retry_at, failing_since=func.coalesce(Attachment.failing_since,
                                                            literal(now, Attachment.failing_since.type))))

    async def mark_reported(self, attachment_id: int, now: datetime, failing_before: datetime) -> bool:
        """Note that the clerks are told of a file failing since before ``failing_before``;
        ``True`` only the first time (so one report goes, whatever the processes)."""
        result = await self.session.execute(
            update(Attachment).where(Attachment.id == attachment_id, self._pending(),
                                     Attachment.reported_at.is_(None),
                                     Attachment.failing_since <= failing_before)
            .values(reported_at=now))
        return result.rowcount == 1  # type: ignore[attr-defined]


class OutboxRepository:
    """Messages waiting to be sent, and every statement the outbox worker runs (jobs/outbox.py).

    A message's life: ``pending`` (claimed for a while by a worker's pass: ``claimed_by``,
    ``claimed_until``) -> ``sending`` (written before the request to Telegram leaves) -> ``sent``;
    or back to ``pending`` for a retry when Telegram certainly did not take it; or ``blocked``,
    ``failed``, ``cancelled``; or ``in_doubt`` when it may or may not have been delivered (the
    answer never came): such a message is never sent again, since Telegram has no idempotency
    key that would let a second try be recognised as the same message.
    """

    # The statuses of a message still to go: a chat's later messages wait behind them.
    UNFINISHED = ("pending", "sending")

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, message: OutboxMessage, wake: Callable[[], None] | None = None) -> None:
        """Queue a message; unless it is scheduled (``due_at`` set), it is due now.

        ``wake`` (the worker's) is called once the transaction that adds it has committed.
        """
        if message.due_at is None:
            message.due_at = clock_of(self.session)()
        if message.available_at is None:
            message.available_at = message.due_at
        self.session.add(message)
        if wake is not None:
            call_after_commit(self.session, wake)

    @staticmethod
    def _claimable(now: datetime) -> Any:
        """Due, free, and first in its chat: no message to the same chat that was meant to
        go earlier is still pending or being sent (retrying, claimed, or held by a worker
        that died), so a chat's messages go out in the order they were made, restarts included."""
        earlier = aliased(OutboxMessage)
        return and_(
            OutboxMessage.status == "pending",
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ~exists().where(
                earlier.chat_id == OutboxMessage.chat_id,
                earlier.status.in_(OutboxRepository.UNFINISHED),
                or_(earlier.due_at < OutboxMessage.due_at,
                    and_(earlier.due_at == OutboxMessage.due_at, earlier.id < OutboxMessage.id)),
            ),
        )

    async def claim_due(self, now: datetime, limit: int, hold: timedelta, token: str) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages for one worker's pass, oldest first, one per chat.

        First, messages left ``sending`` past their lease (their sender died or hung before it
        learnt the outcome) become ``in_doubt`` (see the class docstring). On PostgreSQL the
        candidates are locked ``FOR UPDATE SKIP LOCKED``, so workers in other processes pass
        over them; on both backends the update re-checks that each is still free, so a message
        is claimed by one pass only. The claim is a lease (``hold``) with the pass's ``token``;
        a worker that dies leaves its messages to others once it expires. The caller commits.
        """
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)
            .values(status="in_doubt", claimed_until=None, claimed_by=None,
                    last_error="the sender stopped before Telegram answered")
        )
        candidates = list(await self.session.scalars(
            select(OutboxMessage.id).where(self._claimable(now))
            .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        ))
        if not candidates:
            return []
        claimed = set(await self.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), self._claimable(now))
            .values(claimed_until=now + hold, claimed_by=token)
            .returning(OutboxMessage.id)
        ))
        rows = await self.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def chats_with_more_due(self, chat_ids: Sequence[int], now: datetime) -> set[int]:
        """Which of these chats have another message due (it could not be claimed in the same
        pass as the one before it)."""
        if not chat_ids:
            return set()
        return set(await self.session.scalars(
            select(OutboxMessage.chat_id).distinct()
            .where(OutboxMessage.chat_id.in_(chat_ids), OutboxMessage.status == "pending",
                   OutboxMessage.available_at <= now)
        ))

    async def start_sending(self, message_id: int, token: str, until: datetime) -> bool:
        """Mark a claimed message as being sent, leased until ``until``; ``False`` if it is not
        this pass's any more. Committed before the request leaves, so that after a crash the
        message is known to have perhaps gone out."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                   OutboxMessage.claimed_by == token)
            .values(status="sending", claimed_until=until)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def release(self, message_ids: Sequence[int], token: str) -> None:
        """Give back messages this pass claimed but did not try (they wait for their chat)."""
        if message_ids:
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_by == token,
                       OutboxMessage.status == "pending")
                .values(claimed_until=None, claimed_by=None)
            )

    async def retry(self, message_id: int, at: datetime, error: str, attempts: int | None = None) -> None:
        """Back to ``pending`` for another try at ``at``: Telegram certainly did not take it."""
        values: dict[str, Any] = {"status": "pending", "available_at": at, "claimed_until": None,
                                  "claimed_by": None, "last_error": error[:500]}
        if attempts is not None:
            values["attempts"] = attempts
        await self.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))

    async def finish(self, message_id: int, status: str, at: datetime, *, error: str | None = None,
                     attempts: int | None = None, message_id_sent: int | None = None) -> None:
        """Close a message: ``sent`` (with Telegram's message id), ``blocked``, ``failed`` or
        ``in_doubt``."""
        values: dict[str, Any] = {"status": status, "claimed_until": None, "claimed_by": None}
        if status == "sent":
            values["sent_at"] = at
            values["message_id"] = message_id_sent
        if error is not None:
            values["last_error"] = error[:500]
        if attempts is not None:
            values["attempts"] = attempts
        await self.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))

    async def count(self, status: str) -> int:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        return int(await self.session.scalar(query) or 0)


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def answers(self, case_id: int | None = None, complaint_id: int | None = None,
                      booking_id: int | None = None) -> dict[int, str]:
        """The answers given about a case, a complaint or a visit, by question."""
        key: int | None
        if booking_id is not None:
            column, key = SurveyAnswer.booking_id, booking_id
        elif complaint_id is not None:
            column, key = SurveyAnswer.complaint_id, complaint_id
        else:
            column, key = SurveyAnswer.case_id, case_id
        rows = await self.session.scalars(select(SurveyAnswer).where(column == key))
        return {row.question: row.answer for row in rows}

    def add(self, answer: SurveyAnswer) -> None:
        self.session.add(answer)


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def start_once(self, name: str, day: date) -> bool:
        """Record that the job runs on ``day``; ``False`` if it already ran that day."""
        updated = await self.session.execute(
            update(JobRun).where(and_(JobRun.name == name, JobRun.last_run < day)).values(last_run=day)
        )
        if updated.rowcount == 1:  # type: ignore[attr-defined]
            return True
        if await self.session.get(JobRun, name) is not None:
            return False
        self.session.add(JobRun(name=name, last_run=day))
        await self.session.flush()
        return True


class DraftRepository:
    """Half-filled forms kept by their users; an expired one is as good as none. The user's
    ``drafts_until`` follows every change, so that users without drafts cost no query."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _mark(self, user_id: int) -> User | None:
        """Set the user's ``drafts_until`` to their latest draft's expiry (None: no draft)."""
        user = await self.session.get(User, user_id)
        if user is not None:
            user.drafts_until = await self.session.scalar(
                select(func.max(Draft.expires_at)).where(Draft.user_id == user_id))
            await self.session.flush()
        return user

    async def save(self, user_id: int, form: str, standard_id: str | None, data: dict[str, Any],
                   expires_at: datetime) -> tuple[Draft, User | None]:
        """Keep this draft (replacing the user's earlier draft of the same form); the draft and
        the user's row as it is now."""
        draft = await self.session.scalar(select(Draft).where(Draft.user_id == user_id, Draft.form == form))
        now = clock_of(self.session)()
        if draft is None:
            draft = Draft(user_id=user_id, form=form)
            self.session.add(draft)
        draft.standard_id, draft.data, draft.saved_at, draft.expires_at = standard_id, data, now, expires_at
        await self.session.flush()
        return draft, await self._mark(user_id)

    async def of_user(self, user_id: int) -> list[Draft]:
        """The user's drafts that have not expired, newest first."""
        now = clock_of(self.session)()
        return list(await self.session.scalars(
            select(Draft).where(Draft.user_id == user_id, Draft.expires_at > now).order_by(Draft.saved_at.desc())))

    async def get(self, user_id: int, form: str) -> Draft | None:
        return next((d for d in await self.of_user(user_id) if d.form == form), None)

    async def delete(self, user_id: int, form: str) -> User | None:
        """Remove the user's draft of this form, if any; the user's row when it changed."""
        draft = await self.session.scalar(select(Draft).where(Draft.user_id == user_id, Draft.form == form))
        if draft is None:
            return None
        await self.session.delete(draft)
        await self.session.flush()
        return await self._mark(user_id)


class Repositories:
    """All repositories over one session, with the explicit commit.

    Given a session factory instead of a session (:meth:`lazy`), the session is made when a
    repository is first used: most updates of the bot need no query, and a session costs
    time to make and to close. :meth:`close` closes it if it was made.
    """

    def __init__(self, session: AsyncSession | None = None, *, sessions: SessionFactory | None = None) -> None:
        if session is None and sessions is None:
            raise ValueError("give a session or a session factory")
        self._session = session
        self._sessions = sessions

    @classmethod
    def lazy(cls, sessions: SessionFactory) -> Repositories:
        return cls(sessions=sessions)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            assert self._sessions is not None
            self._session = self._sessions()
        return self._session

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.session)

    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self.session)

    @cached_property
    def complaints(self) -> ComplaintRepository:
        return ComplaintRepository(self.session)

    @cached_property
    def handoffs(self) -> HandoffRepository:
        return HandoffRepository(self.session)

    @cached_property
    def attachments(self) -> AttachmentRepository:
        return AttachmentRepository(self.session)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self.session)

    @cached_property
    def survey(self) -> SurveyRepository:
        return SurveyRepository(self.session)

    @cached_property
    def indicators(self) -> IndicatorRepository:
        return IndicatorRepository(self.session)

    @cached_property
    def jobs(self) -> JobRepository:
        return JobRepository(self.session)

    @cached_property
    def drafts(self) -> DraftRepository:
        return DraftRepository(self.session)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.session)

    @cached_property
    def console(self) -> ConsoleQueries:
        return ConsoleQueries(self.session)

    @cached_property
    def console_links(self) -> ConsoleLinkRepository:
        return ConsoleLinkRepository(self.session)

    def now(self) -> datetime:
        """The current moment, from the session's clock (no session is made for it)."""
        source: AsyncSession | SessionFactory = self._session if self._session is not None else self._sessions  # type: ignore[assignment]
        return clock_of(source)()

    async def commit(self) -> None:
        await self.session.commit()

    async def close(self) -> None:
        """Close the session, if one was made."""
        if self._session is not None:
            await self._session.close()
