"""How typed answers of a form are cleaned (names, short texts, numbers).

What each application asks lives in the standards' TOML (``application_fields``, read by
:attr:`domain.catalog.Standard.application`); the form engine's type factories use these.
"""

from __future__ import annotations

MAX_TEXT = 300


def clean_text(value: str) -> str | None:
    """A typed answer, or ``None`` if it is empty, too long or a command."""
    value = " ".join(value.split())
    if not value or len(value) > MAX_TEXT or value.startswith("/"):
        return None
    return value


def clean_number(value: str) -> int | None:
    """A positive whole number typed with or without spaces ("10 000")."""
    digits = value.replace(" ", "").replace("\u00a0", "")
    if not digits.isdigit() or not 0 < int(digits) < 10**9:
        return None
    return int(digits)


def clean_name(value: str) -> str | None:
    """A person's or organisation's name: letters, spaces, hyphens, quotes, dots, 2-150 characters."""
    value = " ".join(value.split())
    if not 2 <= len(value) <= 150 or value.startswith("/"):
        return None
    if not all(c.isalpha() or c in " -'’.«»\"()0123456789" for c in value):
        return None
    return value if any(c.isalpha() for c in value) else None
