"""Visit slots: when an office receives visitors, in slots of a fixed length, with capacity.

An office is open on its schedule's weekdays (``catalog/standards``), except public holidays
and days off by transfer; it is also open on a weekend day the Government made a working
day. Slots run from opening to closing in ``slot_minutes`` steps, none overlapping the lunch
break, none ending after closing. A slot can be booked from ``min_notice`` after now up to
``horizon_days`` ahead. Times are in Asia/Almaty. Occupancy lives in the database
(``services/bookings.py``); this module knows nothing of Telegram or storage.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from domain.catalog import CATALOG_DIR, WEEKDAYS, Office, Schedule, Standard
from domain.deadlines import ALMATY, WorkingCalendar, local_date

BOOKING_FILE = CATALOG_DIR / "booking.toml"



class BookingStatus(StrEnum):
    """A booked visit: still to come, cancelled, served, or missed (marked by a clerk)."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    SERVED = "served"
    NO_SHOW = "no_show"


class VisitEvent(StrEnum):
    """What a clerk marks on a visit of the day (the applicant came, was served, did not come)."""

    ARRIVED = "arrived"
    SERVED = "served"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class BookingRules:
    """The booking rules of one office."""

    slot_minutes: int = 15
    windows: int = 2
    min_notice_minutes: int = 60
    horizon_days: int = 30
    max_bookings: int = 2
    max_bookings_days: int = 10
    no_show_limit: int = 3
    no_show_days: int = 30
    block_days: int = 14

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)



@dataclass(frozen=True)
class BookingConfig:
    """Defaults and per-office overrides, from ``catalog/booking.toml``."""

    defaults: dict[str, int]
    offices: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = BOOKING_FILE) -> BookingConfig:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        allowed = set(BookingRules.__dataclass_fields__) | {"akimat_windows", "psc_windows"}
        for where, values in [("defaults", data.get("defaults", {})),
                              *((f"offices.{k}", v) for k, v in data.get("offices", {}).items())]:
            for key, value in values.items():
                if key not in allowed or not isinstance(value, int) or value <= 0:
                    raise ValueError(f"{path.name}: {where}.{key}: must be a known positive whole number")
        return cls(data.get("defaults", {}), data.get("offices", {}))

    def rules(self, standard: Standard, office: Office) -> BookingRules:
        values: dict[str, Any] = {k: v for k, v in self.defaults.items() if k not in ("akimat_windows", "psc_windows")}
        psc = standard.offices_ref == "psc_centres"
        values["windows"] = self.defaults.get("psc_windows" if psc else "akimat_windows", 6 if psc else 2)
        values.update(self.offices.get(office.id, {}))
        return replace(BookingRules(), **values)


def bookable_standard(standard: Standard) -> bool:
    """Whether visits can be booked: the standard gives working hours (the e-service does not)."""
    return bool(standard.schedule.weekdays)


def is_open(calendar: WorkingCalendar, schedule: Schedule, day: date) -> bool:
    """Whether the office receives visitors on ``day``."""
    if not schedule.weekdays or calendar.is_public_day_off(day):
        return False
    if calendar.is_working_day(day):
        return True
    return WEEKDAYS[day.weekday()] in schedule.weekdays


def day_slots(calendar: WorkingCalendar, schedule: Schedule, rules: BookingRules, day: date) -> list[datetime]:
    """The starts of every slot of the day (aware, Almaty), whether free or not."""
    if not is_open(calendar, schedule, day) or schedule.opens is None or schedule.closes is None:
        return []
    start = datetime.combine(day, schedule.opens, tzinfo=ALMATY)
    closes = datetime.combine(day, schedule.closes, tzinfo=ALMATY)
    lunch = None
    if schedule.lunch:
        lunch = (datetime.combine(day, schedule.lunch[0], tzinfo=ALMATY),
                 datetime.combine(day, schedule.lunch[1], tzinfo=ALMATY))
    slots = []
    moment = start
    while moment + rules.slot <= closes:
        if lunch and moment < lunch[1] and moment + rules.slot > lunch[0]:
            moment = lunch[1]
            continue
        slots.append(moment)
        moment += rules.slot
    return slots


def bookable_slots(calendar: WorkingCalendar, schedule: Schedule, rules: BookingRules, day: date,
                   now: datetime) -> list[datetime]:
    """The slots of ``day`` that may still be booked: after the notice, within the horizon."""
    if not 0 <= (day - local_date(now)).days <= rules.horizon_days:
        return []
    earliest = now + rules.min_notice
    return [s for s in day_slots(calendar, schedule, rules, day) if s >= earliest]


def horizon(now: datetime, rules: BookingRules) -> list[date]:
    today = local_date(now)
    return [today + timedelta(days=n) for n in range(rules.horizon_days + 1)]


def blocked_until(no_shows: list[date], rules: BookingRules, today: date) -> date | None:
    """The day new bookings open again after repeated no-shows, or ``None`` if they are open.

    ``no_show_limit`` no-shows within ``no_show_days`` block booking for ``block_days`` from
    the last of them; the block lasts its full term even as older no-shows age out.
    """
    days = sorted(no_shows)
    limit = rules.no_show_limit
    ends = [days[i] + timedelta(days=rules.block_days) for i in range(limit - 1, len(days))
            if (days[i] - days[i - limit + 1]).days < rules.no_show_days]
    latest = max(ends, default=None)
    return latest if latest is not None and today < latest else None


def reminder_times(starts_at: datetime) -> dict[str, datetime]:
    """When to remind: the day before at 18:00 office time, and an hour before."""
    local = starts_at.astimezone(ALMATY)
    return {
        "reminder_day": datetime.combine(local.date() - timedelta(days=1), time(18, 0), tzinfo=ALMATY),
        "reminder_hour": local - timedelta(hours=1),
    }
