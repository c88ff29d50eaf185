"""Jinja2 templates for every text longer than a line, with gettext and babel formatting."""

from __future__ import annotations

import re
from collections.abc import Hashable
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from babel.dates import get_day_names
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.catalog import WEEKDAYS, QualityRow, Text
from domain.facts import head_contacts, websites
from presentation import labels
from presentation.formats import (
    format_day,
    format_day_short,
    format_moment,
    format_moment_short,
    format_time_of_day,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def text_in(value: Text | None, locale: str) -> str:
    return value.get(locale) if value is not None else ""


def weekday_span(days: list[str], locale: str) -> str:
    """Working days as a localised range ("дүйсенбі – жұма") or list."""
    names = get_day_names("wide", locale=locale)
    indexes = [WEEKDAYS.index(d) for d in days]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{names[indexes[0]]} – {names[indexes[-1]]}"
    return ", ".join(names[i] for i in indexes)


def quality_values(row: QualityRow, locale: str, gettext: Any) -> str:
    """An indicator's values in words ("норматив — 95 %, цель на следующий год — 80 %"), the
    ones the standard leaves empty left out rather than shown as dashes."""
    def percent(value: Decimal) -> str:
        return format_percent(value / 100, locale=locale, decimal_quantization=False)

    parts = [(gettext("standard — %(value)s"), row.normative), (gettext("next year's target — %(value)s"), row.target),
             (gettext("now — %(value)s"), row.current)]
    return ", ".join(label % {"value": percent(value)} for label, value in parts if value is not None)


class Renderer:
    """Renders ``presentation/templates/*.j2`` in a given locale.

    Templates call ``_()`` / ``ngettext()`` (gettext, new style: ``_("%(n)s days", n=3)``),
    ``t(text)`` for a catalog :class:`~domain.catalog.Text`, the date filters of
    :mod:`presentation.formats` (``date``, ``shortdate``, ``time``, ``datetime``,
    ``shortdatetime``) and the babel filters ``number``, ``percent``, ``weekdays``.
    """

    def __init__(self, i18n: I18n, directory: Path = TEMPLATES_DIR) -> None:
        self.i18n = i18n
        self._static: dict[tuple[str, str, Hashable], str] = {}
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda message: i18n.gettext(message),
            ngettext=lambda singular, plural, n: i18n.gettext(singular, plural, n),
            newstyle=True,
        )
        def localised(function: Any) -> Any:
            return lambda value: function(value, i18n.current_locale)

        self.env.globals["t"] = localised(text_in)
        self.env.globals.update(status_name=labels.status_name, event_name=labels.event_name,
                                visit_status=labels.visit_status, complaint_status=labels.complaint_status,
                                complaint_topic=labels.complaint_topic, complaint_outcome=labels.complaint_outcome,
                                complaint_event=labels.complaint_event, actor_name=labels.actor_name,
                                attachment_kind=labels.attachment_kind, head_contacts=head_contacts, websites=websites,
                                quality_values=lambda row: quality_values(row, i18n.current_locale, i18n.gettext))
        self.env.filters.update(
            time=localised(format_time_of_day),
            date=localised(format_day),
            shortdate=localised(format_day_short),
            shortdatetime=localised(format_moment_short),
            datetime=localised(format_moment),
            number=localised(lambda v, loc: format_decimal(v, locale=loc)),
            percent=localised(
                lambda v, loc: format_percent(v / 100, locale=loc, decimal_quantization=False)
            ),
            weekdays=localised(weekday_span),
        )

    def render(self, template: str, locale: str, **context: Any) -> str:
        """Render ``template`` in ``locale``; surrounding blank lines are trimmed."""
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = self.env.get_template(template).render(locale=locale, **context)
        return _squeeze(text)

    def render_static(self, template: str, locale: str, key: Hashable, **context: Any) -> str:
        """:meth:`render`, once per ``key``: for texts made of the catalog's facts alone (a
        service card's page), which do not change while the bot runs."""
        text = self._static.get((template, locale, key))
        if text is None:
            text = self._static[(template, locale, key)] = self.render(template, locale, **context)
        return text


# A sentence ending with an abbreviation takes one full stop: "до 8 декабря 2026 г." + "."
# (not an ellipsis, and not after a digit: "1.." does not occur in a date).
_DOUBLE_STOP = re.compile(r"(?<=[^\W\d_]\.)\.(?!\.)")


def one_full_stop(text: str) -> str:
    """The text with the full stop doubled after an abbreviation made single."""
    return _DOUBLE_STOP.sub("", text)


def _squeeze(text: str) -> str:
    """Strip the text, make doubled full stops single and collapse runs of blank lines into one."""
    lines = one_full_stop(text.strip()).splitlines()
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out)
