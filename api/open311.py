"""Open311 GeoReport v2 for complaints (http://wiki.open311.org/GeoReport_v2), under
``/open311/v2/``, so a city's complaint tools can read Kenes's complaints and file new ones.

The mapping:

* a **service** is a state service as one standard provides it (``service_code`` = the
  standard's id); its **definition** asks for the office (one of the standard's), the
  topic of the complaint (the bot's topics), and optionally the applicant's case number;
* a **service request** is a complaint (``service_request_id`` = its number, C-26-000042):
  ``open`` while registered or under review, ``closed`` once answered or forwarded; the
  ``status_notes`` say which (and the outcome, or where it went); ``expected_datetime`` is
  the end of the review's last day in Almaty;
* **filing** (``POST requests.json``, form-encoded as the specification has it, or JSON)
  needs ``api_key`` (``OPEN311_API_KEY``) and registers the complaint through
  services.complaints: the same due date, history and clerks' notice as in Telegram. It
  has no Telegram chat (domain.complaints.EXTERNAL_USER_ID), so no notices go to anyone
  but the clerks.

Reads need no key, but they carry nothing personal: the complaint's text, the complainant
and the answer are given only with the right ``api_key``. Errors are Open311's
``[{"code": 400, "description": "..."}]`` with the HTTP status of the same number.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.models import NO_CONTROL, Moment, NoControl, Topic, bounded
from domain.catalog import Catalog
from domain.complaints import EXTERNAL_USER_ID, MAX_TEXT, MIN_TEXT, OPEN, TOPICS, ComplaintStatus
from domain.deadlines import ALMATY
from domain.lifecycle import IllegalTransition
from services.complaints import ComplaintNotFound, ComplaintService, NewComplaint, parse_number
from storage.database import SessionFactory
from storage.models import Complaint
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
TOPIC_NAMES = {
    "official": ("Лауазымды тұлғаның әрекеті", "Действия должностного лица"),
    "quality": ("Қызмет сапасы", "Качество услуги"),
    "deadline": ("Мерзімнің бұзылуы", "Нарушение сроков"),
    "courtesy": ("Қызметкерлердің әдепсіздігі", "Невежливость сотрудников"),
    "other": ("Басқа", "Другое"),
}
OUTCOME_NOTES = {"upheld": "answered: upheld", "partly": "answered: partly upheld", "rejected": "answered: rejected"}


class Open311Error(BaseModel):
    code: int
    description: str


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue] | None = None


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


class ServiceRequest(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None = Field(description="The complaint's text: only with the right api_key")
    agency_responsible: str
    service_notice: str | None
    requested_datetime: Moment
    updated_datetime: Moment
    expected_datetime: Moment
    address: str | None
    address_id: str | None = Field(description="The office's id")
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class CreatedRequest(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None


class NewRequest(BaseModel):
    """What a city's tool posts to file a complaint (form fields as the specification names
    them: ``attribute[office]``, ``attribute[topic]``, ``attribute[case_number]``)."""

    model_config = ConfigDict(extra="ignore")

    api_key: Annotated[str, bounded(200, 1), NoControl]
    service_code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]
    office: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$", alias="attribute[office]")]
    topic: Annotated[Topic, Field(alias="attribute[topic]")]
    case_number: Annotated[str, bounded(32), NoControl] | None = Field(default=None, alias="attribute[case_number]")
    description: Annotated[str, Field(min_length=MIN_TEXT, max_length=MAX_TEXT)]
    first_name: Annotated[str, bounded(100), NoControl] | None = None
    last_name: Annotated[str, bounded(100), NoControl] | None = None
    email: Annotated[str, bounded(200), NoControl] | None = None
    phone: Annotated[str, bounded(32), NoControl] | None = None
    jurisdiction_id: Annotated[str, bounded(64), NoControl] | None = None
    lang: Literal["kk", "ru"] = "ru"


class RequestFilters(BaseModel):
    """``GET requests.json``: by number, service, status and registration time (the last 90
    days by default, as the specification suggests; a time without its offset is Almaty's;
    a window that ends before it starts holds nothing); newest first, at most 1000."""

    model_config = ConfigDict(extra="forbid")

    service_request_id: Annotated[str, Field(max_length=2000, pattern=NO_CONTROL,
                                             description="Comma-separated numbers")] | None = None
    service_code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")] | None = None
    status: Literal["open", "closed"] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    jurisdiction_id: Annotated[str, bounded(64), NoControl] | None = None
    api_key: Annotated[str, bounded(200), NoControl] | None = None
    lang: Literal["kk", "ru"] = "ru"


def error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status,
                        headers={"Cache-Control": "no-store"})


def _json(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers={"Cache-Control": "no-store"})


ERRORS = {status: {"model": list[Open311Error], "description": description} for status, description in (
    (400, "A field missing or out of range"), (403, "No api_key, or a wrong one"), (404, "Not found"))}


def _name(value: Any, lang: str) -> str:
    return str(value.get(lang)) if value is not None else ""


def open311_routes(sessions: SessionFactory, catalog: Catalog,
                   complaints: Callable[[Repositories], ComplaintService], api_key: str | None) -> APIRouter:
    """The Open311 routes; ``complaints`` makes the complaint service over a unit of work;
    without ``api_key`` nothing can be filed (403)."""
    router = APIRouter(prefix=PREFIX, tags=["open311"])

    def keyed(given: str | None) -> bool:
        return bool(api_key) and given is not None and hmac.compare_digest(given.encode(), (api_key or "").encode())

    def service(standard_id: str, lang: str) -> Service:
        standard = catalog.standard(standard_id)
        group = _name(catalog.service(standard.service).name, lang)
        name = f"{group} — {_name(catalog.regions[standard.region].name, lang)}"
        return Service(service_code=standard.id, service_name=name,
                       description=_name(standard.complaints.explains, lang), metadata=True, type="realtime",
                       keywords="complaint,жалоба,шағым", group=group)

    def as_request(complaint: Complaint, lang: str, private: bool) -> ServiceRequest:
        placement = catalog.placement(complaint.standard_id, complaint.office_id)
        status = ComplaintStatus(complaint.status)
        if status is ComplaintStatus.ANSWERED:
            notes: str | None = OUTCOME_NOTES.get(complaint.outcome or "", "answered")
        elif status is ComplaintStatus.FORWARDED:
            notes = f"forwarded to: {complaint.forwarded_to}" if private else "forwarded to another body"
        else:
            notes = status.value
        if private and status is ComplaintStatus.ANSWERED and complaint.answer:
            notes = f"{notes}. {complaint.answer}"
        next_day = datetime.combine(complaint.due_date + timedelta(days=1), time(), tzinfo=ALMATY)
        last_moment = next_day - timedelta(seconds=1)
        office = placement.office
        return ServiceRequest(
            service_request_id=complaint.number or "", status="open" if status in OPEN else "closed",
            status_notes=notes,
            service_name=service(complaint.standard_id, lang).service_name, service_code=complaint.standard_id,
            description=complaint.text if private else None, agency_responsible=_name(office.name, lang),
            service_notice=None, requested_datetime=complaint.registered_at, updated_datetime=complaint.updated_at,
            expected_datetime=last_moment, address=_name(office.address, lang) or None, address_id=office.id,
            zipcode=office.postal_code, lat=None, long=None, media_url=None,
        )

    @router.get("/discovery.json", summary="Open311 discovery", response_model=Discovery)
    async def discovery(request: Request) -> Any:
        """Where this endpoint is and what it speaks."""
        base = str(request.base_url).rstrip("/") + PREFIX
        changeset = "2026-12-01T00:00:00+05:00"
        return Discovery(changeset=changeset, contact="the office running Kenes",
                         key_service="OPEN311_API_KEY, given by the office running Kenes",
                         endpoints=[Endpoint(specification=SPECIFICATION, url=base, changeset=changeset,
                                             type="production", formats=["application/json"])])

    @router.get("/services.json", summary="Open311 services", response_model=list[Service])
    async def services(lang: Annotated[Literal["kk", "ru"], Query()] = "ru",
                       jurisdiction_id: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL)] = None) -> Any:
        """Every state service Kenes takes complaints about (one per standard)."""
        return [service(standard_id, lang) for standard_id in catalog.standards]

    @router.get("/services/{service_code}.json", summary="Open311 service definition", response_model=ServiceDefinition,
                responses={404: ERRORS[404]})
    async def definition(service_code: Annotated[str, PathParam(max_length=64, pattern=r"^[a-z0-9_]{1,64}$")],
                         lang: Annotated[Literal["kk", "ru"], Query()] = "ru") -> Any:
        """What a complaint about this service needs: the office, the topic, perhaps a case."""
        if service_code not in catalog.standards:
            return error(404, "no such service_code")
        offices = [AttributeValue(key=o.id, name=_name(o.name, lang)) for o in catalog.offices_of(service_code)]
        topics = [AttributeValue(key=t, name=TOPIC_NAMES[t][1 if lang == "ru" else 0]) for t in TOPICS]
        return ServiceDefinition(service_code=service_code, attributes=[
            Attribute(variable=True, code="office", datatype="singlevaluelist", required=True,
                      datatype_description=None, order=1, description="The office complained about", values=offices),
            Attribute(variable=True, code="topic", datatype="singlevaluelist", required=True,
                      datatype_description=None, order=2, description="What the complaint is about", values=topics),
            Attribute(variable=True, code="case_number", datatype="string", required=False,
                      datatype_description="The applicant's case number, e.g. 26-000042", order=3,
                      description="The application the complaint is about, if any"),
        ])

    @router.get("/requests.json", summary="Open311 service requests (complaints)", response_model=list[ServiceRequest])
    async def requests(filters: Annotated[RequestFilters, Query()]) -> Any:
        """Complaints, newest first: without a key nothing personal is shown."""
        private = keyed(filters.api_key)
        async with sessions() as session:
            repositories = Repositories(session)
            if filters.service_request_id:
                numbers = [parse_number(n) or n.strip() for n in filters.service_request_id.split(",")][:MAX_REQUESTS]
                found = [c for n in numbers if (c := await repositories.complaints.by_number(n)) is not None]
            else:
                end = _aware(filters.end_date) or repositories.now()
                start = _aware(filters.start_date) or end - timedelta(days=DEFAULT_DAYS)
                found = [] if start > end else list(
                    await repositories.complaints.registered_between(start, end, limit=MAX_REQUESTS))
        if filters.service_code:
            found = [c for c in found if c.standard_id == filters.service_code]
        if filters.status:
            found = [c for c in found if (ComplaintStatus(c.status) in OPEN) == (filters.status == "open")]
        return [as_request(c, filters.lang, private) for c in found]

    @router.get("/requests/{service_request_id}.json", summary="One Open311 service request",
                response_model=list[ServiceRequest], responses={404: ERRORS[404]})
    async def one_request(service_request_id: Annotated[str, PathParam(max_length=32, pattern=NO_CONTROL)],
                          lang: Annotated[Literal["kk", "ru"], Query()] = "ru",
                          api_key: Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL)] = None) -> Any:
        """One complaint by its number."""
        async with sessions() as session:
            try:
                found = await complaints(Repositories(session)).get(service_request_id)
            except ComplaintNotFound:
                return error(404, "no such service_request_id")
            return [as_request(found, lang, keyed(api_key))]

    @router.post("/requests.json", summary="File a complaint (Open311)", status_code=201,
                 response_model=list[CreatedRequest], responses={400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/x-www-form-urlencoded": {"schema": NewRequest.model_json_schema(by_alias=True)},
                     "application/json": {"schema": NewRequest.model_json_schema(by_alias=True)}}}})
    async def create(request: Request) -> Any:
        """Register a complaint as the bot would: due in the review's working days, the clerks told."""
        fields = await _fields(request)
        if fields is None:
            return error(400, "send the fields form-encoded (or as a JSON object)")
        if not keyed(fields.get("api_key") if isinstance(fields.get("api_key"), str) else None):
            return error(403, "a valid api_key is needed to file a complaint")
        try:
            new = NewRequest.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            return error(400, f"{where}: {first['msg']}")
        if new.service_code not in catalog.standards:
            return error(404, "no such service_code")
        if new.office not in {o.id for o in catalog.offices_of(new.service_code)}:
            return error(400, "attribute[office]: not an office of this service")
        name = " ".join(p for p in (new.first_name, new.last_name) if p) or None
        complainant = {k: v for k, v in (("name", name), ("email", new.email), ("phone", new.phone)) if v}
        async with sessions() as session:
            repositories = Repositories(session)
            await repositories.users.touch(EXTERNAL_USER_ID)
            await repositories.session.flush()  # the user before the complaint that refers to it
            try:
                complaint = await complaints(repositories).register(NewComplaint(
                    user_id=EXTERNAL_USER_ID, standard_id=new.service_code, office_id=new.office, topic=new.topic,
                    text=new.description, language=new.lang, complainant={**complainant, "channel": "open311"},
                    case_number=new.case_number or None))
            except ComplaintNotFound:
                return error(400, "attribute[case_number]: no such case of this complainant")
            except IllegalTransition as exc:
                return error(400, str(exc))

        logger.info("complaint %s filed through Open311", complaint.number)
        notice = f"Registered; the review is due by the end of {complaint.due_date.isoformat()} (Asia/Almaty)"
        return _json([CreatedRequest(service_request_id=complaint.number or "", service_notice=notice,
                                     account_id=None).model_dump()], 201)

    return router


def _aware(moment: datetime | None) -> datetime | None:
    """A moment without its offset is read as Almaty's."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ALMATY)


async def _fields(request: Request) -> dict[str, Any] | None:
    """The posted fields: form-encoded (the specification's way) or a JSON object."""
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(body or b"null")
            return data if isinstance(data, dict) else None
        if kind in ("application/x-www-form-urlencoded", ""):
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=False, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        return None
    return None

