"""Talking to a clerk: the applicant's messages go to their topic in the clerks' forum group,
clerks' replies come back, /close ends it; out of hours the applicant is told when to expect
an answer. Every message to the group is checked for the topic it lands in."""

from __future__ import annotations

from datetime import date, datetime, time

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    CloseForumTopic,
    CopyMessage,
    CreateForumTopic,
    EditMessageMedia,
    EditMessageText,
    ReopenForumTopic,
    SendMessage,
)
from aiogram.types import Document, ForumTopicCreated, Message, PhotoSize, Update
from sqlalchemy import select

from domain.deadlines import ALMATY
from storage.models import ClerkTopic, Handoff
from tests.conftest import CLERK_CHAT_ID, CLERK_ID, App, FakeClock
from tests.telegram import BOT_USER, ChatClient, ForumClient, _now

QUESTION = "Здравствуйте! Когда будет готова справка?"


def desk(app: App, user_id: int = CLERK_ID, is_bot: bool = False) -> ForumClient:
    return ForumClient(bot=app.bot, dp=app.dp, session=app.session, chat_id=CLERK_CHAT_ID, user_id=user_id,
                       is_bot=is_bot)


async def thread_of(app: App, user_id: int) -> int:
    async with app.sessions() as session:
        topic = await session.get(ClerkTopic, user_id)
        assert topic is not None and topic.chat_id == CLERK_CHAT_ID
        return topic.thread_id


async def handoffs(app: App) -> list[Handoff]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Handoff).order_by(Handoff.id)))


def requests_since(app: App, start: int, kind: type) -> list:
    return [m for m in app.session.requests[start:] if isinstance(m, kind)]


async def talk(client: ChatClient, language: str = "Русский") -> None:
    await client.start_in(language)
    await client.click("👩‍💼")


async def test_both_ways_with_text_and_a_photo(app: App, ru: ChatClient, clock: FakeClock) -> None:
    start = len(app.session.requests)
    await talk(ru)
    (created,) = requests_since(app, start, CreateForumTopic)
    assert created.chat_id == CLERK_CHAT_ID and created.name == "Айгерим · 555000111"
    thread = await thread_of(app, ru.user_id)
    clerks = desk(app)
    (card,) = clerks.posts(thread)
    assert "👤 <b>Айгерим</b> · id <code>555000111</code>" in card and "🌐 Русский" in card
    assert "/close" in card
    assert ru.last.text.startswith("👩‍💼 Теперь вы пишете сотруднику.")
    assert ru.last.button_texts == ["↩️ Вернуться к боту"]
    assert "🌙" not in ru.last.text, "Monday 10:00: clerks are at work"

    sent = len(ru.chat)
    await ru.send(QUESTION)
    await ru.send_photo()
    assert len(ru.chat) == sent, "the bot does not answer the applicant's messages itself"
    copies = [m for m in app.session.requests if isinstance(m, CopyMessage) and m.chat_id == CLERK_CHAT_ID]
    assert [(c.from_chat_id, c.message_thread_id) for c in copies] == [(ru.user_id, thread)] * 2
    assert clerks.posts(thread)[1:] == [QUESTION, "[photo]"]

    await clerks.send("Добрый день! Справка будет готова завтра.", thread)
    assert ru.last.text == "Добрый день! Справка будет готова завтра."
    await clerks.send_photo(thread, caption="Образец заявления")
    assert ru.last.text == "Образец заявления"
    back = [m for m in app.session.requests if isinstance(m, CopyMessage) and m.chat_id == ru.user_id]
    assert [m.from_chat_id for m in back] == [CLERK_CHAT_ID] * 2
    assert (await handoffs(app))[0].closed_at is None


def copies_to(app: App, chat_id: int) -> list[tuple[CopyMessage, int]]:
    """The bot's copies into a chat, each with the id of the copy."""
    return [(m, r.message_id) for m, r in zip(app.session.requests, app.session.results, strict=True)
            if isinstance(m, CopyMessage) and m.chat_id == chat_id]


async def test_replies_and_edits_reach_the_other_side(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.send("справка")
    before = ru.sent[-1].message_id  # written to the bot, not to a clerk
    await ru.send("/menu")
    await ru.click("👩‍💼")
    thread = await thread_of(app, ru.user_id)
    clerks = desk(app)
    await ru.send(QUESTION)
    question = ru.sent[-1].message_id
    (_, question_copy), = copies_to(app, CLERK_CHAT_ID)

    # The clerk answers the question with a reply: the applicant sees a reply to their question.
    requests = await clerks.send("Уточните, пожалуйста, номер заявки.", thread, reply_to=question_copy)
    (answer,) = [m for m in requests if isinstance(m, CopyMessage)]
    clerk_message = answer.message_id
    assert answer.reply_parameters is not None and answer.reply_parameters.message_id == question
    answer_copy = copies_to(app, ru.user_id)[-1][1]
    assert ru.last.text == "Уточните, пожалуйста, номер заявки."
    # A plain message in the topic (it points at the topic's start) is not a reply.
    requests = await clerks.send("Жду.", thread)
    assert [m.reply_parameters for m in requests if isinstance(m, CopyMessage)] == [None]

    # The applicant replies to the clerk's message: a reply to it in the topic.
    await ru.reply(answer_copy, "KNS-2026-000001")
    copy, _ = copies_to(app, CLERK_CHAT_ID)[-1]
    assert copy.reply_parameters is not None and copy.reply_parameters.message_id == clerk_message

    # The applicant corrects the question: the copy in the topic is corrected.
    requests = await ru.edit(question, "Здравствуйте! Когда будет готова справка о воинской службе?")
    (edit,) = [m for m in app.session.requests[-3:] if isinstance(m, EditMessageText)]
    assert (edit.chat_id, edit.message_id) == (CLERK_CHAT_ID, question_copy)
    assert edit.text == "Здравствуйте! Когда будет готова справка о воинской службе?"
    assert requests == [], "the applicant gets nothing for an edit"

    # The clerk corrects their message, then a photo's caption: the applicant's copies change.
    requests = await clerks.edit(clerk_message, thread, text="Уточните номер заявки (KNS-…).")
    assert [type(m) for m in requests] == [EditMessageText], "the clerks are not told anything"
    assert ru.last and ru.find(answer_copy).text == "Уточните номер заявки (KNS-…)."
    await clerks.send_photo(thread, caption="Образец")
    photo, photo_copy = copies_to(app, ru.user_id)[-1]
    sent_photo = app.session.known[(CLERK_CHAT_ID, photo.message_id)].photo
    requests = await clerks.edit(photo.message_id, thread, caption="Образец заявления", photo=sent_photo)
    (edit,) = [m for m in requests if isinstance(m, EditMessageMedia)]
    assert (edit.chat_id, edit.message_id) == (ru.user_id, photo_copy)
    assert (edit.media.type, edit.media.media, edit.media.caption) == ("photo", sent_photo[-1].file_id,
                                                                      "Образец заявления")
    assert ru.last and ru.find(photo_copy).text == "Образец заявления"
    # The clerk replaces the photo itself: the applicant's copy shows the new one.
    new_photo = [PhotoSize(file_id="clerk-new-photo", file_unique_id="u-clerk-new", width=800, height=600)]
    requests = await clerks.edit(photo.message_id, thread, caption="Образец заявления", photo=new_photo)
    (edit,) = [m for m in requests if isinstance(m, EditMessageMedia)]
    assert (edit.chat_id, edit.message_id, edit.media.media) == (ru.user_id, photo_copy, "clerk-new-photo")
    # The applicant replaces a scan they sent: the copy in the topic is replaced.
    await ru.send_document("spravka.pdf", "application/pdf")
    scan = ru.sent[-1].message_id
    scan_copy = copies_to(app, CLERK_CHAT_ID)[-1][1]
    fixed = Document(file_id="doc-fixed", file_unique_id="u-doc-fixed", file_name="spravka-2.pdf",
                     mime_type="application/pdf", file_size=40_000)
    assert await ru.edit(scan, caption="Исправленная справка", document=fixed) == []
    (edit,) = [m for m in app.session.requests[-2:] if isinstance(m, EditMessageMedia)]
    assert (edit.chat_id, edit.message_id) == (CLERK_CHAT_ID, scan_copy)
    assert (edit.media.type, edit.media.media, edit.media.caption) == ("document", "doc-fixed",
                                                                      "Исправленная справка")
    # Telegram refuses an edit that changes nothing (or a copy too old): the bot carries on.
    app.session.add_result_for(EditMessageMedia, TelegramBadRequest(
        method=edit, message="Bad Request: message is not modified"))
    await ru.edit(scan, caption="Исправленная справка", document=fixed)
    await ru.send("Спасибо")
    assert copies_to(app, CLERK_CHAT_ID)[-1][0].message_id == ru.sent[-1].message_id

    # Messages that were never relayed: nothing happens.
    start = len(app.session.requests)
    await ru.edit(before, "справка о воинской службе")
    await clerks.edit(question_copy, thread, text="the bot's own copy")  # not a clerk's message
    assert app.session.requests[start:] == []


async def test_two_applicants_have_their_own_topics(app: App, ru: ChatClient, kk: ChatClient,
                                                    clock: FakeClock) -> None:
    await talk(ru)
    await talk(kk, "Қазақша")
    first, second = await thread_of(app, ru.user_id), await thread_of(app, kk.user_id)
    assert first != second
    clerks = desk(app)
    await ru.send("Вопрос от первого")
    await kk.send("Екіншіден сұрақ")
    assert clerks.posts(first)[-1] == "Вопрос от первого" and clerks.posts(second)[-1] == "Екіншіден сұрақ"
    assert "Екіншіден сұрақ" not in clerks.posts(first)
    await clerks.send("Ответ второму", second)
    await clerks.send("Ответ первому", first)
    assert kk.last.text == "Ответ второму" and ru.last.text == "Ответ первому"
    assert "Ответ первому" not in [m.text for m in kk.chat]


async def test_close_returns_the_applicant_and_the_topic_is_reused(app: App, ru: ChatClient,
                                                                   clock: FakeClock) -> None:
    await talk(ru)
    thread = await thread_of(app, ru.user_id)
    clerks = desk(app)
    requests = await clerks.send("/close", thread)
    (reply,) = [m for m in requests if isinstance(m, SendMessage) and m.chat_id == CLERK_CHAT_ID]
    assert reply.message_thread_id == thread and reply.text == "Закрыто. Заявитель снова с ботом."
    (closed,) = [m for m in requests if isinstance(m, CloseForumTopic)]
    assert (closed.chat_id, closed.message_thread_id) == (CLERK_CHAT_ID, thread), "the group shows it done"
    assert [type(m) for m in requests if m is reply or m is closed] == [SendMessage, CloseForumTopic]
    assert ru.last.text.startswith("✅ Сотрудник завершил разговор.")
    assert ru.last.button_texts == ["🏠 Главное меню"]
    assert (await handoffs(app))[0].closed_by.startswith(f"clerk:{CLERK_ID}:"), "who closed it, with their name"

    # Back with the bot: a question is answered by the bot, not relayed.
    copies = len([m for m in app.session.requests if isinstance(m, CopyMessage)])
    await ru.send("сколько стоит справка о воинской службе")
    assert "Бесплатно" in ru.last.text
    assert len([m for m in app.session.requests if isinstance(m, CopyMessage)]) == copies
    requests = await clerks.send("Вы ещё здесь?", thread)
    assert [m.text for m in requests if isinstance(m, SendMessage)] == [
        "Не доставлено: разговор закрыт. Заявитель может снова написать через «Связаться с сотрудником»."]
    requests = await clerks.send("/close", thread)
    assert clerks.posts(thread)[-1] == "Этот разговор уже закрыт."
    assert not any(isinstance(m, CloseForumTopic) for m in requests)

    # A second hand-off reopens the topic, with a fresh card.
    start = len(app.session.requests)
    await ru.send("/menu")
    await ru.click("👩‍💼")
    assert requests_since(app, start, CreateForumTopic) == []
    (reopened,) = requests_since(app, start, ReopenForumTopic)
    assert (reopened.chat_id, reopened.message_thread_id) == (CLERK_CHAT_ID, thread)
    kinds = [type(m) for m in app.session.requests[start:] if isinstance(m, (ReopenForumTopic, SendMessage))
             and m.chat_id == CLERK_CHAT_ID]
    assert kinds[:2] == [ReopenForumTopic, SendMessage], "reopened before the card"
    assert "👤 <b>Айгерим</b>" in clerks.posts(thread)[-1]
    assert len(await handoffs(app)) == 2


async def test_the_applicant_goes_back_to_the_bot(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await talk(ru)
    thread = await thread_of(app, ru.user_id)
    await ru.send("/help")
    assert ru.last.text.startswith("Сейчас вы пишете сотруднику.")
    assert desk(app).posts(thread)[-1] != "/help", "commands are not relayed"
    start = len(app.session.requests)
    await ru.send("/menu")
    assert "Кеңес — ваш помощник" in ru.last.text
    assert desk(app).posts(thread)[-1] == "↩️ Заявитель вернулся к боту; разговор закрыт."
    assert (await handoffs(app))[0].closed_by == "user"
    assert [m.message_thread_id for m in requests_since(app, start, CloseForumTopic)] == [thread]

    # The topic was reopened by hand meanwhile, and someone closed it by hand again before the
    # applicant left: neither refusal gets in the way.
    app.session.add_result_for(ReopenForumTopic, TelegramBadRequest(
        method=ReopenForumTopic(chat_id=1, message_thread_id=1), message="Bad Request: TOPIC_NOT_MODIFIED"))
    await ru.click("👩‍💼")
    assert ru.last.text.startswith("👩‍💼 Теперь вы пишете сотруднику.")
    assert "👤 <b>Айгерим</b>" in desk(app).posts(thread)[-1]
    app.session.add_result_for(CloseForumTopic, TelegramBadRequest(
        method=CloseForumTopic(chat_id=1, message_thread_id=1), message="Bad Request: TOPIC_NOT_MODIFIED"))
    start = len(app.session.requests)
    await ru.click("Вернуться к боту")
    assert "Кеңес — ваш помощник" in ru.last.text
    assert all(h.closed_at is not None for h in await handoffs(app))
    assert len(requests_since(app, start, CloseForumTopic)) == 1


async def test_only_clerks_are_relayed(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await talk(ru)
    thread = await thread_of(app, ru.user_id)
    before = len(ru.chat)
    outsider = desk(app, user_id=777777)
    requests = await outsider.send("Я не сотрудник, но напишу", thread)
    (reply,) = [m for m in requests if isinstance(m, SendMessage)]
    assert reply.chat_id == CLERK_CHAT_ID and reply.message_thread_id == thread
    assert reply.text == "Заявителю передаются только сообщения сотрудников; это сообщение не передано."
    await outsider.send("/close", thread)
    assert (await handoffs(app))[0].closed_at is None, "a non-clerk cannot close it"
    # The bot's own service message about the topic is never relayed.
    service = Message(message_id=99_001, date=_now(), chat=desk(app)._chat(), from_user=BOT_USER,
                      message_thread_id=thread, is_topic_message=True,
                      forum_topic_created=ForumTopicCreated(name="Айгерим", icon_color=0x6FB9F0))
    await app.dp.feed_update(app.bot, Update(update_id=99_002, message=service))
    ru._apply_new_requests()
    assert len(ru.chat) == before


async def test_out_of_hours_notice_once_per_evening(app: App, ru: ChatClient, clock: FakeClock) -> None:
    clock.now = datetime.combine(date(2026, 11, 27), time(19, 30), tzinfo=ALMATY)  # Friday evening
    await talk(ru)
    notice = ("🌙 Сотрудники отвечают в рабочие дни с 09:00 до 18:00. Ответ будет после понедельник, "
              "30 ноября 2026\u202fг., 09:00; ваши сообщения их дождутся.")
    assert notice in ru.last.text
    thread = await thread_of(app, ru.user_id)
    shown = len(ru.chat)
    await ru.send(QUESTION)
    clock.now = datetime.combine(date(2026, 11, 30), time(8, 30), tzinfo=ALMATY)
    await ru.send("Ещё вопрос")
    assert len(ru.chat) == shown, "told once for the weekend"
    assert desk(app).posts(thread)[-2:] == [QUESTION, "Ещё вопрос"], "the messages wait in the topic"
    clock.now = datetime.combine(date(2026, 11, 30), time(18, 5), tzinfo=ALMATY)
    await ru.send("Вечером снова пишу")
    assert ru.last.text.startswith("🌙 Сотрудники отвечают")
    assert "вторник, 1 декабря 2026\u202fг., 09:00" in ru.last.text


async def test_a_clerk_is_offered_after_two_misunderstandings(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await kk.start_in("Қазақша")
    await kk.send("бла бла бла")
    assert kk.last.button_texts == ["🏠 Басты мәзір"]
    await kk.send_sticker()
    assert kk.last.button_texts == ["👩‍💼 Қызметкермен сөйлесу", "🏠 Басты мәзір"]
    await kk.send("Ақтау жұмыс уақыты")  # understood: the count starts again
    await kk.send("ммм ааа")
    assert "👩‍💼 Қызметкермен сөйлесу" not in kk.last.button_texts
    await kk.send("ештеңе")
    await kk.click("Қызметкермен сөйлесу")
    assert kk.last.text.startswith("👩‍💼 Енді сіз қызметкерге жазып жатырсыз.")
    assert (await handoffs(app))[0].user_id == kk.user_id


async def test_a_deleted_topic_is_created_again(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await talk(ru)
    old = await thread_of(app, ru.user_id)
    app.session.add_result(TelegramBadRequest(method=CopyMessage(chat_id=1, from_chat_id=1, message_id=1),
                                              message="Bad Request: message thread not found"))
    await ru.send(QUESTION)
    new = await thread_of(app, ru.user_id)
    assert new != old
    posts = desk(app).posts(new)
    assert "👤 <b>Айгерим</b>" in posts[0] and posts[1] == QUESTION


async def test_without_a_clerks_group_there_is_no_hand_off(app: App) -> None:
    app.dp["handoff_desk"].chat_id = None  # as when CLERK_CHAT_ID is not set
    client = app.client(language_code="ru", user_id=4242)
    await client.start_in("Русский")
    assert not any("👩‍💼" in t for t in client.last.button_texts)
    await client.click_data("ho:start")
    assert client.last.text == "Связь с сотрудником сейчас недоступна. Воспользуйтесь меню."


async def test_a_topic_closed_by_hand_is_reopened(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await talk(ru)
    thread = await thread_of(app, ru.user_id)
    app.session.add_result(TelegramBadRequest(method=CopyMessage(chat_id=1, from_chat_id=1, message_id=1),
                                              message="Bad Request: TOPIC_CLOSED"))
    start = len(app.session.requests)
    await ru.send(QUESTION)
    (reopened,) = requests_since(app, start, ReopenForumTopic)
    assert (reopened.chat_id, reopened.message_thread_id) == (CLERK_CHAT_ID, thread)
    assert desk(app).posts(thread)[-1] == QUESTION and await thread_of(app, ru.user_id) == thread
