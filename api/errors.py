"""Errors as JSON: one shape (``{"error": code, "message": text, ...}``) for every status.

Requests refused by validation are 422 naming the field; a database or file store that
cannot be used (disk full, read-only, gone) is 503 with ``Retry-After``; anything else that
escapes a route is a 500, the last resort, logged without the request's data.
"""

from __future__ import annotations

import errno
import logging
import traceback
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from api.models import Error, FieldError, InvalidRequest

logger = logging.getLogger(__name__)
RETRY_AFTER = "30"
# SQLSTATE classes and codes of a PostgreSQL that cannot take the write now: connection
# exceptions, insufficient resources (disk full), operator intervention, system errors
# (I/O), a read-only transaction.
UNAVAILABLE_SQLSTATES = ("08", "53", "57", "58", "25006")
# ... and of a lost race: serialization failure, deadlock, lock not available.
RACE_SQLSTATES = ("40001", "40P01", "55P03")
UNAVAILABLE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EMFILE, errno.ENFILE}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    for key, value in extra.items():
        body[key] = value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel) else value
    return JSONResponse(body, status_code=status, headers=headers)


def _sqlstate(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` says another writer got there first (so the move did not happen)."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, DBAPIError):
        if _sqlstate(exc).startswith(RACE_SQLSTATES):
            return True
        return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)
    return False


def unavailable(exc: BaseException) -> str | None:
    """What cannot be used when ``exc`` means the database or the file store is out of
    service (rather than a mistake in the code), else None."""
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, OperationalError | DisconnectionError | PoolTimeout | ConnectionError):
            return "database"  # the API connects to nothing else
        if isinstance(cause, DBAPIError) and (
                cause.connection_invalidated or _sqlstate(cause).startswith(UNAVAILABLE_SQLSTATES)):
            return "database"
    if any(isinstance(cause, OSError) and cause.errno in UNAVAILABLE_ERRNOS for cause in causes):
        return "storage"
    return None


def unavailable_response(what: str) -> JSONResponse:
    message = ("the database cannot be used now (full, read-only or out of reach); try again later"
               if what == "database" else "the file store cannot be used now (full or failing); try again later")
    return error_response(503, "unavailable", message, headers={"Retry-After": RETRY_AFTER})


def _where(exc: BaseException) -> str:
    """Where an exception was raised (file:line in function), without its message, which may
    quote the request's data."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in reversed(ours[-3:]))


def _safe(part: object) -> str:
    """A location part as text that is always valid JSON (client keys may hold lone surrogates)."""
    return str(part)[:64].encode("utf-8", "backslashreplace").decode("utf-8")


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    found = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        location = loc[0] if loc and loc[0] in ("body", "query", "path", "header") else "body"
        if error.get("type") == "json_invalid":
            field, message = "body", "the body is not valid JSON"
        else:
            field = ".".join(_safe(p) for p in loc[1:]) or location
            message = str(error.get("msg", "invalid"))
        found.append(FieldError(location=location, field=field, message=message))
    return found


def invalid(errors: list[FieldError]) -> JSONResponse:
    first = errors[0]
    body = InvalidRequest(error=f"invalid_{first.location}", message=f"{first.field}: {first.message}",
                          location=first.location, field=first.field, errors=errors)
    return JSONResponse(body.model_dump(mode="json"), status_code=422)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return invalid(field_errors(exc.errors()) or [FieldError(location="body", field="body", message="invalid")])


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 400:  # FastAPI could not read the body (too deep, a number too long, ...)
        return invalid([FieldError(location="body", field="body", message="the body is not JSON that can be read")])
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    code = codes.get(exc.status_code, "http_error")
    message = {404: "no such resource", 405: "this method is not allowed here",
               413: "the body is too large"}.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, code, message, headers=headers)


class LastResort:
    """The outermost layer: whatever escaped the routes becomes a JSON answer (503 if the
    database or the file store is out of service, else 500), never a bare server error."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            what = unavailable(exc)
            route = scope.get("route")
            path = getattr(route, "path", "?")
            if what is not None:
                logger.error("registry API: %s unavailable (%s at %s) on %s %s", what, type(exc).__name__,
                             _where(exc), scope.get("method"), path)
                response = unavailable_response(what)
            else:
                logger.error("registry API: unexpected %s at %s on %s %s", type(exc).__name__, _where(exc),
                             scope.get("method"), path)
                response = error_response(500, "internal", "the registry failed to answer; this is logged")
            if not started:
                await response(scope, receive, send)


ERROR_DESCRIPTIONS: dict[int, tuple[type[BaseModel], str]] = {
    401: (Error, "No token, or a wrong one"),
    404: (Error, "Not found"),
    413: (Error, "The body is larger than 64 KiB"),
    422: (InvalidRequest, "A field out of range, of the wrong type, or holding control characters"),
    429: (Error, "Too many wrong tokens from this address; wait for Retry-After seconds"),
    500: (Error, "The last resort: a fault of the registry, logged"),
    503: (Error, "The database or the file store cannot be used now; try again after Retry-After"),
}
RETRY_HEADER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def responses(*statuses: int, **models: tuple[type[BaseModel], str]) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route: the common ones, ``statuses``, and ``models``
    given as ``s409=(Model, "description")``."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in (401, 422, 429, 500, 503, *statuses):
        model, description = ERROR_DESCRIPTIONS[status]
        documented[status] = {"model": model, "description": description}
        if status in (429, 503):
            documented[status]["headers"] = RETRY_HEADER
    for key, (model, description) in models.items():
        documented[int(key.removeprefix("s"))] = {"model": model, "description": description}
    return documented
