"""The quality indicators report (services.indicators.IndicatorReport) as CSV and XLSX, in
Kazakh or Russian, and the translated words the console shows next to the numbers.

Numbers stay numbers (a share is ``95.35``, not "95,35 %"), so a spreadsheet or a script can
compute with them; every label, verdict and reason is in the reader's language. The CSV is
UTF-8 with a byte-order mark, so Excel opens Kazakh and Russian letters right. The XLSX is
written with openpyxl (the well-kept library for the format): a sheet of the indicators and
a sheet of the monthly trend.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from config import SUPPORTED_LOCALES
from domain.indicators import IndicatorReport, IndicatorResult, Reason, Verdict
from presentation.formats import format_moment_short
from presentation.i18n import create_i18n

GREEN = PatternFill("solid", fgColor="C6EFCE")
RED = PatternFill("solid", fgColor="FFC7CE")


@functools.cache
def _i18n() -> I18n:
    return create_i18n(SUPPORTED_LOCALES[0])


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """gettext in ``locale`` for the block (outside any bot update)."""
    i18n = _i18n()
    with i18n.context(), i18n.use_locale(locale):
        yield


def verdict_text(verdict: Verdict) -> str:
    """The verdict in the active language ("reached", "not reached", "no data" ...)."""
    names = {
        Verdict.MET: _("reached"),
        Verdict.MISSED: _("not reached"),
        Verdict.NO_DATA: _("no data for the period"),
        Verdict.NO_NORM: _("the standard sets no value"),
        Verdict.NOT_MEASURED: _("not measured"),
    }
    return names[verdict]


def reason_text(reason: Reason) -> str:
    """Why the data cannot measure an indicator yet, in the active language."""
    reasons = {
        Reason.OFFICIAL_ERRORS: _("Kenes does not record the errors officials make in processing documents, "
                                  "so the share of correctly processed documents cannot be counted."),
        Reason.ALL_SERVICES: _("This share is counted over all the services of the body, and Kenes knows only "
                               "the services it helps with."),
        Reason.NO_VISITS: _("The service is provided online: there are no visits to the office to count."),
    }
    return reasons[reason]


def headers() -> list[str]:
    """The columns of the indicators table, in the active language."""
    return [_("Code"), _("Indicator"), _("Group"), _("Rule"), _("Normative value, %"), _("Target, %"),
            _("Value, %"), _("Counted"), _("Of"), _("Against the normative value"), _("Against the target"),
            _("Note")]


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _row(result: IndicatorResult, locale: str) -> list[Any]:
    note = reason_text(result.reason) if result.reason is not None else ""
    measured = result.reason is None
    return [result.code, result.name.get(locale), result.group_name.get(locale), result.direction.value,
            _number(result.normative), _number(result.target), _number(result.value),
            result.part if measured else None, result.whole if measured else None,
            verdict_text(result.verdict), verdict_text(result.target_verdict), note]


def title_lines(report: IndicatorReport, locale: str) -> list[list[str]]:
    """What the report is about: the service, region, office, period, when computed."""
    office = report.office_name.get(locale) if report.office_name else _("All offices")
    generated = format_moment_short(report.generated_at, locale)
    return [
        [_("Quality and accessibility indicators of the standard")],
        [_("Service"), report.service_name.get(locale)],
        [_("Region"), report.region_name.get(locale)],
        [_("Office"), office],
        [_("Period"), str(report.period)],
        [_("Computed"), generated],
    ]


def _trend_header(report: IndicatorReport) -> list[str]:
    return [_("Code"), *report.months]


def _trend_rows(report: IndicatorReport) -> list[list[Any]]:
    return [[r.code, *(_number(p.value) for p in r.trend)] for r in report.indicators if r.measured]


def to_csv(report: IndicatorReport, locale: str) -> bytes:
    """The report as CSV: the title lines, the indicators, then the monthly trend (shares in %,
    with the counts behind them as "part/whole")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    with in_locale(locale):
        writer.writerows(title_lines(report, locale))
        writer.writerow([])
        writer.writerow(headers())
        writer.writerows(_row(r, locale) for r in report.indicators)
        writer.writerow([])
        writer.writerow([_("Monthly trend, %"), *report.months])
        for result in report.indicators:
            if result.measured:
                writer.writerow([result.code, *("" if p.value is None else f"{p.value} ({p.part}/{p.whole})"
                                                for p in result.trend)])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(report: IndicatorReport, locale: str) -> bytes:
    """The report as an XLSX workbook: the indicators sheet (met in green, missed in red) and
    the trend sheet (one row per indicator, one column per month)."""
    book = Workbook()
    with in_locale(locale):
        sheet = book.active
        sheet.title = _("Indicators")[:31]
        for line in title_lines(report, locale):
            sheet.append(line)
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([])
        sheet.append(headers())
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for result in report.indicators:
            sheet.append(_row(result, locale))
            fill = {Verdict.MET: GREEN, Verdict.MISSED: RED}.get(result.verdict)
            if fill is not None:
                sheet.cell(row=sheet.max_row, column=10).fill = fill
            for column in (5, 6, 7):
                sheet.cell(row=sheet.max_row, column=column).number_format = "0.00"
            for column in (2, 12):
                sheet.cell(row=sheet.max_row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
        for column, width in zip(range(1, 13), (7, 60, 18, 6, 12, 10, 10, 9, 9, 16, 16, 50), strict=True):
            sheet.column_dimensions[get_column_letter(column)].width = width
        trend = book.create_sheet(_("Trend")[:31])
        trend.append([_("Monthly trend, %")])
        trend["A1"].font = Font(bold=True)
        trend.append(_trend_header(report))
        for row in _trend_rows(report):
            trend.append(row)
            for column in range(2, len(row) + 1):
                trend.cell(row=trend.max_row, column=column).number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
