"""Logging that never writes personal data, at any level (``LOG_LEVEL=DEBUG`` included).

Two guards:

* the database drivers' and SQLAlchemy's loggers stay at WARNING whatever ``LOG_LEVEL`` says:
  at DEBUG they print every statement with its parameters and the rows read (aiosqlite's
  "executing functools.partial(..., params)"), which hold IINs, names, phones and the dialog
  state; the engine also hides parameters from its error messages (storage.database);
  aiogram-dialog's message manager likewise (it prints whole chats, with the person's name);
* every line is passed through :func:`redact` before it is written, tracebacks included:
  12-digit numbers (IIN/BIN) and Kazakh phone numbers become placeholders.
"""

from __future__ import annotations

import logging
import re
import sys

QUIET = (
    "aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm",
    # prints whole Chat objects (the person's Telegram name) at DEBUG
    "aiogram_dialog.manager.message_manager",
)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
# +7 / 8 / 7 then ten digits, with the separators people type (spaces, dashes, brackets).
_PHONE = re.compile(r"(?<![\d+])(?:\+\s?7|8|7)[\s\-()]*\d{3}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)")


def redact(text: str) -> str:
    """The text with IIN/BIN-like numbers and phone numbers replaced."""
    return _PHONE.sub("[phone]", _IIN.sub("[12 digits]", text))


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, exception, stack) goes through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str) -> None:
    """Log to stderr at ``level``, without personal data (see the module docstring)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.getLevelName(level), logging.WARNING)
    for name in QUIET:
        logging.getLogger(name).setLevel(floor)
