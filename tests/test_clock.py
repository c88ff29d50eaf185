"""One clock: nothing the application stores or compares takes the machine's time."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Date, DateTime

from storage.models import Base
from tests.conftest import App, ChatClient, FakeClock

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = ("api", "bot", "handlers", "dialogs", "domain", "storage", "registry", "services", "jobs", "web")
MACHINE_CLOCK = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")


def test_no_column_defaults_a_moment() -> None:
    """Moments are set by the code or, for bookkeeping stamps, from the session's clock."""
    defaulted = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime | Date) or getattr(column.type, "impl", None).__class__ is DateTime
        if column.default is not None or column.onupdate is not None or column.server_default is not None
    ]
    assert defaulted == []


def test_only_the_entry_point_reads_the_machine_clock() -> None:
    reads = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in APPLICATION if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
        if path != ROOT / "domain" / "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if MACHINE_CLOCK.search(line)
    ]
    assert reads == []


async def test_stored_stamps_come_from_the_clock(app: App, ru: ChatClient, clock: FakeClock) -> None:
    from storage.models import User

    await ru.send("/start")
    async with app.sessions() as session:
        user = await session.get(User, ru.user_id)
        assert user is not None and user.first_seen == clock.now
    clock.advance(days=400)
    await ru.send("/start")
    async with app.sessions() as session:
        user = await session.get(User, ru.user_id)
        assert user is not None and user.last_seen == clock.now and user.first_seen < clock.now
