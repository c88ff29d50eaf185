"""Webhook mode: an aiohttp server Telegram posts updates to (``WEBHOOK_URL``).

The server checks Telegram's secret token header (``WEBHOOK_SECRET``), answers at once and
handles the update in the background; duplicates are dropped by :mod:`bot.dedup`. On stop it
stops taking requests, waits for the updates being handled, then the dispatcher shuts down.
Several processes may serve the same ``WEBHOOK_URL`` behind a reverse proxy, sharing
PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from config import Settings

logger = logging.getLogger(__name__)


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, but closing keeps the bot's session open (the outbox worker still
    uses it; ``run`` closes it last). The updates in hand are waited for by the dispatcher's
    shutdown (bot.middlewares.InFlightUpdates, which sees every update as it is handled)."""

    async def close(self) -> None:
        """Nothing to close here (see the class)."""


def create_webhook_app(dp: Dispatcher, bot: Bot, settings: Settings) -> web.Application:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()
    WebhookHandler(dp, bot, handle_in_background=True, secret_token=secret).register(app, path=settings.webhook_path)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    return app


Retrying = Callable[[Callable[[], Awaitable[object]]], Awaitable[bool]]


async def serve_webhook(dp: Dispatcher, bot: Bot, settings: Settings, stop: asyncio.Event,
                        retrying: Retrying) -> None:
    """Register the webhook with Telegram (through ``retrying``, which tries again while the
    Bot API cannot be reached), serve until ``stop``, then shut down cleanly."""
    runner = web.AppRunner(create_webhook_app(dp, bot, settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    await dp.emit_startup(bot=bot)
    try:
        registered = await retrying(lambda: bot.set_webhook(
            settings.webhook_url or "",
            secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
            allowed_updates=dp.resolve_used_update_types(),
        ))
        if not registered:
            return
        logger.info("webhook on http://%s:%s%s", settings.webhook_host, settings.webhook_port,
                    settings.webhook_path)
        await stop.wait()
    finally:
        await runner.cleanup()  # no new requests; waits for the updates in hand
        await dp.emit_shutdown(bot=bot)
