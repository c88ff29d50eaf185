"""Filters shared by routers."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import Message
from aiogram_dialog.api.entities import Context

from dialogs.states import INPUT_STATES


class NotTypingIntoDialog(BaseFilter):
    """False while the user's open dialog window expects this message (a name, a scan)."""

    async def __call__(self, message: Message, aiogd_context: Context | None = None) -> bool:
        return aiogd_context is None or aiogd_context.state not in INPUT_STATES
