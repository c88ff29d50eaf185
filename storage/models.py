"""SQLAlchemy 2 typed models. Every schema change comes with an alembic revision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


def utcnow() -> datetime:
    return datetime.now(UTC)


TelegramId = Annotated[int, mapped_column(BigInteger)]
Timestamp = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class User(Base):
    """A person who has written to the bot."""

    __tablename__ = "users"

    id: Mapped[TelegramId] = mapped_column(primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    first_seen: Mapped[Timestamp]
    last_seen: Mapped[Timestamp]

    def __repr__(self) -> str:
        return f"User(id={self.id}, language={self.language!r})"


class FsmRecord(Base):
    """Conversation state (aiogram FSM and aiogram-dialog stacks), one row per storage key."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[Timestamp] = mapped_column(onupdate=utcnow)
