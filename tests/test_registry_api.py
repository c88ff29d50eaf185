"""The registry's HTTP API: auth, listing and filtering, one case, moves, OpenAPI, files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.config import Settings
from registry.api import RegistryContext, create_app
from storage.models import Attachment
from tests.conftest import App, FakeClock
from tests.test_bookings import AKIMAT, TUESDAY, at, book, users
from tests.test_case_service import add_user, outbox, submit
from tests.test_complaints import register as register_complaint

TOKEN = "s3cret-registry-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def api(app: App, settings: Settings, clock: FakeClock) -> AsyncIterator[TestClient]:
    s = app.services
    context = RegistryContext(sessions=app.sessions, catalog=s.catalog, calendar=s.calendar, notices=s.notices,
                              file_store=settings.file_store_dir, clock=clock)
    client = TestClient(TestServer(create_app(context, TOKEN)))
    await client.start_server()
    yield client
    await client.close()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
async def test_requests_without_the_token_get_401(api: TestClient, headers: dict) -> None:
    for method, path in (("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/26-000001"),
                         ("POST", "/api/v1/cases/26-000001/actions")):
        response = await api.request(method, path, headers=headers, json={"action": "accept"})
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"] == "unauthorized"


async def test_openapi_description(api: TestClient) -> None:
    response = await api.get("/openapi.json")
    spec = await response.json()
    assert response.status == 200 and spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/api/v1/cases", "/api/v1/cases/{number}", "/api/v1/cases/{number}/actions",
                                  "/api/v1/attachments/{id}/content",
                                  "/api/v1/bookings", "/api/v1/bookings/{number}/visit", "/api/v1/complaints",
                                  "/api/v1/complaints/{number}", "/api/v1/complaints/{number}/actions"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_list_filter_and_detail(api: TestClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    psc = await submit(app)
    media = await submit(app, standard="mangystau_foreign_media", office="mangystau_uvp_232")
    everything = await (await api.get("/api/v1/cases", headers=AUTH)).json()
    assert [c["number"] for c in everything["cases"]] == [psc, media]
    by_service = await (await api.get("/api/v1/cases?service=foreign_media", headers=AUTH)).json()
    assert [c["number"] for c in by_service["cases"]] == [media]
    by_office = await (await api.get("/api/v1/cases?office=psc_aktau&status=submitted", headers=AUTH)).json()
    assert [c["number"] for c in by_office["cases"]] == [psc]
    clock.advance(days=4)
    overdue = await (await api.get("/api/v1/cases?overdue=true", headers=AUTH)).json()
    assert [(c["number"], c["overdue"]) for c in overdue["cases"]] == [(psc, True)]
    bad = await api.get("/api/v1/cases?status=lost", headers=AUTH)
    assert bad.status == 422

    detail = await (await api.get(f"/api/v1/cases/{psc}", headers=AUTH)).json()
    assert detail["service"]["name"]["ru"] == "Справка, подтверждающая прохождение воинской службы"
    assert detail["office"]["id"] == "psc_aktau" and detail["due_date"] == "2026-11-26"
    assert detail["applicant"]["iin"] == "900101300126"
    assert detail["allowed_actions"] == ["accept", "return"]
    assert [h["action"] for h in detail["history"]] == ["submit"]
    assert detail["attachments"][0]["document_id"] == "military_id" and detail["attachments"][0]["stored"] is False
    missing = await api.get("/api/v1/cases/26-999999", headers=AUTH)
    assert missing.status == 404


async def test_moves_go_through_the_lifecycle_and_notify(api: TestClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app, standard="mangystau_foreign_media", office="mangystau_uvp_232")

    async def move(body: dict) -> tuple[int, dict]:
        response = await api.post(f"/api/v1/cases/{number}/actions", headers=AUTH, json=body)
        return response.status, await response.json()

    status, body = await move({"action": "ready"})
    assert status == 409 and body["error"] == "illegal_transition" and "submitted" in body["message"]
    status, body = await move({"action": "accept", "actor": "1c-docflow"})
    assert status == 200 and body["status"] == "in_work"
    assert body["history"][-1]["actor"] == "api:1c-docflow"
    status, body = await move({"action": "refuse", "ground": 9})
    assert status == 409
    status, body = await move({"action": "refuse", "ground": 4, "comment": "решение суда"})
    assert status == 200 and body["status"] == "refused"
    assert body["history"][-1]["ground_text"]["ru"].startswith("В отношении продукции иностранного СМИ")
    assert (await outbox(app))[-1].kind == "case_refuse"
    status, body = await move({"action": "teleport"})
    assert status == 422
    response = await api.post(f"/api/v1/cases/{number}/actions", headers=AUTH, data="not json")
    assert response.status == 422


async def test_attachment_content(api: TestClient, app: App, clock: FakeClock, settings: Settings) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with app.sessions() as session:
        attachment = (await session.scalars(select(Attachment))).one()
        url = f"/api/v1/attachments/{attachment.id}/content"
    assert (await api.get(url, headers=AUTH)).status == 409  # not downloaded yet
    path = Path(settings.file_store_dir) / number / "1-military_id.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8 jpeg")
    async with app.sessions() as session:
        stored = await session.get(Attachment, attachment.id)
        stored.stored_path = f"{number}/1-military_id.jpg"
        await session.commit()
    response = await api.get(url, headers=AUTH)
    assert response.status == 200 and await response.read() == b"\xff\xd8 jpeg"
    assert response.headers["Content-Type"] == "image/jpeg"
    assert (await api.get("/api/v1/attachments/999/content", headers=AUTH)).status == 404


def test_the_api_is_off_without_a_token(app: App, settings: Settings, clock: FakeClock) -> None:
    s = app.services
    context = RegistryContext(sessions=app.sessions, catalog=s.catalog, calendar=s.calendar, notices=s.notices,
                              file_store=settings.file_store_dir, clock=clock)
    with pytest.raises(ValueError):
        create_app(context, "")


async def test_a_days_bookings_and_visit_marks(api: TestClient, app: App, clock: FakeClock) -> None:
    await users(app, 7001, 7002)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 11, 30))
    url = "/api/v1/bookings?office=mangystau_uvp_228&date=2026-11-24"
    day = await (await api.get(url, headers=AUTH)).json()
    assert day["wait_limit_minutes"] == 10 and day["served"] == 0 and day["share_within_limit"] is None
    assert [(b["number"], b["starts_at"], b["status"]) for b in day["bookings"]] == [
        ("T-000001", "2026-11-24T10:00:00+05:00", "active"), ("T-000002", "2026-11-24T11:30:00+05:00", "active")]

    clock.now = at(TUESDAY, 10, 2)
    mark = "/api/v1/bookings/T-000001/visit"
    arrived = await (await api.post(mark, headers=AUTH, json={"event": "arrived"})).json()
    assert arrived["arrived_at"] == "2026-11-24T10:02:00+05:00" and arrived["status"] == "active"
    clock.now = at(TUESDAY, 10, 9)
    served = await (await api.post(mark, headers=AUTH, json={"event": "served"})).json()
    assert served["status"] == "served" and served["waited_minutes"] == 7 and served["waited_within_limit"]
    again = await api.post(mark, headers=AUTH, json={"event": "no_show"})
    assert again.status == 409 and (await again.json())["error"] == "not_active"
    early = await api.post("/api/v1/bookings/T-000002/visit", headers=AUTH, json={"event": "no_show"})
    assert early.status == 409 and (await early.json())["error"] == "too_early"
    assert (await api.post("/api/v1/bookings/T-000404/visit", headers=AUTH, json={"event": "served"})).status == 404
    assert (await api.post(mark, headers=AUTH, json={"event": "lunch"})).status == 422
    assert (await api.post(mark, headers=AUTH, data="{")).status == 422

    day = await (await api.get(url, headers=AUTH)).json()
    assert (day["served"], day["waited_within_limit"], day["share_within_limit"]) == (1, 1, 1.0)
    for bad in ("/api/v1/bookings?office=nowhere&date=2026-11-24", "/api/v1/bookings?office=psc_aktau",
                "/api/v1/bookings?office=psc_aktau&date=24.11.2026"):
        assert (await api.get(bad, headers=AUTH)).status == 422
    assert (await api.get(url)).status == 401


async def test_complaints_list_detail_and_moves(api: TestClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    case = await submit(app)
    number = await register_complaint(app, case_number=case)
    listed = await (await api.get("/api/v1/complaints?status=registered", headers=AUTH)).json()
    assert [(c["number"], c["case"], c["due_date"]) for c in listed["complaints"]] == [
        (number, case, "2026-11-30")]
    assert listed["complaints"][0]["addressee"]["ru"] == "Директор Центра обслуживания населения"
    detail = await (await api.get(f"/api/v1/complaints/{number}", headers=AUTH)).json()
    assert detail["complainant"]["name"] == "Ахметов Ерлан" and detail["allowed_actions"] == ["take", "forward"]
    assert detail["attachments"][0]["content_url"].startswith("/api/v1/attachments/")

    url = f"/api/v1/complaints/{number}/actions"
    early = await api.post(url, headers=AUTH, json={"action": "answer", "outcome": "upheld", "comment": "Да"})
    assert early.status == 409
    taken = await (await api.post(url, headers=AUTH, json={"action": "take", "actor": "docflow"})).json()
    assert taken["status"] == "under_review" and taken["history"][-1]["actor"] == "api:docflow"
    no_outcome = await api.post(url, headers=AUTH, json={"action": "answer", "comment": "Ответ"})
    assert no_outcome.status == 409
    bad = await api.post(url, headers=AUTH, json={"action": "answer", "outcome": "maybe", "comment": "x"})
    assert bad.status == 422
    answered = await (await api.post(url, headers=AUTH, json={
        "action": "answer", "outcome": "rejected", "comment": "Нарушений не выявлено."})).json()
    assert (answered["status"], answered["outcome"], answered["answer"]) == (
        "answered", "rejected", "Нарушений не выявлено.")
    assert (await api.get("/api/v1/complaints/C-26-000999", headers=AUTH)).status == 404
    assert (await api.get("/api/v1/complaints?overdue=maybe", headers=AUTH)).status == 422
    assert (await api.get("/api/v1/complaints")).status == 401
    kinds = [m.kind for m in await outbox(app) if m.complaint_id is not None]
    assert kinds == ["clerks_new_complaint", "complaint_take", "complaint_answer", "complaint_survey"]
