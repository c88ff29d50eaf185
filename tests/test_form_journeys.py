"""Whole form journeys as a citizen makes them, counted: the bot messages the chat keeps, the
messages the bot sent, and the user's taps and messages."""

from __future__ import annotations

from aiogram.methods import SendMessage

from tests.conftest import App, FakeClock
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
    print(f"\nMISSIONARY kk: kept={kept} sent={sent} actions={actions}")
    for m in kk.chat:
        print(repr(m.text[:70]), m.button_texts[:3])
    assert kk.last.text.startswith("🧾")


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
    print(f"\nCOMPLAINT ru: kept={kept} sent={sent} actions={actions}")
    for m in ru.chat:
        print(repr(m.text[:70]), m.button_texts[:3])
    assert ru.last.text.startswith("🧾") or "C-" in ru.last.text
