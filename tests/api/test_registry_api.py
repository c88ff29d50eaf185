"""The registry's HTTP API: auth, listing and filtering, one case, moves, OpenAPI, files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.app import RegistryContext, create_app
from config import Settings
from storage.models import Attachment
from tests.api.conftest import AUTH, TOKEN
from tests.conftest import App, FakeClock
from tests.test_bookings import AKIMAT, TUESDAY, at, book, users
from tests.test_case_service import add_user, outbox, submit
from tests.test_complaints import register as register_complaint


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
async def test_requests_without_the_token_get_401(api: httpx.AsyncClient, headers: dict) -> None:
    for method, path in (("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/26-000001"),
                         ("POST", "/api/v1/cases/26-000001/actions"), ("GET", "/api/v1/nowhere")):
        response = await api.request(method, path, headers=headers, json={"action": "accept"})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthorized"


async def test_openapi_description(api: httpx.AsyncClient) -> None:
    response = await api.get("/openapi.json")
    spec = response.json()
    assert response.status_code == 200 and spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "Kenes registry API"
    assert set(spec["paths"]) == {"/api/v1/cases", "/api/v1/cases/{number}", "/api/v1/cases/{number}/actions",
                                  "/api/v1/attachments/{id}/content",
                                  "/api/v1/bookings", "/api/v1/bookings/{number}/visit", "/api/v1/complaints",
                                  "/api/v1/complaints/{number}", "/api/v1/complaints/{number}/actions", "/health",
                                  "/api/v1/indicators", "/open311/v2/discovery.json", "/open311/v2/services.json",
                                  "/open311/v2/services/{service_code}.json", "/open311/v2/requests.json",
                                  "/open311/v2/requests/{service_request_id}.json"}
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    schemas = spec["components"]["schemas"]
    # The lifecycles' own values, as the code accepts them.
    assert schemas["Status"]["enum"] == ["submitted", "in_work", "returned", "ready", "issued", "refused", "archived"]
    assert schemas["CaseMove"]["properties"]["action"]["enum"] == ["accept", "return", "extend", "ready", "issue",
                                                                  "refuse"]
    assert schemas["ComplaintMove"]["properties"]["action"]["enum"] == ["take", "answer", "forward"]
    limit = next(p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)


async def test_list_filter_and_detail(api: httpx.AsyncClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    psc = await submit(app)
    media = await submit(app, standard="mangystau_foreign_media", office="mangystau_uvp_232")
    everything = (await api.get("/api/v1/cases", headers=AUTH)).json()
    assert [c["number"] for c in everything["cases"]] == [psc, media]
    assert everything["cases"][0]["submitted_at"] == "2026-11-23T05:00:00+00:00"
    by_service = (await api.get("/api/v1/cases?service=foreign_media", headers=AUTH)).json()
    assert [c["number"] for c in by_service["cases"]] == [media]
    by_office = (await api.get("/api/v1/cases?office=psc_aktau&status=submitted", headers=AUTH)).json()
    assert [c["number"] for c in by_office["cases"]] == [psc]
    page = (await api.get("/api/v1/cases?limit=1&offset=1", headers=AUTH)).json()
    assert [c["number"] for c in page["cases"]] == [media]
    clock.advance(days=4)
    overdue = (await api.get("/api/v1/cases?overdue=true", headers=AUTH)).json()
    assert [(c["number"], c["overdue"]) for c in overdue["cases"]] == [(psc, True)]
    bad = await api.get("/api/v1/cases?status=lost", headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "status"

    detail = (await api.get(f"/api/v1/cases/{psc}", headers=AUTH)).json()
    assert detail["service"]["name"]["ru"] == "Справка, подтверждающая прохождение воинской службы"
    assert detail["office"]["id"] == "psc_aktau" and detail["due_date"] == "2026-11-26"
    assert detail["applicant"]["iin"] == "900101300126"
    assert detail["allowed_actions"] == ["accept", "return"]
    assert [(h["action"], h["from"], h["to"]) for h in detail["history"]] == [("submit", None, "submitted")]
    assert detail["attachments"][0]["document_id"] == "military_id" and detail["attachments"][0]["stored"] is False
    missing = await api.get("/api/v1/cases/26-999999", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_moves_go_through_the_lifecycle_and_notify(api: httpx.AsyncClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app, standard="mangystau_foreign_media", office="mangystau_uvp_232")

    async def move(body: dict) -> tuple[int, dict]:
        response = await api.post(f"/api/v1/cases/{number}/actions", headers=AUTH, json=body)
        return response.status_code, response.json()

    status, body = await move({"action": "ready"})
    assert status == 409 and body["error"] == "illegal_transition" and "submitted" in body["message"]
    assert body["current"]["status"] == "submitted"
    status, body = await move({"action": "accept", "actor": "1c-docflow"})
    assert status == 200 and body["status"] == "in_work"
    assert body["history"][-1]["actor"] == "api:1c-docflow"
    status, body = await move({"action": "refuse", "ground": 9})
    assert status == 409 and body["current"]["status"] == "in_work"
    status, body = await move({"action": "refuse", "ground": 4, "comment": "решение суда"})
    assert status == 200 and body["status"] == "refused"
    assert body["history"][-1]["ground_text"]["ru"].startswith("В отношении продукции иностранного СМИ")
    assert (await outbox(app))[-1].kind == "case_refuse"
    status, body = await move({"action": "teleport"})
    assert status == 422 and body["field"] == "action"
    response = await api.post(f"/api/v1/cases/{number}/actions", headers={**AUTH, "Content-Type": "application/json"},
                              content="not json")
    assert response.status_code == 422 and response.json()["field"] == "body"


async def test_attachment_content(api: httpx.AsyncClient, app: App, clock: FakeClock, settings: Settings) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with app.sessions() as session:
        attachment = (await session.scalars(select(Attachment))).one()
        url = f"/api/v1/attachments/{attachment.id}/content"
    waiting = await api.get(url, headers=AUTH)  # not downloaded yet
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] and waiting.json()["error"] == "not_stored_yet"
    path = Path(settings.file_store_dir) / number / "1-military_id.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8 jpeg")
    async with app.sessions() as session:
        stored = await session.get(Attachment, attachment.id)
        stored.stored_path = f"{number}/1-military_id.jpg"
        await session.commit()
    response = await api.get(url, headers=AUTH)
    assert response.status_code == 200 and response.content == b"\xff\xd8 jpeg"
    assert response.headers["Content-Type"] == "image/jpeg"  # the sender's type, no scan result yet
    assert response.headers["Content-Disposition"] == 'attachment; filename="1-military_id.jpg"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"

    async with app.sessions() as session:  # the scan found a PDF in what was sent as a photo
        (await session.get(Attachment, attachment.id)).content_type = "application/pdf"
        await session.commit()
    assert (await api.get(url, headers=AUTH)).headers["Content-Type"] == "application/pdf"

    async with app.sessions() as session:  # the scan refused it
        (await session.get(Attachment, attachment.id)).rejected = "type"
        await session.commit()
    refused = await api.get(url, headers=AUTH)
    assert refused.status_code == 410 and refused.json()["reason"] == "type"
    assert (await api.get("/api/v1/attachments/999/content", headers=AUTH)).status_code == 404


def test_the_api_is_off_without_a_token(registry: RegistryContext) -> None:
    with pytest.raises(ValueError):
        create_app(registry, "")


async def test_a_days_bookings_and_visit_marks(api: httpx.AsyncClient, app: App, clock: FakeClock) -> None:
    await users(app, 7001, 7002)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 11, 30))
    url = "/api/v1/bookings?office=mangystau_uvp_228&date=2026-11-24"
    day = (await api.get(url, headers=AUTH)).json()
    assert day["wait_limit_minutes"] == 10 and day["served"] == 0 and day["share_within_limit"] is None
    assert [(b["number"], b["starts_at"], b["status"]) for b in day["bookings"]] == [
        ("T-000001", "2026-11-24T10:00:00+05:00", "active"), ("T-000002", "2026-11-24T11:30:00+05:00", "active")]

    clock.now = at(TUESDAY, 10, 2)
    mark = "/api/v1/bookings/T-000001/visit"
    arrived = (await api.post(mark, headers=AUTH, json={"event": "arrived"})).json()
    assert arrived["arrived_at"] == "2026-11-24T10:02:00+05:00" and arrived["status"] == "active"
    clock.now = at(TUESDAY, 10, 9)
    served = (await api.post(mark, headers=AUTH, json={"event": "served"})).json()
    assert served["status"] == "served" and served["waited_minutes"] == 7 and served["waited_within_limit"]
    again = await api.post(mark, headers=AUTH, json={"event": "no_show"})
    assert again.status_code == 409 and again.json()["error"] == "not_active"
    assert again.json()["current"]["status"] == "served"
    early = await api.post("/api/v1/bookings/T-000002/visit", headers=AUTH, json={"event": "no_show"})
    assert early.status_code == 409 and early.json()["error"] == "too_early"
    nowhere = await api.post("/api/v1/bookings/T-000404/visit", headers=AUTH, json={"event": "served"})
    assert nowhere.status_code == 404
    assert (await api.post(mark, headers=AUTH, json={"event": "lunch"})).status_code == 422
    broken = await api.post(mark, headers={**AUTH, "Content-Type": "application/json"}, content="{")
    assert broken.status_code == 422

    day = (await api.get(url, headers=AUTH)).json()
    assert (day["served"], day["waited_within_limit"], day["share_within_limit"]) == (1, 1, 1.0)
    for bad, field in (("/api/v1/bookings?office=nowhere&date=2026-11-24", "office"),
                       ("/api/v1/bookings?office=psc_aktau", "date"),
                       ("/api/v1/bookings?office=psc_aktau&date=24.11.2026", "date")):
        response = await api.get(bad, headers=AUTH)
        assert response.status_code == 422 and response.json()["field"] == field
    assert (await api.get(url)).status_code == 401


async def test_complaints_list_detail_and_moves(api: httpx.AsyncClient, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    case = await submit(app)
    number = await register_complaint(app, case_number=case)
    listed = (await api.get("/api/v1/complaints?status=registered", headers=AUTH)).json()
    assert [(c["number"], c["case"], c["due_date"]) for c in listed["complaints"]] == [
        (number, case, "2026-11-30")]
    assert listed["complaints"][0]["addressee"]["ru"] == "Директор Центра обслуживания населения"
    detail = (await api.get(f"/api/v1/complaints/{number}", headers=AUTH)).json()
    assert detail["complainant"]["name"] == "Ахметов Ерлан" and detail["allowed_actions"] == ["take", "forward"]
    assert detail["attachments"][0]["content_url"].startswith("/api/v1/attachments/")

    url = f"/api/v1/complaints/{number}/actions"
    early = await api.post(url, headers=AUTH, json={"action": "answer", "outcome": "upheld", "comment": "Да"})
    assert early.status_code == 409 and early.json()["current"]["status"] == "registered"
    taken = (await api.post(url, headers=AUTH, json={"action": "take", "actor": "docflow"})).json()
    assert taken["status"] == "under_review" and taken["history"][-1]["actor"] == "api:docflow"
    no_outcome = await api.post(url, headers=AUTH, json={"action": "answer", "comment": "Ответ"})
    assert no_outcome.status_code == 409
    bad = await api.post(url, headers=AUTH, json={"action": "answer", "outcome": "maybe", "comment": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "outcome"
    answered = (await api.post(url, headers=AUTH, json={
        "action": "answer", "outcome": "rejected", "comment": "Нарушений не выявлено."})).json()
    assert (answered["status"], answered["outcome"], answered["answer"]) == (
        "answered", "rejected", "Нарушений не выявлено.")
    assert (await api.get("/api/v1/complaints/C-26-000999", headers=AUTH)).status_code == 404
    assert (await api.get("/api/v1/complaints?overdue=maybe", headers=AUTH)).status_code == 422
    assert (await api.get("/api/v1/complaints")).status_code == 401
    kinds = [m.kind for m in await outbox(app) if m.complaint_id is not None]
    assert kinds == ["clerks_new_complaint", "complaint_take", "complaint_answer", "complaint_survey"]
