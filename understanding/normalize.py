"""Words that compare equal however they were typed.

* Kazakh letters fold to their nearest Russian ones (қ→к, ұ/ү→у, і→и, ә→а, ғ→г, ң→н, ө→о,
  һ→х), so «Ақтау», «Актау» and «aqtau» meet; й folds to и, ё and э to е, and the signs ь/ъ go,
  because transliterations drop them.
* A text written mostly in Latin letters (Russian or Kazakh, with the habits people have:
  "tson", "gde", "qujat", "hqo", "zh", "sh", "ya") is transliterated into Cyrillic first. A
  text mostly in Cyrillic is left alone, so an e-mail address or "egov" inside it stays Latin.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    "ё": "е", "э": "е", "й": "и", "ь": None, "ъ": None,
})
# Longest first: "shch" before "sh", "tsya" (-ться) before "ts".
_LATIN = (
    ("shch", "щ"), ("tsya", "тся"), ("tsa", "тса"), ("sch", "щ"),
    ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("tc", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "е"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("c", "ц"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"),
    ("i", "и"), ("j", "ж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "у"), ("x", "кс"),
    ("y", "ы"), ("z", "з"),
    # Kazakh Latin (2017–2021 alphabets) and Turkish-style letters
    ("й", "й"), ("á", "а"), ("ä", "а"), ("ǵ", "г"), ("ğ", "г"), ("ń", "н"), ("ñ", "н"), ("ó", "о"), ("ö", "о"),
    ("ú", "у"), ("ü", "у"), ("ý", "у"), ("ı", "ы"), ("ş", "ш"), ("ç", "ч"), ("'", ""), ("`", ""),
)
_LATIN_RE = re.compile("|".join(re.escape(latin) for latin, _ in _LATIN))
_LATIN_MAP = dict(_LATIN)
_WORD = re.compile(r"[^\W_]+")
_LATIN_LETTER = re.compile(r"[a-zA-Zá-ýÁ-Ýǵńıİşçğ]")
_LETTER = re.compile(r"[^\W\d_]")


def mostly_latin(text: str) -> bool:
    """Whether more than half of the letters are Latin (then the text is transliterated)."""
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_LATIN_LETTER.findall(text)) * 2 > letters


_VOWEL_Y = re.compile(r"(?<=[aeiou])y(?![aeiouy])")  # "semey", "raion" as "raiyon": й


def to_cyrillic(text: str) -> str:
    """A Latin text in Cyrillic letters (lower case), by the usual transliteration habits."""
    return _LATIN_RE.sub(lambda m: _LATIN_MAP[m.group(0)], _VOWEL_Y.sub("й", text.lower()))


def fold(word: str) -> str:
    """A lower-case Cyrillic word with Kazakh letters folded (see the module docstring)."""
    return word.translate(_FOLD)


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """The comparable words of a text: lower case, Latin text transliterated, letters folded.
    Numbers stay words of their own ("№2" → "2")."""
    text = unicodedata.normalize("NFC", text).lower()
    if mostly_latin(text):
        text = to_cyrillic(text)
    text = re.sub(r"(\d)([^\W\d_])", r"\1 \2", re.sub(r"([^\W\d_])(\d)", r"\1 \2", text))
    return tuple(w for w in (fold(w) for w in _WORD.findall(text)) if w)
