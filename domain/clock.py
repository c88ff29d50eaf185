"""The one clock of the application.

Everything that needs the time (deadlines, the outbox, stamps written to the database, the
calendar's "today", reminders, the digest) is given a :data:`Clock` when it is built; only
the entry point uses :func:`system_clock`. Tests pass a clock they move by hand, so no test
depends on the machine's date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A function giving the current moment as an aware datetime."""


def system_clock() -> datetime:
    """The machine's clock, in UTC: the entry point's clock."""
    return datetime.now(UTC)
