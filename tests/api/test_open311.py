"""Open311 GeoReport v2 over the complaints (issue 16, item 6), through the real FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from api.app import RegistryContext, create_app
from domain.complaints import ComplaintAction
from storage.models import Complaint, OutboxMessage
from tests.api.conftest import TOKEN
from tests.conftest import CLERK_CHAT_ID, App, FakeClock
from tests.test_case_service import add_user
from tests.test_complaints import register

KEY = "city-tool-key-0123456789"
BASE = "/open311/v2"
FILING = {"api_key": KEY, "service_code": "psc_military_service_certificate", "attribute[office]": "psc_aktau",
          "attribute[topic]": "deadline", "description": "Справку не выдали в срок, прошло уже две недели.",
          "first_name": "Айгерим", "last_name": "Серикова", "phone": "+77015550000"}


@pytest.fixture
async def city(registry: RegistryContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(registry, TOKEN, open311_key=KEY), client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield client


async def test_discovery_services_and_definition(city: httpx.AsyncClient) -> None:
    discovery = (await city.get(f"{BASE}/discovery.json")).json()
    assert discovery["endpoints"][0]["url"] == "http://registry/open311/v2"
    services = (await city.get(f"{BASE}/services.json")).json()
    military = next(s for s in services if s["service_code"] == "psc_military_service_certificate")
    assert military["metadata"] is True and military["group"].startswith("Справка")
    assert len(services) == 8
    definition = (await city.get(f"{BASE}/services/psc_military_service_certificate.json", params={"lang": "kk"}))
    attributes = {a["code"]: a for a in definition.json()["attributes"]}
    assert {"psc_aktau", "psc_astana_almaty_1"} <= {v["key"] for v in attributes["office"]["values"]}
    assert [v["key"] for v in attributes["topic"]["values"]] == ["official", "quality", "deadline", "courtesy",
                                                                  "other"]
    assert attributes["case_number"]["required"] is False
    missing = await city.get(f"{BASE}/services/no_such_service.json")
    assert missing.status_code == 404 and missing.json() == [{"code": 404, "description": "no such service_code"}]


async def test_a_complaint_filed_and_followed_through_its_lifecycle(city: httpx.AsyncClient, app: App,
                                                                     clock: FakeClock) -> None:
    created = await city.post(f"{BASE}/requests.json", data=FILING)
    assert created.status_code == 201, created.text
    (answer,) = created.json()
    number = answer["service_request_id"]
    assert number == "C-26-000001" and "2026-11-30" in answer["service_notice"]  # five working days
    async with app.sessions() as session:
        complaint = await session.scalar(select(Complaint))
        assert complaint is not None and complaint.complainant["channel"] == "open311"
        assert (complaint.topic, complaint.office_id, complaint.status) == ("deadline", "psc_aktau", "registered")
        told = list(await session.scalars(select(OutboxMessage)))
        assert [m.chat_id for m in told] == [CLERK_CHAT_ID]  # the clerks hear of it, as of any complaint

    public = (await city.get(f"{BASE}/requests/{number}.json")).json()[0]
    assert (public["status"], public["status_notes"], public["description"]) == ("open", "registered", None)
    assert public["expected_datetime"] == "2026-11-30T23:59:59+05:00" and public["address_id"] == "psc_aktau"
    assert "Серикова" not in str(public)
    keyed = (await city.get(f"{BASE}/requests/{number}.json", params={"api_key": KEY})).json()[0]
    assert keyed["description"] == FILING["description"]

    clock.advance(days=1)
    async with app.sessions() as session:
        complaints = app.services.units(app.sessions).over(session).complaints
        await complaints.transition(number, ComplaintAction.TAKE, "clerk:900001")
        await complaints.transition(number, ComplaintAction.ANSWER, "clerk:900001", outcome="upheld",
                                    comment="Справка выдана, сотруднику сделано замечание.")
    async with app.sessions() as session:
        kinds = [m.kind for m in await session.scalars(select(OutboxMessage))]
        assert kinds == ["clerks_new_complaint"]  # no chat to tell the complainant in: nothing queued for it
    closed = (await city.get(f"{BASE}/requests.json", params={"status": "closed"})).json()
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
        (number, "closed", "answered: upheld")]
    assert (await city.get(f"{BASE}/requests.json", params={"status": "open"})).json() == []


async def test_requests_list_filters(city: httpx.AsyncClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    first = await register(app)
    clock.advance(days=1)
    second = await register(app, standard_id="psc_benefits_certificate")
    listed = (await city.get(f"{BASE}/requests.json")).json()
    assert [r["service_request_id"] for r in listed] == [second, first]  # newest first
    only = (await city.get(f"{BASE}/requests.json", params={"service_code": "psc_benefits_certificate"})).json()
    assert [r["service_request_id"] for r in only] == [second]
    by_id = (await city.get(f"{BASE}/requests.json", params={"service_request_id": f"{first},C-26-999999"})).json()
    assert [r["service_request_id"] for r in by_id] == [first]
    window = {"start_date": "2026-11-24T00:00:00+05:00", "end_date": "2026-11-25T00:00:00+05:00"}
    assert [r["service_request_id"] for r in (await city.get(f"{BASE}/requests.json", params=window)).json()] == [
        second]
    assert all(r["description"] is None for r in listed)


@pytest.mark.parametrize(("change", "status", "says"), [
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"api_key": None}, 403, "api_key"),
    ({"attribute[topic]": "weather"}, 400, "attribute[topic]"),
    ({"attribute[office]": "almaty_city_uvp"}, 400, "attribute[office]"),
    ({"description": "коротко"}, 400, "description"),
    ({"service_code": "no_such_service"}, 404, "service_code"),
    ({"attribute[case_number]": "26-999999"}, 400, "case_number"),
])
async def test_bad_filings_are_4xx_json(city: httpx.AsyncClient, app: App, change: dict[str, str | None],
                                        status: int, says: str) -> None:
    fields = {k: v for k, v in {**FILING, **change}.items() if v is not None}
    answer = await city.post(f"{BASE}/requests.json", data=fields)
    assert answer.status_code == status, answer.text
    (problem,) = answer.json()
    assert problem["code"] == status and says in problem["description"]
    async with app.sessions() as session:
        assert await session.scalar(select(Complaint)) is None


async def test_json_filings_and_garbage(city: httpx.AsyncClient, registry: RegistryContext) -> None:
    assert (await city.post(f"{BASE}/requests.json", json=FILING)).status_code == 201
    garbage = await city.post(f"{BASE}/requests.json", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert garbage.status_code == 400 and garbage.json()[0]["code"] == 400
    assert (await city.post(f"{BASE}/requests.json", json=[1, 2])).status_code == 400
    assert (await city.get(f"{BASE}/requests.json", params={"status": "lost"})).status_code == 422
    assert (await city.get(f"{BASE}/requests/C-26-999999.json")).status_code == 404
    # without a configured key nothing can be filed
    transport = httpx.ASGITransport(app=create_app(registry, TOKEN), client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as closed:
        assert (await closed.post(f"{BASE}/requests.json", data=FILING)).status_code == 403
