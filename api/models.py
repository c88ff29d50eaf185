"""What the registry API takes and gives, as pydantic models: they validate every input
(with its bounds) and are the one source of ``/openapi.json``.

Every string a client sends is bounded in length and refused if it holds a control
character (Unicode category Cc: newlines, tabs, NUL ...), so nothing sent can forge a log
line; integers are bounded by what the storage holds; dates lie within 2000-2099.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from domain.complaints import CLERK_ACTIONS, MAX_TEXT, TOPICS, ComplaintAction, ComplaintStatus, Outcome
from domain.lifecycle import Action, Status
from domain.slots import BookingStatus, VisitEvent

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
NO_CONTROL = r"^[^\u0000-\u001f\u007f-\u009f]*$"
IDENTIFIER = r"^[a-z0-9_]{1,64}$"
# Four digits of a year in 2000-2099, then the month and day (checked as a date too).
DAY = r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"
INT32_MAX = 2**31 - 1
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000


def _no_control(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("control characters (newlines, tabs and the like) are not allowed")
    return value


def bounded(max_length: int, min_length: int = 0) -> Any:
    """The bounds of a string with no control characters (with :data:`NoControl`)."""
    return Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": NO_CONTROL})


NoControl = AfterValidator(_no_control)


def one_of(values: tuple[str, ...]) -> str:
    """The pattern of a comma-separated list of ``values`` (or nothing)."""
    one = "(?:" + "|".join(re.escape(v) for v in values) + ")"
    return f"^(?:{one}(?:,{one})*)?$"


def _day(value: str) -> date:
    return date.fromisoformat(value)


def listed(values: tuple[str, ...], what: str) -> Any:
    """A comma-separated list of ``values`` (or nothing): its schema (with :func:`listed_check`)."""
    return Field(max_length=200, json_schema_extra={"pattern": one_of(values)},
                 description=f"Comma-separated {what}es: " + ", ".join(values))


def listed_check(values: tuple[str, ...], what: str) -> AfterValidator:
    """Refuses a part not in ``values``, with a message naming it."""

    def check(value: str) -> str:
        for part in value.split(",") if value else ():
            if part not in values:
                raise ValueError(f"{part[:32]!r} is not a {what}; one of {', '.join(values)}")
        return value

    return AfterValidator(check)


Day = Annotated[str, Field(pattern=DAY), AfterValidator(_day)]
Identifier = Annotated[str, Field(pattern=IDENTIFIER)]
Number = Annotated[str, bounded(32, 1), NoControl,
                   Field(description="As shown to people, e.g. 26-000042, C-26-000042, T-000042")]
Actor = Annotated[str, bounded(48, 1), NoControl, Field(description="Who acts, recorded as api:<actor>")]
CaseComment = Annotated[str, bounded(2000), NoControl]
CaseStatuses = Annotated[str, listed(tuple(Status), "status"), listed_check(tuple(Status), "status")]
ComplaintStatuses = Annotated[str, listed(tuple(ComplaintStatus), "status"),
                              listed_check(tuple(ComplaintStatus), "status")]
ComplaintComment = Annotated[str, bounded(MAX_TEXT), NoControl]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
AttachmentId = Annotated[int, Field(ge=1, le=INT32_MAX)]
# Moments as ``datetime.isoformat`` writes them: UTC as +00:00, offices' times at +05:00.
Moment = Annotated[
    datetime,
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

# What a client may ask for, taken from the lifecycles (archiving is the system's move).
# (A Literal built at import: type checkers see the string it validates.)
if TYPE_CHECKING:
    CaseActionName = str
    ComplaintActionName = str
else:
    CaseActionName = Literal[tuple(a.value for a in Action if a not in (Action.SUBMIT, Action.ARCHIVE))]
    ComplaintActionName = Literal[tuple(a.value for a in CLERK_ACTIONS)]
Topic = Literal[TOPICS]  # type: ignore[valid-type]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# Requests -------------------------------------------------------------------------------

class CaseMove(Request):
    """A move of a case, as posted to ``/api/v1/cases/{number}/actions``."""

    action: CaseActionName
    actor: Actor = "back-office"
    comment: CaseComment | None = Field(
        default=None, description="Required for return (the reasons) and extend (the reason)")
    ground: int | None = Field(default=None, ge=0, le=99,
                               description="For refuse: an index into the case's refusal_grounds")
    extension_months: int | None = Field(default=None, ge=1, le=12,
                                         description="For extend: one of the standard's extensions (1 or 3)")


class ComplaintMove(Request):
    """A move of a complaint, as posted to ``/api/v1/complaints/{number}/actions``."""

    action: ComplaintActionName
    actor: Actor = "back-office"
    outcome: Outcome | None = Field(default=None, description="Required for answer")
    comment: ComplaintComment | None = Field(
        default=None, description="Required for answer (its text) and forward (where it goes)")


class VisitMark(Request):
    """A visitor arrived, was served (the service started) or did not come."""

    event: VisitEvent


class CaseFilters(BaseModel):
    """``GET /api/v1/cases``: earliest due first."""

    status: CaseStatuses = ""
    service: Identifier | None = None
    office: Identifier | None = None
    overdue: bool | None = Field(default=None, description="true: open cases past their due day")
    limit: Limit = 100
    offset: Offset = 0

    @property
    def statuses(self) -> list[str] | None:
        return self.status.split(",") if self.status else None


class ComplaintFilters(BaseModel):
    """``GET /api/v1/complaints``: earliest review day first."""

    status: ComplaintStatuses = ""
    office: Identifier | None = None
    overdue: bool | None = Field(default=None, description="true: open complaints past their review day")
    limit: Limit = 100
    offset: Offset = 0

    @property
    def statuses(self) -> list[str] | None:
        return self.status.split(",") if self.status else None


# Responses ------------------------------------------------------------------------------

class Text(Response):
    kk: str
    ru: str


class Named(Response):
    id: str
    name: Text


class Attachment(Response):
    id: int
    document_id: str
    kind: str = Field(description="photo or document")
    mime_type: str | None = Field(description="The type the sender's app claimed")
    content_type: str | None = Field(description="The type found in the content, once it is stored")
    file_name: str | None
    file_size: int | None
    stored: bool
    rejected: Literal["type", "size"] | None = Field(description="Why the file was refused, if it was")
    content_url: str


class CaseSummary(Response):
    number: str
    status: Status
    service: Named
    standard: str
    office: Named
    submitted_at: Moment
    due_date: date
    overdue: bool


class CaseEvent(Response):
    at: Moment
    actor: str
    action: Action
    from_: Status | None = Field(alias="from")
    to: Status
    comment: str | None
    ground: int | None
    ground_text: Text | None
    due_date: date | None


class CaseDetail(CaseSummary):
    applicant: dict[str, Any]
    details: dict[str, Any]
    ready_at: Moment | None
    closed_at: Moment | None
    allowed_actions: list[Action]
    refusal_grounds: list[Text]
    history: list[CaseEvent]
    attachments: list[Attachment]


class CaseList(Response):
    cases: list[CaseSummary]


class ComplaintSummary(Response):
    number: str
    status: ComplaintStatus
    topic: Topic
    standard: str
    office: Named
    addressee: Text
    case: str | None = Field(description="The case complained about, if any")
    registered_at: Moment
    due_date: date = Field(description="The last day of the review")
    overdue: bool


class ComplaintEvent(Response):
    at: Moment
    actor: str
    action: ComplaintAction
    from_: ComplaintStatus | None = Field(alias="from")
    to: ComplaintStatus
    outcome: Outcome | None
    comment: str | None


class ComplaintDetail(ComplaintSummary):
    text: str
    complainant: dict[str, Any]
    outcome: Outcome | None
    answer: str | None
    forwarded_to: str | None
    closed_at: Moment | None
    allowed_actions: list[ComplaintAction]
    history: list[ComplaintEvent]
    attachments: list[Attachment]


class ComplaintList(Response):
    complaints: list[ComplaintSummary]


class Booking(Response):
    number: str
    service: str
    standard: str
    office: str
    starts_at: Moment
    status: BookingStatus
    arrived_at: Moment | None
    served_at: Moment | None
    waited_minutes: float | None
    waited_within_limit: bool | None


class BookingDay(Response):
    office: str
    date: date
    wait_limit_minutes: int
    bookings: list[Booking]
    served: int
    waited_within_limit: int
    share_within_limit: float | None


class Health(Response):
    status: Literal["ok", "failing"]
    database: str = Field(description="ok, or what failed when writing to it")


# Errors ---------------------------------------------------------------------------------

class Error(Response):
    """Every error: a code to act on and a message to read."""

    error: str
    message: str


class FieldError(Response):
    location: Literal["body", "query", "path", "header"]
    field: str
    message: str


class InvalidRequest(Error):
    """422: what was refused; ``field`` names the first field at fault."""

    location: Literal["body", "query", "path", "header"]
    field: str
    errors: list[FieldError]


class Refused(Error):
    """410: the file was refused when it was downloaded."""

    reason: Literal["type", "size"]


class CaseConflict(Error):
    """409: the move does not apply now, or someone else moved the case meanwhile."""

    current: CaseDetail


class ComplaintConflict(Error):
    """409: the move does not apply now, or someone else moved the complaint meanwhile."""

    current: ComplaintDetail


class BookingConflict(Error):
    """409: the mark does not apply now, or someone else marked the visit meanwhile."""

    current: Booking
