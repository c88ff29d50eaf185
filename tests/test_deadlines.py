"""Due dates on Kazakhstan's calendar, tested on real 2025 and 2026 dates around holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from domain.deadlines import (
    ALMATY,
    CALENDAR_FILE,
    CalendarOverrides,
    WorkingCalendar,
    due_date,
    extended_due_date,
    is_overdue,
)


def at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ALMATY)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar(CalendarOverrides.load())


def test_almaty_is_utc_plus_five(calendar: WorkingCalendar) -> None:
    """Kazakhstan moved to a single UTC+5 zone on 1 March 2024 (needs current tz data)."""
    assert at(date(2026, 3, 20)).utcoffset().total_seconds() == 5 * 3600


def test_nowruz_2026_three_working_days(calendar: WorkingCalendar) -> None:
    # Fri 20 March; Nowruz 21-23 March plus 24-25 off: Thu 26, Fri 27, Mon 30.
    assert due_date(calendar, at(date(2026, 3, 20)), 3, "working") == date(2026, 3, 30)


def test_new_year_2025_with_the_transferred_days(calendar: WorkingCalendar) -> None:
    # Tue 31 Dec 2024; 1-2 Jan holidays, Fri 3 Jan off (moved from Sun 5 Jan, which is
    # worked), Mon 6 Jan, Tue 7 Jan Orthodox Christmas, Wed 8 Jan.
    assert calendar.is_working_day(date(2025, 1, 5)) and not calendar.is_working_day(date(2025, 1, 3))
    assert due_date(calendar, at(date(2024, 12, 31)), 3, "working") == date(2025, 1, 8)


def test_submitted_on_a_saturday_holiday(calendar: WorkingCalendar) -> None:
    # Sat 9 May 2026 (Victory Day, the PSCs are open on Saturdays); Mon 11 May off in lieu.
    assert due_date(calendar, at(date(2026, 5, 9)), 3, "working") == date(2026, 5, 14)


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day(calendar: WorkingCalendar) -> None:
    # 15 days from 6 March 2026 is Sat 21 March (Nowruz): the next working day is Thu 26.
    assert due_date(calendar, at(date(2026, 3, 6)), 15, "calendar") == date(2026, 3, 26)
    # 7 days from Fri 2 May 2025 is Fri 9 May (Victory Day): Mon 12 May.
    assert due_date(calendar, at(date(2025, 5, 2)), 7, "calendar") == date(2025, 5, 12)
    # 15 days from 1 Nov 2026 is Mon 16 Nov: an ordinary working day.
    assert due_date(calendar, at(date(2026, 11, 1)), 15, "calendar") == date(2026, 11, 16)


def test_the_date_is_taken_in_almaty(calendar: WorkingCalendar) -> None:
    # 20:30 UTC on 19 March is 01:30 on 20 March in Almaty.
    late = datetime(2026, 3, 19, 20, 30, tzinfo=UTC)
    assert due_date(calendar, late, 3, "working") == date(2026, 3, 30)
    assert due_date(calendar, datetime(2026, 3, 19, 12, 0, tzinfo=UTC), 3, "working") == date(2026, 3, 27)


def test_extensions(calendar: WorkingCalendar) -> None:
    assert extended_due_date(calendar, at(date(2026, 3, 20)), 1) == date(2026, 4, 20)
    # Eid al-Adha, Fri 6 June 2025, plus 3 months is Sat 6 September: Mon 8 September.
    assert extended_due_date(calendar, at(date(2025, 6, 6)), 3) == date(2025, 9, 8)


def test_overdue_only_after_the_due_day(calendar: WorkingCalendar) -> None:
    due = date(2026, 3, 30)
    assert not is_overdue(due, at(due, 23))
    assert is_overdue(due, at(date(2026, 3, 31), 0))


def test_overrides_change_the_calendar(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text("working_days = [2026-03-28]\ndays_off = [2026-03-26]\n", encoding="utf-8")
    calendar = WorkingCalendar(CalendarOverrides.load(path))
    # Fri 20 March: Thu 26 off by decree, Fri 27, Sat 28 worked by decree, Mon 30.
    assert due_date(calendar, at(date(2026, 3, 20)), 3, "working") == date(2026, 3, 30)
    assert calendar.is_working_day(date(2026, 3, 28)) and not calendar.is_working_day(date(2026, 3, 26))


def test_overrides_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text("working_days = [2026-03-28]\ndays_off = [2026-03-28]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="both working and off"):
        CalendarOverrides.load(path)
    assert CalendarOverrides.load(CALENDAR_FILE) == CalendarOverrides()
