"""Answers to questions, composed from the fact index (domain/facts.py).

The placements a question may mean are grouped by their answers to the facts it asks: one
group is answered once (labelled with the service and office, or "the same in all N
offices"), a few groups are answered each under the name of what tells them apart (the
office or the service), and more groups are for :mod:`dialogs.navigation` to narrow down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from aiogram.utils.i18n import gettext as _
from markupsafe import Markup

from domain.catalog import Catalog, Office, Placement, Service, Standard
from domain.facts import FACTS, OFFICE_FACTS, Focus, bookable
from presentation.rendering import Renderer

MAX_GROUPS = 3


@dataclass(frozen=True)
class Group:
    labels: list[str]
    s: Standard
    office: Office
    bookable: bool


def fact_title(fact: str) -> str:
    """The name of a fact, above its answer when a question asks several."""
    titles = {
        "provider": _("Who provides it"), "result": _("What you get"), "recipients": _("Who can apply"),
        "deadline": _("How long it takes"), "extension": _("When the term is extended"),
        "queue": _("Waiting in the queue"), "cost": _("Cost"), "documents": _("Documents"),
        "application": _("The application"), "submission": _("How to submit"),
        "receipt": _("Proof that your documents were accepted"), "collect": _("How to collect the result"),
        "returns": _("If the documents have errors"), "storage": _("If the result is not collected"),
        "refusal": _("Grounds for refusal"), "complaint": _("How to complain"),
        "complaint_registration": _("Where complaints are registered"), "quality": _("Quality indicators"),
        "e_status": _("Statuses of the application"), "booking": _("Booking a visit"),
        "higher_body": _("Higher body"), "address": _("Address"), "phone": _("Phone"),
        "email": _("E-mail and web site"), "hours": _("Working hours"), "head_reception": _("Reception of the head"),
    }
    return titles[fact]


def _office_line(offices: Sequence[Office], locale: str) -> str:
    if len(offices) == 1:
        return f"🏢 {escape(offices[0].name.get(locale))}"
    return "🏢 " + _("The same in all {count} offices").format(count=len(offices))


def _service_line(services: Sequence[Service], locale: str, short: bool) -> str:
    if len(services) == 1 and not short:
        return f"{services[0].icon} <b>{escape(services[0].name.get(locale))}</b>"
    return " · ".join(f"{s.icon} <b>{escape(s.short.get(locale))}</b>" for s in services)


def compose(renderer: Renderer, catalog: Catalog, locale: str, groups: Sequence[Sequence[Placement]],
            facts: Sequence[str], focus: Focus) -> str:
    """The text answering ``facts`` for each group of placements (the groups share their answers).

    A line on top names what all groups share (the service, and the office when there is one
    group); each of several groups is labelled with what tells it apart (its office, its
    service, or both).
    """
    def services_of(group: Sequence[Placement]) -> list[Service]:
        return list({p.standard.service: catalog.service(p.standard.service) for p in group}.values())

    def offices_of(group: Sequence[Placement]) -> list[Office]:
        return list({p.office.id: p.office for p in group}.values())

    about_services = not all(f in OFFICE_FACTS for f in facts)
    every = [p for g in groups for p in g]
    services_differ = len({tuple(s.id for s in services_of(g)) for g in groups}) > 1
    offices_differ = len({tuple(o.id for o in offices_of(g)) for g in groups}) > 1
    with renderer.i18n.context(), renderer.i18n.use_locale(locale):
        top: list[str] = []
        if about_services and not services_differ:
            top.append(_service_line(services_of(every), locale, short=False))
        if len(groups) == 1 or not offices_differ:
            top.append(_office_line(offices_of(every), locale))
        built = []
        for g in groups:
            labels = []
            if len(groups) > 1 and services_differ:
                labels.append(_service_line(services_of(g), locale, short=True))
            if len(groups) > 1 and offices_differ:
                labels.append(_office_line(offices_of(g), locale))
            built.append(Group([Markup(line) for line in labels], g[0].standard, g[0].office,
                               bookable(g[0].standard)))
    return renderer.render("answers.j2", locale, top=[Markup(line) for line in top], groups=built,
                           facts=list(facts), focus=focus, indicators=catalog.indicators, fact_title=fact_title)


def pages_of(facts: Sequence[str]) -> list[str]:
    """The card pages the facts come from, in order, each once."""
    return list(dict.fromkeys(FACTS[f].page for f in facts))
