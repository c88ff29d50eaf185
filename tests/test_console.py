"""The staff console through its real FastAPI application (httpx over ASGI): sign-in by a
one-time link from the bot, sessions, CSRF, roles (no personal data outside the office that
handles it), moves with the same rules and notices as Telegram, scans, and the audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from config import Settings, load_settings
from console.app import create_console
from console.web import ConsoleContext
from domain.lifecycle import Action
from services.cases import NewApplication, NewAttachment
from services.staff import links_from, roles_from, sessions_from
from storage.models import AuditEntry, OutboxMessage
from storage.repositories import Repositories
from tests.conftest import CLERK_ID, REDIS_URL, TEST_SETTINGS, App, FakeClock

SUPERVISOR = 900002
OTHER_CLERK = 900003  # a clerk of Almaty's centre
SECRET = "console-secret-for-the-test-suite-0123456789"
APPLICANT = {"name": "Ахметов Ерлан", "iin": "900101300126", "phone": "+77011234567"}
STANDARD = "psc_military_service_certificate"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(**{**TEST_SETTINGS, "clerk_ids": f"{CLERK_ID},{OTHER_CLERK}"},  # type: ignore[arg-type]
                         database_url=database_url, redis_url=REDIS_URL or "", file_store_dir=str(tmp_path / "files"),
                         console_enabled=True, console_secret=SECRET, supervisor_ids=str(SUPERVISOR),
                         clerk_offices=f"{CLERK_ID}=psc_aktau;{OTHER_CLERK}=psc_astana_almaty_1")


@pytest.fixture
def context(app: App, settings: Settings, clock: FakeClock) -> ConsoleContext:
    s = app.services
    links = links_from(settings, clock)
    assert links is not None
    return ConsoleContext(units=s.units(app.sessions), file_store=settings.file_store_dir, i18n=s.i18n,
                          roles=roles_from(settings), links=links, staff_sessions=sessions_from(settings, clock),
                          default_locale="ru")


def client_of(context: ConsoleContext) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_console(context), client=("10.0.0.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://console")


@pytest.fixture
async def web(context: ConsoleContext) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(context) as client:
        yield client


async def link(context: ConsoleContext, user_id: int) -> str:
    async with context.sessions() as session:
        repositories = Repositories(session)
        token = await context.links.issue(repositories, user_id)
        await repositories.commit()
        return token


async def sign_in(web: httpx.AsyncClient, context: ConsoleContext, user_id: int) -> None:
    token = await link(context, user_id)
    page = await web.get("/console/signin", params={"token": token})
    assert page.status_code == 200 and 'name="token"' in page.text
    response = await web.post("/console/signin", data={"token": token})
    assert response.status_code == 303, response.text


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "no form with a CSRF token on the page"
    return match.group(1)


async def submit(app: App, office: str = "psc_aktau", user_id: int = 7001) -> str:
    async with app.sessions() as session:
        repositories = Repositories(session)
        user = await repositories.users.touch(user_id)
        await repositories.users.set_language(user, "ru")
        await repositories.commit()
        case = await app.services.units(app.sessions).over(repositories.session).cases.submit(NewApplication(
            user_id=user_id, standard_id=STANDARD, office_id=office, language="ru", applicant=APPLICANT,
            attachments=[NewAttachment("military_id", "file-1", "uniq-1", "document", "application/pdf", "scan.pdf",
                                       2048)]))
        return case.number or ""


async def audit(app: App) -> list[AuditEntry]:
    async with app.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_a_link_works_once_and_for_a_few_minutes(web: httpx.AsyncClient, context: ConsoleContext,
                                                       clock: FakeClock) -> None:
    token = await link(context, CLERK_ID)
    assert (await web.post("/console/signin", data={"token": token})).status_code == 303
    cookie = web.cookies.get("kenes_console")
    assert cookie
    again = await web.post("/console/signin", data={"token": token})
    assert again.status_code == 401 and "не работает" in again.text

    late = await link(context, CLERK_ID)
    clock.advance(minutes=5, seconds=1)
    assert (await web.post("/console/signin", data={"token": late})).status_code == 401

    forged = (await link(context, CLERK_ID)).split(".")[0] + ".AAAA"
    assert (await web.post("/console/signin", data={"token": forged})).status_code == 401


async def test_the_session_cookie_is_http_only_strict_and_expires(web: httpx.AsyncClient, context: ConsoleContext,
                                                                  clock: FakeClock) -> None:
    token = await link(context, CLERK_ID)
    response = await web.post("/console/signin", data={"token": token})
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/console" in header
    assert "secure" not in header  # plain http here; https (CONSOLE_URL or a trusted proxy) sets it
    assert (await web.get("/console/cases")).status_code == 200
    clock.advance(hours=8, seconds=1)
    expired = await web.get("/console/cases")
    assert expired.status_code == 401 and "/console" in expired.text


async def test_behind_a_trusted_proxy_the_cookie_is_secure(context: ConsoleContext) -> None:
    context.trust_proxy = True
    async with client_of(context) as web:
        token = await link(context, CLERK_ID)
        response = await web.post("/console/signin", data={"token": token},
                                  headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.5"})
        assert "secure" in response.headers["set-cookie"].lower()
    entries = [e for e in await audit_of(context) if e.action == "signin"]
    assert entries[-1].origin == "192.0.2.5"


async def audit_of(context: ConsoleContext) -> list[AuditEntry]:
    async with context.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_forwarded_headers_are_ignored_unless_configured(web: httpx.AsyncClient, context: ConsoleContext) -> None:
    token = await link(context, CLERK_ID)
    response = await web.post("/console/signin", data={"token": token},
                              headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.5"})
    assert "secure" not in response.headers["set-cookie"].lower()
    assert [e.origin for e in await audit_of(context) if e.action == "signin"] == ["10.0.0.7"]


async def test_a_clerk_sees_their_office_only(app: App, web: httpx.AsyncClient, context: ConsoleContext) -> None:
    ours = await submit(app, "psc_aktau")
    theirs = await submit(app, "psc_astana_almaty_1", user_id=7002)
    await sign_in(web, context, CLERK_ID)
    listing = await web.get("/console/cases")
    assert ours in listing.text and theirs not in listing.text and "Ахметов Ерлан" in listing.text
    assert theirs not in (await web.get("/console/cases", params={"office": "psc_astana_almaty_1"})).text
    found = await web.get("/console/cases", params={"q": "ахметов"})
    assert ours in found.text and theirs not in found.text
    assert ours in (await web.get("/console/cases", params={"q": ours})).text
    refused = await web.get(f"/console/cases/{theirs}")
    assert refused.status_code == 403 and "Ахметов" not in refused.text and "900101300126" not in refused.text
    page = await web.get(f"/console/cases/{ours}")
    assert page.status_code == 200 and "900101300126" in page.text and "/console/scans/" not in page.text
    assert (await web.get("/console/audit")).status_code == 403
    actions = [(e.action, e.target, e.actor) for e in await audit(app)]
    assert ("refused", f"case:{theirs}", f"clerk:{CLERK_ID}") in actions
    assert ("case.view", f"case:{ours}", f"clerk:{CLERK_ID}") in actions


async def test_a_supervisor_sees_every_office_without_personal_data(app: App, web: httpx.AsyncClient,
                                                                    context: ConsoleContext) -> None:
    ours = await submit(app, "psc_aktau")
    theirs = await submit(app, "psc_astana_almaty_1", user_id=7002)
    await sign_in(web, context, SUPERVISOR)
    pages = [await web.get("/console/cases"), await web.get(f"/console/cases/{ours}"),
             await web.get(f"/console/cases/{theirs}"), await web.get("/console/cases", params={"q": "Ахметов"}),
             await web.get("/console/complaints"), await web.get("/console/audit")]
    assert all(p.status_code == 200 for p in pages)
    assert ours in pages[0].text and theirs in pages[0].text
    for page in pages:
        assert "Ахметов" not in page.text.replace('value="Ахметов"', "") and "900101300126" not in page.text
        assert "+77011234567" not in page.text and "/console/scans/" not in page.text
    assert 'id="moves"' not in pages[1].text
    refused = await web.post(f"/console/cases/{ours}/move", data={"csrf": csrf_of(pages[1]), "action": "accept"})
    assert refused.status_code == 403
    async with app.sessions() as session:
        case = await app.services.units(app.sessions).over(session).cases.get(ours)
        attachment_id = case.attachments[0].id
        assert case.status == "submitted"
    assert (await web.get(f"/console/scans/{attachment_id}")).status_code == 403


async def test_moves_need_the_csrf_token_and_notify_the_applicant(app: App, web: httpx.AsyncClient,
                                                                  context: ConsoleContext) -> None:
    number = await submit(app)
    await sign_in(web, context, CLERK_ID)
    page = await web.get(f"/console/cases/{number}")
    assert 'value="accept"' in page.text and 'value="ready"' not in page.text
    assert (await web.post(f"/console/cases/{number}/move", data={"action": "accept"})).status_code == 403
    assert (await web.post(f"/console/cases/{number}/move", data={"action": "accept", "csrf": "forged"})
            ).status_code == 403
    elsewhere = await web.post(f"/console/cases/{number}/move", data={"action": "accept", "csrf": csrf_of(page)},
                               headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    moved = await web.post(f"/console/cases/{number}/move", data={"action": "accept", "csrf": csrf_of(page)})
    assert moved.status_code == 303
    after = await web.get(moved.headers["location"])
    assert "Выполнено." in after.text and "в работе" in after.text.lower()
    async with app.sessions() as session:
        notices = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == 7001)))
    assert any(f"№ {number} принято в работу" in n.text for n in notices)
    # The same rules as in Telegram: a return needs written reasons.
    refused = await web.post(f"/console/cases/{number}/move", data={"action": "return", "csrf": csrf_of(after)})
    assert refused.status_code == 409 and "причины" in refused.text
    returned = await web.post(f"/console/cases/{number}/move",
                              data={"action": "return", "csrf": csrf_of(after), "comment": "Нет копии удостоверения"})
    assert returned.status_code == 303
    entries = [(e.source, e.action, e.detail.get("from_status")) for e in await audit(app)]
    assert ("console", "case.accept", "submitted") in entries and ("console", "case.return", "in_work") in entries
    assert all("Ахметов" not in str(vars(e)) and "900101300126" not in str(vars(e)) for e in await audit(app))


async def test_a_scan_opens_in_the_browser(app: App, web: httpx.AsyncClient, context: ConsoleContext,
                                           settings: Settings, clock: FakeClock) -> None:
    number = await submit(app)
    store = settings.file_store_dir
    (store / "scans").mkdir(parents=True)
    (store / "scans" / "scan.pdf").write_bytes(b"%PDF-1.4 test scan")
    async with app.sessions() as session:
        repositories = Repositories(session)
        case = await app.services.units(app.sessions).over(repositories.session).cases.get(number)
        attachment_id = case.attachments[0].id
        await repositories.attachments.stored(attachment_id, "scans/scan.pdf", "application/pdf", clock())
        await repositories.commit()
    await sign_in(web, context, CLERK_ID)
    assert f"/console/scans/{attachment_id}" in (await web.get(f"/console/cases/{number}")).text
    scan = await web.get(f"/console/scans/{attachment_id}")
    assert scan.status_code == 200 and scan.content == b"%PDF-1.4 test scan"
    assert scan.headers["content-type"] == "application/pdf"
    assert scan.headers["content-disposition"].startswith("inline")
    assert scan.headers["x-content-type-options"] == "nosniff"
    assert ("scan.open", f"scan:{attachment_id}") in [(e.action, e.target) for e in await audit(app)]


async def test_another_offices_clerk_cannot_open_the_scan(app: App, web: httpx.AsyncClient,
                                                          context: ConsoleContext) -> None:
    number = await submit(app)
    async with app.sessions() as session:
        attachment_id = (await app.services.units(app.sessions).over(session).cases.get(number)).attachments[0].id
    await sign_in(web, context, OTHER_CLERK)
    assert (await web.get(f"/console/scans/{attachment_id}")).status_code == 403
    assert number not in (await web.get("/console/cases")).text


async def test_the_other_pages_answer_in_both_languages(app: App, web: httpx.AsyncClient,
                                                        context: ConsoleContext) -> None:
    await sign_in(web, context, CLERK_ID)
    for path in ("/console/cases", "/console/complaints", "/console/visits", "/console/handoffs"):
        page = await web.get(path)
        assert page.status_code == 200 and "Заявления" in page.text, path
        assert page.headers["cache-control"] == "no-store"
    chosen = await web.get("/console/language/kk", headers={"Referer": "http://console/console/visits?date=x"})
    assert chosen.headers["location"] == "/console/visits?date=x"
    elsewhere = await web.get("/console/language/kk", headers={"Referer": "https://evil.example/console/x"})
    assert elsewhere.headers["location"] == "/console/"
    assert "Өтініштер" in (await web.get("/console/cases")).text


async def test_not_signed_in_pages_say_how_to_sign_in(web: httpx.AsyncClient) -> None:
    for path in ("/console/cases", "/console/audit", "/console/cases/26-000001", "/console/scans/1"):
        response = await web.get(path)
        assert response.status_code == 401 and "/console" in response.text


async def test_the_audit_log_cannot_be_changed(app: App, web: httpx.AsyncClient, context: ConsoleContext) -> None:
    await sign_in(web, context, CLERK_ID)
    async with app.sessions() as session:
        for statement in ("UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"):
            with pytest.raises((DBAPIError, IntegrityError)):
                await session.execute(text(statement))
            await session.rollback()
    assert [e.actor for e in await audit(app)] == [f"clerk:{CLERK_ID}"]


async def test_console_command_sends_a_link_to_staff_only(app: App, context: ConsoleContext) -> None:
    stranger = app.client(user_id=4242, language_code="ru")
    await stranger.send("/console")
    assert "доступно только сотрудникам" in stranger.last.text
    clerk = app.client(user_id=CLERK_ID, language_code="ru", first_name="Асель")
    await clerk.send("/console")
    message = clerk.last.text
    assert "работает один раз" in message
    url = re.search(r"https?://\S+", message)
    assert url and "/console/signin?token=" in url.group(0)
    token = url.group(0).split("token=")[1]
    async with client_of(context) as web:
        assert (await web.post("/console/signin", data={"token": token})).status_code == 303
        assert (await web.get("/console/cases")).status_code == 200
    assert [(e.source, e.action) for e in await audit(app)] == [("telegram", "console.link"), ("console", "signin")]


async def test_telegram_and_api_actions_reach_the_audit_page(app: App, web: httpx.AsyncClient,
                                                             context: ConsoleContext, settings: Settings) -> None:
    from api.app import RegistryContext, create_app

    number = await submit(app)
    clerk = app.client(user_id=CLERK_ID, language_code="ru", first_name="Асель")
    await clerk.send(f"/case {number}")
    await clerk.click("Принять")
    registry = RegistryContext(units=app.services.units(app.sessions), file_store=settings.file_store_dir)
    transport = httpx.ASGITransport(app=create_app(registry, "registry-token"), client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry",
                                 headers={"Authorization": "Bearer registry-token"}) as api:
        assert (await api.get(f"/api/v1/cases/{number}")).status_code == 200
        moved = await api.post(f"/api/v1/cases/{number}/actions", json={"action": "ready", "actor": "backoffice"})
        assert moved.status_code == 200
    entries = [(e.source, e.actor, e.origin, e.action, e.target) for e in await audit(app)]
    assert ("telegram", f"clerk:{CLERK_ID}", "telegram", "case.view", f"case:{number}") in entries
    assert ("telegram", f"clerk:{CLERK_ID}", "telegram", "case.accept", f"case:{number}") in entries
    assert ("api", "api:registry", "token:registry", "case.view", f"case:{number}") in entries
    assert ("api", "api:backoffice", "token:registry", "case.ready", f"case:{number}") in entries
    await sign_in(web, context, SUPERVISOR)
    page = await web.get("/console/audit")
    assert page.status_code == 200 and "case.accept" in page.text and "api:backoffice" in page.text
    only_api = await web.get("/console/audit", params={"source": "api"})
    assert "api:backoffice" in only_api.text and f"clerk:{CLERK_ID}</td>" not in only_api.text
    assert "Асель" not in page.text and "Ахметов" not in page.text


def test_console_settings() -> None:
    from config import SettingsError

    with pytest.raises(SettingsError, match="CONSOLE_SECRET is not set"):
        load_settings(bot_token=TEST_SETTINGS["bot_token"], console_enabled=True, _env_file=None)
    with pytest.raises(SettingsError, match=r"CONSOLE_SECRET (must be )?at least 32"):
        load_settings(bot_token=TEST_SETTINGS["bot_token"], console_secret="short", _env_file=None)
    with pytest.raises(SettingsError, match="CLERK_OFFICES"):
        load_settings(bot_token=TEST_SETTINGS["bot_token"], clerk_offices="900001:psc_aktau", _env_file=None)
    settings = load_settings(bot_token=TEST_SETTINGS["bot_token"], _env_file=None, clerk_ids="1,2",
                             clerk_offices="1=psc_aktau, psc_atyrau;2=*", supervisor_ids="3")
    assert settings.console_enabled is False and settings.console_base_url == "http://127.0.0.1:8082"
    roles = roles_from(settings)
    one, two, three = roles.of(1), roles.of(2), roles.of(3)
    assert one and one.may_handle("psc_atyrau") and not one.may_handle("psc_astana_almaty_1")
    assert two and two.may_handle("psc_astana_almaty_1") and not two.supervisor
    assert three and three.supervisor and not three.may_handle("psc_aktau") and three.may_see("psc_aktau")
    assert roles.of(4) is None


async def register_complaint(app: App, office: str = "psc_aktau", user_id: int = 7001) -> str:
    from services.complaints import NewComplaint

    async with app.sessions() as session:
        repositories = Repositories(session)
        user = await repositories.users.touch(user_id)
        await repositories.users.set_language(user, "ru")
        await repositories.commit()
        complaint = await app.services.units(app.sessions).over(repositories.session).complaints.register(NewComplaint(
            user_id=user_id, standard_id=STANDARD, office_id=office, topic="courtesy", language="ru",
            text="Сотрудник грубо разговаривал и отказался принять документы.",
            complainant={"name": "Ахметов Ерлан", "phone": "+77011234567"}))
        return complaint.number or ""


async def test_complaints_are_answered_as_in_telegram(app: App, web: httpx.AsyncClient,
                                                      context: ConsoleContext) -> None:
    number = await register_complaint(app)
    other = await register_complaint(app, "psc_astana_almaty_1", user_id=7002)
    await sign_in(web, context, CLERK_ID)
    listing = await web.get("/console/complaints")
    assert number in listing.text and other not in listing.text
    assert (await web.get(f"/console/complaints/{other}")).status_code == 403
    page = await web.get(f"/console/complaints/{number}")
    assert "грубо разговаривал" in page.text and 'value="take"' in page.text
    taken = await web.post(f"/console/complaints/{number}/move", data={"action": "take", "csrf": csrf_of(page)})
    assert taken.status_code == 303
    page = await web.get(taken.headers["location"])
    no_text = await web.post(f"/console/complaints/{number}/move",
                             data={"action": "answer", "outcome": "upheld", "csrf": csrf_of(page)})
    assert no_text.status_code == 409 and "текст ответа" in no_text.text
    answered = await web.post(f"/console/complaints/{number}/move", data={
        "action": "answer", "outcome": "upheld", "comment": "Сотруднику объявлен выговор.", "csrf": csrf_of(page)})
    assert answered.status_code == 303
    async with app.sessions() as session:
        notices = [m.text for m in await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == 7001))]
    assert any("Сотруднику объявлен выговор." in n for n in notices)

    async with client_of(context) as supervisor:
        await sign_in(supervisor, context, SUPERVISOR)
        seen = await supervisor.get(f"/console/complaints/{number}")
        assert seen.status_code == 200 and 'id="no-personal"' in seen.text
        assert "грубо" not in seen.text and "выговор" not in seen.text and "Ахметов" not in seen.text
        assert (await supervisor.post(f"/console/complaints/{number}/move",
                                      data={"action": "take", "csrf": csrf_of(seen)})).status_code == 403


async def test_the_visits_board(app: App, web: httpx.AsyncClient, context: ConsoleContext, clock: FakeClock) -> None:
    from datetime import timedelta

    from storage.models import Booking

    async with app.sessions() as session:
        repositories = Repositories(session)
        for user_id in (7001, 7002, 7003):
            await repositories.users.touch(user_id)
        await repositories.commit()
        for i, user_id in enumerate((7001, 7002, 7003)):
            session.add(Booking(number=f"B-00000{i + 1}", user_id=user_id, service_id="military_service_certificate",
                                standard_id=STANDARD, office_id="psc_aktau", seat=0, status="active", language="ru",
                                starts_at=clock() - timedelta(minutes=60 - 15 * i), created_at=clock(),
                                updated_at=clock()))
        await repositories.commit()
    await sign_in(web, context, CLERK_ID)
    board = await web.get("/console/visits", params={"office": "psc_aktau"})
    assert board.status_code == 200 and "Ожидаются (3)" in board.text and "Сегодня ещё никого" in board.text
    for number, event in (("B-000001", "arrived"), ("B-000001", "served"), ("B-000002", "no_show"),
                          ("B-000003", "arrived")):
        marked = await web.post(f"/console/visits/{number}/mark", data={"event": event, "csrf": csrf_of(board)})
        assert marked.status_code == 303, (number, event, marked.text)
        clock.advance(minutes=10)
    board = await web.get("/console/visits", params={"office": "psc_aktau"})
    assert "Ожидают (1)" in board.text and "Обслуживаются (1)" in board.text and "Не пришли (1)" in board.text
    assert "Обслужено: 1" in board.text
    async with client_of(context) as other:
        await sign_in(other, context, OTHER_CLERK)
        assert (await other.post("/console/visits/B-000003/mark",
                                 data={"event": "served", "csrf": csrf_of(await other.get("/console/cases"))})
                ).status_code == 403


async def test_signing_out(web: httpx.AsyncClient, context: ConsoleContext) -> None:
    await sign_in(web, context, CLERK_ID)
    page = await web.get("/console/cases")
    assert (await web.post("/console/signout", data={})).status_code == 403  # a form without the token
    out = await web.post("/console/signout", data={"csrf": csrf_of(page)})
    assert out.status_code == 200 and "Вы вышли" in out.text and 'kenes_console=""' in out.headers["set-cookie"]
    assert (await web.get("/console/cases")).status_code == 401


# Indicators ----------------------------------------------------------------------------------------

def count_of(page: httpx.Response, code: str) -> str:
    """The "N of M" under an indicator's share on the page."""
    row = re.search(rf'<tr id="indicator-{re.escape(code)}">(.*?)</tr>', page.text, re.S)
    assert row, f"no row for {code}"
    found = re.search(r'<span class="count">([^<]*)</span>', row.group(1))
    return found.group(1) if found else ""


async def move_case(app: App, number: str, *actions: str) -> None:
    for action in actions:
        async with app.sessions() as session:
            await app.services.units(app.sessions).over(session).cases.transition(number, Action(action),
                                                                              f"clerk:{CLERK_ID}")


async def test_an_indicator_changes_after_a_case_is_served_on_time(app: App, web: httpx.AsyncClient,
                                                                   context: ConsoleContext, clock: FakeClock) -> None:
    await sign_in(web, context, CLERK_ID)
    page = await web.get("/console/indicators", params={"standard": STANDARD})
    assert page.status_code == 200 and 'href="/console/indicators"' in page.text
    assert 'value="2026-Q4" selected' in page.text and 'value="2026-11"' in page.text
    assert count_of(page, "1.1") == "0 из 0" and "за период нет данных" in page.text
    assert "<svg" in page.text and "http" not in page.text.split("<svg", 1)[1].split("</svg>")[0]

    number = await submit(app)
    await move_case(app, number, "accept")
    clock.advance(days=1)
    await move_case(app, number, "ready")
    await sign_in(web, context, CLERK_ID)  # a day later: the session has expired
    served = await web.get("/console/indicators",
                           params={"standard": STANDARD, "office": "psc_aktau", "period": "2026-11"})
    assert served.status_code == 200, served.text[-1500:]
    row = re.search(r'<tr id="indicator-1.1">(.*?)</tr>', served.text, re.S)
    assert row and count_of(served, "1.1") == "1 из 1" and "100" in row.group(1) and "достигнут" in row.group(1)
    assert "≥ 95" in row.group(1) and "80" in row.group(1)
    assert "<rect" in row.group(1) and "2026-11: 100" in row.group(1)
    not_measured = re.search(r'<tr id="indicator-2.2">(.*?)</tr>', served.text, re.S)
    assert not_measured and "Kenes не учитывает ошибки" in not_measured.group(1)
    assert APPLICANT["name"] not in served.text and APPLICANT["iin"] not in served.text
    # December holds nothing yet; the year holds November
    december = await web.get("/console/indicators", params={"standard": STANDARD, "period": "2026-12"})
    year = await web.get("/console/indicators", params={"standard": STANDARD, "period": "2026"})
    assert count_of(december, "1.1") == "0 из 0" and count_of(year, "1.1") == "1 из 1"


async def test_indicators_are_refused_outside_the_role(app: App, web: httpx.AsyncClient,
                                                       context: ConsoleContext) -> None:
    assert (await web.get("/console/indicators")).status_code == 401
    assert (await web.get("/console/indicators.xlsx")).status_code == 401
    await sign_in(web, context, CLERK_ID)
    page = await web.get("/console/indicators")
    assert 'value="psc_aktau"' in page.text and 'value="psc_astana_almaty_1"' not in page.text
    assert _all_offices_option(page) is False
    for path in ("/console/indicators", "/console/indicators.csv", "/console/indicators.xlsx"):
        refused = await web.get(path, params={"office": "psc_astana_almaty_1"})
        assert refused.status_code == 403, path
    assert (await web.get("/console/indicators", params={"office": "nowhere"})).status_code == 404
    entries = [e for e in await audit(app) if e.action == "refused"]
    assert {e.detail.get("attempted") for e in entries} >= {"indicators.view", "indicators.export"}

    async with client_of(context) as supervisor:
        await sign_in(supervisor, context, SUPERVISOR)
        every = await supervisor.get("/console/indicators", params={"standard": STANDARD})
        assert every.status_code == 200 and _all_offices_option(every)
        assert 'value="psc_astana_almaty_1"' in every.text and "Все учреждения" in every.text
        other = await supervisor.get("/console/indicators", params={"office": "psc_astana_almaty_1"})
        assert other.status_code == 200


def _all_offices_option(page: httpx.Response) -> bool:
    return '<option value="">' in page.text


@pytest.mark.parametrize(("locale", "title", "met"), [
    ("ru", "Показатели качества и доступности стандарта", "достигнут"),
    ("kk", "Стандарттың сапа және қолжетімділік көрсеткіштері", "орындалды"),
])
async def test_indicators_download_as_csv_and_xlsx(app: App, web: httpx.AsyncClient, context: ConsoleContext,
                                                   clock: FakeClock, locale: str, title: str, met: str) -> None:
    number = await submit(app)
    await move_case(app, number, "accept", "ready")
    await sign_in(web, context, CLERK_ID)
    params = {"standard": STANDARD, "office": "psc_aktau", "period": "2026-Q4", "lang": locale}
    page = await web.get("/console/indicators", params=params)
    assert 'href="/console/indicators.xlsx?' in page.text

    got = await web.get("/console/indicators.csv", params=params)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"] == 'attachment; filename="indicators-psc_aktau-2026-Q4.csv"'
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0] == [title]
    row = next(r for r in rows if r and r[0] == "1.1")
    assert row[1] == app.services.catalog.indicators["1.1"].name.get(locale) and row[6:10] == ["100.0", "1", "1", met]

    book = await web.get("/console/indicators.xlsx", params=params)
    assert book.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="indicators-psc_aktau-2026-Q4.xlsx"' in book.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    assert sheet["A1"].value == title
    cells = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "1.1")
    assert cells[4:10] == (95, 80, 100, 1, 1, met)
    assert not any(APPLICANT["iin"] in str(c) for r in sheet.iter_rows(values_only=True) for c in r)
