"""Dates and times as users read them: one babel format per kind, in the user's locale.

Every text and button formats dates through these functions (templates through the
Renderer's filters, which call them), so a kind of date looks the same everywhere:

========================  =========================  ==============================
kind                      ru                         kk
========================  =========================  ==============================
day (in a sentence)       8 декабря 2026 г.          2026 ж. 8 желтоқсан
day in a button or list   08.12.2026                 08.12.2026
day with its weekday      вторник, 8 декабря 2026 г. 2026 ж. 8 желтоқсан, сейсенбі
time of day               10:00                      10:00
moment                    8 декабря 2026 г., 10:00   2026 ж. 8 желтоқсан, 10:00
moment in a button        08.12.2026 10:00           08.12.2026 10:00
========================  =========================  ==============================

A moment (an aware datetime) is shown at Almaty's clock and falls on its Almaty day. The
numeric form is the same pattern in both languages (babel's "short" differs: kk «08.12.26»,
ru «08.12.2026»), as dates are written in Kazakhstan's documents in both.
"""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_date, format_time

from domain.deadlines import ALMATY

DAY = "long"
DAY_SHORT = "dd.MM.yyyy"
WEEKDAY_DAY = "full"
TIME = "HH:mm"


def local_day(value: date | datetime) -> date:
    """A calendar day; a moment (an aware datetime) falls on its day in Almaty."""
    return value.astimezone(ALMATY).date() if isinstance(value, datetime) else value


def format_day(value: date | datetime, locale: str) -> str:
    """A day in a sentence: «8 декабря 2026 г.», «2026 ж. 8 желтоқсан»."""
    return format_date(local_day(value), DAY, locale=locale)


def format_month(value: date | datetime, locale: str) -> str:
    """A month of a report: «ноябрь 2026», «қараша 2026»."""
    return format_date(local_day(value), "LLLL y", locale=locale)


def format_day_short(value: date | datetime, locale: str) -> str:
    """A day where room is short (a button, a list): «08.12.2026»."""
    return format_date(local_day(value), DAY_SHORT, locale=locale)


def format_weekday_day(value: date | datetime, locale: str) -> str:
    """A day with its weekday, where the weekday matters (a visit): «вторник, 8 декабря 2026 г.»."""
    return format_date(local_day(value), WEEKDAY_DAY, locale=locale)


def format_time_of_day(value: time | datetime, locale: str) -> str:
    """A time of day, «10:00»; a moment at Almaty's clock."""
    if isinstance(value, datetime):
        return format_time(value, TIME, tzinfo=ALMATY, locale=locale)
    return format_time(value, TIME, locale=locale)


def format_moment(value: datetime, locale: str) -> str:
    """A moment in a sentence: «8 декабря 2026 г., 10:00»."""
    return f"{format_day(value, locale)}, {format_time_of_day(value, locale)}"


def format_moment_short(value: datetime, locale: str) -> str:
    """A moment in a button: «08.12.2026 10:00»."""
    return f"{format_day_short(value, locale)} {format_time_of_day(value, locale)}"


def format_weekday_moment(value: datetime, locale: str) -> str:
    """A moment with its weekday (a visit, when clerks answer): «вторник, 8 декабря 2026 г., 10:00»."""
    return f"{format_weekday_day(value, locale)}, {format_time_of_day(value, locale)}"
