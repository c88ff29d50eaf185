"""Talking to a clerk: the applicant's conversation is relayed to the clerks' forum group.

Each applicant gets one topic in the clerks' forum supergroup (``CLERK_CHAT_ID``; the bot
is an admin that can manage topics), created on the first hand-off and reused later. A
hand-off opens with a card in the topic (who, language, open cases and complaints); while it
is open, everything the applicant sends is copied into the topic and what clerks
(``CLERK_IDS``) write in the topic is copied back; ``/close`` there ends it. Each copy is
remembered, so a reply on one side is a reply to the right message on the other, and an
edited text or caption is edited in the copy. A hand-off that
ends closes its topic, so the group's open topics are the conversations waiting for clerks;
the next hand-off reopens it. A topic deleted or closed by hand is recreated or reopened
when needed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    InputMediaAnimation,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    MessageId,
    ReplyParameters,
)
from aiogram.types import User as TelegramUser

from domain.catalog import Catalog
from domain.clock import Clock
from domain.complaints import OPEN as OPEN_COMPLAINTS
from domain.deadlines import WorkingCalendar
from domain.hours import DeskHours
from domain.lifecycle import OPEN as OPEN_CASES
from presentation.rendering import Renderer
from storage.models import ClerkTopic, Handoff
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
TOPIC_GONE = ("thread not found", "topic_deleted", "topic_id_invalid")
TOPIC_CLOSED = "topic_closed"
# The handler data key under which UserMiddleware puts the sender's open hand-off (or None).
OPEN_HANDOFF = "open_handoff"


class DeskUnavailable(Exception):
    """The clerks' group cannot be reached (not set, not a forum, or the bot lacks rights)."""


@dataclass
class HandoffDesk:
    """Opens, relays and closes hand-offs; the handlers decide what the applicant is told."""

    chat_id: int | None
    clerk_ids: frozenset[int]
    hours: DeskHours
    calendar: WorkingCalendar
    renderer: Renderer
    catalog: Catalog
    locale: str
    clock: Clock

    @property
    def available(self) -> bool:
        return self.chat_id is not None

    def is_clerk(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.clerk_ids

    def next_opening(self) -> datetime | None:
        """When clerks start answering, if they are not at work now."""
        now = self.clock()
        return None if self.hours.is_open(self.calendar, now) else self.hours.next_opening(self.calendar, now)

    async def open(self, bot: Bot, repositories: Repositories, person: TelegramUser) -> tuple[Handoff, bool]:
        """The applicant's open hand-off, opened now if there was none (``True``): the card is
        posted in their topic. Raises :class:`DeskUnavailable` if the group cannot be reached."""
        existing = await repositories.handoffs.open_for(person.id)
        if existing is not None:
            return existing, False
        card = await self._card(repositories, person)
        await self._reopen_topic(bot, repositories, person.id)
        await self._send(bot, repositories, person, lambda thread: bot.send_message(
            self._chat(), card, message_thread_id=thread), card_first=False)
        handoff = Handoff(user_id=person.id, opened_at=self.clock())
        repositories.handoffs.add(handoff)
        await repositories.commit()
        logger.info("hand-off opened for user %s", person.id)
        return handoff, True

    async def relay_to_clerks(self, bot: Bot, repositories: Repositories, message: Message) -> None:
        """Copy an applicant's message into their topic (a reply stays a reply)."""
        person = message.from_user
        if person is None:
            return
        reply_to = await self._reply_target(repositories, message, self._chat())
        copy = await self._send(bot, repositories, person, lambda thread: bot.copy_message(
            self._chat(), message.chat.id, message.message_id, message_thread_id=thread,
            reply_parameters=_reply(reply_to)))
        if isinstance(copy, MessageId):
            repositories.handoffs.remember_relay(person.id, message.message_id, self._chat(), copy.message_id,
                                                 from_applicant=True, now=self.clock())
            await repositories.commit()

    async def relay_to_applicant(self, bot: Bot, repositories: Repositories, message: Message) -> str:
        """Copy a clerk's message from a topic to its applicant: "sent", "closed" (no open
        hand-off), "blocked" (the applicant blocked the bot) or "unknown" (not an applicant's topic)."""
        user_id = await self.user_of(repositories, message)
        if user_id is None:
            return "unknown"
        if await repositories.handoffs.open_for(user_id) is None:
            return "closed"
        reply_to = await self._reply_target(repositories, message, user_id)
        try:
            copy = await bot.copy_message(user_id, message.chat.id, message.message_id,
                                          reply_parameters=_reply(reply_to))
        except TelegramForbiddenError:
            await repositories.users.mark_blocked(user_id, self.clock())
            await repositories.commit()
            return "blocked"
        repositories.handoffs.remember_relay(user_id, copy.message_id, message.chat.id, message.message_id,
                                             from_applicant=False, now=self.clock())
        await repositories.commit()
        return "sent"

    async def relay_edit(self, bot: Bot, repositories: Repositories, message: Message) -> bool:
        """An edited message that was relayed (the applicant's, or a clerk's in a topic): its
        new text, or its photo, video, document, audio or animation with the caption (replaced
        or not: an edit does not say which), replaces the copy's. ``False`` if it was never
        relayed, or the copy could not be changed."""
        there = await self._other_side(repositories, message.chat.id, message.message_id, originals=True)
        if there is None:
            return False
        chat_id, message_id = there
        media = input_media(message)
        try:
            if media is not None:
                await bot.edit_message_media(media, chat_id=chat_id, message_id=message_id)
            elif message.text is not None:
                await bot.edit_message_text(message.text, chat_id=chat_id, message_id=message_id,
                                            entities=message.entities, parse_mode=None)
            elif message.caption is not None:
                await bot.edit_message_caption(chat_id=chat_id, message_id=message_id, caption=message.caption,
                                               caption_entities=message.caption_entities, parse_mode=None)
            else:
                return False
        except TelegramAPIError as exc:  # the copy was deleted, is too old to edit, or is unchanged
            logger.info("edit of relayed message %s in chat %s not passed on: %s", message_id, chat_id, exc)
            return False
        return True

    async def _other_side(self, repositories: Repositories, chat_id: int, message_id: int,
                          originals: bool = False) -> tuple[int, int] | None:
        """Where a relayed message stands on the other side (chat, message): for a message in
        the applicant's chat, its topic counterpart, and the other way round. ``originals``:
        only if the message given is the original (an edit is passed on from there only)."""
        if chat_id == self.chat_id:
            relay = await repositories.handoffs.relayed_topic(chat_id, message_id)
            if relay is None or (originals and relay.from_applicant):
                return None
            return relay.user_id, relay.private_message_id
        relay = await repositories.handoffs.relayed_private(chat_id, message_id)
        if relay is None or (originals and not relay.from_applicant):
            return None
        return relay.topic_chat_id, relay.topic_message_id

    async def _reply_target(self, repositories: Repositories, message: Message, to_chat: int) -> int | None:
        """The counterpart in ``to_chat`` of the message this one replies to (in a topic, a
        message that replies to nothing points at the topic's start, which has none)."""
        if message.reply_to_message is None:
            return None
        there = await self._other_side(repositories, message.chat.id, message.reply_to_message.message_id)
        return there[1] if there is not None and there[0] == to_chat else None

    async def user_of(self, repositories: Repositories, message: Message) -> int | None:
        if message.chat.id != self.chat_id or message.message_thread_id is None:
            return None
        return await repositories.handoffs.user_of_topic(message.chat.id, message.message_thread_id)

    async def close(self, repositories: Repositories, user_id: int, by: str) -> bool:
        """End the applicant's hand-off; ``False`` if none was open."""
        handoff = await repositories.handoffs.open_for(user_id)
        if handoff is None:
            return False
        handoff.closed_at = self.clock()
        handoff.closed_by = by
        await repositories.commit()
        logger.info("hand-off of user %s closed by %s", user_id, by)
        return True

    async def close_topic(self, bot: Bot, repositories: Repositories, user_id: int) -> None:
        """Close the applicant's topic in the group once their hand-off has ended (closed or
        deleted by hand, or no right to: nothing is lost)."""
        await self._on_topic(repositories, user_id, "could not close the topic",
                             lambda topic: bot.close_forum_topic(topic.chat_id, topic.thread_id))

    async def note(self, bot: Bot, repositories: Repositories, user_id: int, text: str) -> None:
        """A line from the bot in the applicant's topic (never relayed to the applicant)."""
        await self._on_topic(repositories, user_id, "could not write in the topic",
                             lambda topic: bot.send_message(topic.chat_id, text, message_thread_id=topic.thread_id),
                             level=logging.WARNING)

    async def tell_off_hours(self, repositories: Repositories, handoff: Handoff) -> datetime | None:
        """The next opening, if the applicant should be told of it now (once per stretch off hours)."""
        opening = self.next_opening()
        if opening is None or (handoff.told_until is not None and handoff.told_until >= opening):
            return None
        handoff.told_until = opening
        await repositories.commit()
        return opening

    # --- the topic ----------------------------------------------------------------------------

    async def _topic(self, repositories: Repositories, user_id: int) -> ClerkTopic | None:
        """The applicant's topic, if it is in the clerks' group configured now."""
        topic = await repositories.handoffs.topic_of(user_id)
        return topic if topic is not None and topic.chat_id == self.chat_id else None

    async def _reopen_topic(self, bot: Bot, repositories: Repositories, user_id: int) -> None:
        """Open already (TOPIC_NOT_MODIFIED), or deleted: sending to it sorts it out."""
        await self._on_topic(repositories, user_id, "could not reopen the topic",
                             lambda topic: bot.reopen_forum_topic(topic.chat_id, topic.thread_id), level=logging.DEBUG)

    async def _on_topic(self, repositories: Repositories, user_id: int, failure: str,
                        call: Callable[[ClerkTopic], Awaitable[object]], level: int = logging.INFO) -> None:
        """``call`` with the applicant's topic, if they have one in the group; Telegram's refusal
        is logged at ``level`` (the topic is the clerks' to close, delete or restrict)."""
        topic = await self._topic(repositories, user_id)
        if topic is None:
            return
        try:
            await call(topic)
        except TelegramAPIError as exc:
            logger.log(level, "%s of user %s: %s", failure, user_id, exc)

    def _chat(self) -> int:
        if self.chat_id is None:
            raise DeskUnavailable("CLERK_CHAT_ID is not set")
        return self.chat_id

    async def _send(self, bot: Bot, repositories: Repositories, person: TelegramUser,
                    send: Callable[[int], Awaitable[object]], card_first: bool = True) -> object:
        """Send into the applicant's topic, creating it first (with the card, if ``card_first``),
        and again if it was deleted; reopen it if it was closed by hand. Returns what was sent."""
        topic = await self._topic(repositories, person.id)
        thread = topic.thread_id if topic is not None else None
        if thread is None:
            thread = await self._new_topic(bot, repositories, person, card_first)
        try:
            return await send(thread)
        except TelegramBadRequest as exc:
            problem = exc.message.lower()
            if TOPIC_CLOSED in problem:
                await bot.reopen_forum_topic(self._chat(), thread)
            elif any(gone in problem for gone in TOPIC_GONE):
                thread = await self._new_topic(bot, repositories, person, card_first)
            else:
                raise DeskUnavailable(str(exc)) from exc
        try:
            return await send(thread)
        except TelegramAPIError as exc:
            raise DeskUnavailable(str(exc)) from exc

    async def _new_topic(self, bot: Bot, repositories: Repositories, person: TelegramUser, card: bool) -> int:
        name = f"{person.full_name} · {person.id}"[:128]
        try:
            topic = await bot.create_forum_topic(self._chat(), name)
            if card:
                await bot.send_message(self._chat(), await self._card(repositories, person),
                                       message_thread_id=topic.message_thread_id)
        except TelegramAPIError as exc:
            logger.error("cannot create a topic in the clerks' group: %s", exc)
            raise DeskUnavailable(str(exc)) from exc
        await repositories.handoffs.set_topic(person.id, self._chat(), topic.message_thread_id, self.clock())
        await repositories.commit()
        return topic.message_thread_id

    async def _card(self, repositories: Repositories, person: TelegramUser) -> str:
        user = await repositories.users.get(person.id)
        cases = [c for c in await repositories.cases.of_user(person.id) if c.status in OPEN_CASES]
        complaints = [c for c in await repositories.complaints.of_user(person.id) if c.status in OPEN_COMPLAINTS]
        return self.renderer.render("handoff_card.j2", self.locale, person=person,
                                    language=user.language if user else None, cases=cases, complaints=complaints,
                                    catalog=self.catalog)


# What an edited message's media can be replaced with (Bot.edit_message_media takes these).
MediaOfMessage = InputMediaAnimation | InputMediaAudio | InputMediaDocument | InputMediaPhoto | InputMediaVideo


def _reply(message_id: int | None) -> ReplyParameters | None:
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True) if message_id else None


def input_media(message: Message) -> MediaOfMessage | None:
    """The media of an edited message as it can replace a copy's (``None`` for other kinds)."""
    caption, entities = message.caption, message.caption_entities
    if message.photo:
        return InputMediaPhoto(media=message.photo[-1].file_id, caption=caption, caption_entities=entities,
                               parse_mode=None)
    if message.video:
        return InputMediaVideo(media=message.video.file_id, caption=caption, caption_entities=entities,
                               parse_mode=None)
    if message.animation:
        return InputMediaAnimation(media=message.animation.file_id, caption=caption, caption_entities=entities,
                                   parse_mode=None)
    if message.audio:
        return InputMediaAudio(media=message.audio.file_id, caption=caption, caption_entities=entities,
                               parse_mode=None)
    if message.document:
        return InputMediaDocument(media=message.document.file_id, caption=caption, caption_entities=entities,
                                  parse_mode=None)
    return None
