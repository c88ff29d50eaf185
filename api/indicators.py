"""``GET /api/v1/indicators``: the standards' quality indicators for back-office tools, as
JSON, or as the CSV / XLSX download the console offers (presentation/reports.py).

The numbers come from services.indicators.report; this module only shapes them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api import models as out
from api.errors import error_response, responses
from domain.catalog import Catalog
from domain.indicators import IndicatorReport, Period
from presentation.reports import in_locale, reason_text, to_csv, to_xlsx
from services.indicators import UnknownPlace, report
from storage.database import SessionFactory
from storage.repositories import Repositories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def _reason(reason: Any) -> out.Text | None:
    if reason is None:
        return None
    texts = {}
    for locale in ("kk", "ru"):
        with in_locale(locale):
            texts[locale] = reason_text(reason)
    return out.Text(**texts)


def as_model(found: IndicatorReport) -> out.IndicatorReport:
    """The report as the API describes it."""
    return out.IndicatorReport(
        standard=found.standard_id, office=found.office_id,
        service_name=out.Text(kk=found.service_name.kk, ru=found.service_name.ru),
        region_name=out.Text(kk=found.region_name.kk, ru=found.region_name.ru),
        office_name=out.Text(kk=found.office_name.kk, ru=found.office_name.ru) if found.office_name else None,
        period=str(found.period), period_start=found.period.start, period_end=found.period.end,
        generated_at=found.generated_at, wait_limit_minutes=found.wait_limit_minutes, months=list(found.months),
        indicators=[out.Indicator(
            code=r.code, group=r.group, name=out.Text(kk=r.name.kk, ru=r.name.ru),
            group_name=out.Text(kk=r.group_name.kk, ru=r.group_name.ru), direction=r.direction.value,
            normative=_number(r.normative), target=_number(r.target), baseline=_number(r.baseline), part=r.part,
            whole=r.whole, value=_number(r.value), verdict=r.verdict.value, target_verdict=r.target_verdict.value,
            reason=r.reason.value if r.reason else None, reason_text=_reason(r.reason),
            trend=[out.TrendPoint(month=p.month, part=p.part, whole=p.whole, value=_number(p.value)) for p in r.trend],
        ) for r in found.indicators],
    )


def indicator_routes(sessions: SessionFactory, catalog: Catalog) -> APIRouter:
    router = APIRouter()

    @router.get("/indicators", summary="Quality indicators", response_model=out.IndicatorReport,
                tags=["indicators"],
                responses={**responses(404), 200: {"description": "The report (JSON, or a CSV / XLSX download)",
                                                   "content": {"text/csv": {}, XLSX: {}}}})
    async def indicators(query: Annotated[out.IndicatorQuery, Query()]) -> Any:
        """The standard's quality indicators (its appendix table, 1.1 to 5.1) at one office or
        all of them over a month, quarter or year in Almaty: each measured share with the
        counts behind it, against the normative value and the target, and its monthly trend."""
        period = Period.parse(query.period)  # the pattern has checked it
        try:
            async with sessions() as session:
                found = await report(Repositories(session), catalog, standard_id=query.standard,
                                     office_id=query.office, period=period)
        except UnknownPlace:
            return error_response(404, "not_found", "no such standard, or the office does not provide it")
        if query.format == "json":
            return as_model(found)
        name = f"indicators-{found.standard_id}-{found.office_id or 'all'}-{found.period}-{query.lang}"
        if query.format == "csv":
            return Response(to_csv(found, query.lang), media_type=CSV,
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        return Response(to_xlsx(found, query.lang), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})

    return router
