"""Request middlewares of the bot's session (aiogram's hook around every Bot API call).

* :class:`OneAnswerPerPress`: a button press is answered once. A handler that answers with a
  toast or an alert is followed by aiogram-dialog's own plain answer; the second answer is
  not sent (Telegram refuses it anyway, and some clients show the first one twice).
* :class:`FloodWait`: replies survive Telegram's flood control. When Telegram answers 429
  with ``retry_after``, a reply to the user (anything sent while an update is being handled:
  answers, edits, callback answers, the apology for an error) waits that long and goes out,
  up to ``retries`` times and never for longer than ``longest`` seconds at once. The outbox
  worker is not concerned: it sends outside update handling and paces all its deliveries
  itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.types import Update

logger = logging.getLogger(__name__)
# True while the current task handles an update, error handlers included (see HandlingDispatcher).
HANDLING_UPDATE: ContextVar[bool] = ContextVar("handling_update", default=False)


class HandlingDispatcher(Dispatcher):
    """aiogram's dispatcher, marking the handling of each update (its handlers, its error
    handlers: the apology for a failure too) as a time when replies wait out flood control."""

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        handling = HANDLING_UPDATE.set(True)
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            HANDLING_UPDATE.reset(handling)


class FloodWait(BaseRequestMiddleware):
    """A request middleware of the bot's session: wait out a 429 and send again (see module)."""

    def __init__(self, retries: int = 3, longest: float = 60.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.retries = retries
        self.longest = longest
        self.sleep = sleep

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        tries = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if not HANDLING_UPDATE.get() or tries >= self.retries or exc.retry_after > self.longest:
                    raise
                tries += 1
                logger.warning("flood control on %s: waiting %s s before try %s of %s", type(method).__name__,
                               exc.retry_after, tries + 1, self.retries + 1)
                await self.sleep(exc.retry_after)


class OneAnswerPerPress(BaseRequestMiddleware):
    """Sends only the first answer to each callback query (see the module docstring)."""

    def __init__(self, remember: int = 10_000) -> None:
        self.remember = remember
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Response[Any]:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        if method.callback_query_id in self._answered:
            return True  # type: ignore[return-value]  # what Telegram answers to an answer
        result = await make_request(bot, method)
        self._answered[method.callback_query_id] = None
        if len(self._answered) > self.remember:
            self._answered.popitem(last=False)
        return result
