"""The fields an application asks for, per service, beyond the applicant and the scans.

Foreign media (the fields the standards and the e-service form list): the distributor's
status and legal form, name and location, and one or more publications, each with title,
territory, language(s), thematic focus, periodicity and expected copies. Missionaries:
religious affiliation, territory and term. PSC certificates: nothing beyond the documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from presentation.i18n import N_

MAX_TEXT = 300
MAX_PUBLICATIONS = 20


@dataclass(frozen=True)
class Field:
    """One question of the form; ``prompt`` and ``label`` are gettext message ids."""

    id: str
    label: str
    prompt: str
    number: bool = False


@dataclass(frozen=True)
class Form:
    fields: tuple[Field, ...] = ()
    publication_fields: tuple[Field, ...] = ()


FOREIGN_MEDIA = Form(
    fields=(
        Field("distributor_status", N_("Distributor's status and legal form"),
              N_("Status and legal form of the distributor (for example: individual entrepreneur, LLP):")),
        Field("distributor_name", N_("Distributor's name"), N_("Name of the distributor:")),
        Field("distributor_address", N_("Location"),
              N_("Location of the distributor (for an individual: the place of residence):")),
    ),
    publication_fields=(
        Field("title", N_("Title"), N_("Title of the foreign publication:")),
        Field("territory", N_("Territory"), N_("Territory where it will be distributed:")),
        Field("languages", N_("Language(s)"), N_("Language(s) of the publication:")),
        Field("focus", N_("Thematic focus"), N_("Main thematic focus:")),
        Field("periodicity", N_("Periodicity"), N_("Periodicity (for example: weekly, monthly):")),
        Field("copies", N_("Expected copies"), N_("Expected number of copies to distribute (a number):"),
              number=True),
    ),
)

MISSIONARY = Form(
    fields=(
        Field("religion", N_("Religious affiliation"), N_("Your religious affiliation:")),
        Field("territory", N_("Territory"), N_("Territory of the missionary activity:")),
        Field("term", N_("Term"), N_("Term of the missionary activity (for example: 01.01.2027–31.12.2027):")),
    ),
)

FORMS: dict[str, Form] = {
    "foreign_media": FOREIGN_MEDIA,
    "missionary": MISSIONARY,
    "military_service_certificate": Form(),
    "benefits_certificate": Form(),
}


def clean_text(value: str) -> str | None:
    """A typed answer, or ``None`` if it is empty, too long or a command."""
    value = " ".join(value.split())
    if not value or len(value) > MAX_TEXT or value.startswith("/"):
        return None
    return value


def clean_number(value: str) -> int | None:
    """A positive whole number typed with or without spaces ("10 000")."""
    digits = value.replace(" ", "").replace("\u00a0", "")
    if not digits.isdigit() or not 0 < int(digits) < 10**9:
        return None
    return int(digits)


def clean_name(value: str) -> str | None:
    """A person's or organisation's name: letters, spaces, hyphens, quotes, dots, 2-150 characters."""
    value = " ".join(value.split())
    if not 2 <= len(value) <= 150 or value.startswith("/"):
        return None
    if not all(c.isalpha() or c in " -'’.«»\"()0123456789" for c in value):
        return None
    return value if any(c.isalpha() for c in value) else None
