"""The standards' quality indicators (appendix tables 1.1–5.1), computed from Kenes's data
for one standard, at one office or all of its offices, over a month, a quarter or a year.

    report = await report(repositories, catalog, standard_id="psc_military_service_certificate",
                          office_id="psc_aktau", period=Period.parse("2026-Q4"))
    report.indicator("1.1").part, report.indicator("1.1").whole   # 41, 43
    report.indicator("1.1").verdict                               # Verdict.MISSED (norm 95 %)

What counts (one source each; nothing here decides a rule the services own):

* 1.1 served on time: cases decided in the period (result ready, or refused) by their due
  date in Almaty, among those decided plus the open cases whose due date passed in it.
* 1.2 waited no longer than the standard's limit: visits served in the period.
* 2.1 / 3.1 satisfied with the process / the information: the two questions asked when a
  case is issued, by the month answered ("satisfied" counts; "partly" does not).
* 3.2 filled in right the first time: decided cases not returned for errors, among all
  decided or returned.
* 4.1 justified complaints (upheld or partly upheld, answered in the period) per served
  consumer (cases decided in the period); it must stay at or under its norm.
* 4.2 justified complaints answered by the review's last day, among the justified.
* 4.3 / 4.4 satisfied with the complaint procedure / its time: the complaint survey.
* 5.1 satisfied with the staff's courtesy: the question asked when a visit is served.
* 2.2 and 3.3 are not measured (see :class:`domain.indicators.Reason`).

The whole report is six grouped queries over twelve months (the trend), so a quarter of
one office stays well under half a second with 100,000 cases (bench/indicators.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from domain.catalog import Catalog, Standard, Text
from domain.deadlines import local_date
from domain.indicators import (
    DIRECTIONS,
    IndicatorReport,
    IndicatorResult,
    Month,
    Period,
    Reason,
    TrendPoint,
    Verdict,
    judge,
    share,
    utc_start,
)
from storage.indicators import Counts
from storage.repositories import Repositories

NOT_MEASURED = {"2.2": Reason.OFFICIAL_ERRORS, "3.3": Reason.ALL_SERVICES}
VISIT_INDICATORS = ("1.2", "5.1")


__all__ = ["IndicatorReport", "IndicatorResult", "TrendPoint", "UnknownPlace", "report"]


class UnknownPlace(LookupError):
    """No such standard, or the office does not provide it."""


def _visits(standard: Standard) -> bool:
    return standard.form != "electronic" and standard.queue.submit_minutes is not None


def _fraction(code: str, m: dict[str, int]) -> tuple[int, int]:
    """``(part, whole)`` of an indicator from one month's counters."""
    case_survey = {"2.1": 1, "3.1": 2}
    complaint_survey = {"4.3": 1, "4.4": 2}
    if code == "1.1":
        return m.get("on_time", 0), m.get("decided", 0) + m.get("overdue", 0)
    if code == "1.2":
        return m.get("within_limit", 0), m.get("served", 0)
    if code in case_survey:
        q = case_survey[code]
        return m.get(f"case_q{q}_satisfied", 0), m.get(f"case_q{q}_answered", 0)
    if code == "3.2":
        return m.get("decided", 0), m.get("decided", 0) + m.get("returned", 0)
    if code == "4.1":
        return m.get("justified", 0), m.get("decided", 0)
    if code == "4.2":
        return m.get("justified_on_time", 0), m.get("justified", 0)
    if code in complaint_survey:
        q = complaint_survey[code]
        return m.get(f"complaint_q{q}_satisfied", 0), m.get(f"complaint_q{q}_answered", 0)
    if code == "5.1":
        return m.get("visit_q1_satisfied", 0), m.get("visit_q1_answered", 0)
    raise KeyError(code)


def _month_fraction(code: str, counts: dict[str, dict[str, int]], month: str) -> tuple[int, int]:
    return _fraction(code, counts.get(month, {}))


def _merge(into: dict[str, dict[str, int]], counts: Counts, prefix: str = "") -> None:
    for month, counters in counts.items():
        target = into.setdefault(month, {})
        for key, value in counters.items():
            target[prefix + key] = target.get(prefix + key, 0) + value


async def report(repositories: Repositories, catalog: Catalog, *, standard_id: str, office_id: str | None,
                 period: Period, now: datetime | None = None) -> IndicatorReport:
    """The indicators of ``standard_id`` at ``office_id`` (None: every office of the standard)
    over ``period``; ``now`` (default: the session's clock) decides which open cases are
    overdue. Raises :class:`UnknownPlace` for an unknown standard or an office not its own."""
    standard = catalog.standards.get(standard_id)
    if standard is None or (office_id is not None and office_id not in
                            {o.id for o in catalog.offices_of(standard_id)}):
        raise UnknownPlace(standard_id if standard is None else office_id)
    now = now or repositories.now()
    months = period.trend_months()
    labels = [str(m) for m in months]
    ends = [*[m.start for m in months[1:]], months[-1].next().start]
    bounds = [(label, utc_start(end)) for label, end in zip(labels, ends, strict=True)]
    start = utc_start(months[0].start)
    limit = standard.queue.submit_minutes if _visits(standard) else None

    store = repositories.indicators
    counts: dict[str, dict[str, int]] = {}
    _merge(counts, await store.cases(standard_id, office_id, start, bounds))
    _merge(counts, await store.overdue_cases(standard_id, office_id, _day_bounds(months), local_date(now)))
    _merge(counts, await store.case_surveys(standard_id, office_id, start, bounds), "case_")
    _merge(counts, await store.complaints(standard_id, office_id, start, bounds))
    _merge(counts, await store.complaint_surveys(standard_id, office_id, start, bounds), "complaint_")
    if limit is not None:
        _merge(counts, await store.visits(standard_id, office_id, start, bounds, limit))
        _merge(counts, await store.visit_surveys(standard_id, office_id, start, bounds), "visit_")

    in_period = {str(m) for m in period.months}
    rows = {row.code: row for row in standard.quality}
    results = []
    for code, name in catalog.indicators.items():
        row = rows.get(code)
        normative, target = (row.normative, row.target) if row else (None, None)
        reason = NOT_MEASURED.get(code) or (Reason.NO_VISITS if code in VISIT_INDICATORS and limit is None
                                            else None)
        results.append(_result(code, name.name, catalog.indicator_groups[code.split(".")[0]].name, normative,
                               target, row.current if row else None, reason, labels, in_period,
                               functools.partial(_month_fraction, code, counts)))
    office_name = catalog.placement(standard_id, office_id).office.name if office_id is not None else None
    return IndicatorReport(standard_id=standard_id, office_id=office_id,
                           service_name=catalog.service(standard.service).name,
                           region_name=catalog.regions[standard.region].name, office_name=office_name,
                           period=period, generated_at=now,
                           wait_limit_minutes=limit, months=tuple(labels), indicators=tuple(results))


def _day_bounds(months: list[Month]) -> list[tuple[str, date]]:
    return [(str(m), m.start) for m in months] + [("", months[-1].next().start)]


def _result(code: str, name: Text, group_name: Text, normative: Decimal | None, target: Decimal | None,
            baseline: Decimal | None, reason: Reason | None, labels: list[str], in_period: set[str],
            fraction: Callable[[str], tuple[int, int]]) -> IndicatorResult:
    direction = DIRECTIONS[code]
    if reason is not None:
        return IndicatorResult(code=code, group=code.split(".")[0], name=name, group_name=group_name,
                               direction=direction, normative=normative, target=target, baseline=baseline, part=0,
                               whole=0, value=None, verdict=Verdict.NOT_MEASURED,
                               target_verdict=Verdict.NOT_MEASURED, reason=reason, trend=())
    trend = []
    part = whole = 0
    for label in labels:
        p, w = fraction(label)
        trend.append(TrendPoint(month=label, part=p, whole=w, value=share(p, w)))
        if label in in_period:
            part, whole = part + p, whole + w
    return IndicatorResult(code=code, group=code.split(".")[0], name=name, group_name=group_name,
                           direction=direction, normative=normative, target=target, baseline=baseline, part=part,
                           whole=whole, value=share(part, whole), verdict=judge(part, whole, normative, direction),
                           target_verdict=judge(part, whole, target, direction), reason=None, trend=tuple(trend))
