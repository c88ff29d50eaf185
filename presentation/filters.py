"""Filters shared by routers."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.types import User as TelegramUser
from aiogram_dialog.utils import CB_SEP
from magic_filter import MagicFilter

from domain.actors import Actor


class Is(BaseFilter):
    """A magic filter (``Is(F.data == "menu")``) checked on the event loop.

    aiogram runs every filter that is not a coroutine function, a bare ``F`` expression
    included, in a worker thread (``asyncio.to_thread``): about 0.1 ms per filter per update
    (a callback passes some ten of them on its way to a handler), and under load the updates
    queue for the few threads of the default pool. Wrapped, the same check costs microseconds.
    """

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"Is({self.magic!r})"


PRIVATE = Is(F.chat.type == ChatType.PRIVATE)  # a message in the bot's private chat with its sender


class NotDialogButton(BaseFilter):
    """A button of the bot's own handlers, not of a dialog window (whose callback data
    aiogram-dialog prefixes with the dialog's id and a separator)."""

    async def __call__(self, callback: CallbackQuery) -> bool:
        return CB_SEP not in (callback.data or "")


def clerk_actor(user: TelegramUser | None) -> str:
    """How a clerk's move is recorded: their Telegram id and name (see domain.actors)."""
    return Actor.clerk(user.id, user.full_name).encode() if user else Actor.clerk(0).encode()
