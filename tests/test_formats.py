"""One babel format per kind of date, per locale (issue 15 item 7): the helpers, where they are
used, and what a user sees in kk and ru."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from presentation.formats import (
    format_day,
    format_day_short,
    format_moment,
    format_moment_short,
    format_time_of_day,
    format_weekday_day,
    format_weekday_moment,
)
from tests.conftest import App, FakeClock
from tests.test_case_loop import apply_for_benefits

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 12, 8)
MOMENT = datetime(2026, 12, 8, 5, 30, tzinfo=UTC)  # 10:30 in Almaty (UTC+5)


@pytest.mark.parametrize(("locale", "expected"), [
    ("kk", ["2026\u202fж. 8 желтоқсан", "08.12.2026", "2026\u202fж. 8 желтоқсан, сейсенбі", "10:30",
            "2026\u202fж. 8 желтоқсан, 10:30", "08.12.2026 10:30", "2026\u202fж. 8 желтоқсан, сейсенбі, 10:30"]),
    ("ru", ["8 декабря 2026\u202fг.", "08.12.2026", "вторник, 8 декабря 2026\u202fг.", "10:30",
            "8 декабря 2026\u202fг., 10:30", "08.12.2026 10:30", "вторник, 8 декабря 2026\u202fг., 10:30"]),
])
def test_each_kind_of_date_in_both_locales(locale: str, expected: list[str]) -> None:
    shown = [format_day(DAY, locale), format_day_short(DAY, locale), format_weekday_day(DAY, locale),
             format_time_of_day(MOMENT, locale), format_moment(MOMENT, locale), format_moment_short(MOMENT, locale),
             format_weekday_moment(MOMENT, locale)]
    assert [s.replace("\xa0", "\u202f") for s in shown] == [e.replace("\xa0", "\u202f") for e in expected]
    assert format_day(datetime(2026, 12, 7, 20, 0, tzinfo=UTC), locale) == format_day(DAY, locale), \
        "a moment falls on its Almaty day"


def test_dates_are_formatted_only_in_presentation_formats() -> None:
    """No other module formats a date itself (the booking calendar's widget parts aside)."""
    offenders = []
    packages = [p for p in ROOT.iterdir() if (p / "__init__.py").is_file()
                and p.name not in ("tests", "bench", "scripts", "api")]  # the application's own code
    for path in (file for package in packages for file in package.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "presentation/formats.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bstrftime\(|format_datetime\(|format_time\(|format_skeleton\(", text) or (
                "format_date(" in text and relative != "dialogs/booking.py"):
            offenders.append(relative)
    assert not offenders


async def test_the_same_due_date_in_the_list_and_the_detail_kk(app: App, clock: FakeClock) -> None:
    """The case list's button and the case's text show the due day of one kind each, the same day."""
    client = app.client(user_id=4601, language_code="kk")
    number = await apply_for_benefits(client)
    await client.send("/language")
    await client.click("Қазақша")
    await client.send("/status")
    (button,) = [t for t in client.last.button_texts if number in t]
    assert button.endswith(" · 26.11.2026"), button
    await client.click(number)
    assert "2026\u202fж. 26 қараша" in client.last.text.replace("\xa0", "\u202f")
    assert "26.11.26" not in client.last.text
