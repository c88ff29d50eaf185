"""The registry's JSON API for back-office systems (aiohttp), described at ``/openapi.json``.

Every ``/api/`` request needs ``Authorization: Bearer <REGISTRY_TOKEN>``; without it, or
with a wrong one, the answer is 401. Moves go through :class:`registry.cases.CaseService`,
the same code as the clerks' commands in Telegram.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.catalog import Catalog
from domain.clock import Clock
from domain.complaints import ComplaintAction, ComplaintStatus
from domain.deadlines import ALMATY, WorkingCalendar
from domain.lifecycle import Action, IllegalTransition, Status
from domain.slots import BookingConfig
from registry.bookings import VISIT_EVENTS, BookingError, BookingService, waited_minutes
from registry.cases import CaseNotFound, CaseService, Notices
from registry.complaints import ComplaintNotFound, ComplaintService, addressee
from registry.openapi import OPENAPI
from storage.database import SessionFactory
from storage.models import Attachment, Booking, Case, Complaint
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RegistryContext:
    """What the API needs, built once by the application."""

    sessions: SessionFactory
    catalog: Catalog
    calendar: WorkingCalendar
    notices: Notices
    file_store: Path
    clock: Clock
    booking_config: BookingConfig = field(default_factory=BookingConfig.load)
    complaint_review_days: int = 5


BodyModel = TypeVar("BodyModel", bound=BaseModel)
CONTEXT = web.AppKey("context", RegistryContext)
TOKEN = web.AppKey("token", str)


class TransitionRequest(BaseModel):
    """A move of a case, as posted to ``/api/v1/cases/{number}/actions``."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "return", "extend", "ready", "issue", "refuse"]
    actor: str = Field(default="back-office", min_length=1, max_length=48)
    comment: str | None = Field(default=None, max_length=2000)
    ground: int | None = None
    extension_months: int | None = None


class ComplaintRequest(BaseModel):
    """A move of a complaint, as posted to ``/api/v1/complaints/{number}/actions``."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["take", "answer", "forward"]
    actor: str = Field(default="back-office", min_length=1, max_length=48)
    outcome: Literal["upheld", "partly", "rejected"] | None = None
    comment: str | None = Field(default=None, max_length=3000)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def _body(request: web.Request, model: type[BodyModel]) -> BodyModel | web.Response:
    """The JSON body as ``model``, or a 422 response saying what is wrong."""
    try:
        return model.model_validate(await request.json())
    except ValueError as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else "the body must be JSON"
        return _error(422, "invalid_body", message)


def _filters(query: Any, statuses_enum: type[StrEnum]) -> tuple[list[str], bool | None, int, int]:
    """``status`` (comma-separated), ``overdue``, ``limit`` and ``offset``; ValueError if wrong."""
    statuses = [s for s in query.get("status", "").split(",") if s]
    for status in statuses:
        statuses_enum(status)
    return (statuses, _flag(query.get("overdue")), min(int(query.get("limit", "100")), 500),
            max(int(query.get("offset", "0")), 0))


def _attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.id, "document_id": a.document_id, "kind": a.kind, "mime_type": a.mime_type,
        "file_name": a.file_name, "file_size": a.file_size, "stored": a.stored_path is not None,
        "content_url": f"/api/v1/attachments/{a.id}/content",
    }


@web.middleware
async def bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/api/"):
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        expected = request.app[TOKEN]
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            response = _error(401, "unauthorized", "send Authorization: Bearer <REGISTRY_TOKEN>")
            response.headers["WWW-Authenticate"] = 'Bearer realm="kenes-registry"'
            return response
    return await handler(request)


def case_summary(case: Case, service: CaseService) -> dict[str, Any]:
    catalog = service.catalog
    placement = catalog.placement(case.standard_id, case.office_id)
    return {
        "number": case.number,
        "status": case.status,
        "service": {"id": case.service_id, "name": catalog.service(case.service_id).name.model_dump()},
        "standard": case.standard_id,
        "office": {"id": case.office_id, "name": placement.office.name.model_dump()},
        "submitted_at": case.submitted_at.isoformat(),
        "due_date": case.due_date.isoformat(),
        "overdue": service.is_overdue(case),
    }


def case_detail(case: Case, service: CaseService) -> dict[str, Any]:
    standard = service.catalog.standard(case.standard_id)
    grounds = standard.refusal_grounds
    return {
        **case_summary(case, service),
        "applicant": case.applicant,
        "details": case.details,
        "ready_at": case.ready_at.isoformat() if case.ready_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "allowed_actions": [a.value for a in service.actions(case)],
        "refusal_grounds": [g.model_dump() for g in grounds],
        "history": [
            {
                "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "from": e.from_status,
                "to": e.to_status, "comment": e.comment, "ground": e.ground,
                "ground_text": grounds[e.ground].model_dump() if e.ground is not None else None,
                "due_date": e.due_date.isoformat() if e.due_date else None,
            }
            for e in case.events
        ],
        "attachments": [_attachment(a) for a in case.attachments],
    }


@asynccontextmanager
async def case_service(request: web.Request) -> AsyncIterator[CaseService]:
    """One request's unit of work: a session and the case service over it."""
    c = request.app[CONTEXT]
    async with c.sessions() as session:
        yield CaseService(Repositories(session), c.catalog, c.calendar, c.notices, c.clock)


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValueError("overdue must be true or false")


async def list_cases(request: web.Request) -> web.Response:
    query = request.query
    try:
        statuses, overdue, limit, offset = _filters(query, Status)
    except ValueError as exc:
        return _error(422, "invalid_query", str(exc))
    async with case_service(request) as service:
        cases = await service.search(statuses=statuses or None, service_id=query.get("service"),
                                     office_id=query.get("office"), overdue=overdue, limit=limit, offset=offset)
        return web.json_response({"cases": [case_summary(c, service) for c in cases]})


async def get_case(request: web.Request) -> web.Response:
    async with case_service(request) as service:
        try:
            case = await service.get(request.match_info["number"])
        except CaseNotFound:
            return _error(404, "not_found", "no such case")
        return web.json_response(case_detail(case, service))


async def move_case(request: web.Request) -> web.Response:
    body = await _body(request, TransitionRequest)
    if isinstance(body, web.Response):
        return body
    async with case_service(request) as service:
        try:
            case = await service.transition(
                request.match_info["number"], Action(body.action), f"api:{body.actor}",
                comment=body.comment, ground=body.ground, extension_months=body.extension_months,
            )
        except CaseNotFound:
            return _error(404, "not_found", "no such case")
        except IllegalTransition as exc:
            return _error(409, "illegal_transition", str(exc))
        logger.info("case %s: %s by api:%s", case.number, body.action, body.actor)
        return web.json_response(case_detail(case, service))


def complaint_summary(complaint: Complaint, service: ComplaintService) -> dict[str, Any]:
    placement = service.placement(complaint)
    return {
        "number": complaint.number,
        "status": complaint.status,
        "topic": complaint.topic,
        "standard": complaint.standard_id,
        "office": {"id": complaint.office_id, "name": placement.office.name.model_dump()},
        "addressee": addressee(placement).model_dump(),
        "case": complaint.case.number if complaint.case else None,
        "registered_at": complaint.registered_at.isoformat(),
        "due_date": complaint.due_date.isoformat(),
        "overdue": service.is_overdue(complaint),
    }


def complaint_detail(complaint: Complaint, service: ComplaintService) -> dict[str, Any]:
    return {
        **complaint_summary(complaint, service),
        "text": complaint.text,
        "complainant": complaint.complainant,
        "outcome": complaint.outcome,
        "answer": complaint.answer,
        "forwarded_to": complaint.forwarded_to,
        "closed_at": complaint.closed_at.isoformat() if complaint.closed_at else None,
        "allowed_actions": [a.value for a in service.actions(complaint)],
        "history": [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "from": e.from_status,
             "to": e.to_status, "outcome": e.outcome, "comment": e.comment}
            for e in complaint.events
        ],
        "attachments": [_attachment(a) for a in complaint.attachments],
    }


@asynccontextmanager
async def complaint_service(request: web.Request) -> AsyncIterator[ComplaintService]:
    c = request.app[CONTEXT]
    async with c.sessions() as session:
        yield ComplaintService(Repositories(session), c.catalog, c.calendar, c.notices, c.complaint_review_days,
                               c.clock)


async def list_complaints(request: web.Request) -> web.Response:
    try:
        statuses, overdue, limit, offset = _filters(request.query, ComplaintStatus)
    except ValueError as exc:
        return _error(422, "invalid_query", str(exc))
    async with complaint_service(request) as service:
        found = await service.search(statuses=statuses or None, office_id=request.query.get("office"),
                                     overdue=overdue, limit=limit, offset=offset)
        return web.json_response({"complaints": [complaint_summary(c, service) for c in found]})


async def get_complaint(request: web.Request) -> web.Response:
    async with complaint_service(request) as service:
        try:
            complaint = await service.get(request.match_info["number"])
        except ComplaintNotFound:
            return _error(404, "not_found", "no such complaint")
        return web.json_response(complaint_detail(complaint, service))


async def move_complaint(request: web.Request) -> web.Response:
    body = await _body(request, ComplaintRequest)
    if isinstance(body, web.Response):
        return body
    async with complaint_service(request) as service:
        try:
            complaint = await service.transition(request.match_info["number"], ComplaintAction(body.action),
                                                 f"api:{body.actor}", comment=body.comment, outcome=body.outcome)
        except ComplaintNotFound:
            return _error(404, "not_found", "no such complaint")
        except IllegalTransition as exc:
            return _error(409, "illegal_transition", str(exc))
        logger.info("complaint %s: %s by api:%s", complaint.number, body.action, body.actor)
        return web.json_response(complaint_detail(complaint, service))


async def attachment_content(request: web.Request) -> web.StreamResponse:
    try:
        attachment_id = int(request.match_info["id"])
    except ValueError:
        return _error(404, "not_found", "no such attachment")
    context = request.app[CONTEXT]
    async with context.sessions() as session:
        attachment = await Repositories(session).attachments.get(attachment_id)
    if attachment is None:
        return _error(404, "not_found", "no such attachment")
    if attachment.stored_path is None:
        return _error(409, "not_stored_yet", "the file is being downloaded from Telegram; try again later")
    path = (context.file_store / attachment.stored_path).resolve()
    if not path.is_relative_to(context.file_store.resolve()) or not path.is_file():
        return _error(404, "not_found", "the stored file is missing")
    return web.FileResponse(path, headers={"Content-Type": attachment.mime_type or "application/octet-stream"})


@asynccontextmanager
async def booking_service(request: web.Request) -> AsyncIterator[BookingService]:
    c = request.app[CONTEXT]
    async with c.sessions() as session:
        yield BookingService(Repositories(session), c.catalog, c.calendar, c.booking_config, c.notices, c.clock)


def _local(moment: datetime | None) -> str | None:
    """A moment in ISO 8601 at Almaty's offset, as the offices' clocks show it."""
    return moment.astimezone(ALMATY).isoformat() if moment else None


def booking_json(booking: Booking, limit: int) -> dict[str, Any]:
    waited = waited_minutes(booking)
    return {
        "number": booking.number,
        "service": booking.service_id,
        "standard": booking.standard_id,
        "office": booking.office_id,
        "starts_at": _local(booking.starts_at),
        "status": booking.status,
        "arrived_at": _local(booking.arrived_at),
        "served_at": _local(booking.served_at),
        "waited_minutes": round(waited, 1) if waited is not None else None,
        "waited_within_limit": waited <= limit if waited is not None else None,
    }


async def list_bookings(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    office_id = request.query.get("office", "")
    offices = {o.id: s for s in context.catalog.standards.values() for o in context.catalog.offices_of(s.id)}
    if office_id not in offices:
        return _error(422, "invalid_query", "office must be an office id")
    try:
        day = date.fromisoformat(request.query["date"])
    except (KeyError, ValueError):
        return _error(422, "invalid_query", "date must be YYYY-MM-DD")
    limit = offices[office_id].queue.submit_minutes or 40
    async with booking_service(request) as service:
        bookings = [booking_json(b, limit) for b in await service.day(office_id, day)]
    served = [b for b in bookings if b["waited_minutes"] is not None]
    within = sum(1 for b in served if b["waited_within_limit"])
    return web.json_response({
        "office": office_id, "date": day.isoformat(), "wait_limit_minutes": limit, "bookings": bookings,
        "served": len(served), "waited_within_limit": within,
        "share_within_limit": round(within / len(served), 3) if served else None,
    })


async def mark_visit(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        event = body["event"]
        if event not in VISIT_EVENTS:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return _error(422, "invalid_body", f"the body is {{\"event\": one of {', '.join(VISIT_EVENTS)}}}")
    async with booking_service(request) as service:
        try:
            booking = await service.mark(request.match_info["number"], event)
        except BookingError as error:
            status = 404 if error.code == "not_found" else 409
            return _error(status, error.code, str(error))
        standard = service.catalog.standard(booking.standard_id)
        return web.json_response(booking_json(booking, standard.queue.submit_minutes or 40))


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(context: RegistryContext, token: str) -> web.Application:
    """The API application; ``token`` must be non-empty (the API is off without one)."""
    if not token:
        raise ValueError("the registry API needs a token")
    app = web.Application(middlewares=[bearer_auth])
    app[CONTEXT] = context
    app[TOKEN] = token
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/health", health)
    app.router.add_get("/api/v1/cases", list_cases)
    app.router.add_get("/api/v1/cases/{number}", get_case)
    app.router.add_post("/api/v1/cases/{number}/actions", move_case)
    app.router.add_get("/api/v1/complaints", list_complaints)
    app.router.add_get("/api/v1/complaints/{number}", get_complaint)
    app.router.add_post("/api/v1/complaints/{number}/actions", move_complaint)
    app.router.add_get("/api/v1/attachments/{id}/content", attachment_content)
    app.router.add_get("/api/v1/bookings", list_bookings)
    app.router.add_post("/api/v1/bookings/{number}/visit", mark_visit)
    return app
