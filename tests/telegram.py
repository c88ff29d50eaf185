"""A fake Telegram for tests: a recording bot session and a user chatting through real updates.

``RecordingSession`` replaces the network under a real ``Bot``: every API call is recorded;
answers queued with :meth:`RecordingSession.add_result` are returned first-in-first-out,
otherwise a plausible result is made up (a sent message gets a fresh id, an edit returns
the edited message). ``ChatClient`` builds real ``Update`` objects and feeds them to the
real dispatcher, and keeps the chat as the user sees it (messages with their buttons,
edits applied, deletions removed).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateForumTopic,
    DeleteMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    File,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    MessageId,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Sticker,
    Update,
    User,
    Voice,
)

BOT_USER = User(id=123456789, is_bot=True, first_name="Kenes", username="kenes_test_bot")
_ids = itertools.count(1_000_000)  # the user's messages; far from the bot's, so deleting one never hits the other
_message_ids = itertools.count(1000)  # shared, so a restarted bot never reuses an id
_thread_ids = itertools.count(500)
FILE_CONTENT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a fake JPEG scan"


def _now() -> datetime:
    return datetime.now(UTC)


class RecordingSession(BaseSession):
    """Records every request; answers from a FIFO queue or with a made-up plausible result."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.results: list[Any] = []
        self._queued: deque[Any] = deque()
        self._queued_for: dict[type, deque[Any]] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.answered: set[str] = set()
        self.answered_twice: list[str] = []  # callback queries the bot answered more than once
        # Messages people sent, by (chat id, message id), so a copy shows what was copied.
        self.known: dict[tuple[int, int], Message] = {}
        self.downloads: list[str] = []
        # Files Telegram keeps, by file id: their content (``FILE_CONTENT`` when not given), the
        # ids whose getFile answer has no ``file_size``, how many bytes each download yielded,
        # and what makes a download fail (called before each one; an exception it returns is raised).
        self.files: dict[str, bytes] = {}
        self.sizeless: set[str] = set()
        self.served: list[int] = []
        self.download_error: Callable[[str], BaseException | None] | None = None
        self.clock: Callable[[], datetime] | None = None  # when set, each request's time is kept
        self.times: list[datetime | None] = []

    def add_result(self, result: Any) -> None:
        """Queue the answer to a coming request (an exception instance is raised instead)."""
        self._queued.append(result)

    def add_result_for(self, kind: type, result: Any) -> None:
        """Queue the answer to the next request of this kind (e.g. ``CloseForumTopic``)."""
        self._queued_for.setdefault(kind, deque()).append(result)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.requests.append(method)
        self.times.append(self.clock() if self.clock else None)
        for_kind = self._queued_for.get(type(method))
        if for_kind:
            result = for_kind.popleft()
        else:
            result = self._queued.popleft() if self._queued else self._auto_result(method)
        self.results.append(result)
        if isinstance(result, TelegramAPIError):
            raise result
        return result

    def _message(self, chat_id: int | str, message_id: int, text: str | None, markup: Any) -> Message:
        return Message(
            message_id=message_id,
            date=_now(),
            chat=Chat(id=int(chat_id), type="private"),
            from_user=BOT_USER,
            text=text,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
        )

    def _auto_result(self, method: TelegramMethod[Any]) -> Any:
        target = (getattr(method, "chat_id", None), getattr(method, "message_id", None))
        gone = (int(target[0] or 0), int(target[1] or 0)) in self.deleted
        if gone and isinstance(method, (EditMessageText, EditMessageReplyMarkup, DeleteMessage)):
            what = "delete" if isinstance(method, DeleteMessage) else "edit"
            return TelegramBadRequest(method=method, message=f"Bad Request: message to {what} not found")
        if isinstance(method, AnswerCallbackQuery):  # Telegram takes one answer per query
            if method.callback_query_id in self.answered:
                self.answered_twice.append(method.callback_query_id)
                return TelegramBadRequest(method=method, message="Bad Request: query is too old and response "
                                                                 "timeout expired or query ID is invalid")
            self.answered.add(method.callback_query_id)
            return True
        if isinstance(method, DeleteMessage):
            self.deleted.add((int(method.chat_id), int(method.message_id)))
            return True
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, CreateForumTopic):
            return ForumTopic(message_thread_id=next(_thread_ids), name=method.name, icon_color=0x6FB9F0)
        if isinstance(method, CopyMessage):
            return MessageId(message_id=next(_message_ids))
        if isinstance(method, GetFile):
            size = None if method.file_id in self.sizeless else len(self.files.get(method.file_id, FILE_CONTENT))
            return File(file_id=method.file_id, file_unique_id=f"u-{method.file_id}", file_size=size,
                        file_path=f"documents/{method.file_id}.bin")
        if isinstance(method, SendMessage):
            return self._message(method.chat_id, next(_message_ids), method.text, method.reply_markup)
        if isinstance(method, (SendPhoto, SendDocument)):
            return self._message(method.chat_id, next(_message_ids), None, method.reply_markup).model_copy(
                update={"caption": method.caption})
        if isinstance(method, EditMessageText):
            return self._message(method.chat_id or 0, method.message_id or 0, method.text, method.reply_markup)
        if isinstance(method, EditMessageReplyMarkup):
            return self._message(method.chat_id or 0, method.message_id or 0, None, method.reply_markup)
        if isinstance(method, (EditMessageCaption, EditMessageMedia)):
            return True
        if method.__returning__ is bool:
            return True
        raise NotImplementedError(f"the fake Telegram has no answer for {type(method).__name__}")

    def keep_file(self, file_id: str, content: bytes, sized: bool = True) -> None:
        """What Telegram serves for ``file_id`` (``sized=False``: getFile tells no size)."""
        self.files[file_id] = content
        if not sized:
            self.sizeless.add(file_id)

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        """A file download, in chunks of ``chunk_size``: the file's content (``FILE_CONTENT`` unless
        :meth:`keep_file` said otherwise), or the error ``download_error`` gives; the URL is recorded."""
        self.downloads.append(url)
        self.served.append(0)
        error = self.download_error(url) if self.download_error else None
        if error is not None:
            raise error
        content = self.files.get(url.rsplit("/", 1)[-1].removesuffix(".bin"), FILE_CONTENT)
        for start in range(0, len(content), chunk_size):
            chunk = content[start:start + chunk_size]
            self.served[-1] += len(chunk)
            yield chunk

    async def close(self) -> None:
        return None


@dataclass
class ChatMessage:
    """A bot message as the user sees it."""

    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None

    @property
    def buttons(self) -> list[InlineKeyboardButton]:
        if self.markup is None:
            return []
        return [button for row in self.markup.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for b in self.buttons]


@dataclass
class ChatClient:
    """One user in a private chat with the bot, sending real updates to the real dispatcher."""

    bot: Bot
    dp: Dispatcher
    session: RecordingSession
    user_id: int = 555000111
    language_code: str | None = "ru"
    first_name: str = "Айгерим"
    chat: list[ChatMessage] = field(default_factory=list)
    answers: list[AnswerCallbackQuery] = field(default_factory=list)
    _seen: int = 0
    _callbacks: set[str] = field(default_factory=set)
    reply_keyboard: ReplyKeyboardMarkup | None = None
    sent: list[Message] = field(default_factory=list)  # what the user sent, oldest first

    def __post_init__(self) -> None:
        self._seen = len(self.session.requests)

    @property
    def user(self) -> User:
        return User(id=self.user_id, is_bot=False, first_name=self.first_name,
                    language_code=self.language_code)

    def _chat(self) -> Chat:
        return Chat(id=self.user_id, type="private", first_name=self.first_name)

    async def _feed(self, update: Update) -> list[TelegramMethod[Any]]:
        if update.message is not None:
            self.session.known[(update.message.chat.id, update.message.message_id)] = update.message
            self.sent.append(update.message)
        await self.dp.feed_update(self.bot, update)
        return self._apply_new_requests()

    def _mine(self, method: TelegramMethod[Any]) -> bool:
        if isinstance(method, AnswerCallbackQuery):
            return method.callback_query_id in self._callbacks
        chat_id = getattr(method, "chat_id", None)
        return chat_id is not None and int(chat_id) == self.user_id

    def _apply_new_requests(self) -> list[TelegramMethod[Any]]:
        """Apply the requests made since the last update to this chat; return those for it."""
        new = list(zip(self.session.requests[self._seen:], self.session.results[self._seen:], strict=True))
        self._seen = len(self.session.requests)
        mine = [(method, result) for method, result in new if self._mine(method)]
        for method, result in mine:
            if isinstance(result, Exception):
                continue
            if isinstance(method, SendMessage):
                self.chat.append(ChatMessage(result.message_id, method.text, _markup(method.reply_markup)))
                if isinstance(method.reply_markup, ReplyKeyboardMarkup):
                    self.reply_keyboard = method.reply_markup
                elif isinstance(method.reply_markup, ReplyKeyboardRemove):
                    self.reply_keyboard = None
            elif isinstance(method, (SendPhoto, SendDocument)):  # a file: shown as its caption
                self.chat.append(ChatMessage(result.message_id, method.caption or "", _markup(method.reply_markup)))
            elif isinstance(method, CopyMessage):
                original = self.session.known.get((int(method.from_chat_id), method.message_id))
                self.chat.append(ChatMessage(result.message_id, describe(original), _markup(method.reply_markup)))
            elif isinstance(method, EditMessageText) and method.message_id is not None:
                message = self.find(method.message_id)
                message.text = method.text
                message.markup = _markup(method.reply_markup)
            elif isinstance(method, EditMessageCaption) and method.message_id is not None:
                self.find(method.message_id).text = method.caption or ""
            elif isinstance(method, EditMessageMedia) and method.message_id is not None:
                self.find(method.message_id).text = method.media.caption or f"[{method.media.type}]"
            elif isinstance(method, EditMessageReplyMarkup) and method.message_id is not None:
                self.find(method.message_id).markup = _markup(method.reply_markup)
            elif isinstance(method, DeleteMessage):
                self.chat = [m for m in self.chat if m.message_id != method.message_id]
            elif isinstance(method, AnswerCallbackQuery):  # only the first answer reaches the user
                self.answers.append(method)
        return [method for method, _ in mine]

    def find(self, message_id: int) -> ChatMessage:
        for message in self.chat:
            if message.message_id == message_id:
                return message
        raise AssertionError(f"no message {message_id} in the chat")

    @property
    def last(self) -> ChatMessage:
        """The newest message, including what arrived meanwhile (a clerk's reply, a notice)."""
        self._apply_new_requests()
        assert self.chat, "the bot has sent nothing"
        return self.chat[-1]

    def _message(self, **content: Any) -> Message:
        return Message(message_id=next(_ids), date=_now(), chat=self._chat(), from_user=self.user, **content)

    async def send(self, text: str) -> list[TelegramMethod[Any]]:
        """The user sends a text message (a command gets its bot_command entity)."""
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = self._message(text=text, entities=entities)
        return await self._feed(Update(update_id=next(_ids), message=message))

    async def reply(self, to_message_id: int, text: str) -> list[TelegramMethod[Any]]:
        """The user answers a message of the chat (Telegram's reply)."""
        original = self.session.known.get((self.user_id, to_message_id)) or self._message(text="…")
        message = self._message(text=text, reply_to_message=original.model_copy(update={"message_id": to_message_id}))
        return await self._feed(Update(update_id=next(_ids), message=message))

    async def edit(self, message_id: int, text: str | None = None, **content: Any) -> list[TelegramMethod[Any]]:
        """The user edits the text of a message they sent, or its caption and media
        (``caption=..., document=...``: an edited media message carries its media, new or not)."""
        message = Message(message_id=message_id, date=_now(), edit_date=int(_now().timestamp()), chat=self._chat(),
                          from_user=self.user, text=text, **content)
        await self.dp.feed_update(self.bot, Update(update_id=next(_ids), edited_message=message))
        return self._apply_new_requests()

    async def start_in(self, language: str) -> None:
        """/start, then choose the language by its button ("Қазақша" or "Русский")."""
        await self.send("/start")
        await self.click(language)

    async def send_content(self, **content: Any) -> list[TelegramMethod[Any]]:
        """The user sends something other than text (``sticker=...``, ``voice=...``, ...)."""
        return await self._feed(Update(update_id=next(_ids), message=self._message(**content)))

    async def press(self, label: str) -> list[TelegramMethod[Any]]:
        """Press a button of the reply keyboard (its text goes back as a message)."""
        assert self.reply_keyboard is not None, "no reply keyboard is shown"
        for row in self.reply_keyboard.keyboard:
            for button in row:
                if label in button.text:
                    return await self.send(button.text)
        raise AssertionError(f"no reply button with {label!r}")

    async def share_contact(self, phone: str, own: bool = True) -> list[TelegramMethod[Any]]:
        contact = Contact(phone_number=phone, first_name=self.first_name,
                          user_id=self.user_id if own else self.user_id + 1)
        return await self.send_content(contact=contact)

    async def send_document(self, name: str, mime: str, size: int | None = 50_000,
                            content: bytes | None = None) -> list[TelegramMethod[Any]]:
        """A document as the sender's app describes it (``size=None``: no ``file_size``); with
        ``content``, what Telegram then serves for it (getFile tells no size either when ``size`` is None)."""
        document = Document(file_id=f"doc-{next(_ids)}", file_unique_id=f"ud-{next(_ids)}", file_name=name,
                            mime_type=mime, file_size=size)
        if content is not None:
            self.session.keep_file(document.file_id, content, sized=size is not None)
        return await self.send_content(document=document)

    async def send_sticker(self) -> list[TelegramMethod[Any]]:
        sticker = Sticker(file_id="st1", file_unique_id="u1", type="regular", width=512, height=512,
                          is_animated=False, is_video=False)
        return await self.send_content(sticker=sticker)

    async def send_voice(self) -> list[TelegramMethod[Any]]:
        return await self.send_content(voice=Voice(file_id="v1", file_unique_id="uv1", duration=3))

    async def send_photo(self, size: int = 120_000) -> list[TelegramMethod[Any]]:
        n = next(_ids)
        sizes = [PhotoSize(file_id=f"p{n}-small", file_unique_id=f"up{n}s", width=90, height=90, file_size=2000),
                 PhotoSize(file_id=f"p{n}", file_unique_id=f"up{n}", width=1280, height=960, file_size=size)]
        return await self.send_content(photo=sizes)

    def button(self, label: str, message: ChatMessage | None = None,
               exact: bool = False) -> tuple[ChatMessage, InlineKeyboardButton]:
        """The button whose text contains (or is) ``label`` on ``message`` (default: the newest with buttons)."""
        candidates = [message] if message else [m for m in reversed(self.chat) if m.buttons]
        for candidate in candidates:
            for button in candidate.buttons:
                if (label == button.text) if exact else (label in button.text):
                    return candidate, button
            if message is None:
                break
        shown = candidates[0].button_texts if candidates else []
        raise AssertionError(f"no button with {label!r}; buttons: {shown}")

    async def click(self, label: str, message: ChatMessage | None = None,
                    exact: bool = False) -> list[TelegramMethod[Any]]:
        """The user presses the button whose text contains (or, ``exact``, is) ``label``."""
        target, button = self.button(label, message, exact)
        assert button.callback_data is not None, f"{button.text!r} is not a callback button"
        return await self.click_data(button.callback_data, target)

    def _callback_update(self, data: str, message: ChatMessage | None) -> Update:
        target = message or self.last
        shown = Message(
            message_id=target.message_id, date=_now(), chat=self._chat(), from_user=BOT_USER,
            text=target.text, reply_markup=target.markup,
        )
        callback = CallbackQuery(
            id=str(next(_ids)), from_user=self.user, chat_instance="ci", message=shown, data=data,
        )
        self._callbacks.add(callback.id)
        return Update(update_id=next(_ids), callback_query=callback)

    async def click_data(self, data: str, message: ChatMessage | None = None) -> list[TelegramMethod[Any]]:
        """A callback with any data (also forged) from ``message`` (default: the newest one)."""
        return await self._feed(self._callback_update(data, message))

    async def double_click(self, label: str) -> list[TelegramMethod[Any]]:
        """The same button pressed twice at once (both updates handled concurrently)."""
        target, button = self.button(label)
        assert button.callback_data is not None
        updates = [self._callback_update(button.callback_data, target) for _ in range(2)]
        await asyncio.gather(*(self.dp.feed_update(self.bot, update) for update in updates))
        return self._apply_new_requests()

    def texts_since(self, methods: list[TelegramMethod[Any]]) -> list[str]:
        """The texts sent or edited by these requests."""
        return [m.text for m in methods if isinstance(m, (SendMessage, EditMessageText))]


def describe(message: Message | None) -> str:
    """What a copied message shows: its text or caption, or its kind ("[photo]")."""
    if message is None:
        return "[unknown]"
    kind = message.content_type
    return message.text or message.caption or f"[{getattr(kind, 'value', kind)}]"


@dataclass
class ForumClient:
    """A member of the clerks' forum supergroup, writing in topics; and what the bot posts there."""

    bot: Bot
    dp: Dispatcher
    session: RecordingSession
    chat_id: int
    user_id: int
    first_name: str = "Асель"
    is_bot: bool = False

    @property
    def user(self) -> User:
        return User(id=self.user_id, is_bot=self.is_bot, first_name=self.first_name, language_code="ru")

    def _chat(self) -> Chat:
        return Chat(id=self.chat_id, type="supergroup", title="Kenes clerks", is_forum=True)

    async def send(self, text: str | None = None, thread: int | None = None, reply_to: int | None = None,
                   **content: Any) -> list[TelegramMethod[Any]]:
        """A message in a topic (``thread``), text or other ``content`` (``photo=...``). As in
        Telegram, a topic message not replying to another replies to the topic's first one."""
        entities = None
        if text and text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        replied = None
        if thread is not None:
            replied = Message(message_id=reply_to or thread, date=_now(), chat=self._chat(), from_user=self.user,
                              message_thread_id=thread, is_topic_message=True, text="…")
        message = Message(message_id=next(_ids), date=_now(), chat=self._chat(), from_user=self.user, text=text,
                          entities=entities, message_thread_id=thread, is_topic_message=thread is not None,
                          reply_to_message=replied, **content)
        self.session.known[(self.chat_id, message.message_id)] = message
        start = len(self.session.requests)
        await self.dp.feed_update(self.bot, Update(update_id=next(_ids), message=message))
        return self.session.requests[start:]

    async def edit(self, message_id: int, thread: int, text: str | None = None,
                   caption: str | None = None, **media: Any) -> list[TelegramMethod[Any]]:
        """A member edits the text of a message they sent in a topic, or its caption, or replaces
        its media (``photo=...``: an edited media message carries its media, new or not)."""
        message = Message(message_id=message_id, date=_now(), edit_date=int(_now().timestamp()), chat=self._chat(),
                          from_user=self.user, text=text, caption=caption, message_thread_id=thread,
                          is_topic_message=True, **media)
        start = len(self.session.requests)
        await self.dp.feed_update(self.bot, Update(update_id=next(_ids), edited_message=message))
        return self.session.requests[start:]

    async def send_photo(self, thread: int, caption: str | None = None) -> list[TelegramMethod[Any]]:
        n = next(_ids)
        photo = [PhotoSize(file_id=f"cp{n}", file_unique_id=f"ucp{n}", width=800, height=600, file_size=50_000)]
        return await self.send(None, thread, photo=photo, caption=caption)

    def posts(self, thread: int) -> list[str]:
        """Everything the bot sent or copied into a topic, in order (copies as their originals)."""
        shown = []
        for method in self.session.requests:
            if getattr(method, "chat_id", None) != self.chat_id or getattr(method, "message_thread_id", None) != thread:
                continue
            if isinstance(method, SendMessage):
                shown.append(method.text)
            elif isinstance(method, CopyMessage):
                shown.append(describe(self.session.known.get((int(method.from_chat_id), method.message_id))))
        return shown


def _markup(markup: Any) -> InlineKeyboardMarkup | None:
    return markup if isinstance(markup, InlineKeyboardMarkup) else None
