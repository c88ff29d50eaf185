"""Finding phrases of stems in the words of a question, tolerating endings and typos.

A phrase is a run of stems ("внутрен политик"); it matches consecutive words each starting
with its stem (so Kazakh and Russian endings are free), a long stem also with one typo
(rapidfuzz's Levenshtein distance, on the stem-sized start of the word). A short stem (up to
three letters: "цон", "бак") only matches a word at most three letters longer, and a word on
the ``exact`` list (frequent words one letter away from a stem) only matches itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from understanding.normalize import mostly_latin, words

SHORT_STEM = 3
FUZZY_MIN_STEM = 6


EXACT = "!"  # a stem written "word!" matches that whole word only
_RAW = re.compile(r"[^\W_]+")


def stems_of(phrase: str) -> list[tuple[str, ...]]:
    """The stem runs a phrase of the lexicon stands for: as written, and, for a phrase in
    Latin letters (an e-mail word, "egov"), also transliterated, as a Latin question would be.
    A stem marked with "!" keeps the mark (exact match)."""
    marked = phrase.replace(EXACT, " \x00 ")

    def run(text: str) -> tuple[str, ...]:
        parts = text.split("\x00")
        out: list[str] = []
        for index, part in enumerate(parts):
            stems = list(words(part))
            if index < len(parts) - 1 and stems:
                stems[-1] += EXACT
            out += stems
        return tuple(out)

    runs = [run(marked)]
    lowered = marked.lower()
    if mostly_latin(lowered):  # as a Latin word inside a Cyrillic question stays
        runs.append(tuple(w + (EXACT if w.endswith("\x00") else "") for w in _RAW.findall(lowered)))
    return list(dict.fromkeys(r for r in runs if r))


# Kazakh voiceless stem-final consonants voice before a vowel ending (қ→ғ, к→г, п→б):
# «жеңілдік» → «жеңілдігі», «кітап» → «кітабы». Letters are folded (қ→к, ғ→г).
_VOICED = {"к": "г", "п": "б"}


def alternates(stem: str, word: str) -> bool:
    """Whether ``word`` is a Kazakh form of ``stem`` with its last consonant voiced."""
    voiced = _VOICED.get(stem[-1])
    return (voiced is not None and len(stem) >= 4 and len(word) > len(stem)
            and word.startswith(stem[:-1]) and word[len(stem) - 1] == voiced)


@dataclass
class StemMatcher:
    """Whether a word is a form of a stem, remembering what it was asked."""

    exact: frozenset[str] = frozenset()
    # Words that are words in their own right (the catalog's, everyday ones): never read as a
    # typo of another word ("қандай" is not a misspelt "қандас"), only as a form of a stem.
    known: frozenset[str] = frozenset()
    _cache: dict[tuple[str, str], bool] = field(default_factory=dict)

    def __call__(self, stem: str, word: str) -> bool:
        key = (stem, word)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._matches(stem, word)
        return found

    def _matches(self, stem: str, word: str) -> bool:
        if stem.endswith(EXACT):
            return word == stem[:-1]
        if stem.isdigit() or word.isdigit():
            return stem == word
        if len(stem) <= SHORT_STEM:
            return word.startswith(stem) and len(word) <= len(stem) + 3
        if word.startswith(stem) or alternates(stem, word):
            return True
        if len(stem) < FUZZY_MIN_STEM or len(word) < len(stem) - 1 or word in self.exact or word in self.known:
            return False
        if word.startswith(stem[:-1]):
            # Only the stem's last letter differs: another ending of the same root ("тапсырдым"
            # is not a misspelt "тапсыру", "жазылып" not "жазылым"), not a typo.
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
    """A run of stems and every value it stands for (a district names two centres)."""

    stems: tuple[str, ...]
    values: tuple[tuple[str, float], ...]


class PhraseIndex:
    """Phrases with the values each stands for; :meth:`find` lists the hits in a question.

    Where phrases overlap, the one with more words matched without a typo wins, then the one with more
    words, then the longer one; a word is used by one phrase (and all its values) at most.
    """

    def __init__(self, entries: Iterable[tuple[str, str, float]], matcher: StemMatcher) -> None:
        merged: dict[tuple[str, ...], dict[str, float]] = {}
        for phrase, value, weight in entries:
            for stems in stems_of(phrase):
                merged.setdefault(stems, {})[value] = weight
        self.entries = sorted((Entry(stems, tuple(values.items())) for stems, values in merged.items()),
                              key=lambda e: (-len(e.stems), -sum(map(len, e.stems))))
        self.matcher = matcher
        # Entries by the first letter of their first stem: a word is only compared with those
        # (a typo in the first letter is not forgiven).
        self._by_letter: dict[str, list[tuple[int, Entry]]] = {}
        for rank, entry in enumerate(self.entries):
            self._by_letter.setdefault(entry.stems[0][0], []).append((rank, entry))

    def find(self, tokens: Sequence[str], used: set[int] | None = None) -> list[Hit]:
        used = set() if used is None else used
        found: list[tuple[tuple[int, int, int, int, int], Entry, int]] = []
        for start, token in enumerate(tokens):
            for rank, entry in self._by_letter.get(token[0], ()):
                end = start + len(entry.stems)
                if end > len(tokens):
                    continue
                typos = 0
                for stem, word in zip(entry.stems, tokens[start:end], strict=True):
                    if not self.matcher(stem, word):
                        break
                    bare = stem.rstrip(EXACT)
                    typos += not (word.startswith(bare) or alternates(bare, word))
                else:
                    # More words matched without a typo first, then more words ("где получть"
                    # is one phrase with a typo, not "где" alone), then fewer typos, longer.
                    found.append(((-(len(entry.stems) - typos), -len(entry.stems), typos, rank, start), entry,
                                  start))
        hits: list[Hit] = []
        for _order, entry, start in sorted(found, key=lambda item: item[0]):
            positions = tuple(range(start, start + len(entry.stems)))
            if not used.intersection(positions):
                used.update(positions)
                hits += [Hit(value, positions, weight) for value, weight in entry.values]
        return sorted(hits, key=lambda h: h.positions)
