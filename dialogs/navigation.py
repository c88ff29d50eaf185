"""Narrowing a set of placements (standard × office) down to what the user means.

The same steps serve the menu ("Services": all placements) and free-text questions (the
placements a question may refer to): ask for the service, then the region, then the city,
then the office, but only where the remaining placements differ. When the question asks
facts that are the same for every remaining placement, they are answered at once ("ЦОН
работает в субботу?" needs no centre); facts that differ in at most ``MAX_GROUPS`` ways are
answered for each of them in one message ("Ақтау жұмыс уақыты", both Shymkent centres),
but answers that differ by service for a question that named none are listed only while
they are short (else it asks which service).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.fsm.state import State
from aiogram_dialog import DialogManager, StartMode

from dialogs.common import (
    ANSWERS,
    ASKED,
    GROUPS,
    KEYS,
    MEMBERS,
    PURPOSE,
    PURPOSE_APPLY,
    PURPOSE_BOOK,
    PURPOSE_CARD,
    PURPOSE_CHECKLIST,
    PURPOSE_COMPLAIN,
    asked_of,
    catalog_of,
    locale_of,
    placements_of,
    renderer_of,
)
from dialogs.states import ApplicationSG, BookingSG, CardSG, CatalogSG, ChecklistSG, ComplaintSG
from domain.catalog import Placement
from domain.facts import OFFICE_FACTS, group
from domain.slots import bookable_standard
from presentation.answers import compose

Keys = list[list[str]]
MAX_GROUPS = 3
MAX_ANSWER = 900  # characters: longer answers for several offices ask which one instead


def _count(values: Sequence[str]) -> int:
    return len(set(values))


def next_step(placements: Sequence[Placement], purpose: str = PURPOSE_CARD) -> State | None:
    """The catalog step that tells the remaining placements apart, or ``None`` if none needed."""
    if _count([p.standard.service for p in placements]) > 1:
        return CatalogSG.service
    if _count([p.standard.id for p in placements]) > 1:
        return CatalogSG.region
    if purpose == PURPOSE_CHECKLIST:
        return None
    if _count([p.office.city_id for p in placements]) > 1:
        return CatalogSG.city
    if _count([p.office.id for p in placements]) > 1:
        return CatalogSG.office
    return None


@dataclass(frozen=True)
class Target:
    """Where to go next: a dialog state and its start data."""

    state: State
    data: dict


def key_id(key: Sequence[str]) -> str:
    return "|".join(key)


def decide(
    manager: DialogManager,
    keys: Keys,
    asked: dict | None,
    purpose: str,
    members: dict[str, Keys] | None = None,
    answers: dict[str, str] | None = None,
) -> Target:
    """Where a user with these remaining placements should go next.

    When facts were ``asked`` (see :func:`dialogs.common.asked_data`), placements giving the
    same answers are grouped (domain.facts): up to ``MAX_GROUPS`` groups are answered at once;
    otherwise the user is only asked to tell the groups apart (one placement stands for each
    group, ``members`` keeps the rest), so "ЦОН в Караганде: адрес" asks for the centre, not
    for the certificate.
    """
    members = members or {}
    placements = placements_of(manager, keys)
    if purpose == PURPOSE_BOOK:  # only offices with visiting hours
        placements = [p for p in placements if bookable_standard(p.standard)]
        keys = [list(p.key) for p in placements]

    def expand(group: list[Placement]) -> Keys:
        return [m for p in group for m in members.get(key_id(p.key), [list(p.key)])]

    facts, focus = asked_of(asked)
    if facts and purpose == PURPOSE_CARD:
        groups = group(placements, facts, focus)
        unnamed = bool(asked is not None and asked.get("unnamed"))
        by_service = not set(facts) <= OFFICE_FACTS and len(
            {frozenset(p.standard.service for p in g) for g in groups}) > 1
        # Answers for services the question did not name are listed only while they stay short.
        limit = MAX_ANSWER // 2 if unnamed and by_service else MAX_ANSWER
        if len(groups) == 1 or (len(groups) <= MAX_GROUPS and len(compose(
                renderer_of(manager), catalog_of(manager), locale_of(manager), groups, facts, focus)) <= limit):
            return Target(CardSG.fact, {GROUPS: [expand(g) for g in groups], ASKED: asked})
        placements = [g[0] for g in groups]
        members = {key_id(g[0].key): expand(g) for g in groups}
        keys = [list(p.key) for p in placements]
    step = next_step(placements, purpose)
    if step is not None:
        return Target(step, {KEYS: keys, ASKED: asked, PURPOSE: purpose, MEMBERS: members, ANSWERS: answers})
    if purpose in (PURPOSE_BOOK, PURPOSE_COMPLAIN):
        first = placements[0]
        state = BookingSG.day if purpose == PURPOSE_BOOK else ComplaintSG.choice
        return Target(state, {"standard": first.standard.id, "office": first.office.id})
    if purpose == PURPOSE_APPLY:
        first = placements[0]
        return Target(ApplicationSG.choice,
                      {"standard": first.standard.id, "office": first.office.id, ANSWERS: answers or {}})
    if purpose == PURPOSE_CHECKLIST:
        offices = {p.office.id for p in placements}
        office = placements[0].office.id if len(offices) == 1 else None
        return Target(ChecklistSG.question, {"standard": placements[0].standard.id, "office": office})
    return Target(CardSG.overview, {KEYS: keys[:1]})


async def open_placements(
    manager: DialogManager,
    keys: Keys,
    asked: dict | None = None,
    purpose: str = PURPOSE_CARD,
    mode: StartMode = StartMode.NORMAL,
    answers: dict[str, str] | None = None,
) -> None:
    """Start whichever dialog comes next for these placements."""
    target = decide(manager, keys, asked, purpose, answers=answers)
    await manager.start(target.state, data=target.data, mode=mode)
