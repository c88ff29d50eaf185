"""The standards' quality indicators (appendix tables 1.1–5.1) as pure rules: report periods
in Asia/Almaty, shares, and the judgement of a share against the normative value.

Every indicator is a share in percent. All but one are "the more the better" (the share
must reach the normative value: ``≥``); 4.1, justified complaints among all served, must
stay at or under it (``≤``). Periods are calendar months, quarters and years in Almaty,
so a period is a run of whole months: a period's counts are the sums of its months'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal

from dateutil.relativedelta import relativedelta

from domain.catalog import Text
from domain.deadlines import ALMATY, local_date

PeriodKind = Literal["month", "quarter", "year"]
PERIOD = re.compile(r"^\s*(\d{4})(?:-(?:(0[1-9]|1[0-2])|[Qq]([1-4])))?\s*$")
TREND_MONTHS = 12


class Direction(StrEnum):
    """How a share is held against its normative value."""

    AT_LEAST = "≥"
    AT_MOST = "≤"


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    NO_DATA = "no_data"  # nothing to count in the period
    NO_NORM = "no_norm"  # the standard's table gives no normative value
    NOT_MEASURED = "not_measured"  # the data cannot measure it (see Reason)


class Reason(StrEnum):
    """Why an indicator is not measured (translated by presentation)."""

    OFFICIAL_ERRORS = "official_errors"  # 2.2: errors of officials are not recorded
    ALL_SERVICES = "all_services"  # 3.3: a share over all the body's services
    NO_VISITS = "no_visits"  # 1.2 / 5.1: the office takes no visits (an e-service)


# The direction of each indicator; only 4.1 must stay low.
DIRECTIONS: dict[str, Direction] = {code: Direction.AT_LEAST for code in (
    "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4.2", "4.3", "4.4", "5.1")} | {"4.1": Direction.AT_MOST}


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month.of(self.start + relativedelta(months=1))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Period:
    """A month, a quarter or a year in Almaty. ``index``: the month (1–12) or quarter (1–4)."""

    kind: PeriodKind
    year: int
    index: int = 1

    @property
    def start(self) -> date:
        month = {"month": self.index, "quarter": 3 * self.index - 2, "year": 1}[self.kind]
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        return self.start + relativedelta(months={"month": 1, "quarter": 3, "year": 12}[self.kind])

    @property
    def months(self) -> list[Month]:
        months, month = [], Month.of(self.start)
        while month.start < self.end:
            months.append(month)
            month = month.next()
        return months

    def trend_months(self, count: int = TREND_MONTHS) -> list[Month]:
        """The ``count`` months ending with the period's last month (a year: its own twelve)."""
        last = self.months[-1].start
        return [Month.of(last - relativedelta(months=back)) for back in range(count - 1, -1, -1)]

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """"2026", "2026-Q4" or "2026-11"; ``ValueError`` for anything else."""
        match = PERIOD.match(text)
        if not match or not 2000 <= int(match.group(1)) <= 2099:
            raise ValueError("a period is YYYY, YYYY-Qn or YYYY-MM (2000–2099)")
        year = int(match.group(1))
        if match.group(2):
            return cls("month", year, int(match.group(2)))
        if match.group(3):
            return cls("quarter", year, int(match.group(3)))
        return cls("year", year)

    @classmethod
    def containing(cls, moment: datetime, kind: PeriodKind) -> Period:
        """The period of ``kind`` that holds ``moment`` in Almaty (the current one, given now)."""
        day = local_date(moment)
        index = {"month": day.month, "quarter": (day.month - 1) // 3 + 1, "year": 1}[kind]
        return cls(kind, day.year, index)


def utc_start(day: date) -> datetime:
    """Midnight in Almaty at the start of ``day``, in UTC (stored moments are UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=ALMATY).astimezone(UTC)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, to two decimals (4.1's norms are tenths of a percent);
    ``None`` when there is nothing to count."""
    if whole <= 0:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def judge(part: int, whole: int, normative: Decimal | None, direction: Direction) -> Verdict:
    """Met or missed against the normative value, in the indicator's direction. The exact
    fraction is compared, not the rounded share (1 of 700 is 0.14 %, over a norm of 0.1 %)."""
    if whole <= 0:
        return Verdict.NO_DATA
    if normative is None:
        return Verdict.NO_NORM
    exact, norm = Decimal(100) * part, normative * whole
    met = exact >= norm if direction is Direction.AT_LEAST else exact <= norm
    return Verdict.MET if met else Verdict.MISSED


@dataclass(frozen=True)
class TrendPoint:
    """One month of an indicator: ``part`` of ``whole`` (``value``: the share in percent, None
    when there was nothing to count)."""

    month: str  # "2026-11"
    part: int
    whole: int
    value: Decimal | None


@dataclass(frozen=True)
class IndicatorResult:
    """One row of the standard's table, measured over the period.

    ``value`` is ``part`` of ``whole`` in percent (two decimals), ``None`` when nothing was
    counted or the indicator is not measured (then ``reason`` says why). ``verdict`` holds
    the exact share against ``normative`` in ``direction``; ``target_verdict`` against next
    year's ``target``. ``baseline`` is the "current value" the standard's table gave when it
    was approved. ``trend`` has the twelve months ending with the period's last.
    """

    code: str  # "1.1"
    group: str  # "1"
    name: Text
    group_name: Text
    direction: Direction
    normative: Decimal | None
    target: Decimal | None
    baseline: Decimal | None
    part: int
    whole: int
    value: Decimal | None
    verdict: Verdict
    target_verdict: Verdict
    reason: Reason | None
    trend: tuple[TrendPoint, ...]

    @property
    def measured(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class IndicatorReport:
    """The indicators of one standard at one office (``office_id``; None: all its offices)
    over ``period``, as computed at ``generated_at``. ``wait_limit_minutes`` is the standard's
    longest wait in the queue (1.2), None where it takes no visits."""

    standard_id: str
    office_id: str | None
    service_name: Text
    region_name: Text
    office_name: Text | None  # None: all the standard's offices
    period: Period
    generated_at: datetime
    wait_limit_minutes: int | None
    months: tuple[str, ...]  # the trend's months, oldest first
    indicators: tuple[IndicatorResult, ...]

    def indicator(self, code: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.code == code)
