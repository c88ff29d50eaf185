"""The service catalog: typed models of the standards' facts and their loader.

The data lives in ``catalog/standards/*.toml`` (one file per legal standard) and shared files
in ``catalog/`` (services, regions, cities, Public Service Centres, indicator names). Every text is
bilingual (:class:`Text`). :func:`load_catalog` validates everything at start and raises
:class:`CatalogError` naming the file and the field when something is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

import catalog as catalog_data

CATALOG_DIR = Path(catalog_data.__file__).resolve().parent

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INDICATOR_CODES = ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "4.4", "5.1")


class CatalogError(Exception):
    """The catalog data is invalid; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in both languages."""

    kk: NonEmpty
    ru: NonEmpty

    def get(self, locale: str) -> str:
        """The text in ``locale`` (``kk`` or ``ru``)."""
        return self.ru if locale == "ru" else self.kk


class Schedule(_Model):
    """Working days and hours; an empty ``weekdays`` means the standard gives no hours."""

    weekdays: list[Weekday] = Field(default_factory=list)
    opens: time | None = None
    closes: time | None = None
    lunch: tuple[time, time] | None = None
    note: Text | None = None
    # The standard receives without advance booking (in the order of the queue); Kenes's own
    # booking then has to be explained next to it rather than seem to contradict it.
    walk_in: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        if self.weekdays:
            if self.opens is None or self.closes is None:
                raise ValueError("opens and closes are required when weekdays are given")
            if self.opens >= self.closes:
                raise ValueError("opens must be earlier than closes")
            if self.lunch and not (self.opens < self.lunch[0] < self.lunch[1] < self.closes):
                raise ValueError("lunch must lie inside the working hours")
        elif self.note is None:
            raise ValueError("a schedule without weekdays needs a note")
        return self


class Extension(_Model):
    months: PositiveInt
    reason: Text


class Deadline(_Model):
    days: PositiveInt
    unit: Literal["calendar", "working"]
    wording: Text
    extensions: list[Extension] = Field(default_factory=list)


class Queue(_Model):
    submit_minutes: PositiveInt | None = None
    collect_minutes: PositiveInt | None = None
    wording: Text


class Option(_Model):
    id: Identifier
    label: Text


class Question(_Model):
    id: Identifier
    text: Text
    options: list[Option] = Field(min_length=2)


class Document(_Model):
    """A document (or a requirement such as a visa) with the answers it applies to."""

    id: Identifier
    name: Text
    where: Text
    note: Text | None = None
    kind: Literal["submit", "show", "requirement"] = "submit"
    when: dict[Identifier, list[Identifier]] = Field(default_factory=dict)
    # ``when`` in words ("если справку получает представитель"), for texts shown to someone
    # who has not answered the checklist's questions (a talon, the card).
    condition: Text | None = None

    @model_validator(mode="after")
    def _condition_in_words(self) -> Document:
        if self.when and self.condition is None:
            raise ValueError(f"document {self.id!r} applies only in some cases: give its condition in words")
        return self

    def applies(self, answers: dict[str, str]) -> bool:
        """Whether the document is needed for these checklist answers."""
        return all(answers.get(question) in allowed for question, allowed in self.when.items())


class Complaints(_Model):
    explains: Text
    addressee: Text
    # Whom the bot addresses a complaint to, where ``addressee`` names several (the PSC director).
    head: Text | None = None
    registered: Text | None = None
    proof: Text | None = None
    progress: Text | None = None
    court: Text | None = None


class Contact(_Model):
    role: Text
    phone: NonEmpty | None = None
    email: NonEmpty | None = None
    room: NonEmpty | None = None
    reception: Text | None = None


class Office(_Model):
    """A place where the service is provided."""

    id: Identifier
    name: Text
    city_id: Identifier
    city: Text
    address: Text | None = None
    room: NonEmpty | None = None
    phones: list[NonEmpty] = Field(default_factory=list)
    email: NonEmpty | None = None
    website: NonEmpty | None = None
    postal_code: NonEmpty | None = None
    number: PositiveInt | None = None
    # "psc": a Public Service Centre; "dept": a department or office of an akimat; "egov": an
    # e-service (the office decides online). Set by the loader.
    kind: Literal["psc", "dept", "egov"] = "dept"
    local_number: PositiveInt | None = None  # "№ 2" among the centres of its city
    named_after: Identifier | None = None  # the city whose numbered centre it is, when it stands elsewhere
    aliases: list[NonEmpty] = Field(default_factory=list)  # districts, streets people name it by


class QualityRow(_Model):
    """One row of a standard's quality and accessibility table (percent values)."""

    code: str
    normative: Decimal | None
    target: Decimal | None
    current: Decimal | None


class SurveyQuestion(_Model):
    text: Text


def _parse_quality(rows: Any) -> Any:
    if not isinstance(rows, list):
        return rows
    parsed = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4):
            raise ValueError("each row is [code, normative, target, current]")
        code, *values = row
        parsed.append(
            {"code": code}
            | dict(zip(("normative", "target", "current"), (None if v == "-" else v for v in values), strict=True))
        )
    return parsed


class FieldPart(_Model):
    """One question an application field is asked in online (a field of the legal form may
    cover several: «status, legal form, name, location»)."""

    ask: Identifier
    short: Text
    prompt: Text
    number: bool = False


class ApplicationField(Text):
    """A field of the standard's application form, as the standard lists it; ``ask`` (or
    ``parts``) says how the online application asks it. A field without them is filled from
    what the application already holds (the office, the applicant's IIN/BIN, the scans, the
    signature). ``repeat``: asked once per publication."""

    ask: Identifier | None = None
    short: Text | None = None
    prompt: Text | None = None
    number: bool = False
    repeat: bool = False
    parts: list[FieldPart] = Field(default_factory=list)

    def questions(self) -> list[FieldPart]:
        """The questions the online application asks for this field."""
        if self.parts:
            return list(self.parts)
        if self.ask is None:
            return []
        if self.short is None or self.prompt is None:
            raise ValueError(f"application field {self.ask!r} needs short and prompt")
        return [FieldPart(ask=self.ask, short=self.short, prompt=self.prompt, number=self.number)]


@dataclass(frozen=True)
class ApplicationForm:
    """What an online application asks beyond the applicant and the scans, from the standard's
    ``application_fields``: the fields asked once, and those asked for each publication."""

    fields: tuple[FieldPart, ...] = ()
    publication_fields: tuple[FieldPart, ...] = ()


class Standard(_Model):
    """One legal standard: every fact the bot tells about the service in one region."""

    id: Identifier
    service: Identifier
    region: Identifier
    source_file: NonEmpty
    form: Literal["paper", "electronic"]
    free: bool
    website: NonEmpty | None = None
    act: Text
    provider: Text
    offices: list[Office] = Field(default_factory=list)
    offices_ref: Literal["psc_centres"] | None = None
    result: Text
    result_details: Text | None = None
    recipients: Text
    deadline: Deadline
    queue: Queue
    cost: Text
    schedule: Schedule
    questions: list[Question] = Field(default_factory=list)
    documents: list[Document] = Field(min_length=1)
    application_form: Text
    application_fields: list[ApplicationField] = Field(default_factory=list)
    submission: Text
    proof_of_submission: Text
    collect: Text
    returns: Text | None = None
    returns_working_days: int | None = None  # within how many working days they are returned
    storage: Text | None = None
    storage_months: int | None = None  # how long an uncollected result is kept, as a number
    refusal_grounds: list[Text] = Field(default_factory=list)
    complaints: Complaints
    contacts: list[Contact] = Field(default_factory=list)
    higher_body: Text | None = None
    quality: list[QualityRow] = Field(default_factory=list)
    statuses: list[Text] = Field(default_factory=list)
    survey: list[SurveyQuestion] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list)

    _check_quality = field_validator("quality", mode="before")(lambda cls, v: _parse_quality(v))

    @model_validator(mode="after")
    def _consistent(self) -> Standard:
        if bool(self.offices) == bool(self.offices_ref):
            raise ValueError("give either offices or offices_ref, not both or neither")
        questions = {q.id: {o.id for o in q.options} for q in self.questions}
        for index, document in enumerate(self.documents):
            for question, allowed in document.when.items():
                if question not in questions:
                    raise ValueError(f"documents.{index}.when names unknown question {question!r}")
                unknown = set(allowed) - questions[question]
                if unknown:
                    raise ValueError(
                        f"documents.{index}.when.{question} has unknown options {sorted(unknown)}"
                    )
        _unique("documents", (d.id for d in self.documents))
        _unique("questions", (q.id for q in self.questions))
        codes = [row.code for row in self.quality]
        if codes and tuple(codes) != INDICATOR_CODES:
            raise ValueError(f"quality rows must be {', '.join(INDICATOR_CODES)} in order")
        return self

    def documents_for(self, answers: dict[str, str]) -> list[Document]:
        """The documents that apply to these checklist answers."""
        return [d for d in self.documents if d.applies(answers)]

    @property
    def application(self) -> ApplicationForm:
        """The questions of the online application, in the order the standard lists its fields."""
        once = [q for f in self.application_fields if not f.repeat for q in f.questions()]
        each = [q for f in self.application_fields if f.repeat for q in f.questions()]
        return ApplicationForm(tuple(once), tuple(each))


class Service(_Model):
    id: Identifier
    icon: NonEmpty
    name: Text
    short: Text


class Place(_Model):
    """A region or a city, with the extra spellings people type."""

    id: Identifier
    name: Text
    aliases: list[NonEmpty] = Field(default_factory=list)
    region: Identifier | None = None


class IndicatorName(_Model):
    code: str
    name: Text
    # The survey question an indicator measured by asking people is asked as (2.1 and 3.1,
    # after a paper service: domain.surveys).
    question: Text | None = None


class IndicatorGroup(_Model):
    id: str
    name: Text


class _ServicesFile(_Model):
    services: list[Service]
    regions: list[Place]
    cities: list[Place]


class _IndicatorsFile(_Model):
    groups: list[IndicatorGroup]
    indicators: list[IndicatorName]


class _Centre(_Model):
    number: PositiveInt
    id: Identifier
    city_id: Identifier
    phones: list[NonEmpty] = Field(min_length=1)
    name: Text
    address: Text
    local_number: PositiveInt | None = None
    named_after: Identifier | None = None
    aliases: list[NonEmpty] = Field(default_factory=list)


class _CentresFile(_Model):
    centres: list[_Centre]


def _unique(what: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what}: id {item!r} is used twice")
        seen.add(item)


@dataclass(frozen=True)
class Placement:
    """A standard as provided at one office: the unit a service card is shown for."""

    standard: Standard
    office: Office

    @property
    def key(self) -> tuple[str, str]:
        return (self.standard.id, self.office.id)


class Catalog:
    """All services, standards and offices, with lookups used by the bot and the registry."""

    def __init__(
        self,
        services: list[Service],
        regions: list[Place],
        cities: list[Place],
        standards: list[Standard],
        offices: dict[str, list[Office]],
        indicator_groups: list[IndicatorGroup],
        indicators: list[IndicatorName],
    ) -> None:
        self.services = services
        self.regions = {r.id: r for r in regions}
        self.cities = {c.id: c for c in cities}
        self.standards = {s.id: s for s in standards}
        self.indicator_groups = {g.id: g for g in indicator_groups}
        self.indicators = {i.code: i for i in indicators}
        self._services = {s.id: s for s in services}
        self._offices = offices
        service_order = {s.id: i for i, s in enumerate(services)}
        region_order = {r.id: i for i, r in enumerate(regions)}
        ordered = sorted(standards, key=lambda s: (service_order[s.service], region_order[s.region]))
        self.placements: list[Placement] = [
            Placement(standard, office) for standard in ordered for office in offices[standard.id]
        ]
        self._placements = {p.key: p for p in self.placements}

    def service(self, service_id: str) -> Service:
        return self._services[service_id]

    def standard(self, standard_id: str) -> Standard:
        return self.standards[standard_id]

    def offices_of(self, standard_id: str) -> list[Office]:
        return self._offices[standard_id]

    def placement(self, standard_id: str, office_id: str) -> Placement:
        """The placement for these ids; ``KeyError`` when either is unknown."""
        return self._placements[(standard_id, office_id)]

    def standards_of(self, service_id: str) -> list[Standard]:
        return [s for s in self.standards.values() if s.service == service_id]

    def placements_of(self, service_id: str) -> Iterator[Placement]:
        return (p for p in self.placements if p.standard.service == service_id)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{_name(path)}: not valid TOML: {exc}") from None


def _name(path: Path) -> str:
    """The path as people know it: from the catalog folder ("catalog/standards/x.toml")."""
    for parent in path.parents:
        if (parent / "services.toml").is_file():
            return f"catalog/{path.relative_to(parent).as_posix()}"
    return path.name


def _validate(model: type[_Model], path: Path) -> Any:
    try:
        return model.model_validate(_read(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(file)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise CatalogError(f"{_name(path)}: {field}: {first['msg']}{more}") from None


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Load and validate every file of the catalog in ``directory``."""
    shared = _validate(_ServicesFile, directory / "services.toml")
    indicators = _validate(_IndicatorsFile, directory / "indicators.toml")
    centres = _validate(_CentresFile, directory / "psc_centres.toml")
    cities = {c.id: c for c in shared.cities}
    services = {s.id for s in shared.services}
    regions = {r.id for r in shared.regions}
    for index, city in enumerate(shared.cities):
        if city.region is not None and city.region not in regions:
            raise CatalogError(f"catalog/services.toml: cities.{index}.region: unknown region")

    def check(path: Path, ok: bool, field: str, message: str) -> None:
        if not ok:
            raise CatalogError(f"{_name(path)}: {field}: {message}")

    centres_path = directory / "psc_centres.toml"
    psc_offices = []
    for index, centre in enumerate(centres.centres):
        check(centres_path, centre.city_id in cities, f"centres.{index}.city_id",
              f"unknown city {centre.city_id!r}")
        psc_offices.append(
            Office(
                id=centre.id, number=centre.number, name=centre.name, city_id=centre.city_id,
                city=cities[centre.city_id].name, address=centre.address, phones=centre.phones, kind="psc",
                local_number=centre.local_number, named_after=centre.named_after, aliases=centre.aliases,
            )
        )

    standards: list[Standard] = []
    offices: dict[str, list[Office]] = {}
    for path in sorted((directory / "standards").glob("*.toml")):
        standard = _validate(Standard, path)
        check(path, standard.id == path.stem, "id", f"must equal the file name {path.stem!r}")
        check(path, standard.service in services, "service", f"unknown service {standard.service!r}")
        check(path, standard.region in regions, "region", f"unknown region {standard.region!r}")
        check(path, (directory / "sources" / standard.source_file).is_file(), "source_file",
              f"no such file in {directory.name}/sources")
        for index, office in enumerate(standard.offices):
            check(path, office.city_id in cities, f"offices.{index}.city_id",
                  f"unknown city {office.city_id!r}")
        kind = "egov" if standard.form == "electronic" else "dept"
        offices[standard.id] = psc_offices if standard.offices_ref else [
            office.model_copy(update={"kind": kind}) for office in standard.offices]
        standards.append(standard)

    all_offices = [o.id for o in psc_offices] + [o.id for s in standards for o in s.offices]
    try:
        _unique("offices", all_offices)
    except ValueError as exc:
        raise CatalogError(f"{directory.name}: {exc}") from None
    return Catalog(
        services=shared.services,
        regions=shared.regions,
        cities=shared.cities,
        standards=standards,
        offices=offices,
        indicator_groups=indicators.groups,
        indicators=indicators.indicators,
    )
