"""A fast fake Telegram for benchmarks: a bot session answering without a network, and
simulated users who read the bot's last message and press its buttons.

Unlike the tests' recording session it keeps nothing but each chat's newest message, so
the harness costs little next to what it measures. Also what every benchmark starts from:
a fresh, migrated database and a sample application.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    CopyMessage,
    CreateForumTopic,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    ForumTopic,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    MessageId,
    Update,
    User,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.cases import NewApplication
from storage.database import create_engine
from storage.migrate import upgrade


async def fresh_database(url: str) -> AsyncEngine:
    """An engine on ``url`` migrated from empty (a PostgreSQL schema is dropped first)."""
    engine = create_engine(url)
    if url.startswith("postgresql"):
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    return engine


def application(user_id: int) -> NewApplication:
    """A military service certificate at the Aktau centre, as an applicant hands it in."""
    return NewApplication(user_id=user_id, standard_id="psc_military_service_certificate", office_id="psc_aktau",
                          language="ru", applicant={"name": "Bench", "iin": "900101300126", "phone": "+77011234567"})


BOT_USER = User(id=1, is_bot=True, first_name="Kenes", username="kenes_bench_bot")
_ids = itertools.count(1)


@dataclass
class Shown:
    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None


@dataclass
class FakeSession(BaseSession):
    """Answers every request at once; remembers each chat's newest message with buttons."""

    shown: dict[int, Shown] = field(default_factory=dict)
    requests: int = 0
    said: list[tuple[int, str]] = field(default_factory=list)  # (chat, text) of each message sent or edited
    keep_said: bool = False  # fill ``said`` (bench/questions.py reads the answers)

    def __post_init__(self) -> None:
        super().__init__()

    def _message(self, chat_id: int, message_id: int, text: str | None, markup: Any) -> Message:
        if self.keep_said and text:
            self.said.append((chat_id, text))
        inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
        if inline is not None:
            self.shown[chat_id] = Shown(message_id, text or "", inline)
        return Message(message_id=message_id, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private"),
                       from_user=BOT_USER, text=text, reply_markup=inline)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.requests += 1
        if isinstance(method, SendMessage):
            return self._message(int(method.chat_id), next(_ids), method.text, method.reply_markup)
        if isinstance(method, EditMessageText):
            return self._message(int(method.chat_id or 0), method.message_id or 0, method.text, method.reply_markup)
        if isinstance(method, EditMessageReplyMarkup):
            return self._message(int(method.chat_id or 0), method.message_id or 0, None, method.reply_markup)
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, CopyMessage):
            return MessageId(message_id=next(_ids))
        if isinstance(method, CreateForumTopic):
            return ForumTopic(message_thread_id=next(_ids), name=method.name, icon_color=0)
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


@dataclass
class SimulatedUser:
    """One person in a private chat: sends messages, presses buttons; every update is timed."""

    bot: Bot
    dp: Dispatcher
    session: FakeSession
    user_id: int
    language_code: str = "ru"
    latencies: list[float] = field(default_factory=list)

    @property
    def user(self) -> User:
        return User(id=self.user_id, is_bot=False, first_name="Bench", language_code=self.language_code)

    def _chat(self) -> Chat:
        return Chat(id=self.user_id, type="private", first_name="Bench")

    async def feed(self, update: Update) -> None:
        # Mounted on the bot, as the updates polling or the webhook hands over are (otherwise
        # the dispatcher copies every update once more to mount it).
        update = Update.model_validate(update.model_dump(), context={"bot": self.bot})
        began = time.perf_counter()
        await self.dp.feed_update(self.bot, update)
        self.latencies.append(time.perf_counter() - began)

    async def send(self, text: str) -> None:
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = Message(message_id=next(_ids), date=datetime.now(UTC), chat=self._chat(), from_user=self.user,
                          text=text, entities=entities)
        await self.feed(Update(update_id=next(_ids), message=message))

    def buttons(self) -> list[tuple[str, str]]:
        shown = self.session.shown.get(self.user_id)
        if shown is None or shown.markup is None:
            return []
        return [(b.text, b.callback_data or "") for row in shown.markup.inline_keyboard for b in row]

    async def click(self, label: str) -> None:
        """Press the first button whose text contains ``label`` on the newest message with buttons."""
        shown = self.session.shown.get(self.user_id)
        data = next((d for text, d in self.buttons() if label in text and d), None)
        if shown is None or data is None:
            raise LookupError(f"user {self.user_id}: no button {label!r} in {[t for t, _ in self.buttons()]}"
                              f" under {shown.text[:200] if shown else None!r}")
        message = Message(message_id=shown.message_id, date=datetime.now(UTC), chat=self._chat(),
                          from_user=BOT_USER, text=shown.text, reply_markup=shown.markup)
        callback = CallbackQuery(id=str(next(_ids)), from_user=self.user, chat_instance="bench", message=message,
                                 data=data)
        await self.feed(Update(update_id=next(_ids), callback_query=callback))

    def has(self, label: str) -> bool:
        return any(label in text for text, _ in self.buttons())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
