"""Dialog widgets that translate through gettext at render time, a message input, and the message manager."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
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


# A message whose inline buttons stay when one of them opens a dialog (see keeping_buttons).
_KEEP_BUTTONS: ContextVar[int | None] = ContextVar("keep_buttons", default=None)


@contextmanager
def keeping_buttons(message: object) -> Iterator[None]:
    """While a dialog is started from a button under ``message`` (a notice), leave that
    message's buttons in place: aiogram-dialog would take them off as if it were the previous
    dialog's message, and the notice's other buttons (book, hours, complain) would be gone."""
    token = _KEEP_BUTTONS.set(getattr(message, "message_id", None))
    try:
        yield
    finally:
        _KEEP_BUTTONS.reset(token)


class KenesMessageManager(MessageManager):
    """aiogram-dialog's message manager, removing a reply keyboard with a word instead of "...",
    and leaving a notice's buttons in place (``keeping_buttons``)."""

    async def remove_inline_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        if old_message is not None and old_message.message_id == _KEEP_BUTTONS.get():
            return None
        return await super().remove_inline_kbd(bot, old_message)

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


def unique_intent_ids() -> None:
    """Make aiogram-dialog's dialog (intent) ids random enough not to collide.

    aiogram-dialog 2.6 builds them from the time in seconds plus a random 0–99, so two dialogs
    opened in the same second share an id once in a hundred, and the newer one overwrites the
    older (a question asked in the middle of a checklist lost the checklist). 35 random bits
    keep the ids as short (at most six characters in callback data).
    """
    dialog_stack.new_id = lambda: dialog_stack.id_to_str(secrets.randbits(35))  # type: ignore[attr-defined]
