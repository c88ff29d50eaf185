"""Finding phrases of stems in the words of a question, tolerating endings and typos.

A phrase is a run of stems ("внутрен политик"); it matches consecutive words each starting
with its stem (so Kazakh and Russian endings are free), a long stem also with one typo
(rapidfuzz's Levenshtein distance, on the stem-sized start of the word). A short stem (up to
three letters: "цон", "бак") only matches a word at most three letters longer, and a word on
the ``exact`` list (frequent words one letter away from a stem) only matches itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from understanding.normalize import mostly_latin, to_cyrillic, words

SHORT_STEM = 3
FUZZY_MIN_STEM = 6


def stems_of(phrase: str) -> list[tuple[str, ...]]:
    """The stem runs a phrase of the lexicon stands for: as written, and, for a phrase in
    Latin letters (an e-mail word, "egov"), also transliterated, as a Latin question would be."""
    runs = [words(phrase)]
    lowered = phrase.lower()
    if mostly_latin(lowered):
        runs.append(tuple(w for w in (phrase.lower().split()) if w))
        runs.append(words(to_cyrillic(lowered)))
    return list(dict.fromkeys(r for r in runs if r))


@dataclass
class StemMatcher:
    """Whether a word is a form of a stem, remembering what it was asked."""

    exact: frozenset[str] = frozenset()
    _cache: dict[tuple[str, str], bool] = field(default_factory=dict)

    def __call__(self, stem: str, word: str) -> bool:
        key = (stem, word)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._matches(stem, word)
        return found

    def _matches(self, stem: str, word: str) -> bool:
        if stem.isdigit() or word.isdigit():
            return stem == word
        if len(stem) <= SHORT_STEM:
            return word.startswith(stem) and len(word) <= len(stem) + 3
        if word.startswith(stem):
            return True
        if len(stem) < FUZZY_MIN_STEM or len(word) < len(stem) - 1 or word in self.exact:
            return False
        return any(
            Levenshtein.distance(stem, word[:size], score_cutoff=1) <= 1
            for size in (len(stem) - 1, len(stem), len(stem) + 1)
        )


@dataclass(frozen=True)
class Hit:
    """A phrase found at ``positions`` of the question's words."""

    value: str
    positions: tuple[int, ...]
    weight: float


@dataclass(frozen=True)
class Entry:
    stems: tuple[str, ...]
    value: str
    weight: float


class PhraseIndex:
    """Phrases with the value each stands for; :meth:`find` lists the hits in a question,
    longest phrases first, a word used by at most one hit."""

    def __init__(self, entries: Iterable[tuple[str, str, float]], matcher: StemMatcher) -> None:
        built = [Entry(stems, value, weight) for phrase, value, weight in entries for stems in stems_of(phrase)]
        # Longer phrases first (by words, then letters): "алматы облысы" before "алматы".
        self.entries = sorted(built, key=lambda e: (-len(e.stems), -sum(map(len, e.stems))))
        self.matcher = matcher
        # Entries by the first letter of their first stem: a word is only compared with those
        # (a typo in the first letter is not forgiven).
        self._by_letter: dict[str, list[tuple[int, Entry]]] = {}
        for rank, entry in enumerate(self.entries):
            self._by_letter.setdefault(entry.stems[0][0], []).append((rank, entry))

    def find(self, tokens: Sequence[str], used: set[int] | None = None) -> list[Hit]:
        used = set() if used is None else used
        found: list[tuple[int, int, Entry]] = []
        for start, token in enumerate(tokens):
            for rank, entry in self._by_letter.get(token[0], ()):
                end = start + len(entry.stems)
                if end <= len(tokens) and all(
                        self.matcher(s, tokens[p]) for s, p in zip(entry.stems, range(start, end), strict=True)):
                    found.append((rank, start, entry))
        hits: list[Hit] = []
        for _rank, start, entry in sorted(found, key=lambda item: (item[0], item[1])):
            positions = tuple(range(start, start + len(entry.stems)))
            if not used.intersection(positions):
                used.update(positions)
                hits.append(Hit(entry.value, positions, entry.weight))
        return hits
