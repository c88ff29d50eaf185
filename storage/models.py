"""SQLAlchemy 2 typed models. Every schema change comes with an alembic revision."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.complaints import ComplaintAction, ComplaintStatus, Outcome
from domain.lifecycle import Action, Status
from domain.slots import BookingStatus


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored(enum: type[StrEnum]) -> Enum:
    """A status (or action, outcome) column holding one of ``enum``'s values as a string of at
    most 16 characters, read back as the enum's member; anything else is refused on write."""
    return Enum(enum, native_enum=False, create_constraint=False, length=16, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


TelegramId = Annotated[int, mapped_column(BigInteger)]
# Moments are never defaulted from the machine's clock. A ``Timestamp`` left unset on a new
# row, and an ``Updated`` stamp of a changed row, are filled at flush from the clock of the
# session (see storage.database); a moment the code compares later is set by the code.
Timestamp = Annotated[datetime, mapped_column(UTCDateTime, info={"stamp": "created"})]
Updated = Annotated[datetime, mapped_column(UTCDateTime, info={"stamp": "updated"})]


# Named constraints, as the migrations name them (SQLite batch migrations need names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class User(Base):
    """A person who has written to the bot."""

    __tablename__ = "users"

    id: Mapped[TelegramId] = mapped_column(primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    first_seen: Mapped[Timestamp]
    last_seen: Mapped[Timestamp]
    # Set when Telegram says the user blocked the bot (403); cleared when they write again.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Until when the user's latest draft is kept (None: no draft), so that the menu asks the
    # drafts table only for users who have one (the row itself is read, or cached, anyway).
    drafts_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"User(id={self.id}, language={self.language!r})"


class FsmRecord(Base):
    """Conversation state (aiogram FSM and aiogram-dialog stacks), one row per storage key."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[Updated]


class Case(Base):
    """An application handed to the registry: the applicant, the service, its lifecycle."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    user_id: Mapped[TelegramId] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    standard_id: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[Status] = mapped_column(stored(Status), index=True)
    language: Mapped[str] = mapped_column(String(8))
    applicant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[Updated]
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan", lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", order_by="Attachment.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__: Any = {"version_id_col": version}  # noqa: RUF012 (read by the declarative base)


class CaseEvent(Base):
    """One change of a case: who, when, from which status to which, and why."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[Timestamp]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[Action] = mapped_column(stored(Action))
    from_status: Mapped[Status | None] = mapped_column(stored(Status), default=None)
    to_status: Mapped[Status] = mapped_column(stored(Status))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    ground: Mapped[int | None] = mapped_column(Integer, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)

    case: Mapped[Case] = relationship(back_populates="events")


class Attachment(Base):
    """A file sent with an application or a complaint: Telegram's file id and metadata, then
    the stored copy. It belongs to a case or to a complaint."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True,
                                                default=None)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True,
                                                     default=None)
    document_id: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str | None] = mapped_column(String(64), default=None)
    file_name: Mapped[str | None] = mapped_column(String(255), default=None)
    file_size: Mapped[int | None] = mapped_column(Integer, default=None)
    stored_path: Mapped[str | None] = mapped_column(String(512), default=None)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    download_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    # The type found in the file's content (image/jpeg, image/png, application/pdf), whatever
    # the sender claimed; ``rejected`` says why a file was not kept ("type" or "size").
    content_type: Mapped[str | None] = mapped_column(String(64), default=None)
    rejected: Mapped[str | None] = mapped_column(String(16), default=None)
    # Downloads are retried with backoff until the file is stored; a file still failing after
    # a day is reported to the clerks once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    case: Mapped[Case | None] = relationship(back_populates="attachments")
    complaint: Mapped[Complaint | None] = relationship(back_populates="attachments")

    @property
    def owner_number(self) -> str | None:
        """The number of the case or complaint the file belongs to."""
        owner = self.case or self.complaint
        return owner.number if owner else None


class Booking(Base):
    """A booked visit: a place (``seat``) among the office's windows at a slot.

    Two partial unique indexes make the database the judge: one person per seat of a slot
    (so the last place goes to exactly one), and one active booking per user and service.
    """

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    user_id: Mapped[TelegramId] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64))
    standard_id: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[int] = mapped_column(Integer)
    status: Mapped[BookingStatus] = mapped_column(stored(BookingStatus), index=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Updated]
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: Any = {"version_id_col": version}  # noqa: RUF012 (read by the declarative base)
    __table_args__ = (
        Index("ix_bookings_office_id_starts_at", "office_id", "starts_at"),
        Index("uq_bookings_seat", "office_id", "starts_at", "seat", unique=True,
              sqlite_where=text("status != 'cancelled'"), postgresql_where=text("status != 'cancelled'")),
        Index("uq_bookings_active_per_service", "user_id", "service_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )


class Complaint(Base):
    """A complaint about an office (and perhaps one of the complainant's cases)."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    user_id: Mapped[TelegramId] = mapped_column(ForeignKey("users.id"), index=True)
    standard_id: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), default=None)
    topic: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    complainant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[ComplaintStatus] = mapped_column(stored(ComplaintStatus), index=True)
    outcome: Mapped[Outcome | None] = mapped_column(stored(Outcome), default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    forwarded_to: Mapped[str | None] = mapped_column(String(1000), default=None)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[Updated]
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", cascade="all, delete-orphan", lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="complaint", order_by="Attachment.id", cascade="all, delete-orphan", lazy="selectin"
    )
    case: Mapped[Case | None] = relationship(lazy="selectin")

    __mapper_args__: Any = {"version_id_col": version}  # noqa: RUF012 (read by the declarative base)


class ComplaintEvent(Base):
    """One change of a complaint: who, when, from which status to which, and the text."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[Timestamp]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[ComplaintAction] = mapped_column(stored(ComplaintAction))
    from_status: Mapped[ComplaintStatus | None] = mapped_column(stored(ComplaintStatus), default=None)
    to_status: Mapped[ComplaintStatus] = mapped_column(stored(ComplaintStatus))
    outcome: Mapped[Outcome | None] = mapped_column(stored(Outcome), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class ClerkTopic(Base):
    """The applicant's topic in the clerks' forum group: created on the first hand-off, reused."""

    __tablename__ = "clerk_topics"

    user_id: Mapped[TelegramId] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    chat_id: Mapped[TelegramId]
    thread_id: Mapped[TelegramId]
    created_at: Mapped[Timestamp]

    __table_args__ = (UniqueConstraint("chat_id", "thread_id", name="uq_clerk_topics_chat_id"),)


class RelayedMessage(Base):
    """A message copied during a hand-off, between the applicant's chat with the bot and their
    topic: which copy is which, so a reply points at the right message on the other side and
    an edit reaches the copy."""

    __tablename__ = "relayed_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[TelegramId] = mapped_column(ForeignKey("users.id"))
    private_message_id: Mapped[TelegramId]  # in the applicant's chat (the original or the copy)
    topic_chat_id: Mapped[TelegramId]
    topic_message_id: Mapped[TelegramId]  # in the topic (the copy or the original)
    from_applicant: Mapped[bool]
    at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_relayed_messages_private", "user_id", "private_message_id"),
        Index("ix_relayed_messages_topic", "topic_chat_id", "topic_message_id"),
    )


class Handoff(Base):
    """A conversation handed to the clerks: open until a clerk's /close or the applicant's return."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[TelegramId] = mapped_column(ForeignKey("users.id"), index=True)
    opened_at: Mapped[Timestamp]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # The clerks' next opening the applicant was told about (one notice per off-hours stretch).
    told_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index("uq_handoffs_open_per_user", "user_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change it announces."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[TelegramId]
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), default=None)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"),
                                                     default=None)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), default=None)
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the message is meant to go out (when it was made, or a reminder's time): a chat's
    # messages go out in this order. ``available_at`` is when the next try may be made.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The worker's pass that holds the claim (see OutboxRepository.claim_due).
    claimed_by: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[Timestamp]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)

    __table_args__ = (
        Index("ix_outbox_status_available_at", "status", "available_at"),
        Index("ix_outbox_chat_id_status_due_at", "chat_id", "status", "due_at"),
    )


class SurveyAnswer(Base):
    """An answer to one of the two satisfaction questions asked when a case is issued, or
    when a complaint is answered (about the complaint procedure and its deadline)."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), default=None)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"),
                                                     default=None)
    question: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(16))
    at: Mapped[Timestamp]

    __table_args__ = (
        UniqueConstraint("case_id", "question", name="uq_survey_answers_case_question"),
        UniqueConstraint("complaint_id", "question", name="uq_survey_answers_complaint_question"),
    )


class SeenUpdate(Base):
    """An update id already taken in by a webhook process (Telegram may deliver one twice)."""

    __tablename__ = "seen_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[Timestamp] = mapped_column(index=True)


class JobRun(Base):
    """The last day a daily job ran, so a restart or a second process does not repeat it."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run: Mapped[date] = mapped_column(Date)


class Draft(Base):
    """A half-filled form (an application, a complaint) the user chose to keep: its dialog data
    as the form engine holds it, offered again from the menu and the service card until
    ``expires_at``. One per user and form; a newer one replaces it."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "form", name="uq_drafts_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    form: Mapped[str] = mapped_column(String(16))
    standard_id: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp] = mapped_column(index=True)
