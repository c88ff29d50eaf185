"""The registry API under abuse: every input out of range is a 422 naming the field, wrong
tokens are slowed down, errors are JSON (also when the disk is full), and /health says
whether the database takes a write."""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import RegistryContext, create_app
from config import Settings
from storage.database import create_engine, create_session_factory
from storage.models import Attachment, CaseEvent
from storage.repositories import Repositories
from tests.api.conftest import AUTH
from tests.conftest import App, FakeClock
from tests.test_case_service import add_user, submit

DEEP = "[" * 30_000 + "]" * 30_000  # under the 64 KiB a body may have


@pytest.fixture
async def number(app: App, clock: FakeClock) -> str:
    await add_user(app, 7001, "ru")
    return await submit(app)


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/cases?limit=-1", "limit"),
    ("/api/v1/cases?limit=0", "limit"),
    ("/api/v1/cases?limit=501", "limit"),
    ("/api/v1/cases?offset=-1", "offset"),
    ("/api/v1/cases?offset=99999999999999999999999", "offset"),
    ("/api/v1/cases?limit=1e3", "limit"),
    ("/api/v1/cases?status=submitted,lost", "status"),
    ("/api/v1/cases?office=PSC%0Aaktau", "office"),
    ("/api/v1/complaints?offset=18446744073709551616", "offset"),
    ("/api/v1/attachments/99999999999999999999999/content", "id"),
    ("/api/v1/attachments/2147483648/content", "id"),
    ("/api/v1/attachments/0/content", "id"),
    ("/api/v1/bookings?office=psc_aktau&date=0001-01-01", "date"),
    ("/api/v1/bookings?office=psc_aktau&date=9999-12-31", "date"),
    ("/api/v1/bookings?office=psc_aktau&date=2026-02-30", "date"),
    ("/api/v1/cases/26-000001%0A", "number"),
    ("/api/v1/cases/" + "9" * 33, "number"),
])
async def test_queries_and_paths_out_of_range_are_422_naming_the_field(
        api: httpx.AsyncClient, number: str, path: str, field: str) -> None:
    response = await api.get(path, headers=AUTH)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field and body["error"] in ("invalid_query", "invalid_path") and body["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "return", "actor": "docflow\n2026-11-23 INFO registry: case 26-000001 issued", "comment": "x"},
     "actor"),
    ({"action": "return", "comment": "причина\u0000"}, "comment"),
    ({"action": "return", "comment": "a\u0085b"}, "comment"),  # NEL, a C1 control
    ({"action": "return", "actor": "", "comment": "x"}, "actor"),
    ({"action": "return", "actor": "x" * 49, "comment": "x"}, "actor"),
    ({"action": "return", "comment": "x" * 2001}, "comment"),
    ({"action": "refuse", "ground": 2**64}, "ground"),
    ({"action": "refuse", "ground": -1}, "ground"),
    ({"action": "extend", "extension_months": 10**30, "comment": "x"}, "extension_months"),
    ({"action": "accept", "color": "red"}, "color"),
    ({"action": "accept", "actor": "\ud800"}, "actor"),
    ({"actor": "docflow"}, "action"),
])
async def test_bodies_out_of_range_are_422_and_change_nothing(
        api: httpx.AsyncClient, app: App, number: str, body: dict[str, Any], field: str,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        response = await api.post(f"/api/v1/cases/{number}/actions", content=json.dumps(body),
                                  headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and response.json()["error"] == "invalid_body"
    assert "issued" not in caplog.text
    async with app.sessions() as session:
        assert [e.action for e in await session.scalars(select(CaseEvent))] == ["submit"]


@pytest.mark.parametrize("content", [DEEP, '{"action": "refuse", "ground": ' + "9" * 5000 + "}", "{", "[]", "null",
                                     '"accept"', '{"action": "accept"} trailing'])
async def test_bodies_that_are_not_a_move_are_422(api: httpx.AsyncClient, number: str, content: str) -> None:
    response = await api.post(f"/api/v1/cases/{number}/actions", headers={**AUTH, "Content-Type": "application/json"},
                              content=content)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_body"


async def test_a_body_too_large_is_413_before_it_is_read(api: httpx.AsyncClient, number: str) -> None:
    response = await api.post(f"/api/v1/cases/{number}/actions", headers={**AUTH, "Content-Type": "application/json"},
                              content=b" " * (64 * 1024 + 1))
    assert response.status_code == 413 and response.json()["error"] == "too_large"


async def test_wrong_tokens_from_one_address_are_slowed_down(registry: RegistryContext, clock: FakeClock,
                                                             number: str) -> None:
    app = create_app(registry, AUTH["Authorization"].split()[1], auth_failures=10, auth_window=timedelta(minutes=1))

    def client(address: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                                 base_url="http://registry")

    async with client("203.0.113.7") as attacker, client("198.51.100.2") as neighbour:
        wrong = {"Authorization": "Bearer guess"}
        assert [(await attacker.get("/api/v1/cases", headers=wrong)).status_code for _ in range(10)] == [401] * 10
        clock.advance(seconds=20)
        slowed = await attacker.get("/api/v1/cases", headers=wrong)
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "40"
        assert slowed.json()["error"] == "too_many_failures"
        assert (await attacker.get("/api/v1/cases")).status_code == 429  # no token at all: slowed too
        assert (await attacker.get("/api/v1/cases", headers=AUTH)).status_code == 200  # the right token passes
        assert (await neighbour.get("/api/v1/cases", headers=wrong)).status_code == 401  # another address
        assert (await attacker.get("/openapi.json")).status_code == 200  # the description needs no token
        clock.advance(seconds=40)
        assert (await attacker.get("/api/v1/cases", headers=wrong)).status_code == 401


async def test_headers_name_no_versions_and_personal_data_is_not_cached(live_api: str, number: str) -> None:
    async with httpx.AsyncClient(base_url=live_api) as client:
        answers = [await client.get(f"/api/v1/cases/{number}", headers=AUTH), await client.get("/api/v1/cases"),
                   await client.get("/api/v1/nowhere", headers=AUTH), await client.get("/openapi.json"),
                   await client.get("/health"), await client.delete("/api/v1/cases", headers=AUTH)]
    assert [a.status_code for a in answers] == [200, 401, 404, 200, 200, 405]
    for answer in answers:
        assert "server" not in answer.headers
        assert not [v for v in answer.headers.values() if any(n in v.lower() for n in ("uvicorn", "python", "fastapi"))]
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert set(answer.json()) >= ({"status"} if answer.url.path == "/health" else {"info"}
                                      if answer.url.path == "/openapi.json" else {"number"}
                                      if answer.status_code == 200 else {"error", "message"})
    assert all(a.headers["cache-control"] == "no-store" for a in answers if a.url.path.startswith("/api/"))
    assert answers[-1].headers["allow"] == "GET"


async def test_health_says_the_database_takes_a_write(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    ok = await api.get("/health")
    assert ok.status_code == 200 and ok.json() == {"status": "ok", "database": "ok"}

    await engine.dispose()  # connections opened from now on refuse to write

    @event.listens_for(engine.sync_engine, "connect")
    def read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()  # a SET in a transaction rolled back would be undone

    failing = await api.get("/health")
    assert failing.status_code == 503 and failing.json()["status"] == "failing"
    assert failing.json()["database"] != "ok"
    assert (await api.get("/api/v1/cases", headers=AUTH)).status_code == 200  # reading still works


async def test_a_full_disk_is_a_json_503(api: httpx.AsyncClient, app: App, engine: AsyncEngine, number: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    move = f"/api/v1/cases/{number}/actions"
    if engine.dialect.name == "sqlite":  # the database file may not grow: SQLite says "database or disk is full"
        await engine.dispose()

        @event.listens_for(engine.sync_engine, "connect")
        def no_room(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA page_count")
            cursor.execute(f"PRAGMA max_page_count = {cursor.fetchone()[0]}")
            cursor.close()

        full = await api.post(move, headers=AUTH, json={"action": "return", "comment": "причина " * 250})
        assert full.status_code == 503 and full.json()["error"] == "unavailable" and full.headers["Retry-After"]
        event.remove(engine.sync_engine, "connect", no_room)
        await engine.dispose()

    async def no_space(self: Repositories) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Repositories, "commit", no_space)
    full = await api.post(move, headers=AUTH, json={"action": "accept"})
    assert full.status_code == 503 and full.json()["error"] == "unavailable"
    monkeypatch.undo()
    assert (await api.post(move, headers=AUTH, json={"action": "accept"})).status_code == 200


async def test_a_file_store_that_cannot_be_read_is_a_json_503(api: httpx.AsyncClient, app: App, number: str,
                                                              settings: Settings,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    async with app.sessions() as session:
        attachment = (await session.scalars(select(Attachment))).one()
        attachment.stored_path = f"{number}/1-military_id.jpg"
        await session.commit()
    path = Path(settings.file_store_dir) / number / "1-military_id.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8 jpeg")
    real_stat = os.stat

    def failing_stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("1-military_id.jpg"):
            raise OSError(errno.EIO, "Input/output error")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", failing_stat)
    response = await api.get(f"/api/v1/attachments/{attachment.id}/content", headers=AUTH)
    assert response.status_code == 503 and response.json()["error"] == "unavailable"


async def test_docs_load_nothing_from_the_internet(api: httpx.AsyncClient) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assets = [a for a in page.text.replace("'", '"').split('"') if a.endswith((".js", ".css", ".png"))]
    assert assets and all(a.startswith("/") for a in assets), assets
    assert "http://" not in page.text and "https://" not in page.text
    for asset in assets:
        assert (await api.get(asset)).status_code == 200


@pytest.mark.parametrize("url", ["postgresql+asyncpg://postgres@127.0.0.1:1/kenes", "sqlite+aiosqlite:///{tmp}"])
async def test_a_database_out_of_reach_is_a_json_503(registry: RegistryContext, clock: FakeClock, tmp_path: Path,
                                                     url: str) -> None:
    engine = create_engine(url.format(tmp=tmp_path))  # port 1 refuses; a folder is no SQLite file
    units = dataclasses.replace(registry.units, sessions=create_session_factory(engine, clock))
    gone = dataclasses.replace(registry, units=units)
    transport = httpx.ASGITransport(app=create_app(gone, AUTH["Authorization"].split()[1]))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        health = await client.get("/health")
        listing = await client.get("/api/v1/cases", headers=AUTH)
        move = await client.post("/api/v1/cases/26-000001/actions", headers=AUTH, json={"action": "accept"})
    await engine.dispose()
    assert health.status_code == 503 and health.json()["database"].startswith("unavailable")
    for answer in (listing, move):
        assert answer.status_code == 503 and answer.json()["error"] == "unavailable", answer.text
        assert "database" in answer.json()["message"] and answer.headers["Retry-After"]
