"""Visit slots from the catalog's hours on Kazakhstan's calendar: holidays, transfers, lunch, closing."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from domain.catalog import Catalog, Schedule, load_catalog
from domain.deadlines import ALMATY, CalendarOverrides, WorkingCalendar
from domain.slots import BookingConfig, BookingRules, bookable_slots, day_slots, is_open, reminder_times


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar(CalendarOverrides.load())


def schedule(catalog: Catalog, standard: str) -> Schedule:
    return catalog.standards[standard].schedule


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ALMATY)


def hhmm(slots: list[datetime]) -> list[str]:
    return [f"{s:%H:%M}" for s in slots]


RULES = BookingRules()


def test_a_weekday_of_an_akimat_department(catalog: Catalog, calendar: WorkingCalendar) -> None:
    # Almaty oblast: 09:00-18:00, lunch 13:00-14:00; 15-minute slots.
    slots = hhmm(day_slots(calendar, schedule(catalog, "almaty_oblast_foreign_media"), RULES, date(2026, 11, 24)))
    assert slots[:3] == ["09:00", "09:15", "09:30"]
    assert "12:45" in slots and "13:00" not in slots and "13:45" not in slots and "14:00" in slots
    assert slots[-1] == "17:45", "the last slot ends at closing"
    assert len(slots) == 4 * 8


def test_the_lunch_break_cuts_a_slot_that_would_overlap_it(catalog: Catalog, calendar: WorkingCalendar) -> None:
    # Mangystau: 09:00-18:30, lunch 12:30-14:00; with 20-minute slots 12:20 would run into lunch.
    rules = BookingRules(slot_minutes=20)
    slots = hhmm(day_slots(calendar, schedule(catalog, "mangystau_missionary"), rules, date(2026, 11, 24)))
    assert "12:00" in slots and "12:20" not in slots and "14:00" in slots
    assert not [s for s in slots if "12:30" <= s < "14:00"]
    # 18:00-18:20 fits before 18:30; 18:20 would end after closing.
    assert slots[-1] == "18:00"


def test_atyrau_opens_at_half_past_eight(catalog: Catalog, calendar: WorkingCalendar) -> None:
    slots = hhmm(day_slots(calendar, schedule(catalog, "atyrau_missionary"), RULES, date(2026, 11, 24)))
    assert slots[0] == "08:30" and "12:15" in slots and "12:30" not in slots and "14:00" in slots


def test_psc_works_saturday_without_lunch_but_not_sunday(catalog: Catalog, calendar: WorkingCalendar) -> None:
    psc = schedule(catalog, "psc_military_service_certificate")
    saturday = hhmm(day_slots(calendar, psc, RULES, date(2026, 11, 28)))
    assert saturday[0] == "09:00" and saturday[-1] == "19:45" and "13:00" in saturday
    assert len(saturday) == 4 * 11
    assert day_slots(calendar, psc, RULES, date(2026, 11, 29)) == []
    akimat = schedule(catalog, "almaty_oblast_missionary")
    assert day_slots(calendar, akimat, RULES, date(2026, 11, 28)) == []


@pytest.mark.parametrize("holiday", [
    date(2026, 12, 16),  # Independence Day, a Wednesday
    date(2025, 1, 3),    # Friday off by transfer from Sunday 5 January 2025
    date(2026, 3, 24),   # Nowruz, observed on a Tuesday
])
def test_no_slots_on_a_holiday_or_a_day_off_by_transfer(catalog: Catalog, calendar: WorkingCalendar,
                                                        holiday: date) -> None:
    for standard in ("almaty_oblast_foreign_media", "psc_benefits_certificate"):
        assert day_slots(calendar, schedule(catalog, standard), RULES, holiday) == []


def test_a_saturday_psc_holiday_is_closed(catalog: Catalog, calendar: WorkingCalendar) -> None:
    # Saturday 9 May 2026, Victory Day: PSCs work Saturdays, but not on a holiday.
    assert day_slots(calendar, schedule(catalog, "psc_benefits_certificate"), RULES, date(2026, 5, 9)) == []


def test_a_transferred_working_sunday_opens_the_akimat(catalog: Catalog, calendar: WorkingCalendar) -> None:
    # Sunday 5 January 2025 was a working day (its rest moved to Friday 3 January).
    slots = hhmm(day_slots(calendar, schedule(catalog, "atyrau_missionary"), RULES, date(2025, 1, 5)))
    assert slots[0] == "08:30" and slots[-1] == "17:45"


def test_a_working_saturday_from_the_calendar_file(catalog: Catalog, tmp_path: Path) -> None:
    """A Saturday decreed a working day after the library's release, and its Friday off."""
    config = tmp_path / "calendar.toml"
    config.write_text("working_days = [2027-01-09]\ndays_off = [2027-01-08]\n")
    calendar = WorkingCalendar(CalendarOverrides.load(config))
    akimat = schedule(catalog, "mangystau_foreign_media")
    assert is_open(calendar, akimat, date(2027, 1, 9))
    assert hhmm(day_slots(calendar, akimat, RULES, date(2027, 1, 9)))[0] == "09:00"
    assert day_slots(calendar, akimat, RULES, date(2027, 1, 8)) == []
    # Without the file, that Saturday is an ordinary weekend for the department.
    assert day_slots(WorkingCalendar(), akimat, RULES, date(2027, 1, 9)) == []


def test_today_starts_after_the_minimum_notice(catalog: Catalog, calendar: WorkingCalendar) -> None:
    akimat = schedule(catalog, "almaty_oblast_foreign_media")
    today = date(2026, 11, 24)
    slots = bookable_slots(calendar, akimat, RULES, today, at(today, 10, 5))
    assert hhmm(slots)[0] == "11:15", "10:05 + 1 hour: the first whole slot after 11:05"
    assert bookable_slots(calendar, akimat, RULES, today, at(today, 17, 0)) == []
    # Late in the evening: nothing today; tomorrow opens as usual.
    assert hhmm(bookable_slots(calendar, akimat, RULES, date(2026, 11, 25), at(today, 23, 30)))[0] == "09:00"


def test_nothing_in_the_past_nor_beyond_the_horizon(catalog: Catalog, calendar: WorkingCalendar) -> None:
    akimat = schedule(catalog, "almaty_oblast_foreign_media")
    now = at(date(2026, 11, 24), 10)
    assert bookable_slots(calendar, akimat, RULES, date(2026, 11, 23), now) == []
    assert bookable_slots(calendar, akimat, RULES, date(2026, 12, 24), now), "30 days ahead is within"
    assert bookable_slots(calendar, akimat, RULES, date(2026, 12, 25), now) == []


def test_capacity_and_slot_length_per_office(catalog: Catalog, tmp_path: Path) -> None:
    default = BookingConfig.load()
    psc = catalog.placement("psc_military_service_certificate", "psc_aktau")
    akimat = catalog.placement("mangystau_missionary", "mangystau_uvp_228")
    assert default.rules(psc.standard, psc.office).windows == 6
    assert default.rules(akimat.standard, akimat.office).windows == 2
    assert default.rules(akimat.standard, akimat.office).slot_minutes == 15

    custom = tmp_path / "booking.toml"
    custom.write_text("[defaults]\npsc_windows = 4\n[offices.mangystau_uvp_228]\nwindows = 3\nslot_minutes = 20\n")
    config = BookingConfig.load(custom)
    assert config.rules(psc.standard, psc.office).windows == 4
    rules = config.rules(akimat.standard, akimat.office)
    assert (rules.windows, rules.slot_minutes, rules.min_notice_minutes) == (3, 20, 60)


@pytest.mark.parametrize("content", ["[defaults]\nwindows = 0\n", "[offices.x]\ncolour = 3\n",
                                     "[defaults]\nslot_minutes = \"15\"\n"])
def test_a_wrong_booking_file_names_the_field(tmp_path: Path, content: str) -> None:
    path = tmp_path / "booking.toml"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"booking\.toml: (defaults|offices\.x)\.\w+"):
        BookingConfig.load(path)


def test_reminders_the_evening_before_and_an_hour_before() -> None:
    visit = at(date(2026, 11, 24), 9, 30)
    times = reminder_times(visit)
    assert times == {"reminder_day": at(date(2026, 11, 23), 18), "reminder_hour": at(date(2026, 11, 24), 8, 30)}
