"""The registry API over the test's app: in process (httpx over ASGI) or served by uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import RegistryContext, create_app
from api.server import ApiServer
from config import Settings
from tests.conftest import App, FakeClock

TOKEN = "s3cret-registry-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def registry(app: App, settings: Settings, clock: FakeClock) -> RegistryContext:
    return RegistryContext(units=app.services.units(app.sessions), file_store=settings.file_store_dir)


@pytest.fixture
async def api(registry: RegistryContext) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API application in this process (from 127.0.0.1)."""
    transport = httpx.ASGITransport(app=create_app(registry, TOKEN), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield client


@pytest.fixture
async def live_api(registry: RegistryContext) -> AsyncIterator[str]:
    """The API served by uvicorn on a free port of 127.0.0.1, as run_bot.py serves it: its base URL."""
    server = ApiServer(create_app(registry, TOKEN, auth_failures=1000), "127.0.0.1", 0)
    await server.start()
    yield f"http://127.0.0.1:{server.port}"
    await server.stop()
