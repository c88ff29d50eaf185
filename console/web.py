"""What every console page shares: the signed-in staff member, CSRF, the client's address,
the language, rendering, and the headers every answer carries."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import SUPPORTED_LOCALES
from domain.catalog import Catalog, Office, Standard
from domain.clock import Clock
from domain.deadlines import WorkingCalendar
from presentation.rendering import Renderer
from services.staff import AuditTrail, Roles, Session, Sessions, SignInLinks, Staff
from services.unit import UnitFactory
from storage.database import SessionFactory

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "kenes_console"
LANG_COOKIE = "kenes_lang"
MAX_FORM = 16 * 1024


@dataclass
class ConsoleContext:
    """What the console needs, built once by the application."""

    units: UnitFactory  # the services, built as the bot and the registry API build them
    file_store: Path
    i18n: I18n
    roles: Roles
    links: SignInLinks
    staff_sessions: Sessions
    default_locale: str = "kk"
    secure_cookies: bool = False
    trust_proxy: bool = False

    @property
    def sessions(self) -> SessionFactory:
        return self.units.sessions

    @property
    def catalog(self) -> Catalog:
        return self.units.catalog

    @property
    def calendar(self) -> WorkingCalendar:
        return self.units.calendar

    @property
    def clock(self) -> Clock:
        return self.units.clock

    def __post_init__(self) -> None:
        self.audit = AuditTrail(self.clock)
        self.renderer = Renderer(self.i18n, directory=TEMPLATES)
        self.offices: dict[str, tuple[Standard, Office]] = {
            o.id: (s, o) for s in self.catalog.standards.values() for o in self.catalog.offices_of(s.id)}


class Refused(Exception):
    """The request is outside the staff member's role (403), or names nothing (404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotSignedIn(Exception):
    """No valid session: the page says how to get a link."""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def client_address(request: Request, trust_proxy: bool) -> str:
    """The client's address: the first of X-Forwarded-For only behind a configured proxy."""
    if trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else "unknown"


def is_https(request: Request, trust_proxy: bool) -> bool:
    if trust_proxy and request.headers.get("x-forwarded-proto", "").lower() == "https":
        return True
    return request.url.scheme == "https"


def locale_of(request: Request, default: str) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or default
    return chosen if chosen in SUPPORTED_LOCALES else default


class ConsoleLayer:
    """The outermost layer: the request's language set for gettext (the same catalogs as the
    bot), and the headers every answer carries: no sniffing, no framing, no referrer to other sites (a
    sign-in link must not leak), nothing from elsewhere (CSP), pages not cached."""

    def __init__(self, app: ASGIApp, i18n: I18n, default_locale: str) -> None:
        self.app = app
        self.i18n = i18n
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale = locale_of(Request(scope), self.default_locale)
        static = scope["path"].startswith("/console/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"server"]
                headers += [
                    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy",
                     b"default-src 'self'; img-src 'self' data:; object-src 'self'; frame-ancestors 'none'; "
                     b"form-action 'self'; base-uri 'none'"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        with self.i18n.context(), self.i18n.use_locale(locale):
            await self.app(scope, receive, sending)


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (small; the first value of each field)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise Refused(413, _("The form is too large."))
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, _("The form could not be read.")) from None
    return {key: values[0] for key, values in fields.items()}


def check_csrf(request: Request, session: Session, form: dict[str, str]) -> None:
    """The form carries the session's token, and comes from this site (Origin, when sent)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Refused(403, _("The form came from another site; it was not accepted."))
    if not hmac.compare_digest(form.get("csrf", ""), session.csrf):
        raise Refused(403, _("The form has expired; open the page again and repeat."))


@dataclass(frozen=True)
class Visitor:
    """The signed-in staff member of a request."""

    staff: Staff
    session: Session
    origin: str


def render(context: ConsoleContext, template: str, visitor: Visitor | None, code: int = 200,
           **values: Any) -> HTMLResponse:
    locale = context.i18n.current_locale
    html = context.renderer.env.get_template(template).render(
        locale=locale, locales=SUPPORTED_LOCALES, me=visitor.staff if visitor else None,
        csrf=visitor.session.csrf if visitor else "", **values)
    return HTMLResponse(html, status_code=code)
