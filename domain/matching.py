"""Free-text questions: find the service, the fact and the place a question is about.

The vocabulary is data (``catalog/lexicon.toml`` plus the catalog's place names). Words are
compared as stems with Kazakh letters folded, tolerating one typo in stems of six letters
or more (rapidfuzz's Levenshtein distance). The result is an :class:`Intent`; turning it
into an answer (which offices, which text) is the caller's job, see :func:`candidates`.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from domain.catalog import CATALOG_DIR, Catalog, Placement

FACTS = (
    "deadline", "cost", "hours", "address", "documents", "application", "refusal",
    "complaint", "contacts", "result", "queue", "collect", "quality",
)
_FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")
_TOKEN = re.compile(r"[^\W_]+")
_STRONG, _WEAK = 1.0, 0.5
SHORT_STEM = 3
FUZZY_MIN_STEM = 6


def normalize(text: str) -> list[str]:
    """Lower-case, fold Kazakh letters to their nearest Russian ones and split into words."""
    return _TOKEN.findall(text.lower().translate(_FOLD))


# Frequent words that are one letter away from a stem ("туралы" ~ "тұрады"): exact only.
NO_TYPOS = frozenset(normalize_word for normalize_word in (
    "туралы", "турады", "керек", "кезек", "бойынша", "болады", "береди", "который", "которые",
))


def stem_matches(stem: str, token: str) -> bool:
    """Whether a word is a form of the stem (prefix match, one typo allowed in long stems)."""
    if len(stem) <= SHORT_STEM:
        return token.startswith(stem) and len(token) <= len(stem) + 3
    if token.startswith(stem):
        return True
    if len(stem) < FUZZY_MIN_STEM or len(token) < len(stem) - 1 or token in NO_TYPOS:
        return False
    return any(
        Levenshtein.distance(stem, token[:size], score_cutoff=1) <= 1
        for size in (len(stem) - 1, len(stem), len(stem) + 1)
    )


@dataclass(frozen=True)
class _Entry:
    stems: tuple[str, ...]
    kind: str  # "service", "fact" or "place"
    value: str
    weight: float


def _find(stems: Sequence[str], tokens: Sequence[str], used: set[int]) -> list[int] | None:
    """Positions of the first run of tokens matching the stems, skipping used positions."""
    for start in range(len(tokens) - len(stems) + 1):
        positions = list(range(start, start + len(stems)))
        if used.intersection(positions):
            continue
        if all(stem_matches(s, tokens[p]) for s, p in zip(stems, positions, strict=True)):
            return positions
    return None


@dataclass(frozen=True)
class Intent:
    """What a question is about. Empty sets / ``None`` mean the question did not say."""

    services: frozenset[str] = frozenset()
    fact: str | None = None
    places: frozenset[str] = frozenset()
    scores: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def understood(self) -> bool:
        return bool(self.services or self.fact or self.places)


class Matcher:
    """Matches questions against the lexicon and the catalog's place names."""

    def __init__(self, catalog: Catalog, lexicon_path: Path = CATALOG_DIR / "lexicon.toml") -> None:
        with lexicon_path.open("rb") as fh:
            lexicon = tomllib.load(fh)
        entries: list[_Entry] = []
        for service_id, groups in lexicon["services"].items():
            catalog.service(service_id)
            entries += self._entries(groups.get("strong", []), "service", service_id, _STRONG)
            entries += self._entries(groups.get("weak", []), "service", service_id, _WEAK)
        for service_id, phrases in lexicon.get("services_weak", {}).items():
            entries += self._entries(phrases, "service", service_id, _WEAK)
        for fact, phrases in lexicon["facts"].items():
            if fact not in FACTS:
                raise ValueError(f"lexicon.toml: facts.{fact}: unknown fact")
            entries += self._entries(phrases, "fact", fact, _STRONG)
        self._entries_ = entries
        self._priority = {f: i for i, f in enumerate(lexicon["fact_priority"]["order"])}
        places: list[_Entry] = []
        for kind, items in (("region", catalog.regions.values()), ("city", catalog.cities.values())):
            for place in items:
                names = {place.name.kk, place.name.ru, *place.aliases}
                places += self._entries(names, "place", f"{kind}:{place.id}", _STRONG)
        # Longest names first, so "Алматы облысы" wins over "Алматы".
        self._places = sorted(places, key=lambda e: -sum(len(s) for s in e.stems))

    @staticmethod
    def _entries(phrases: Iterable[str], kind: str, value: str, weight: float) -> list[_Entry]:
        out = []
        for phrase in phrases:
            stems = tuple(normalize(phrase))
            if stems:
                out.append(_Entry(stems, kind, value, weight * (1 + len(stems))))
        return out

    def match(self, text: str) -> Intent:
        """The intent of a free-text question."""
        tokens = normalize(text)
        used: set[int] = set()
        places: set[str] = set()
        for entry in self._places:
            while (positions := _find(entry.stems, tokens, used)) is not None:
                used.update(positions)
                places.add(entry.value)
        scores: dict[tuple[str, str], float] = defaultdict(float)
        for entry in self._entries_:
            if _find(entry.stems, tokens, used) is not None:
                scores[(entry.kind, entry.value)] += entry.weight
        services = self._best({v: s for (k, v), s in scores.items() if k == "service"})
        facts = self._best({v: s for (k, v), s in scores.items() if k == "fact"})
        fact = min(facts, key=lambda f: self._priority.get(f, len(FACTS))) if facts else None
        return Intent(
            services=frozenset(services),
            fact=fact,
            places=frozenset(places),
            scores={f"{k}:{v}": s for (k, v), s in scores.items()},
        )

    @staticmethod
    def _best(scores: dict[str, float]) -> set[str]:
        if not scores:
            return set()
        top = max(scores.values())
        return {value for value, score in scores.items() if score == top}


def in_place(catalog: Catalog, placement: Placement, place: str) -> bool:
    """Whether a placement is in a place given as ``region:<id>`` or ``city:<id>``."""
    kind, _, place_id = place.partition(":")
    city = catalog.cities[placement.office.city_id]
    if kind == "city":
        return placement.office.city_id == place_id
    return placement.standard.region == place_id or city.region == place_id


@dataclass(frozen=True)
class Candidates:
    """Placements that fit an intent; ``place_missed`` when none was in the named place."""

    placements: list[Placement]
    place_missed: bool = False


def candidates(catalog: Catalog, intent: Intent) -> Candidates:
    """The placements an intent may refer to, narrowed by its services and places."""
    pool = [p for p in catalog.placements if not intent.services or p.standard.service in intent.services]
    if not intent.places:
        return Candidates(pool)
    here = [p for p in pool if any(in_place(catalog, p, place) for place in intent.places)]
    return Candidates(here) if here else Candidates(pool, place_missed=True)
