"""What the console's indicators page needs beside the report itself: the periods to choose
from, and the geometry of each indicator's monthly trend chart.

The chart is an inline SVG drawn on the server (no script, nothing fetched): one bar per month
of the trend, the standard's normative value as a dashed line. Shares that must stay low (4.1,
norms of tenths of a percent) are scaled to their own range, so the bars stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from domain.indicators import Direction, IndicatorResult, Month, Period, PeriodKind
from presentation.formats import format_month

WIDTH, HEIGHT, BAR_GAP = 240, 64, 2
KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")


def period_of(text: str | None, now: datetime) -> Period:
    """The chosen period, or the current quarter for a missing or malformed one."""
    try:
        return Period.parse(text or "")
    except ValueError:
        return Period.containing(now, "quarter")


def period_label(period: Period, locale: str) -> str:
    """"ноябрь 2026", "2026, 4-тоқсан", "2026" in the active language."""
    if period.kind == "month":
        return format_month(period.start, locale)
    if period.kind == "quarter":
        return _("quarter %(index)s of %(year)s") % {"index": period.index, "year": period.year}
    return str(period.year)


def period_choices(now: datetime, chosen: Period, locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The recent months, quarters and years, newest first, grouped by kind (the chosen one
    is always among them)."""
    counts = {"month": 12, "quarter": 6, "year": 3}
    names = {"month": _("Month"), "quarter": _("Quarter"), "year": _("Year")}
    groups = []
    for kind in KINDS:
        period, seen = Period.containing(now, kind), []
        for _index in range(counts[kind]):
            seen.append(period)
            period = _previous(period)
        if chosen.kind == kind and chosen not in seen:
            seen.append(chosen)
        groups.append((names[kind], [(str(p), period_label(p, locale)) for p in seen]))
    return groups


def _previous(period: Period) -> Period:
    if period.kind == "year":
        return Period("year", period.year - 1)
    if period.kind == "quarter":
        return Period("quarter", period.year - 1, 4) if period.index == 1 else Period("quarter", period.year,
                                                                                     period.index - 1)
    month = Month(period.year, period.index)
    back = Month(month.year - 1, 12) if month.month == 1 else Month(month.year, month.month - 1)
    return Period("month", back.year, back.month)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    month: str
    part: int
    whole: int
    value: Decimal | None
    missed: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    norm_y: float | None  # the normative value's line


def chart(result: IndicatorResult) -> Chart | None:
    """The trend of a measured indicator as bars in a ``WIDTH`` × ``HEIGHT`` box."""
    if not result.measured or not result.trend:
        return None
    values = [p.value for p in result.trend if p.value is not None]
    top = Decimal(100)
    if result.direction is Direction.AT_MOST:
        top = max([*values, result.normative or Decimal(0), Decimal("0.01")]) * Decimal("1.25")
    step = WIDTH / len(result.trend)
    bars = []
    for index, point in enumerate(result.trend):
        height = float(min(point.value, top) / top) * HEIGHT if point.value is not None else 0.0
        missed = point.value is not None and result.normative is not None and (
            point.value < result.normative if result.direction is Direction.AT_LEAST
            else point.value > result.normative)
        bars.append(Bar(x=round(index * step + BAR_GAP / 2, 1), y=round(HEIGHT - height, 1),
                        width=round(step - BAR_GAP, 1), height=round(height, 1), month=point.month,
                        part=point.part, whole=point.whole, value=point.value, missed=missed))
    norm_y = None
    if result.normative is not None and result.normative <= top:
        norm_y = round(HEIGHT - float(result.normative / top) * HEIGHT, 1)
    return Chart(width=WIDTH, height=HEIGHT, bars=tuple(bars), norm_y=norm_y)
