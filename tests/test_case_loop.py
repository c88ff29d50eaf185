"""The whole loop: submit → receipt → a clerk accepts → ready → the applicant is notified →
issued → survey; and privacy, clerks' rights, reasons and grounds, status and deep links."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update
from sqlalchemy import select

from jobs.outbox import OutboxWorker
from storage.models import Case, SurveyAnswer
from tests.conftest import CLERK_CHAT_ID, CLERK_ID, App, FakeClock
from tests.telegram import ChatClient, _now
from tests.test_application import VALID_IIN


async def apply_for_benefits(client: ChatClient) -> str:
    """A quick application (ru) for the benefits certificate in Atyrau; the case number."""
    await client.start_in("Русский")
    await client.click("Подать онлайн")
    await client.click("льготников")
    await client.click("Атырау")
    await client.click("Нет, не нужна")
    await client.click("Я сам(а)")
    await client.send("Садыков Бауыржан")
    await client.send(VALID_IIN)
    await client.share_contact("+77011234567")
    await client.send_photo()
    await client.click("Далее")
    while "Пропустить" in "".join(client.last.button_texts):
        await client.click("Пропустить")
    await client.click("Отправить заявление")
    assert client.last.text.startswith("🧾 <b>Расписка № ")
    return client.last.text.split("№ ")[1].split("<")[0]


def worker(app: App, clock: FakeClock) -> OutboxWorker:
    return OutboxWorker(app.bot, app.sessions, clock=clock, sleep=clock.sleep)


async def deliver(app: App, clock: FakeClock, client: ChatClient) -> list[str]:
    """Run the outbox worker until it has nothing due; the texts the client received."""
    clock.advance(seconds=2)
    start = len(app.session.requests)
    outbox = worker(app, clock)
    while (wait := await outbox.deliver_due()) is not None:
        await clock.sleep(wait)
    client._apply_new_requests()
    return [m.text for m in app.session.requests[start:] if isinstance(m, SendMessage)
            and int(m.chat_id) == client.user_id]


def clerk(app: App) -> ChatClient:
    return app.client(user_id=CLERK_ID, language_code="ru", first_name="Асель")


async def test_the_whole_loop(app: App, clock: FakeClock) -> None:
    applicant = app.client(user_id=4101, language_code="ru")
    number = await apply_for_benefits(applicant)

    # The clerks' group heard of the new application.
    clock.advance(seconds=2)
    await worker(app, clock).deliver_due()
    group = [m for m in app.session.requests if isinstance(m, SendMessage) and m.chat_id == CLERK_CHAT_ID]
    assert len(group) == 1 and f"/case {number}" in group[0].text

    officer = clerk(app)
    await officer.send(f"/case {number}")
    card = officer.last.text
    assert f"Дело № {number}</b> — подано" in card
    assert f"Садыков Бауыржан, ИИН {VALID_IIN}" in card and "Телефон: +77011234567" in card
    assert "• Заявление установленного образца (фото) — ещё не сохранён" in card, "kinds in the clerk's language"
    assert "(заявитель)" in card and "user:" not in card
    assert officer.last.button_texts == ["📥 Принять", "↩️ Вернуть", "📎 1. Заявление установленного образца"]

    await officer.click("Принять")
    assert officer.answers[-1].text == f"Дело № {number}: теперь «в работе».", "the toast names the new status"
    assert "— в работе" in officer.last.text
    assert officer.last.button_texts == ["↩️ Вернуть", "⏳ Продлить", "✅ Результат готов",
                                         "📎 1. Заявление установленного образца"]
    received = await deliver(app, clock, applicant)
    assert received == [
        f"⚙️ Ваше заявление № {number} принято в работу.\n🏅 Справка лицам, имеющим льготы (участники ВОВ, "
        "ликвидаторы аварии на ЧАЭС, воины-интернационалисты)\n⏱ Срок исполнения: 26 ноября 2026\u202fг.\n"
        "Когда результат будет готов, мы напишем вам здесь."
    ]
    assert applicant.last.button_texts == ["📂 Моё заявление", "📣 Подать жалобу"]

    clock.advance(days=1)
    await officer.click("Результат готов")
    received = await deliver(app, clock, applicant)
    assert len(received) == 1 and received[0].startswith(f"✅ По вашему заявлению № {number} готов результат")
    assert "Готовые документы выдаёт инспектор Центра через «окно»" in received[0]
    assert "📍 г. Атырау, ул. Баймуханова, 16" in received[0]
    assert "🕘 понедельник – суббота, 09:00–20:00" in received[0]

    await officer.click("Выдано")
    received = await deliver(app, clock, applicant)
    assert received[0] == f"📄 Результат по вашему заявлению № {number} выдан. Спасибо!"
    assert "Короткий опрос по заявлению" in received[1] and "(вопрос 1 из 2)" in received[1]
    assert "<b>Удовлетворены ли вы качеством процесса предоставления услуги?</b>" in received[1], \
        "a paper certificate asks what its own standard measures (indicator 2.1), not the e-service survey"
    assert "электронной" not in received[1]
    assert applicant.last.button_texts == ["Не удовлетворён(а)", "Частично удовлетворён(а)", "Удовлетворён(а)"]
    await officer.send(f"/case {number}")
    assert "Принято в работу <i>(сотрудник Асель)</i>" in officer.last.text, "the clerk by name"
    assert "clerk:" not in officer.last.text

    await applicant.click("Частично")
    assert "(вопрос 2 из 2)" in applicant.last.text
    assert "Удовлетворены ли вы качеством и информацией о порядке предоставления услуги?" in applicant.last.text
    await applicant.click("Удовлетворён(а)")
    assert applicant.last.text == "Спасибо за ответы! Они помогают улучшить услугу."
    async with app.sessions() as session:
        answers = {(a.question, a.answer) for a in await session.scalars(select(SurveyAnswer))}
    assert answers == {(1, "partly"), (2, "satisfied")}

    await applicant.send(f"/status {number}")
    detail = applicant.last.text
    assert f"Заявление № {number}" in detail and "Статус: выдано" in detail
    assert detail.count("\n• ") == 4, "submit, accept, ready, issue"
    assert "Принято в работу" in detail and "Результат выдан" in detail


async def test_privacy(app: App, clock: FakeClock) -> None:
    owner = app.client(user_id=4201, language_code="ru")
    number = await apply_for_benefits(owner)
    stranger = app.client(user_id=4202, language_code="ru", first_name="Чужой")
    await stranger.start_in("Русский")
    await stranger.send(f"/status {number}")
    stranger_answer = stranger.last.text
    await stranger.send("/status 26-999999")
    assert stranger_answer == stranger.last.text == "Заявление с таким номером не найдено."
    await stranger.send(f"/start case_{number}")
    assert stranger.last.text == "Заявление с таким номером не найдено."
    await stranger.click("Мои заявления")
    assert "У вас пока нет заявлений." in stranger.last.text

    await stranger.send(f"/case {number}")
    assert stranger.last.text == "Извините, это доступно только сотрудникам."
    await stranger.click_data(f"ck:{number}:accept")
    assert stranger.answers[-1].text == "Извините, это доступно только сотрудникам."
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case.status == "submitted" and len(case.events) == 1

    await owner.send(f"/start case_{number}")
    assert f"Заявление № {number}" in owner.last.text and "Статус: подано" in owner.last.text


async def test_deep_link_for_a_new_user_opens_the_case(make_app: Callable[[], App], clock: FakeClock) -> None:
    app = make_app()
    owner = app.client(user_id=4301, language_code="ru")
    number = await apply_for_benefits(owner)
    fresh = app.client(user_id=4301, language_code="kk")  # the same person, from another device
    fresh.chat = owner.chat
    await fresh.send(f"/start case_{number}")
    assert f"Заявление № {number}" in fresh.last.text, "the saved language is kept"


async def test_return_with_reasons_and_refusal_grounds(app: App, clock: FakeClock) -> None:
    applicant = app.client(user_id=4401, language_code="kk")
    await applicant.start_in("Қазақша")
    await applicant.click("Онлайн өтініш беру")
    await applicant.click("Шетелдік БАҚ")
    await applicant.click("Маңғыстау")
    await applicant.click("Жеке тұлға")
    await applicant.send("Нұрланов Асқар")
    await applicant.send(VALID_IIN)
    await applicant.send("+77011234567")
    # The Mangystau standard's form lists no periodicity: it is not asked.
    for answer in ("жеке кәсіпкер", "ЖК Нұрланов", "Ақтау", "Time", "Маңғыстау", "ағылшын", "саясат", "100"):
        await applicant.send(answer)
    await applicant.click("Жоқ, әрі қарай")
    await applicant.click("Өткізіп жіберу")
    await applicant.click("Өткізіп жіберу")
    await applicant.click("Өтінішті жіберу")
    number = applicant.last.text.split("№ ")[1].split(" ")[0]

    officer = clerk(app)
    await officer.send(f"/case {number}")
    assert "Статус и организационно-правовая форма распространителя: жеке кәсіпкер" in officer.last.text
    assert "Издание 1: Time · Маңғыстау · ағылшын · саясат · 100" in officer.last.text
    await officer.click("Вернуть")
    assert "напишите причины возврата" in officer.last.text
    await officer.send("/status")  # a command is not a reason
    assert officer.last.text.startswith("Напишите причину текстом")
    await officer.send("Нет копии документа о регистрации ИП")
    assert "— возвращено на доработку" in officer.last.text and officer.last.button_texts == []
    received = await deliver(app, clock, applicant)
    assert received == [f"↩️ № {number} өтінішіңіз түзетуге қайтарылды.\nСебептері: Нет копии документа о "
                        "регистрации ИП\nҚұжаттарды түзетіп, өтінішті қайта беріңіз."]

    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert (case.status, case.events[-1].comment) == ("returned", "Нет копии документа о регистрации ИП")


async def test_refusal_and_extension_by_clerks(app: App, clock: FakeClock) -> None:
    from tests.test_case_service import add_user, submit

    await add_user(app, 4501, "ru")
    media = await submit(app, user_id=4501, standard="mangystau_foreign_media", office="mangystau_uvp_232")
    psc = await submit(app, user_id=4501)
    officer = clerk(app)
    await officer.send(f"/case {media}")
    await officer.click("Принять")
    await officer.click("Отказать")
    assert "выберите основание отказа" in officer.last.text and officer.last.button_texts == ["1", "2", "3", "4", "5"]
    await officer.click("4")
    assert officer.answers[-1].text == f"Дело № {media}: теперь «отказано»."

    await officer.send(f"/case {psc}")
    await officer.click("Принять")
    await officer.click("Продлить")
    assert officer.last.button_texts[0].startswith("1 мес.: ")
    await officer.click("3 мес.")
    await officer.send("Запрос в архив Российской Федерации")
    assert "срок 23 февраля 2027" in officer.last.text.replace("\u202f", " ")
    applicant = app.client(user_id=4501)
    received = await deliver(app, clock, applicant)
    assert any("решение суда, запрещающее ему занятие" in text for text in received)
    assert any("продлён до 23 февраля 2027 г." in text.replace("\u202f", " ") for text in received)
    assert not any("г.." in text for text in received), "one full stop after «г.»"

    await officer.send("/cases")
    assert f"<code>{psc}</code>" in officer.last.text and f"<code>{media}</code>" not in officer.last.text


async def test_clerks_work_in_their_group_too(app: App, clock: FakeClock) -> None:
    from tests.test_case_service import add_user, submit

    await add_user(app, 4601, "ru")
    number = await submit(app, user_id=4601)
    officer = clerk(app)
    group = Chat(id=CLERK_CHAT_ID, type="supergroup", title="Clerks")
    message = Message(message_id=77, date=_now(), chat=group, from_user=officer.user, text=f"/case {number}")
    await app.dp.feed_update(app.bot, Update(update_id=99001, message=message))
    replies = [m for m in app.session.requests if isinstance(m, SendMessage) and m.chat_id == CLERK_CHAT_ID]
    assert replies and f"Дело № {number}" in replies[-1].text
    other = Chat(id=-100999, type="supergroup", title="Somewhere else")
    message = Message(message_id=78, date=_now(), chat=other, from_user=officer.user, text=f"/case {number}")
    before = len(app.session.requests)
    await app.dp.feed_update(app.bot, Update(update_id=99002, message=message))
    assert app.session.requests[before:] == [], "clerk commands work only in private chats and the clerks' group"


SECOND_CLERK = 900002


async def test_two_clerks_pressing_accept_at_once(make_app: Callable[[], App], settings: object,
                                                  clock: FakeClock) -> None:
    """Two clerks (two processes of the bot, or one) accept the same case at the same moment:
    one move is made and announced once; the other clerk is told politely, nothing breaks."""
    object.__setattr__(settings, "clerk_ids", frozenset({CLERK_ID, SECOND_CLERK}))
    app = make_app()
    number = await apply_for_benefits(app.client(user_id=4105, language_code="ru"))
    first, second = clerk(app), app.client(user_id=SECOND_CLERK, language_code="ru", first_name="Болат")
    for officer in (first, second):
        await officer.send(f"/case {number}")
    updates = []
    for officer in (first, second):
        target, button = officer.button("Принять")
        updates.append((officer, officer._callback_update(button.callback_data or "", target)))
    await asyncio.gather(*(officer.dp.feed_update(officer.bot, update) for officer, update in updates))
    first._apply_new_requests()
    second._apply_new_requests()
    toasts = sorted(officer.answers[-1].text or "" for officer in (first, second))
    assert f"Дело № {number}: теперь «в работе»." in toasts, toasts
    # The other clerk is told why: the case changed under them, or (when the two presses were
    # handled one after the other, as with the FSM lock in Redis) that it is already in work.
    assert any(t.startswith(("Не выполнено: дело одновременно изменил кто-то другой",
                             "Не выполнено: у дела уже статус «в работе»")) for t in toasts), toasts
    async with app.sessions() as session:
        case = (await session.scalars(select(Case).where(Case.number == number))).one()
        assert case.status == "in_work"
        assert [e.action for e in case.events] == ["submit", "accept"]
