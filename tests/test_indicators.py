"""The standards' quality indicators computed from the registry's data (issue 16, item 4)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from domain.complaints import ComplaintAction
from domain.deadlines import ALMATY
from domain.indicators import Direction, Period, Reason, Verdict, judge, share
from domain.lifecycle import Action
from presentation.reports import to_csv, to_xlsx
from services.cases import NewApplication
from services.complaints import NewComplaint
from services.indicators import IndicatorReport, UnknownPlace, report
from storage.repositories import Repositories
from tests.conftest import App, FakeClock
from tests.test_case_loop import deliver
from tests.test_case_service import add_user

STANDARD = "psc_military_service_certificate"
OFFICE = "psc_aktau"
CLERK = "clerk:900001"
QUARTER = Period.parse("2026-Q4")


async def submit(app: App, user_id: int = 7001, office: str = OFFICE) -> str:
    async with app.sessions() as session:
        repositories = Repositories(session)
        await repositories.users.touch(user_id)
        await repositories.commit()
        case = await app.services.units(app.sessions).over(repositories.session).cases.submit(NewApplication(
            user_id=user_id, standard_id=STANDARD, office_id=office, language="ru",
            applicant={"name": "Ахметов Ерлан", "iin": "900101300126"}))
        return case.number or ""


async def move(app: App, number: str, *actions: Action, **kwargs: object) -> None:
    for action in actions:
        async with app.sessions() as session:
            await app.services.units(app.sessions).over(session).cases.transition(number, action, CLERK,
                                                                              **kwargs)  # type: ignore[arg-type]


async def compute(app: App, office: str | None = OFFICE, period: Period = QUARTER) -> IndicatorReport:
    async with app.sessions() as session:
        return await report(Repositories(session), app.services.catalog, standard_id=STANDARD, office_id=office,
                            period=period)


def test_periods_are_almaty_months_quarters_and_years() -> None:
    quarter = Period.parse("2026-Q4")
    assert (quarter.start, quarter.end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert [str(m) for m in quarter.months] == ["2026-10", "2026-11", "2026-12"]
    assert [str(m) for m in quarter.trend_months()][:2] == ["2026-01", "2026-02"]
    assert str(Period.parse("2026-02")) == "2026-02" and Period.parse("2026").end == date(2027, 1, 1)
    # 23:40 on 31 December in UTC is already 1 January in Almaty (UTC+5)
    assert str(Period.containing(datetime(2026, 12, 31, 19, 30, tzinfo=ALMATY), "month")) == "2026-12"
    assert str(Period.containing(datetime.fromisoformat("2026-12-31T19:30:00+00:00"), "quarter")) == "2027-Q1"
    for bad in ("2026-13", "2026-Q5", "26", "1999", "2026-1"):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_shares_are_judged_in_their_direction_on_the_exact_fraction() -> None:
    assert share(41, 43) == Decimal("95.35") and share(0, 0) is None
    assert judge(41, 43, Decimal(95), Direction.AT_LEAST) is Verdict.MET
    assert judge(40, 43, Decimal(95), Direction.AT_LEAST) is Verdict.MISSED
    assert judge(1, 1000, Decimal("0.1"), Direction.AT_MOST) is Verdict.MET
    assert judge(1, 700, Decimal("0.1"), Direction.AT_MOST) is Verdict.MISSED  # 0.14 %
    assert judge(0, 0, Decimal(95), Direction.AT_LEAST) is Verdict.NO_DATA
    assert judge(3, 4, None, Direction.AT_LEAST) is Verdict.NO_NORM


async def test_served_on_time_changes_when_a_case_is_served(app: App, clock: FakeClock) -> None:
    before = (await compute(app)).indicator("1.1")
    assert (before.part, before.whole, before.verdict) == (0, 0, Verdict.NO_DATA)
    assert before.normative == Decimal(95) and before.target == Decimal(80)

    on_time = await submit(app)
    await move(app, on_time, Action.ACCEPT)
    clock.advance(days=1)
    await move(app, on_time, Action.READY)
    served = (await compute(app)).indicator("1.1")
    assert (served.part, served.whole, served.value, served.verdict) == (1, 1, Decimal(100), Verdict.MET)
    assert served.trend[-2].month == "2026-11" and (served.trend[-2].part, served.trend[-2].whole) == (1, 1)

    late = await submit(app, 7002)  # due on Thursday 26 November
    clock.advance(days=5)  # Sunday 29 November: overdue and still open
    overdue = (await compute(app)).indicator("1.1")
    assert (overdue.part, overdue.whole, overdue.verdict) == (1, 2, Verdict.MISSED)
    await move(app, late, Action.ACCEPT, Action.READY)  # decided late: still counted once
    decided = (await compute(app)).indicator("1.1")
    assert (decided.part, decided.whole, decided.value) == (1, 2, Decimal(50))
    other = await submit(app, 7003, office="psc_astana_almaty_1")
    await move(app, other, Action.ACCEPT, Action.READY)
    assert (await compute(app)).indicator("1.1").whole == 2  # another office is not counted
    assert (await compute(app, None)).indicator("1.1").whole == 3  # all the standard's offices are


async def test_returns_and_complaints(app: App, clock: FakeClock) -> None:
    good = await submit(app)
    await move(app, good, Action.ACCEPT, Action.READY)
    wrong = await submit(app, 7002)
    await move(app, wrong, Action.RETURN, comment="Нет копии удостоверения")
    async with app.sessions() as session:
        complaints = app.services.units(app.sessions).over(session).complaints
        complaint = await complaints.register(NewComplaint(
            user_id=7001, standard_id=STANDARD, office_id=OFFICE, topic="courtesy",
            text="Сотрудник был груб со мной в окне номер три.", language="ru", complainant={"name": "Е. А."}))
        number = complaint.number or ""
        await complaints.transition(number, ComplaintAction.TAKE, CLERK)
        await complaints.transition(number, ComplaintAction.ANSWER,
                                    CLERK, comment="Жалоба обоснована, сотруднику объявлен выговор.",
                                    outcome="upheld")
        await complaints.answer_survey(number, 7001, 1, "satisfied")
        await complaints.answer_survey(number, 7001, 2, "partly")
    result = await compute(app)
    first_time = result.indicator("3.2")
    assert (first_time.part, first_time.whole) == (1, 2)
    justified = result.indicator("4.1")
    assert (justified.part, justified.whole, justified.direction) == (1, 1, Direction.AT_MOST)
    assert justified.verdict is Verdict.MISSED  # 100 % of one served, over the 0.1 % norm
    in_time = result.indicator("4.2")
    assert (in_time.part, in_time.whole, in_time.verdict) == (1, 1, Verdict.MET)
    assert (result.indicator("4.3").part, result.indicator("4.3").whole) == (1, 1)
    assert (result.indicator("4.4").part, result.indicator("4.4").whole) == (0, 1)


async def test_what_the_data_cannot_measure_says_why(app: App) -> None:
    result = await compute(app)
    assert result.indicator("2.2").reason is Reason.OFFICIAL_ERRORS
    assert result.indicator("2.2").verdict is Verdict.NOT_MEASURED
    assert result.indicator("3.3").reason is Reason.ALL_SERVICES
    assert result.indicator("1.1").reason is None and len(result.indicators) == 12
    async with app.sessions() as session:
        electronic = await report(Repositories(session), app.services.catalog,
                                  standard_id="almaty_city_foreign_periodicals", office_id=None, period=QUARTER)
        assert electronic.indicator("5.1").reason is Reason.NO_VISITS and electronic.wait_limit_minutes is None
        with pytest.raises(UnknownPlace):
            await report(Repositories(session), app.services.catalog, standard_id=STANDARD,
                         office_id="almaty_city_uvp", period=QUARTER)


async def test_a_served_visit_asks_about_courtesy_and_feeds_1_2_and_5_1(app: App, clock: FakeClock) -> None:
    visitor = app.client(user_id=7001, language_code="ru")
    await visitor.send("/start")
    await add_user(app, 7002, "ru")
    async with app.sessions() as session:
        first = await app.services.units(app.sessions).over(session).bookings.book(
            7001, STANDARD, OFFICE, datetime(2026, 11, 24, 10, 0, tzinfo=ALMATY), "ru")
        second = await app.services.units(app.sessions).over(session).bookings.book(
            7002, STANDARD, OFFICE,
            datetime(2026, 11, 24, 10, 0, tzinfo=ALMATY), "ru")
    clock.now = datetime(2026, 11, 24, 9, 55, tzinfo=ALMATY)
    async with app.sessions() as session:
        bookings = app.services.units(app.sessions).over(session).bookings
        await bookings.mark(first.number or "", "arrived")
        await bookings.mark(second.number or "", "arrived")
    clock.now = datetime(2026, 11, 24, 10, 20, tzinfo=ALMATY)  # 20 minutes after the booked time
    async with app.sessions() as session:
        await app.services.units(app.sessions).over(session).bookings.mark(first.number or "", "served")
    clock.now = datetime(2026, 11, 24, 10, 45, tzinfo=ALMATY)  # 45 minutes: over the 30 of the standard
    async with app.sessions() as session:
        await app.services.units(app.sessions).over(session).bookings.mark(second.number or "", "served")

    texts = await deliver(app, clock, visitor)
    assert any("вежливостью" in text and (first.number or "") in text for text in texts), texts
    await visitor.click("Удовлетворён(а)", exact=True)
    assert visitor.last.text == "Спасибо за ответ! Он помогает улучшить обслуживание."
    await visitor.click_data(f"vq:{first.number}:not_satisfied", visitor.last)  # a second press changes nothing
    result = await compute(app)
    courtesy = result.indicator("5.1")
    assert (courtesy.part, courtesy.whole, courtesy.verdict) == (1, 1, Verdict.MET)
    waited = result.indicator("1.2")
    assert (waited.part, waited.whole, waited.value, waited.verdict) == (1, 2, Decimal(50), Verdict.MISSED)
    assert result.wait_limit_minutes == 30
    # someone else's visit cannot be answered about
    other = app.client(user_id=7002, language_code="ru")
    await other.click_data(f"vq:{first.number}:satisfied", visitor.last)
    assert (await compute(app)).indicator("5.1").whole == 1


@pytest.mark.parametrize(("locale", "title", "met", "reason"), [
    ("ru", "Показатели качества и доступности стандарта", "достигнут", "Kenes не учитывает ошибки"),
    ("kk", "Стандарттың сапа және қолжетімділік көрсеткіштері", "орындалды", "Kenes лауазымды тұлғалардың"),
])
async def test_the_report_exports_to_csv_and_xlsx_in_both_languages(app: App, clock: FakeClock, locale: str,
                                                                     title: str, met: str, reason: str) -> None:
    number = await submit(app)
    await move(app, number, Action.ACCEPT, Action.READY)
    result = await compute(app)

    text = to_csv(result, locale).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [title]
    row = next(r for r in rows if r and r[0] == "1.1")
    assert row[1] == app.services.catalog.indicators["1.1"].name.get(locale)
    assert row[3:9] == ["≥", "95.0", "80.0", "100.0", "1", "1"] and row[9] == met
    assert reason in next(r for r in rows if r and r[0] == "2.2")[-1]

    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(result, locale)))
    sheet, trend = book.worksheets
    assert sheet["A1"].value == title
    cells = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "1.1")
    assert cells[4:9] == (95, 80, 100, 1, 1) and cells[9] == met
    assert next(r for r in sheet.iter_rows(values_only=True) if r[0] == "2.2")[11].startswith(reason)
    months = next(r for r in trend.iter_rows(values_only=True) if r[0] == "1.1")
    assert len(months) == 13 and months[-2] == 100 and months[-1] is None  # November served, December empty
