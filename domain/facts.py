"""Which facts of a standard are "the same" across offices, so one answer can serve many.

A fact with a structural signature (deadline, hours, queue, cost) is the same for two
placements when the numbers are, even if the standards word it differently; the bot then
shows a short form of it. Other facts are the same only when their full texts are.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from domain.catalog import Placement

SIGNATURES: dict[str, Callable[[Placement], Hashable]] = {
    "deadline": lambda p: (
        p.standard.deadline.days,
        p.standard.deadline.unit,
        tuple(e.months for e in p.standard.deadline.extensions),
    ),
    "hours": lambda p: (
        tuple(p.standard.schedule.weekdays),
        p.standard.schedule.opens,
        p.standard.schedule.closes,
        p.standard.schedule.lunch,
    ),
    "queue": lambda p: (p.standard.queue.submit_minutes, p.standard.queue.collect_minutes),
    "cost": lambda p: p.standard.free,
}

# Facts whose short form can stand for several placements at once.
SHORT_FACTS = frozenset(SIGNATURES)


def signature(placement: Placement, fact: str) -> Hashable | None:
    """The structural signature of a fact, or ``None`` when only the full text can tell."""
    function = SIGNATURES.get(fact)
    return function(placement) if function else None


def group_by(placements: list[Placement], key: Callable[[Placement], Hashable]) -> list[list[Placement]]:
    """Placements grouped by ``key``, groups and members in their first-seen order."""
    groups: dict[Hashable, list[Placement]] = {}
    for placement in placements:
        groups.setdefault(key(placement), []).append(placement)
    return list(groups.values())
