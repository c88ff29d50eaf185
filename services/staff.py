"""Staff of the console: who may do what (roles), the one-time sign-in links the bot sends,
the signed session cookies, and the audit log every staff action is written to.

Roles come from the settings (see the README's Console section):

* a **clerk** is in ``CLERK_IDS``; ``CLERK_OFFICES`` names their offices (``*``: all). A clerk
  sees and moves the cases, complaints and visits of their offices, personal data included;
  a clerk with no entry in ``CLERK_OFFICES`` has no office.
* a **supervisor** is in ``SUPERVISOR_IDS``: every office, read-only, without the applicants'
  personal data, plus the audit log (and the indicators).

Both the Telegram handler (which issues links) and the console (which redeems them) use this
module, which is why it lives below them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from config import Settings
from domain.clock import Clock
from storage.models import AuditEntry, ConsoleLink
from storage.repositories import Repositories

ALL = "*"


@dataclass(frozen=True)
class Staff:
    """A signed-in member of staff and what their role allows."""

    user_id: int
    clerk_offices: frozenset[str] = frozenset()  # ALL in it: every office
    supervisor: bool = False

    @property
    def actor(self) -> str:
        """How their moves are recorded (id only: a name is personal data)."""
        return f"clerk:{self.user_id}"

    def may_handle(self, office_id: str) -> bool:
        """Whether they work the office's cases: personal data, scans and moves."""
        return ALL in self.clerk_offices or office_id in self.clerk_offices

    def may_see(self, office_id: str) -> bool:
        return self.supervisor or self.may_handle(office_id)

    def visible_offices(self, every: Collection[str]) -> frozenset[str] | None:
        """The offices whose lists they see; None: all of them."""
        if self.supervisor or ALL in self.clerk_offices:
            return None
        return frozenset(self.clerk_offices) & frozenset(every)


@dataclass(frozen=True)
class Roles:
    """Roles as configured: clerks, their offices, supervisors."""

    clerk_ids: frozenset[int]
    supervisor_ids: frozenset[int] = frozenset()
    clerk_offices: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def of(self, user_id: int) -> Staff | None:
        """The staff role of a Telegram user, or None for anyone else."""
        supervisor = user_id in self.supervisor_ids
        offices = self.clerk_offices.get(user_id, frozenset()) if user_id in self.clerk_ids else frozenset()
        if not supervisor and user_id not in self.clerk_ids:
            return None
        return Staff(user_id=user_id, clerk_offices=frozenset(offices), supervisor=supervisor)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC-SHA256 over a purpose and a payload, with the console's secret (stdlib only)."""

    def __init__(self, secret: str) -> None:
        self.key = hashlib.sha256(b"kenes-console:" + secret.encode()).digest()

    def sign(self, purpose: str, payload: str) -> str:
        mac = hmac.new(self.key, f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()
        return _b64(mac)

    def verify(self, purpose: str, payload: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, payload), signature)


def digest_of(secret_part: str) -> str:
    """What the database keeps of a link: reading the table gives no working link."""
    return hashlib.sha256(secret_part.encode()).hexdigest()


class SignInLinks:
    """One-time links: ``<nonce>.<signature>``, stored as the nonce's hash, valid ``ttl``."""

    def __init__(self, signer: Signer, clock: Clock, ttl: timedelta) -> None:
        self.signer = signer
        self.clock = clock
        self.ttl = ttl

    async def issue(self, repositories: Repositories, user_id: int) -> str:
        """A new token for the user (the caller commits)."""
        nonce = _b64(secrets.token_bytes(24))
        now = self.clock()
        repositories.console_links.add(ConsoleLink(digest=digest_of(nonce), user_id=user_id, created_at=now,
                                                   expires_at=now + self.ttl))
        return f"{nonce}.{self.signer.sign('link', nonce)}"

    async def redeem(self, repositories: Repositories, token: str) -> int | None:
        """The clerk's id if the token is genuine, unused and unexpired; it is used up at once."""
        nonce, _, signature = token.partition(".")
        if not nonce or len(token) > 200 or not self.signer.verify("link", nonce, signature):
            return None
        user_id = await repositories.console_links.use(digest_of(nonce), self.clock())
        await repositories.commit()
        return user_id


@dataclass(frozen=True)
class Session:
    user_id: int
    expires_at: datetime
    csrf: str


class Sessions:
    """A session is a signed cookie: the user, when it expires, and its CSRF token. The role is
    looked up again on every request, so a clerk taken out of the settings loses access."""

    def __init__(self, signer: Signer, clock: Clock, ttl: timedelta) -> None:
        self.signer = signer
        self.clock = clock
        self.ttl = ttl

    def new(self, user_id: int) -> tuple[str, Session]:
        expires = int((self.clock() + self.ttl).timestamp())
        csrf = _b64(secrets.token_bytes(18))
        payload = f"{user_id}.{expires}.{csrf}"
        return f"{payload}.{self.signer.sign('session', payload)}", Session(
            user_id, datetime.fromtimestamp(expires, UTC), csrf)

    def read(self, cookie: str | None) -> Session | None:
        if not cookie or len(cookie) > 300:
            return None
        payload, _, signature = cookie.rpartition(".")
        parts = payload.split(".")
        if len(parts) != 3 or not self.signer.verify("session", payload, signature):
            return None
        user, expires, csrf = parts
        if not user.lstrip("-").isdigit() or not expires.isdigit():
            return None
        moment = datetime.fromtimestamp(int(expires), UTC)
        if moment <= self.clock():
            return None
        return Session(int(user), moment, csrf)


def _valid_bytes(value: Any) -> bool:
    return isinstance(value, str | int | bool | None)


class AuditTrail:
    """Writes staff actions into the session the action is made in (so the entry and the
    change are committed together); ``detail`` holds codes only, never personal data."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def record(self, repositories: Repositories, *, source: str, actor: str, origin: str, action: str,
               target: str | None = None, **detail: str | int | bool | None) -> None:
        assert all(_valid_bytes(v) for v in detail.values())
        repositories.audit.add(AuditEntry(at=self.clock(), source=source, actor=actor[:64], origin=origin[:64],
                                          action=action[:32], target=target[:64] if target else None,
                                          detail=dict(detail)))

    async def record_now(self, repositories: Repositories, **kwargs: Any) -> None:
        """Record and commit at once (for actions that change nothing else, e.g. a refused move)."""
        self.record(repositories, **kwargs)
        await repositories.commit()


def roles_from(settings: Settings) -> Roles:
    return Roles(clerk_ids=settings.clerk_ids, supervisor_ids=settings.supervisor_ids,
                 clerk_offices=dict(settings.clerk_offices))


def links_from(settings: Settings, clock: Clock) -> SignInLinks | None:
    """The sign-in links when the console is on, else None."""
    if not settings.console_enabled or settings.console_secret is None:
        return None
    return SignInLinks(Signer(settings.console_secret.get_secret_value()), clock,
                       timedelta(minutes=settings.console_link_minutes))


def sessions_from(settings: Settings, clock: Clock) -> Sessions:
    assert settings.console_secret is not None
    return Sessions(Signer(settings.console_secret.get_secret_value()), clock,
                    timedelta(minutes=settings.console_session_minutes))
