"""Dialog widgets that translate through gettext at render time, and the message manager."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.text import Text


class I18nFormat(Text):
    """A gettext message (English msgid) formatted with the window's data: ``{name}``."""

    def __init__(self, text: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.text = text

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return gettext(self.text).format_map(data)


class KenesMessageManager(MessageManager):
    """aiogram-dialog's message manager, removing a reply keyboard with a word instead of "..."."""

    async def remove_reply_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        if not old_message:
            return None
        return await self.send_text(
            bot=bot,
            new_message=NewMessage(
                chat=old_message.chat,
                text=gettext("✔️ Got it."),
                reply_markup=ReplyKeyboardRemove(),
                business_connection_id=old_message.business_connection_id,
            ),
        )
