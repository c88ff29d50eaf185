"""The fact index: every fact of every standard at every office, addressable on its own.

A fact is one thing a citizen may ask about (the deadline, the phone of an office, the
grounds for refusal...). For a placement (a standard at an office) each fact has a *value*:
the part of the catalog its answer is made of. Two placements with equal values give the
same answer, so a question about many placements is answered once when the value is shared
("ЦОН жұмыс уақыты" needs no centre), for each of a few values at once (both Shymkent
centres' addresses), or, when the values are many, after one question that tells them apart.

*Office* facts (address, phone, e-mail, hours, the head's reception) belong to the office and
are the same for each of its services; *service* facts belong to the standard. Each fact
comes from a page of the service card (``page``), which an answer offers to open.

A question may narrow a fact (``Focus``): one quality indicator ("кезекте 40 минут" → 1.2), or
the documents it names ("копия удостоверения"). The focus is part of the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from domain.catalog import Office, Placement, Standard

Scope = Literal["service", "office"]
Page = Literal["overview", "where", "documents", "refusal", "complaints", "contacts", "quality"]


@dataclass(frozen=True)
class Focus:
    """What part of a fact a question asks about; empty: all of it."""

    indicators: tuple[str, ...] = ()  # quality indicator codes, e.g. ("1.2",)
    documents: tuple[str, ...] = ()  # document ids of the standard

    def __bool__(self) -> bool:
        return bool(self.indicators or self.documents)


NO_FOCUS = Focus()


@dataclass(frozen=True)
class Fact:
    id: str
    scope: Scope
    page: Page
    value: Callable[[Placement, Focus], Hashable]
    present: Callable[[Placement], bool] = lambda _p: True

    def value_of(self, placement: Placement, focus: Focus = NO_FOCUS) -> Hashable:
        key = (self.id, placement.key, focus)
        value = _VALUES.get(key)
        if value is None:
            value = _VALUES[key] = self.value(placement, focus)
        return value


# Values by (fact, placement key, focus): the catalog does not change while the bot runs.
_VALUES: dict[tuple[str, tuple[str, str], Focus], Hashable] = {}


def _s(function: Callable[[Standard], Hashable]) -> Callable[[Placement, Focus], Hashable]:
    return lambda placement, _focus: function(placement.standard)


def _o(function: Callable[[Office], Hashable]) -> Callable[[Placement, Focus], Hashable]:
    return lambda placement, _focus: function(placement.office)


def _documents(placement: Placement, focus: Focus) -> Hashable:
    documents = placement.standard.documents
    if focus.documents:
        documents = [d for d in documents if d.id in focus.documents] or documents
    return tuple(d.model_dump_json() for d in documents)


def _quality(placement: Placement, focus: Focus) -> Hashable:
    rows = placement.standard.quality
    if focus.indicators:
        rows = [r for r in rows if r.code in focus.indicators] or rows
    return tuple((r.code, r.normative, r.target) for r in rows), tuple(placement.standard.survey)


def head_contacts(standard: Standard) -> list:
    """The contacts with reception hours: the head of the office and their deputies."""
    return [c for c in standard.contacts if c.reception is not None]


_SITE = re.compile(r"\bwww\.[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def websites(standard: Standard, office: Office) -> tuple[str, ...]:
    """The web sites a standard names for a service: the office's or the standard's own, then
    those of its higher bodies and contacts ("www.mod.kz" beside "www.minjust.kz")."""
    found = [office.website or standard.website or ""]
    texts = [standard.higher_body] + [c.reception for c in standard.contacts]
    for text in texts:
        if text is not None:
            found += _SITE.findall(text.ru) + _SITE.findall(text.kk)
    return tuple(dict.fromkeys(site.rstrip(".") for site in found if site))


def bookable(standard: Standard) -> bool:
    """Whether Kenes books visits there (an office with visiting hours; the standards
    themselves have no advance booking)."""
    return bool(standard.schedule.weekdays) and standard.form == "paper"


FACTS: dict[str, Fact] = {fact.id: fact for fact in (
    Fact("provider", "service", "overview", _s(lambda s: s.provider)),
    Fact("result", "service", "overview", _s(lambda s: (s.result, s.result_details))),
    Fact("recipients", "service", "overview", _s(lambda s: s.recipients)),
    Fact("deadline", "service", "overview", _s(lambda s: (s.deadline.days, s.deadline.unit))),
    Fact("extension", "service", "overview", _s(lambda s: tuple(s.deadline.extensions)),
         present=lambda p: bool(p.standard.deadline.extensions)),
    Fact("queue", "service", "overview",
         _s(lambda s: (s.queue.submit_minutes, s.queue.collect_minutes))),
    Fact("cost", "service", "overview", _s(lambda s: (s.free, s.cost if not s.free else None))),
    Fact("documents", "service", "documents", _documents),
    Fact("application", "service", "documents",
         # the fields hold lists (their parts), so they are compared by their JSON
         _s(lambda s: (s.application_form, tuple(f.model_dump_json() for f in s.application_fields)))),
    Fact("submission", "service", "where", _s(lambda s: (s.form, s.submission))),
    Fact("receipt", "service", "where", _s(lambda s: s.proof_of_submission)),
    Fact("collect", "service", "where", _s(lambda s: s.collect)),
    Fact("returns", "service", "where", _s(lambda s: (s.returns, s.returns_working_days)),
         present=lambda p: p.standard.returns is not None),
    Fact("storage", "service", "where", _s(lambda s: (s.storage, s.storage_months)),
         present=lambda p: p.standard.storage is not None),
    Fact("refusal", "service", "refusal", _s(lambda s: tuple(s.refusal_grounds))),
    Fact("complaint", "service", "complaints",
         _s(lambda s: (s.complaints.explains, s.complaints.addressee, s.complaints.court))),
    Fact("complaint_registration", "service", "complaints",
         _s(lambda s: (s.complaints.registered, s.complaints.proof, s.complaints.progress))),
    Fact("quality", "service", "quality", _quality, present=lambda p: bool(p.standard.quality or p.standard.survey)),
    Fact("e_status", "service", "where", _s(lambda s: (tuple(s.statuses), s.collect)),
         present=lambda p: bool(p.standard.statuses)),
    Fact("booking", "service", "where", _s(bookable)),
    Fact("higher_body", "service", "contacts", _s(lambda s: s.higher_body),
         present=lambda p: p.standard.higher_body is not None),
    Fact("address", "office", "where", _o(lambda o: (o.name, o.address, o.room, o.postal_code))),
    Fact("phone", "office", "contacts", lambda p, _f: (tuple(p.office.phones), tuple(
        (c.role, c.phone, c.room) for c in p.standard.contacts if c.phone))),
    Fact("email", "office", "contacts", lambda p, _f: (p.office.email, websites(p.standard, p.office))),
    Fact("hours", "office", "where", _s(lambda s: (tuple(s.schedule.weekdays), s.schedule.opens, s.schedule.closes,
                                                   s.schedule.lunch))),
    Fact("head_reception", "office", "contacts", _s(lambda s: tuple(head_contacts(s)))),
)}
OFFICE_FACTS = frozenset(f.id for f in FACTS.values() if f.scope == "office")


def group(placements: Iterable[Placement], facts: Sequence[str], focus: Focus = NO_FOCUS) -> list[list[Placement]]:
    """Placements grouped by their answers to ``facts`` (equal values, in first-seen order)."""
    kinds = [FACTS[f] for f in facts]
    return group_by(list(placements), lambda p: tuple(k.value_of(p, focus) for k in kinds))


def group_by(placements: list[Placement], key: Callable[[Placement], Hashable]) -> list[list[Placement]]:
    """Placements grouped by ``key``, groups and members in their first-seen order."""
    groups: dict[Hashable, list[Placement]] = {}
    for placement in placements:
        groups.setdefault(key(placement), []).append(placement)
    return list(groups.values())


# --- the old single-fact answers (dialogs.navigation), until questions use the index ------------
SIGNATURES: dict[str, Callable[[Placement], Hashable]] = {
    "deadline": lambda p: (p.standard.deadline.days, p.standard.deadline.unit,
                           tuple(e.months for e in p.standard.deadline.extensions)),
    "hours": lambda p: (tuple(p.standard.schedule.weekdays), p.standard.schedule.opens,
                        p.standard.schedule.closes, p.standard.schedule.lunch),
    "queue": lambda p: (p.standard.queue.submit_minutes, p.standard.queue.collect_minutes),
    "cost": lambda p: p.standard.free,
}
SHORT_FACTS = frozenset(SIGNATURES)


def signature(placement: Placement, fact: str) -> Hashable | None:
    function = SIGNATURES.get(fact)
    return function(placement) if function else None
