"""The users every update asks about, kept in memory by the one process that owns a SQLite database.

Each update needs its sender's row (language, last seen, blocked) and whether they have an
open hand-off to a clerk: one query, the costliest part of most updates. With SQLite the bot,
the registry API and the notifier run in one process and write through one session factory,
so that process can remember the rows it read and forget them when they change:

* a session of a factory the cache is attached to (:meth:`UserCache.of`) notes the users
  whose rows it flushes (``users``, and ``handoffs`` by their ``user_id``), and forgets them
  from the cache once its transaction commits or rolls back; a bulk ``UPDATE``/``DELETE`` of
  either table forgets everyone;
* a row read while anything was being forgotten is not kept (:meth:`UserCache.keep` takes
  the :attr:`UserCache.generation` seen before the read), so a read racing a commit cannot
  put an old row back;
* a user with an open hand-off is never kept: the hand-off itself is read each time.

Several processes (PostgreSQL) cannot see each other's writes this way; there the cache is off.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached

from storage.models import Handoff, User

CACHE_KEY = "kenes.user_cache"  # in Session.info: the UserCache the session reports to
TOUCHED_KEY = "kenes.touched_users"  # in Session.info: user ids written in this transaction
EVERYONE = -1  # among the touched ids: a bulk statement, forget every user
WATCHED = (User, Handoff)


@dataclass(frozen=True, slots=True)
class KnownUser:
    """A committed ``users`` row of a user with no open hand-off."""

    id: int
    language: str | None
    first_seen: datetime
    last_seen: datetime
    blocked_at: datetime | None
    drafts_until: datetime | None = None

    @classmethod
    def of(cls, user: User) -> KnownUser:
        return cls(user.id, user.language, user.first_seen, user.last_seen, user.blocked_at, user.drafts_until)

    def attach(self, session: AsyncSession) -> User:
        """The row as a ``User`` of ``session``, as if loaded there (no query): changes made
        to it are flushed and committed like any other."""
        user = User(id=self.id, language=self.language, first_seen=self.first_seen, last_seen=self.last_seen,
                    blocked_at=self.blocked_at, drafts_until=self.drafts_until)
        make_transient_to_detached(user)
        session.add(user)
        return user


class UserCache:
    """Up to ``keep`` users without an open hand-off, the least recently asked for dropped first."""

    def __init__(self, keep: int = 50_000) -> None:
        self.keep_at_most = keep
        self.generation = 0  # moves on whenever anything is forgotten
        self._users: OrderedDict[int, KnownUser] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    @classmethod
    def of(cls, sessions: async_sessionmaker[AsyncSession]) -> UserCache:
        """The cache every session of ``sessions`` reports its writes to: attached on first use."""
        info = dict(sessions.kw.get("info") or {})
        cache = info.get(CACHE_KEY)
        if not isinstance(cache, cls):
            cache = info[CACHE_KEY] = cls()
            sessions.configure(info=info)
        return cache

    def get(self, user_id: int) -> KnownUser | None:
        known = self._users.get(user_id)
        if known is not None:
            self._users.move_to_end(user_id)
        return known

    def keep(self, user: User, generation: int) -> None:
        """Remember ``user`` as just committed, unless something was forgotten since ``generation``
        (read before the row was) and the row may already be old."""
        if generation != self.generation:
            return
        self._users[user.id] = KnownUser.of(user)
        self._users.move_to_end(user.id)
        while len(self._users) > self.keep_at_most:
            self._users.popitem(last=False)

    def forget(self, user_ids: set[int]) -> None:
        self.generation += 1
        if EVERYONE in user_ids:
            self._users.clear()
            return
        for user_id in user_ids:
            self._users.pop(user_id, None)


def _touched(session: Session) -> set[int] | None:
    """The set of user ids this session wrote, if it reports to a cache."""
    if CACHE_KEY not in session.info:
        return None
    touched: set[int] = session.info.setdefault(TOUCHED_KEY, set())
    return touched


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    touched = _touched(session)
    if touched is None:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, User):
            touched.add(instance.id)
        elif isinstance(instance, Handoff):
            touched.add(instance.user_id)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    touched = _touched(state.session)
    if touched is not None and any(mapper.class_ in WATCHED for mapper in state.all_mappers):
        touched.add(EVERYONE)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    touched = session.info.pop(TOUCHED_KEY, None)
    if touched:
        cache: UserCache = session.info[CACHE_KEY]
        cache.forget(touched)
