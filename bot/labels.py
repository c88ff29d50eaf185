"""Names of statuses, moves and survey answers, translated; used by templates and handlers alike."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _


def status_name(status: str) -> str:
    names = {
        "submitted": _("submitted"),
        "in_work": _("in work"),
        "returned": _("returned for correction"),
        "ready": _("ready to collect"),
        "issued": _("issued"),
        "refused": _("refused"),
        "archived": _("archived: not collected in time"),
    }
    return names.get(status, status)


def event_name(action: str) -> str:
    names = {
        "submit": _("Application submitted"),
        "accept": _("Accepted into work"),
        "return": _("Returned for correction"),
        "extend": _("Term extended"),
        "ready": _("Result ready"),
        "issue": _("Result issued"),
        "refuse": _("Refused"),
        "archive": _("Archived: not collected within a month"),
    }
    return names.get(action, action)


def survey_answer_labels() -> tuple[str, str, str]:
    """The three answers of the satisfaction survey, in the order of ``SURVEY_ANSWERS``."""
    return (_("Not satisfied"), _("Partly satisfied"), _("Satisfied"))
