"""Dialog widgets that translate through gettext at render time, a message input, and the message manager."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot, F
from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    InlineKeyboardButton,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext
from aiogram_dialog.api.entities import EVENT_CONTEXT_KEY, NewMessage, OldMessage
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.api.internal import CONTEXT_KEY, EVENT_SIMULATED, STORAGE_KEY, RawKeyboard, ReplyCallbackQuery
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.context.intent_middleware import InaccessibleBusinessMessage
from aiogram_dialog.manager.message_manager import MessageManager
from aiogram_dialog.utils import split_reply_callback
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.input.base import MessageHandlerFunc
from aiogram_dialog.widgets.kbd import ScrollingGroup
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Text

from presentation.filters import Is


class I18nFormat(Text):
    """A gettext message (English msgid) formatted with the window's data: ``{name}``."""

    def __init__(self, text: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.text = text

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return gettext(self.text).format_map(data)


class Pages(ScrollingGroup):
    """aiogram-dialog's ScrollingGroup with a pager that reads «1/2 ›» and «‹ 2/2» (its own
    reads «1 < 1 > 2»): only the arrows that lead somewhere, and where the user is."""

    async def _render_pager(self, pages: int, manager: DialogManager) -> RawKeyboard:
        if self.hide_pager or pages == 0 or (pages == 1 and self.hide_on_single_page):
            return []
        last = pages - 1
        current = min(last, await self.get_page(manager))
        row: list[InlineKeyboardButton | KeyboardButton] = []
        if current > 0:
            row.append(InlineKeyboardButton(text="‹", callback_data=self._item_callback_data(current - 1)))
        row.append(InlineKeyboardButton(text=f"{current + 1}/{pages}", callback_data=self._item_callback_data(current)))
        if current < last:
            row.append(InlineKeyboardButton(text="›", callback_data=self._item_callback_data(current + 1)))
        return [row]


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
    """aiogram-dialog's message manager, removing a reply keyboard with a word instead of "...";
    when a window with a reply keyboard (the phone step) is replaced rather than kept, removing
    the keyboard without leaving a «✔️ Got it.» behind (the removal message is deleted with the
    window once Telegram has delivered it); and leaving a notice's buttons in place
    (``keeping_buttons``)."""

    async def remove_message_safe(self, bot: Bot, old_message: OldMessage, new_message: NewMessage | None) -> None:
        removal = None
        if self.had_reply_keyboard(old_message) and (new_message is None or not self.need_reply_keyboard(new_message)):
            removal = await self.remove_reply_kbd(bot, old_message)
        await super().remove_message_safe(bot, old_message, new_message)
        if removal is not None:
            with suppress(TelegramAPIError):
                await bot.delete_message(chat_id=removal.chat.id, message_id=removal.message_id)


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


# A library internal, named with its reason in tests/test_library_internals.py.
def unique_intent_ids() -> None:
    """Make aiogram-dialog's dialog (intent) ids random enough not to collide.

    aiogram-dialog 2.6 builds them from the time in seconds plus a random 0–99, so two dialogs
    opened in the same second share an id once in a hundred, and the newer one overwrites the
    older (a question asked in the middle of a checklist lost the checklist). 35 random bits
    keep the ids as short (at most six characters in callback data).
    """
    dialog_stack.new_id = lambda: dialog_stack.id_to_str(secrets.randbits(35))  # type: ignore[attr-defined]


# The reply buttons a window shows, label -> aiogram-dialog's callback, in its context.
REPLY_BUTTONS = "kenes_reply_buttons"


class PlainReplyKeyboard(ReplyKeyboardFactory):
    """aiogram-dialog's reply keyboard with plain labels.

    aiogram-dialog appends the button's callback to its label as invisible characters
    (U+200C, U+2060, U+1D173 ...), which some clients draw as boxes. Here the labels stay as
    written; the window's context keeps which label stands for which callback, and
    :class:`PlainReplyButtons` turns the label a user sends back into the button's press.
    """

    async def render_markup(self, data: dict[str, Any], manager: DialogManager, keyboard: RawKeyboard) -> Any:
        markup = await super().render_markup(data, manager, keyboard)
        assert isinstance(markup, ReplyKeyboardMarkup)
        buttons: dict[str, str] = {}
        rows = []
        for row in markup.keyboard:
            plain = []
            for button in row:
                text, callback = split_reply_callback(button.text)
                if callback and text:
                    buttons[text] = callback
                    button = button.model_copy(update={"text": text})
                plain.append(button)
            rows.append(plain)
        manager.current_context().widget_data[REPLY_BUTTONS] = buttons
        return markup.model_copy(update={"keyboard": rows})


class PlainReplyButtons(BaseMiddleware):
    """A message whose text is a label of the open window's reply keyboard is that button's
    press, handled as aiogram-dialog handles its own encoded labels (registered after
    ``setup_dialogs``, so the window's context is loaded)."""

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        context = data.get(CONTEXT_KEY)
        text = getattr(event, "text", None)
        callback = context.widget_data.get(REPLY_BUTTONS, {}).get(text) if context and text else None
        if not callback or not isinstance(event, Message):
            return await handler(event, data)
        proxy = data.get(STORAGE_KEY)
        if proxy is not None:  # the press loads (and locks) the context again
            await proxy.unlock()
        query = ReplyCallbackQuery(
            id="",
            message=InaccessibleBusinessMessage(chat=event.chat, message_id=event.message_id,
                                                business_connection_id=event.business_connection_id,
                                                message_thread_id=event.message_thread_id,
                                                is_topic_message=event.is_topic_message),
            original_message=event,
            data=callback,
            from_user=event.from_user,
            chat_instance=str(event.chat.id),
        ).as_(data["bot"])
        fresh = {key: value for key, value in data.items() if not key.startswith("aiogd_") or key == EVENT_CONTEXT_KEY}
        return await data["event_router"].propagate_event("callback_query", query, **{EVENT_SIMULATED: True}, **fresh)
