"""Kazakhstan's personal (IIN, ЖСН/ИИН) and business (BIN, БСН/БИН) numbers, and phone numbers."""

from __future__ import annotations

import re

FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first_eleven: str) -> int | None:
    """The 12th digit of an IIN/BIN for its first 11 digits; ``None`` when no digit is possible.

    The official rule: the digits weighted 1..11, sum mod 11; if that is 10, weighted
    3..11, 1, 2, sum mod 11; if that is 10 again, the number is invalid.
    """
    digits = [int(c) for c in first_eleven]
    value = sum(d * w for d, w in zip(digits, FIRST_WEIGHTS, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, SECOND_WEIGHTS, strict=True)) % 11
        if value == 10:
            return None
    return value


def clean_number(text: str) -> str:
    """The digits of a number typed with spaces or dashes ("900101 300 123")."""
    return re.sub(r"[\s\-]", "", text)


def is_valid_iin_or_bin(text: str) -> bool:
    """Whether ``text`` is 12 digits with a correct check digit (IIN and BIN share the rule)."""
    number = clean_number(text)
    if not re.fullmatch(r"\d{12}", number):
        return False
    expected = check_digit(number[:11])
    return expected is not None and expected == int(number[11])


def normalize_phone(text: str) -> str | None:
    """A Kazakhstan mobile or landline number as +7XXXXXXXXXX, or ``None`` if it is not one.

    Accepts +7…, 8… (the domestic prefix) and separators: "+7 701 123-45-67", "87011234567".
    """
    digits = re.sub(r"[\s\-()]", "", text)
    match = re.fullmatch(r"(?:\+7|8|7)(\d{10})", digits)
    return f"+7{match.group(1)}" if match else None


def mask(number: str, visible: int = 4) -> str:
    """A personal number for logs: only the last digits shown ("********0123")."""
    return "*" * max(len(number) - visible, 0) + number[-visible:]
