"""A statistical second opinion on what a question asks: character n-grams, Complement Naive Bayes.

The labelled questions shipped with the catalog (``catalog/questions/*.toml``) are read at
start; each question's words (:func:`understanding.normalize.words`) are cut into character
n-grams of 2 to 5 letters inside word boundaries, weighted by tf–idf (sub-linear tf,
smoothed idf, unit length), and Complement Naive Bayes learns a weight per n-gram and fact.
It is the model of scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
sublinear_tf=True)`` + ``ComplementNB(alpha=0.3)``, written out here in a few lines because
that pair was measured to do as well as logistic regression on these questions while
needing no library (scikit-learn with NumPy and SciPy would add about 150 MB to the install).
Character n-grams carry Kazakh suffixes and typos well; training takes a fraction of a
second and a prediction well under a millisecond.

Only a question the rules (:mod:`understanding.engine`) cannot place is decided by it.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from understanding.normalize import words

MIN_N, MAX_N = 2, 5
ALPHA = 0.3


def ngrams(text: str) -> Counter[str]:
    """The character n-grams of a text's words, each word padded with spaces (``char_wb``)."""
    grams: Counter[str] = Counter()
    for word in words(text):
        padded = f" {word} "
        for size in range(MIN_N, MAX_N + 1):
            if len(padded) < size:
                break
            for start in range(len(padded) - size + 1):
                grams[padded[start:start + size]] += 1
    return grams


@dataclass(frozen=True)
class Guess:
    label: str
    margin: float  # how far the best label is ahead of the second (0: a tie)


class FactClassifier:
    """Learns from labelled questions (the first fact of each is its label)."""

    def __init__(self, examples: Iterable[tuple[str, str]]) -> None:
        documents = [(ngrams(text), label) for text, label in examples]
        self.labels = sorted({label for _grams, label in documents})
        frequency: Counter[str] = Counter(g for grams, _label in documents for g in grams)
        count = len(documents)
        self.idf = {g: math.log((1 + count) / (1 + df)) + 1 for g, df in frequency.items()}
        per_label: dict[str, dict[str, float]] = {label: defaultdict(float) for label in self.labels}
        for grams, label in documents:
            for gram, value in self._vector(grams).items():
                per_label[label][gram] += value
        self._own = per_label
        self._totals: dict[str, float] = defaultdict(float)
        for weights in per_label.values():
            for gram, value in weights.items():
                self._totals[gram] += value
        everything = sum(self._totals.values()) + ALPHA * len(self.idf)
        self._whole = {label: everything - sum(per_label[label].values()) for label in self.labels}
        self._weights: dict[str, tuple[float, ...]] = {}

    def _weights_of(self, gram: str) -> tuple[float, ...]:
        """Each label's weight of an n-gram: minus the log of its smoothed share of the n-grams
        of all the *other* labels' questions (computed when first needed, then kept)."""
        weights = self._weights.get(gram)
        if weights is None:
            total = self._totals[gram]
            weights = self._weights[gram] = tuple(
                -math.log((total - self._own[label].get(gram, 0.0) + ALPHA) / self._whole[label])
                for label in self.labels)
        return weights

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        vector = {g: (1 + math.log(n)) * self.idf[g] for g, n in grams.items() if g in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {g: v / norm for g, v in vector.items()}

    def scores(self, text: str) -> dict[str, float]:
        """Each label's score for a question (higher is likelier)."""
        totals = [0.0] * len(self.labels)
        for gram, value in self._vector(ngrams(text)).items():
            for index, weight in enumerate(self._weights_of(gram)):
                totals[index] += value * weight
        return dict(zip(self.labels, totals, strict=True))

    def guess(self, text: str) -> Guess:
        ranked = sorted(self.scores(text).items(), key=lambda item: -item[1])
        if len(ranked) < 2:
            return Guess(ranked[0][0], 0.0)
        return Guess(ranked[0][0], ranked[0][1] - ranked[1][1])

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> FactClassifier:
        examples: list[tuple[str, str]] = []
        for path in paths:
            with path.open("rb") as fh:
                examples += [(row["text"], row["facts"][0]) for row in tomllib.load(fh)["questions"]]
        return cls(examples)
