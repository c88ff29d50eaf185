"""Due dates: calendar or working days on Kazakhstan's working-day calendar, in Asia/Almaty.

Working days are Monday to Friday except public holidays, with the Government's day
transfers (a working Saturday, a Friday off), as the ``holidays`` library knows them, plus
``catalog/calendar.toml`` for transfers decreed after the library's release.

Rules (Civil Code of the Republic of Kazakhstan, art. 178-179, as applied to these services):
counting starts the day after submission; a term in calendar days that ends on a day off
ends on the next working day; an extension "up to N months" runs N months from submission.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from domain.catalog import CATALOG_DIR

ALMATY = ZoneInfo("Asia/Almaty")
CALENDAR_FILE = CATALOG_DIR / "calendar.toml"
DayUnit = Literal["calendar", "working"]


@dataclass(frozen=True)
class CalendarOverrides:
    """Days the ``holidays`` library does not know: extra working days and extra days off."""

    working_days: frozenset[date] = field(default_factory=frozenset)
    days_off: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def load(cls, path: Path = CALENDAR_FILE) -> CalendarOverrides:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        working = frozenset(data.get("working_days", []))
        off = frozenset(data.get("days_off", []))
        if not all(isinstance(d, date) for d in working | off):
            raise ValueError(f"{path.name}: working_days and days_off must be lists of dates")
        if working & off:
            raise ValueError(f"{path.name}: {sorted(working & off)} are both working and off")
        return cls(working, off)


class WorkingCalendar:
    """Kazakhstan's working days (five-day week), with overrides."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self.overrides = overrides or CalendarOverrides()
        self._holidays = holidays.country_holidays("KZ")

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides.days_off:
            return False
        if day in self.overrides.working_days:
            return True
        return bool(self._holidays.is_working_day(day))

    def is_public_day_off(self, day: date) -> bool:
        """A public holiday or a day off by transfer (not an ordinary weekend)."""
        if day in self.overrides.working_days:
            return False
        return day in self.overrides.days_off or day in self._holidays

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)


def local_date(moment: datetime) -> date:
    """The date in Almaty of an aware datetime."""
    return moment.astimezone(ALMATY).date()


def due_date(calendar: WorkingCalendar, submitted_at: datetime, days: int, unit: DayUnit) -> date:
    """The last day of a term of ``days`` days counted from a submission."""
    start = local_date(submitted_at)
    if unit == "working":
        return calendar.add_working_days(start, days)
    return calendar.next_working_day(start + timedelta(days=days))


def extended_due_date(calendar: WorkingCalendar, submitted_at: datetime, months: int) -> date:
    """The last day when the term is extended up to ``months`` months from submission."""
    return calendar.next_working_day(local_date(submitted_at) + relativedelta(months=months))


def is_overdue(due: date, now: datetime) -> bool:
    """Whether the due day has passed in Almaty (a case due today is not overdue yet)."""
    return local_date(now) > due
