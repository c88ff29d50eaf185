"""Dialog widgets that translate through gettext at render time, a message input, and the message manager."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, F
from aiogram.enums import ContentType
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.input.base import MessageHandlerFunc
from aiogram_dialog.widgets.text import Text

from presentation.filters import Is


class I18nFormat(Text):
    """A gettext message (English msgid) formatted with the window's data: ``{name}``."""

    def __init__(self, text: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.text = text

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return gettext(self.text).format_map(data)


class Input(MessageInput):
    """aiogram-dialog's MessageInput, its content-type check done on the event loop rather
    than in a worker thread (see :class:`presentation.filters.Is`)."""

    def __init__(self, func: MessageHandlerFunc, content_types: Sequence[str] | str = ContentType.ANY) -> None:
        types = [content_types] if isinstance(content_types, str) else list(content_types)
        super().__init__(func, filter=None if ContentType.ANY in types else Is(F.content_type.in_(types)))


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


# A library internal, named with its reason in tests/test_library_internals.py.
def unique_intent_ids() -> None:
    """Make aiogram-dialog's dialog (intent) ids random enough not to collide.

    aiogram-dialog 2.6 builds them from the time in seconds plus a random 0–99, so two dialogs
    opened in the same second share an id once in a hundred, and the newer one overwrites the
    older (a question asked in the middle of a checklist lost the checklist). 35 random bits
    keep the ids as short (at most six characters in callback data).
    """
    dialog_stack.new_id = lambda: dialog_stack.id_to_str(secrets.randbits(35))  # type: ignore[attr-defined]
