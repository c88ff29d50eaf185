"""Jinja2 templates for every text longer than a line, with gettext and babel formatting."""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from babel.dates import format_date, format_time, get_day_names
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.catalog import WEEKDAYS, Document, Standard, Text
from domain.deadlines import ALMATY
from domain.facts import head_contacts, websites
from presentation import labels

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def text_in(value: Text | None, locale: str) -> str:
    return value.get(locale) if value is not None else ""


def condition_text(standard: Standard, document: Document, locale: str) -> str:
    """The answers a document applies to ("Иностранец / без гражданства")."""
    labels = [
        option.label.get(locale)
        for question in standard.questions if question.id in document.when
        for option in question.options if option.id in document.when[question.id]
    ]
    return " / ".join(labels)


def local_day(value: date | datetime) -> date:
    """A calendar day; a moment (an aware datetime) falls on its day in Almaty."""
    return value.astimezone(ALMATY).date() if isinstance(value, datetime) else value


def local_time(value: time | datetime, locale: str) -> str:
    """A time of day; a moment (an aware datetime) is shown at Almaty's clock."""
    if isinstance(value, datetime):
        return format_time(value, "short", tzinfo=ALMATY, locale=locale)
    return format_time(value, "short", locale=locale)


def weekday_span(days: list[str], locale: str) -> str:
    """Working days as a localised range ("дүйсенбі – жұма") or list."""
    names = get_day_names("wide", locale=locale)
    indexes = [WEEKDAYS.index(d) for d in days]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{names[indexes[0]]} – {names[indexes[-1]]}"
    return ", ".join(names[i] for i in indexes)


class Renderer:
    """Renders ``presentation/templates/*.j2`` in a given locale.

    Templates call ``_()`` / ``ngettext()`` (gettext, new style: ``_("%(n)s days", n=3)``),
    ``t(text)`` for a catalog :class:`~domain.catalog.Text`, and the babel filters
    ``time``, ``date``, ``datetime``, ``number``, ``weekdays``.
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
                                condition_text=lambda s, d: condition_text(s, d, i18n.current_locale))
        self.env.filters.update(
            time=localised(local_time),
            date=localised(lambda v, loc: format_date(local_day(v), "long", locale=loc)),
            shortdate=localised(lambda v, loc: format_date(local_day(v), "short", locale=loc)),
            shortdatetime=localised(lambda v, loc: "{} {}".format(
                format_date(v.astimezone(ALMATY), "short", locale=loc),
                format_time(v, "short", tzinfo=ALMATY, locale=loc))),
            datetime=localised(lambda v, loc: "{}, {}".format(
                format_date(v.astimezone(ALMATY), "long", locale=loc),
                format_time(v, "short", tzinfo=ALMATY, locale=loc))),
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
