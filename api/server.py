"""Serving the API with uvicorn on the running event loop, beside the bot.

uvicorn's ``Server.serve`` would install its own SIGINT/SIGTERM handlers (the bot owns the
signals) and configure logging (the entry point does); here it does neither, announces no
version in a ``Server`` header, and stops when told to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

logger = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: the application that embeds it stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    """An ASGI application served on ``host:port`` (port 0: a free one) as a task of the loop."""

    def __init__(self, app: FastAPI, host: str, port: int, *, graceful_seconds: int = 5, name: str = "registry API",
                 proxy_headers: bool = True) -> None:
        self.host = host
        self.name = name
        self.config = uvicorn.Config(
            app, host=host, port=port, lifespan="off", log_config=None, access_log=False, server_header=False,
            timeout_graceful_shutdown=graceful_seconds, proxy_headers=proxy_headers,
        )
        self.server = _EmbeddedServer(self.config)
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        assert self._socket is not None, "not started"
        return int(self._socket.getsockname()[1])

    async def start(self) -> None:
        """Listen (an OSError if the address is taken) and serve until :meth:`stop`."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._socket = socket.create_server((self.host, self.config.port), family=family)
        self._task = asyncio.create_task(self.server.serve(sockets=[self._socket]), name=self.name.replace(" ", "-"))
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError(f"the {self.name} stopped while starting")
            await asyncio.sleep(0.01)
        logger.info("%s on http://%s:%s", self.name, self.host, self.port)

    async def stop(self) -> None:
        """Stop taking connections, let the requests in hand finish (a few seconds at most)."""
        if self._task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
