"""The registry's JSON API for back-office systems: the FastAPI application and its routes.

Every ``/api/`` request needs ``Authorization: Bearer <REGISTRY_TOKEN>`` (401 without it,
429 after a burst of wrong ones from one address); ``/docs``, ``/openapi.json`` and
``/health`` need none. Moves go through the services of ``services/`` (the same code as the
clerks' commands in Telegram). A move that lost a race with another writer is a 409 with
the current state, like a move the lifecycle does not allow now.
"""

import logging
import mimetypes
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from api import views
from api.auth import BearerAuth, FailureLimiter, Hardening
from api.errors import (
    LastResort,
    error_response,
    lost_race,
    on_http_error,
    on_validation_error,
    responses,
    unavailable,
    unavailable_response,
)
from api.models import (
    AttachmentId,
    Booking,
    BookingConflict,
    BookingDay,
    CaseConflict,
    CaseDetail,
    CaseFilters,
    CaseList,
    CaseMove,
    ComplaintConflict,
    ComplaintDetail,
    ComplaintFilters,
    ComplaintList,
    ComplaintMove,
    Day,
    Error,
    Health,
    Number,
    Refused,
    VisitMark,
)
from domain.catalog import Catalog
from domain.clock import Clock
from domain.complaints import ComplaintAction
from domain.deadlines import local_date
from domain.lifecycle import Action, IllegalTransition
from services.bookings import BookingError, BookingService
from services.cases import CaseNotFound, CaseService
from services.complaints import ComplaintNotFound, ComplaintService
from services.unit import UnitFactory
from storage.database import SessionFactory
from storage.models import JobRun
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
NOT_STORED_RETRY = "60"
DESCRIPTION = (
    "Cases, complaints and booked visits handed in through the Kenes bot, for clerks' back-office "
    "systems. Moves go through the same lifecycles as the clerks' commands in Telegram, and the "
    "applicant is notified in their language.\n\n"
    "Errors are JSON: `{\"error\": code, \"message\": text}`; a 422 also names the `field`, a 409 "
    "carries the `current` state. Wrong tokens are counted per client address in each process: "
    "after a burst the address gets 429 with `Retry-After`."
)


@dataclass(frozen=True)
class RegistryContext:
    """What the API needs, built once by the application: the services' one factory
    (services.unit, shared with the bot and the jobs) and where the scans are stored."""

    units: UnitFactory
    file_store: Path

    @property
    def catalog(self) -> Catalog:
        return self.units.catalog

    @property
    def clock(self) -> Clock:
        return self.units.clock

    @property
    def sessions(self) -> SessionFactory:
        return self.units.sessions


def _submit_minutes(context: RegistryContext, standard_id: str) -> int:
    return context.catalog.standard(standard_id).queue.submit_minutes or 40


def create_app(context: RegistryContext, token: str, *, auth_failures: int = 10,
               auth_window: timedelta = timedelta(minutes=1)) -> FastAPI:
    """The API application; ``token`` must be non-empty (the API is off without one).

    After ``auth_failures`` wrong or missing tokens from one address within ``auth_window``,
    that address gets 429 until the window has passed (a right token always passes).
    """
    if not token:
        raise ValueError("the registry API needs a token")
    app = FastAPIOffline(
        title="Kenes registry API", version="1.0.0", description=DESCRIPTION, redoc_url=None,
        exception_handlers={RequestValidationError: on_validation_error, HTTPException: on_http_error},
        swagger_ui_parameters={"persistAuthorization": False},
    )
    app.include_router(_routes(context))

    @app.get("/health", summary="Health", response_model=Health, tags=["health"],
             responses={503: {"model": Health, "description": "The database cannot be written"}})
    async def health() -> Any:
        """Whether the database takes a write (one made in a transaction that is rolled back)."""
        failed = await _database_writable(context)
        if failed is None:
            return Health(status="ok", database="ok")
        return JSONResponse(Health(status="failing", database=failed).model_dump(), status_code=503,
                            headers={"Retry-After": "30"})

    app.add_middleware(BearerAuth, token=token,
                       limiter=FailureLimiter(context.clock, limit=auth_failures, window=auth_window))
    app.add_middleware(LastResort)
    app.add_middleware(Hardening)
    return app


async def _database_writable(context: RegistryContext) -> str | None:
    """None if a row can be written (and is rolled back at once), else what failed."""
    try:
        async with context.sessions() as session:
            await session.execute(insert(JobRun).values(name="health-probe", last_run=local_date(context.clock())))
            await session.rollback()
    except Exception as exc:
        logger.warning("health: the database cannot be written (%s)", type(exc).__name__)
        what = "unavailable" if unavailable(exc) else "failed"
        return f"{what}: {type(exc).__name__}"
    return None


@asynccontextmanager
async def _session(context: RegistryContext) -> AsyncIterator[AsyncSession]:
    async with context.sessions() as session:
        yield session


async def _after_race(exc: Exception, current: Callable[[], Awaitable[BaseModel]], code: str,
                      message: str) -> JSONResponse:
    """409 with the current state, or 503 if that cannot be read either."""
    try:
        state = await current()
    except Exception as again:
        what = unavailable(again)
        if what is None:
            raise
        return unavailable_response(what)
    return error_response(409, code, message, current=state)


def _routes(context: RegistryContext) -> APIRouter:
    offices = {o.id: s for s in context.catalog.standards.values() for o in context.catalog.offices_of(s.id)}
    OfficeId = StrEnum("OfficeId", {office: office for office in sorted(offices)})  # type: ignore[misc]
    bearer = HTTPBearer(scheme_name="bearer", auto_error=False,
                        description="REGISTRY_TOKEN; checked before anything else")
    router = APIRouter(prefix="/api/v1", dependencies=[Security(bearer)])

    def cases(session: AsyncSession) -> CaseService:
        return context.units.over(session).cases

    def complaints(session: AsyncSession) -> ComplaintService:
        return context.units.over(session).complaints

    def bookings(session: AsyncSession) -> BookingService:
        return context.units.over(session).bookings

    async def current_case(number: str) -> CaseDetail:
        async with _session(context) as session:
            service = cases(session)
            return views.case_detail(await service.get(number), service)

    async def current_complaint(number: str) -> ComplaintDetail:
        async with _session(context) as session:
            service = complaints(session)
            return views.complaint_detail(await service.get(number), service)

    async def current_booking(number: str) -> BaseModel:
        async with _session(context) as session:
            found = await bookings(session).get(number)
            return views.booking(found, _submit_minutes(context, found.standard_id))

    @router.get("/cases", summary="List cases", response_model=CaseList, tags=["cases"], responses=responses())
    async def list_cases(filters: Annotated[CaseFilters, Query()]) -> Any:
        """Cases, earliest due first."""
        async with _session(context) as session:
            service = cases(session)
            found = await service.search(statuses=filters.statuses, service_id=filters.service,
                                         office_id=filters.office, overdue=filters.overdue, limit=filters.limit,
                                         offset=filters.offset)
            return CaseList(cases=[views.case_summary(c, service) for c in found])

    @router.get("/cases/{number}", summary="One case", response_model=CaseDetail, tags=["cases"],
                responses=responses(404))
    async def get_case(number: Annotated[Number, PathParam()]) -> Any:
        """One case with its history and attachments."""
        try:
            return await current_case(number)
        except CaseNotFound:
            return error_response(404, "not_found", "no such case")

    @router.post("/cases/{number}/actions", summary="Move a case", response_model=CaseDetail, tags=["cases"],
                 responses=responses(404, 413, s409=(CaseConflict, "The move does not apply now, or the case was "
                                                                    "moved by someone else meanwhile")))
    async def move_case(number: Annotated[Number, PathParam()], body: CaseMove) -> Any:
        """Move a case through its lifecycle; the applicant is notified."""
        try:
            async with _session(context) as session:
                service = cases(session)
                case = await service.transition(number, Action(body.action), f"api:{body.actor}",
                                                comment=body.comment, ground=body.ground,
                                                extension_months=body.extension_months)
                logger.info("case %s: %s by api:%s", case.number, body.action, body.actor)
                return views.case_detail(case, service)
        except CaseNotFound:
            return error_response(404, "not_found", "no such case")
        except IllegalTransition as exc:
            return await _after_race(exc, lambda: current_case(number), "illegal_transition", str(exc))
        except Exception as exc:
            if not lost_race(exc):
                raise
            return await _after_race(exc, lambda: current_case(number), "concurrent",
                                     "the case was changed by someone else meanwhile; look at it again")

    @router.get("/complaints", summary="List complaints", response_model=ComplaintList, tags=["complaints"],
                responses=responses())
    async def list_complaints(filters: Annotated[ComplaintFilters, Query()]) -> Any:
        """Complaints, earliest review day first."""
        async with _session(context) as session:
            service = complaints(session)
            found = await service.search(statuses=filters.statuses, office_id=filters.office,
                                         overdue=filters.overdue, limit=filters.limit, offset=filters.offset)
            return ComplaintList(complaints=[views.complaint_summary(c, service) for c in found])

    @router.get("/complaints/{number}", summary="One complaint", response_model=ComplaintDetail, tags=["complaints"],
                responses=responses(404))
    async def get_complaint(number: Annotated[Number, PathParam()]) -> Any:
        """One complaint with its history and files."""
        try:
            return await current_complaint(number)
        except ComplaintNotFound:
            return error_response(404, "not_found", "no such complaint")

    @router.post("/complaints/{number}/actions", summary="Move a complaint", response_model=ComplaintDetail,
                 tags=["complaints"],
                 responses=responses(404, 413, s409=(ComplaintConflict, "The move does not apply now, or the "
                                                                         "complaint was moved meanwhile")))
    async def move_complaint(number: Annotated[Number, PathParam()], body: ComplaintMove) -> Any:
        """Take a complaint under review, answer it, or forward it (the complainant is notified)."""
        try:
            async with _session(context) as session:
                service = complaints(session)
                complaint = await service.transition(number, ComplaintAction(body.action), f"api:{body.actor}",
                                                     comment=body.comment, outcome=body.outcome)
                logger.info("complaint %s: %s by api:%s", complaint.number, body.action, body.actor)
                return views.complaint_detail(complaint, service)
        except ComplaintNotFound:
            return error_response(404, "not_found", "no such complaint")
        except IllegalTransition as exc:
            return await _after_race(exc, lambda: current_complaint(number), "illegal_transition", str(exc))
        except Exception as exc:
            if not lost_race(exc):
                raise
            return await _after_race(exc, lambda: current_complaint(number), "concurrent",
                                     "the complaint was changed by someone else meanwhile; look at it again")

    @router.get("/bookings", summary="An office's day", response_model=BookingDay, tags=["bookings"],
                responses=responses())
    async def list_bookings(office: Annotated[OfficeId, Query()],
                            day: Annotated[Day, Query(alias="date", json_schema_extra={"format": "date"},
                                                      description="YYYY-MM-DD, in 2000-2099")]) -> Any:
        """An office's booked visits of a day, and the share served within the wait limit."""
        limit = offices[office].queue.submit_minutes or 40
        async with _session(context) as session:
            found = [views.booking(b, limit) for b in await bookings(session).day(office, day)]  # type: ignore[arg-type]
        served = [b for b in found if b.waited_minutes is not None]
        within = sum(1 for b in served if b.waited_within_limit)
        return BookingDay(office=office, date=day, wait_limit_minutes=limit, bookings=found, served=len(served),
                          waited_within_limit=within,
                          share_within_limit=round(within / len(served), 3) if served else None)

    @router.post("/bookings/{number}/visit", summary="Mark a visit", response_model=Booking, tags=["bookings"],
                 responses=responses(404, 413, s409=(BookingConflict, "The mark does not apply now, or the visit "
                                                                       "was marked meanwhile")))
    async def mark_visit(number: Annotated[Number, PathParam()], body: VisitMark) -> Any:
        """Mark a visitor arrived, served (the service started) or a no-show."""
        try:
            async with _session(context) as session:
                service = bookings(session)
                booking = await service.mark(number, body.event)
                return views.booking(booking, _submit_minutes(context, booking.standard_id))
        except BookingError as exc:
            if exc.code == "not_found":
                return error_response(404, "not_found", str(exc))
            return await _after_race(exc, lambda: current_booking(number), exc.code, str(exc))
        except Exception as exc:
            if not lost_race(exc):
                raise
            return await _after_race(exc, lambda: current_booking(number), "concurrent",
                                     "the booking was changed meanwhile")

    @router.get("/attachments/{id}/content", summary="A stored file", tags=["attachments"], response_class=FileResponse,
                responses={
                    200: {"description": "The stored file, as an attachment", "content": {"*/*": {}}},
                    **responses(404, s410=(Refused, "The file was refused (its type or size)")),
                    503: {"model": Error, "description": "Not stored yet (or the store cannot be read); "
                                                         "try again after Retry-After",
                          "headers": responses()[503]["headers"]},
                })
    async def attachment_content(attachment_id: Annotated[AttachmentId, PathParam(alias="id")]) -> Any:
        """The stored file of an attachment, with the type found in its content."""
        async with _session(context) as session:
            attachment = await Repositories(session).attachments.get(attachment_id)
        if attachment is None:
            return error_response(404, "not_found", "no such attachment")
        if attachment.rejected:
            reason = "type" if attachment.rejected == "type" else "size"
            message = ("the file is not an image or a PDF, so it was not kept" if reason == "type"
                       else "the file is larger than the store takes, so it was not kept")
            return error_response(410, "rejected", message, reason=reason)
        if attachment.stored_path is None:
            return error_response(503, "not_stored_yet", "the file is being downloaded from Telegram; try again later",
                                  headers={"Retry-After": NOT_STORED_RETRY})
        root = context.file_store.resolve()
        path = (root / attachment.stored_path).resolve()
        if not path.is_relative_to(root):
            return error_response(404, "not_found", "the stored file is missing")
        try:
            found = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return error_response(404, "not_found", "the stored file is missing")
        except OSError as exc:
            logger.error("attachment %s: the file store cannot be read (%s)", attachment_id, type(exc).__name__)
            return unavailable_response("storage")
        if not stat.S_ISREG(found.st_mode):
            return error_response(404, "not_found", "the stored file is missing")
        media_type = (attachment.content_type or attachment.mime_type or mimetypes.guess_type(path.name)[0]
                      or "application/octet-stream")
        return FileResponse(path, media_type=media_type, filename=path.name, stat_result=found,
                            content_disposition_type="attachment")

    return router
