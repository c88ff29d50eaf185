"""Whole form journeys as a citizen makes them, counted: the bot messages the chat keeps, the
messages the bot sent, and the user's taps and messages."""

from __future__ import annotations

from aiogram.methods import SendMessage

from tests.conftest import CLERK_ID, App, FakeClock
from tests.telegram import ChatClient

VALID_IIN = "900101300126"


async def missionary_application(kk: ChatClient) -> tuple[int, int, int]:
    """The missionary application in Kazakh with a scan of each document; (kept, sent, actions)."""
    actions = 0
    start = len(kk.session.requests)
    await kk.start_in("Қазақша")
    for label in ("Онлайн өтініш беру", "Миссионер", "Маңғыстау"):
        await kk.click(label)
        actions += 1
    for text in ("Джон Смит", VALID_IIN):
        await kk.send(text)
        actions += 1
    await kk.share_contact("+77011234567")
    actions += 1
    for text in ("христиан діні", "Маңғыстау облысы", "2027 жыл"):
        await kk.send(text)
        actions += 1
    while not kk.last.text.startswith("📝 <b>Өтінішіңізді"):
        await kk.send_photo()
        await kk.click("Әрі қарай")
        actions += 2
    await kk.click("Өтінішті жіберу")
    actions += 1
    sent = [m for m in kk.session.requests[start:] if isinstance(m, SendMessage) and int(m.chat_id) == kk.user_id]
    return len(kk.chat), len(sent), actions


async def test_missionary_application_messages(app: App, kk: ChatClient, clock: FakeClock) -> None:
    kept, sent, actions = await missionary_application(kk)
    # Before the form engine: 13 bot messages kept, 13 sent (a window per answer, «✔️ Қабылданды.»).
    assert (kept, sent, actions) == (1, 9, 20), "only the receipt stays in the chat"
    assert kk.last.text.startswith("🧾") and len(kk.last.text) <= 600
    assert not any("Қабылданды" in m.text for m in kk.chat)


async def complaint_journey(ru: ChatClient) -> tuple[int, int, int]:
    """A complaint from the menu about an office chosen in the catalog, with one photo; (kept, sent, actions)."""
    start = len(ru.session.requests)
    await ru.start_in("Русский")
    for label in ("Подать жалобу", "Выбрать учреждение", "воинской", "Актау", "Вежливость персонала"):
        await ru.click(label)
    await ru.send("Сотрудник ЦОН грубо разговаривал со мной и отказался принять документы 20 ноября.")
    await ru.send_photo()
    await ru.click("Далее")
    await ru.send("Ахметов Ерлан")
    await ru.share_contact("+77011234567")
    await ru.click("Зарегистрировать жалобу")
    sent = [m for m in ru.session.requests[start:] if isinstance(m, SendMessage) and int(m.chat_id) == ru.user_id]
    return len(ru.chat), len(sent), 11


async def test_complaint_messages(app: App, ru: ChatClient, clock: FakeClock) -> None:
    kept, sent, actions = await complaint_journey(ru)
    # Before the form engine: 6 kept, 6 sent.
    assert (kept, sent, actions) == (1, 5, 11), "only the talon stays in the chat"
    assert "C-26-" in ru.last.text


async def test_receipt_first_read_fits_a_phone_screen_in_both_languages(app: App, kk: ChatClient, ru: ChatClient,
                                                                        clock: FakeClock) -> None:
    await missionary_application(kk)
    assert len(kk.last.text) <= 600 and "Толығырақ" in kk.last.button_texts[0]
    await kk.click("Толығырақ")
    assert len(kk.last.text) > 600, "the rest is one tap away"


async def test_someone_elses_contact_is_refused(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    for label in ("Подать онлайн", "миссионеров", "Мангистауская"):
        await ru.click(label)
    await ru.send("Джон Смит")
    await ru.send(VALID_IIN)
    await ru.share_contact("+77017654321", own=False)
    assert "⚠️ Отправьте свой собственный номер или напишите его." in ru.last.text
    await ru.send("+7 701 765 43 21")
    assert "Вероисповедная" in ru.last.text or "вероисповедная" in ru.last.text


async def test_clerks_see_a_typed_phone_is_not_confirmed(app: App, clock: FakeClock) -> None:
    applicant = app.client(user_id=4601, language_code="ru")
    await applicant.start_in("Русский")
    for label in ("Подать онлайн", "миссионеров", "Мангистауская"):
        await applicant.click(label)
    for text in ("Джон Смит", VALID_IIN, "+7 701 765 43 21", "христианство", "Мангистау", "2027 год"):
        await applicant.send(text)
    while "Проверьте заявление" not in applicant.last.text:
        await applicant.click("Пропустить")
    await applicant.click("Отправить заявление")
    number = applicant.last.text.split("№ ")[1].split("<")[0]
    clerk = app.client(user_id=CLERK_ID, language_code="ru", first_name="Асель")
    await clerk.send(f"/case {number}")
    assert "Телефон: +77017654321 ⚠️ не подтверждён (введён вручную, а не отправлен из Telegram)" in clerk.last.text
    assert "Вероисповедание: христианство" in clerk.last.text, "the field named as the standard's form does"
