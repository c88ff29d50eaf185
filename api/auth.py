"""Bearer auth for ``/api/``, slowing down addresses that keep sending wrong tokens, and the
headers every answer carries.

The failures are counted in this process's memory: with several processes behind a proxy
each one counts its own, so an address gets ``limit`` tries per process per window.
"""

from __future__ import annotations

import hmac
import math
from collections import OrderedDict, deque
from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from domain.clock import Clock

MAX_BODY = 64 * 1024


class FailureLimiter:
    """Wrong or missing tokens per client address in a sliding window: after ``limit`` of them
    within ``window``, the address is answered 429 until the oldest of them leaves the window.
    At most ``max_addresses`` addresses are remembered (the least recently failing are
    forgotten first), so a flood from many addresses cannot fill the memory."""

    def __init__(self, clock: Clock, limit: int = 10, window: timedelta = timedelta(minutes=1),
                 max_addresses: int = 10_000) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(address, None)
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds until the address may try again, or None if it may try now."""
        now = self.clock()
        failures = self._recent(address, now)
        if len(failures) < self.limit:
            return None
        return max(1, math.ceil((failures[0] + self.window - now).total_seconds()))

    def failed(self, address: str) -> None:
        now = self.clock()
        failures = self._recent(address, now)
        failures.append(now)
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


class BearerAuth:
    """Every request under ``prefix`` needs ``Authorization: Bearer <token>``: 401 without it
    (counted against the client's address), 429 while the address has failed too often. A
    right token always passes."""

    def __init__(self, app: ASGIApp, token: str, limiter: FailureLimiter, prefix: str = "/api/") -> None:
        self.app = app
        self.token = token.encode()
        self.limiter = limiter
        self.prefix = prefix

    def authorized(self, scope: Scope) -> bool:
        scheme, _, given = _header(scope, b"authorization").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix) or self.authorized(scope):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait = self.limiter.retry_after(address)
        if wait is not None:
            response = error_response(429, "too_many_failures",
                                      "too many wrong tokens from this address; try again later",
                                      headers={"Retry-After": str(wait)})
        else:
            self.limiter.failed(address)
            response = error_response(401, "unauthorized", "send Authorization: Bearer <REGISTRY_TOKEN>",
                                      headers={"WWW-Authenticate": 'Bearer realm="kenes-registry"'})
        await response(scope, receive, send)


class Hardening:
    """The outermost layer: a body larger than ``max_body`` is refused (413) before anything
    reads it; every answer says ``X-Content-Type-Options: nosniff``, and every ``/api/``
    answer (they hold personal data) ``Cache-Control: no-store``."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, private_prefix: str = "/api/") -> None:
        self.app = app
        self.max_body = max_body
        self.private_prefix = private_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"].startswith(self.private_prefix)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"server"]
                headers.append((b"x-content-type-options", b"nosniff"))
                if private:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        body = await self._read_body(scope, receive)
        if body is None:
            await error_response(413, "too_large", f"the body is larger than {self.max_body} bytes")(
                scope, receive, sending)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, sending)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body (requests here are small), or None if it is larger than allowed."""
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message: dict[str, Any] = dict(await receive())
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
