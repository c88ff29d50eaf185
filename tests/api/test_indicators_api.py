"""``GET /api/v1/indicators``: the quality indicators as JSON, CSV and XLSX, behind the token."""

from __future__ import annotations

import io

import httpx
import openpyxl

from domain.lifecycle import Action
from tests.api.conftest import AUTH
from tests.conftest import App, FakeClock
from tests.test_indicators import move, submit

QUERY = {"standard": "psc_military_service_certificate", "office": "psc_aktau", "period": "2026-Q4"}


async def test_the_report_as_json(api: httpx.AsyncClient, app: App, clock: FakeClock) -> None:
    number = await submit(app)
    await move(app, number, Action.ACCEPT, Action.READY)
    answer = await api.get("/api/v1/indicators", params=QUERY, headers=AUTH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["period"], body["period_start"], body["period_end"]) == ("2026-Q4", "2026-10-01", "2027-01-01")
    assert body["office_name"]["ru"] == "Центр обслуживания населения г. Актау" and body["wait_limit_minutes"] == 30
    on_time = body["indicators"][0]
    assert (on_time["code"], on_time["part"], on_time["whole"], on_time["value"], on_time["verdict"]) == (
        "1.1", 1, 1, 100.0, "met")
    assert on_time["normative"] == 95.0 and on_time["direction"] == "≥" and len(on_time["trend"]) == 12
    errors = next(i for i in body["indicators"] if i["code"] == "2.2")
    assert errors["verdict"] == "not_measured" and errors["reason"] == "official_errors"
    assert errors["reason_text"]["kk"].startswith("Kenes лауазымды")
    justified = next(i for i in body["indicators"] if i["code"] == "4.1")
    assert (justified["direction"], justified["part"], justified["whole"], justified["verdict"]) == ("≤", 0, 1, "met")


async def test_the_report_as_downloads(api: httpx.AsyncClient, app: App) -> None:
    answer = await api.get("/api/v1/indicators", params={**QUERY, "format": "xlsx", "lang": "kk"}, headers=AUTH)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    assert 'filename="indicators-psc_military_service_certificate-psc_aktau-2026-Q4-kk.xlsx"' in (
        answer.headers["content-disposition"])
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    assert sheet["A1"].value == "Стандарттың сапа және қолжетімділік көрсеткіштері"
    everywhere = {"standard": QUERY["standard"], "period": "2026-11", "format": "csv"}
    csv = await api.get("/api/v1/indicators", params=everywhere, headers=AUTH)
    assert csv.status_code == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert "Все учреждения" in csv.content.decode("utf-8-sig")


async def test_bad_queries_are_refused(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/indicators", params=QUERY)).status_code == 401
    for bad in ({"period": "2026-Q5"}, {"period": "26"}, {"format": "pdf"}, {"lang": "en"}, {"standard": "X!"}):
        answer = await api.get("/api/v1/indicators", params={**QUERY, **bad}, headers=AUTH)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"] == "invalid_query"
    for unknown in ({"standard": "no_such_standard"}, {"office": "almaty_city_uvp"}):
        answer = await api.get("/api/v1/indicators", params={**QUERY, **unknown}, headers=AUTH)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
