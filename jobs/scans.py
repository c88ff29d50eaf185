"""Copying applicants' scans from Telegram into the file store: checked, and never lost.

* **The content decides the type.** Only JPEG, PNG and PDF are kept, recognised by their first
  bytes (:mod:`filetype`, asked about those three signatures only), whatever the sender's app
  named the file or claimed its type to be. A kept file is stored as
  ``<store>/<number>/<id>-<document>.<jpg|png|pdf>`` (the number of its case or complaint) and
  its ``content_type`` recorded. Anything else is not kept (``rejected = "type"``): the partial
  copy is deleted and the sender told.
* **The size is counted while downloading.** A file Telegram says is over the limit is refused
  without downloading; one whose size is not known is streamed and cut off as soon as it passes
  the limit (``rejected = "size"``). Telegram's own "file is too big" (it serves bots files of
  up to 20 MB) is a refusal for size too: it will never be served.
* **Retried until stored.** Any other failure (an error from Telegram, the network, the file
  store: a full disk...) is recorded with its error and the download tried again 5 s later,
  then 10, 20... up to every 10 minutes, without end. A file still failing a day after its
  first failure is reported once to the clerks' group, and the case card says so. A 400 such
  as "wrong file_id" will not heal on its own, yet it is retried on the same schedule (every
  10 minutes it costs one request) and reported after a day like any other failure, so that a
  clerk asks the applicant for the original; what Telegram answers is kept in ``last_error``.

Attempts are claimed (see :meth:`storage.repositories.AttachmentRepository.claim_due`), so
several processes share the work and none downloads a file another is downloading; a process
that dies mid-download leaves its files to be tried again when the claim runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import aiofiles
import filetype
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from filetype.types.archive import Pdf
from filetype.types.base import Type as FileType
from filetype.types.image import Jpeg, Png

from domain.clock import Clock
from storage.database import SessionFactory
from storage.models import Attachment
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
MB = 1024 * 1024
SIGNATURES = (Jpeg(), Png(), Pdf())  # the kinds kept, by their first bytes
HEAD = 262  # bytes enough to tell them (and, for a refusal, most other kinds)
CHUNK = 64 * 1024


class ScanNotices(Protocol):
    """How the job tells people (the entry point passes the outbox's notices)."""

    async def scan_refused(self, repositories: Repositories, attachment: Attachment, limit_mb: int) -> None:
        """Tell the sender that a file was not kept (``attachment.rejected`` says why)."""

    async def scan_failing(self, repositories: Repositories, attachment: Attachment) -> None:
        """Tell the clerks that a file could not be stored for a day."""


@dataclass(frozen=True)
class Backoff:
    """The wait after the ``n``-th failure in a row: ``first``, doubling, at most ``cap``."""

    first: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=10)

    def after(self, failures: int) -> timedelta:
        return min(self.first * 2 ** min(max(failures - 1, 0), 32), self.cap)


@dataclass(frozen=True)
class Pass:
    """What one pass did, and the seconds until the next attempt is due (``None``: nothing waits)."""

    stored: int = 0
    refused: int = 0
    failed: int = 0
    wait: float | None = None


class Refused(Exception):
    """The file is not kept: ``reason`` is "type" or "size"; ``content_type``, what it is, if known."""

    def __init__(self, reason: str, content_type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.content_type = content_type


class NoFilePath(Exception):
    """Telegram answered getFile without a path to download."""


@dataclass(frozen=True)
class _Job:
    id: int
    file_id: str
    document_id: str
    number: str | None
    failures: int = 0


def recognise(head: bytes) -> FileType:
    """The kept kind the first bytes of a file show (``.mime``, ``.extension``), or :class:`Refused`."""
    kind = filetype.match(head, matchers=SIGNATURES)
    if kind is None:
        raise Refused("type", filetype.guess_mime(head))
    return kind


class AttachmentDownloader:
    """Copies attachments from Telegram into the file store (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        sessions: SessionFactory,
        store: Path,
        notices: ScanNotices,
        *,
        clock: Clock,
        max_bytes: int,
        backoff: Backoff | None = None,
        report_after: timedelta = timedelta(days=1),
        batch: int = 20,
        hold: timedelta = timedelta(minutes=5),
        timeout: int = 60,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.store = store
        self.notices = notices
        self.clock = clock
        self.max_bytes = max_bytes
        self.backoff = backoff or Backoff()
        self.report_after = report_after
        self.batch = batch
        self.hold = hold  # longer than a download may take (``timeout``)
        self.timeout = timeout

    async def download_due(self) -> Pass:
        """Try each attachment whose attempt is due, once."""
        now = self.clock()
        async with self.sessions() as session:
            rows = await Repositories(session).attachments.claim_due(now, self.batch, now + self.hold)
            jobs = [_Job(a.id, a.file_id, a.document_id, a.owner_number, a.download_attempts) for a in rows]
            await session.commit()
        outcomes = Counter([await self._attempt(job) for job in jobs])
        async with self.sessions() as session:
            upcoming = await Repositories(session).attachments.next_attempt()
        if len(jobs) == self.batch:  # a full batch: there may be more due right now
            wait: float | None = 0.0
        else:
            wait = None if upcoming is None else max((upcoming - self.clock()).total_seconds(), 0.0)
        return Pass(outcomes["stored"], outcomes["refused"], outcomes["failed"], wait)

    async def run(self, stop: asyncio.Event, poll: float = 5.0) -> None:
        while not stop.is_set():
            wait = poll
            try:
                result = await self.download_due()
                if result.wait is not None:
                    wait = min(result.wait, poll)
            except Exception:  # a database hiccup must not stop the copying for good
                logger.exception("attachment downloads failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _attempt(self, job: _Job) -> str:
        try:
            path, content_type = await self._fetch(job)
        except Refused as refusal:
            await self._refuse(job, refusal)
            return "refused"
        except Exception as exc:  # whatever it was, the scan is kept to try again
            await self._fail(job, exc)
            return "failed"
        async with self.sessions() as session:
            await Repositories(session).attachments.stored(job.id, path, content_type, self.clock())
            await session.commit()
        logger.info("attachment %s: stored as %s", job.id, content_type)
        return "stored"

    async def _fetch(self, job: _Job) -> tuple[str, str]:
        """Download into the store; the stored path (relative) and the content's type."""
        try:
            file = await self.bot.get_file(job.file_id)
        except TelegramBadRequest as exc:
            if "file is too big" in exc.message.lower():
                raise Refused("size") from exc
            raise
        if file.file_size is not None and file.file_size > self.max_bytes:
            raise Refused("size")
        if not file.file_path:
            raise NoFilePath("Telegram gave no path to download the file from")
        folder = Path(job.number or "unnumbered")
        (self.store / folder).mkdir(parents=True, exist_ok=True)
        # Written under a name of its own, then renamed: never a half file under the real name.
        partial = self.store / folder / f"{job.id}-{job.document_id}.{uuid.uuid4().hex}.part"
        try:
            kind = await self._copy(file.file_path, partial)
            relative = folder / f"{job.id}-{job.document_id}.{kind.extension}"
            partial.replace(self.store / relative)
        finally:
            partial.unlink(missing_ok=True)
        return relative.as_posix(), kind.mime

    async def _copy(self, file_path: str, partial: Path) -> FileType:
        """Stream the file into ``partial``, telling its kind from its first bytes and counting
        its size; stop (:class:`Refused`) as soon as it is of a kind not kept or too big."""
        head, size, kind = b"", 0, None
        chunks = self._chunks(file_path)
        try:
            async with aiofiles.open(partial, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if kind is None and len(head) < HEAD:
                        head += chunk[:HEAD - len(head)]
                        if len(head) >= HEAD:
                            kind = recognise(head)
                    if size > self.max_bytes:
                        raise Refused("size", kind.mime if kind else None)
                    await out.write(chunk)
            return kind or recognise(head)
        finally:
            await chunks.aclose()

    def _chunks(self, file_path: str) -> AsyncGenerator[bytes, None]:
        api = self.bot.session.api
        if api.is_local:  # a local Bot API server keeps the file on this machine's disk
            return _read(Path(api.wrap_local_file.to_local(file_path)))
        return self.bot.session.stream_content(url=api.file_url(self.bot.token, file_path), timeout=self.timeout,
                                               chunk_size=CHUNK, raise_for_status=True)

    async def _refuse(self, job: _Job, refusal: Refused) -> None:
        async with self.sessions() as session:
            repositories = Repositories(session)
            if await repositories.attachments.refused(job.id, refusal.reason, refusal.content_type):
                attachment = await repositories.attachments.with_owner(job.id)
                if attachment is not None:
                    await self.notices.scan_refused(repositories, attachment, self.max_bytes // MB)
            await session.commit()
        logger.info("attachment %s: not kept (%s, %s)", job.id, refusal.reason, refusal.content_type)

    async def _fail(self, job: _Job, exc: Exception) -> None:
        now = self.clock()
        error = self.describe(exc)
        retry_at = now + self.backoff.after(job.failures + 1)
        async with self.sessions() as session:
            repositories = Repositories(session)
            await repositories.attachments.failed(job.id, error, now, retry_at)
            if await repositories.attachments.mark_reported(job.id, now, now - self.report_after):
                attachment = await repositories.attachments.with_owner(job.id)
                if attachment is not None:
                    await self.notices.scan_failing(repositories, attachment)
                logger.error("attachment %s: not stored for %s; the clerks are told", job.id, self.report_after)
            await session.commit()
        logger.warning("attachment %s: attempt %s failed (%s); next at %s", job.id, job.failures + 1, error,
                       retry_at.isoformat())

    def describe(self, exc: BaseException) -> str:
        """The error in short, without the bot's token (a download URL carries it)."""
        if isinstance(exc, TelegramAPIError):
            text = exc.message
        elif isinstance(exc, OSError) and exc.strerror:
            text = f"{type(exc).__name__}: {exc.strerror}"  # without the path
        else:
            text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return text.replace(self.bot.token, "…")[:500]


async def _read(path: Path) -> AsyncGenerator[bytes, None]:
    async with aiofiles.open(path, "rb") as source:
        while chunk := await source.read(CHUNK):
            yield chunk
