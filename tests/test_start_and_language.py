"""First contact, the language choice, the menu, commands and /help, in both languages."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from aiogram.types import Chat, Message, Update

from bot.app import set_commands
from storage.models import User
from tests.conftest import App
from tests.telegram import ChatClient, _now

KK_MENU = "Кеңес — мемлекеттік қызметтер бойынша көмекшіңіз"
RU_MENU = "Кеңес — ваш помощник по государственным услугам"


async def stored_language(app: App, user_id: int) -> str | None:
    async with app.sessions() as session:
        user = await session.get(User, user_id)
        return user.language if user else None


async def test_first_start_offers_languages_preselected_from_telegram(app: App, ru: ChatClient) -> None:
    await ru.send("/start")
    assert ru.last.text == (
        "🤝 Кеңес мемлекеттік қызметтер бойынша көмектеседі: құжаттар, өтініштер, қабылдауға жазылу, шағымдар.\n"
        "🤝 Кеңес помогает с государственными услугами: документы, заявления, запись на приём, жалобы.\n\n"
        "🌐 Выберите язык общения:"
    ), "what Kenes does, in both languages, above the choice"
    assert ru.last.button_texts == ["Қазақша", "✅ Русский"]
    assert await stored_language(app, ru.user_id) is None

    await ru.click("Қазақша")
    assert len(ru.chat) == 1, "the language message turns into the menu"
    assert KK_MENU in ru.last.text
    assert ru.last.button_texts == [
        "🗂 Қызметтер", "✅ Құжаттарымды тексеру", "📝 Онлайн өтініш беру", "📂 Менің өтініштерім",
        "📅 Қабылдауға жазылу", "🎫 Менің жазылуларым", "📣 Шағым беру", "🗳 Шағымдарым",
        "💬 Сұрақ қою", "👩‍💼 Қызметкермен сөйлесу", "🌐 Тіл: Қазақша / Русский",
    ]
    assert await stored_language(app, ru.user_id) == "kk"


async def test_saved_language_wins_over_telegram_language(app: App, ru: ChatClient) -> None:
    await ru.start_in("Қазақша")
    await ru.send("/start")
    assert KK_MENU in ru.last.text
    await ru.send("/language")
    assert ru.last.text == "🌐 Сөйлесу тілін таңдаңыз:", "a user who has chosen needs no introduction"
    assert ru.last.button_texts == ["✅ Қазақша", "Русский"]
    await ru.click("Русский")
    assert RU_MENU in ru.last.text
    assert await stored_language(app, ru.user_id) == "ru"


async def test_unsupported_telegram_language_falls_back_to_kazakh(app: App) -> None:
    english = app.client(language_code="en", user_id=777)
    await english.send("/start")
    assert english.last.text.endswith("\n\n🌐 Сөйлесу тілін таңдаңыз:")
    assert english.last.text.startswith("🤝 Кеңес мемлекеттік қызметтер бойынша көмектеседі")
    assert english.last.button_texts == ["✅ Қазақша", "Русский"]


async def test_double_click_on_a_language(ru: ChatClient) -> None:
    await ru.send("/start")
    await ru.double_click("Қазақша")
    assert len(ru.chat) == 1 and KK_MENU in ru.last.text
    assert [a.text for a in ru.answers][-1] == "Бұл батырма ескірген: соңғы хабарламаны пайдаланыңыз."


async def test_language_from_the_menu(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Язык")
    await ru.click("Қазақша")
    assert KK_MENU in ru.last.text


async def test_ask_hint_has_examples_in_the_users_language(ru: ChatClient, kk: ChatClient) -> None:
    for client, button, example in ((ru, "Русский", "Актау график работы"), (kk, "Қазақша", "Ақтау жұмыс уақыты")):
        await client.send("/start")
        await client.click(button)
        await client.click("💬")
        assert example in client.last.text
        await client.click("⬅️")
        assert "🗂" in client.last.button_texts[0]


async def test_help(ru: ChatClient, kk: ChatClient) -> None:
    await ru.send("/help")
    assert "Как пользоваться «Кеңес»" in ru.last.text and "/language — сменить язык" in ru.last.text
    assert "/bookings — мои записи на приём: перенести или отменить" in ru.last.text
    await kk.send("/help")
    assert "Кеңесті қалай пайдалану керек" in kk.last.text and "/language — тілді ауыстыру" in kk.last.text


async def test_commands_are_registered_per_language(app: App) -> None:
    await set_commands(app.bot, app.services.i18n, "kk")
    calls = [m for m in app.session.requests if isinstance(m, SetMyCommands)]
    assert [c.language_code for c in calls] == ["kk", "ru", None]
    by_language = {c.language_code: {cmd.command: cmd.description for cmd in c.commands} for c in calls}
    assert list(by_language["kk"]) == [
        "start", "menu", "services", "bookings", "status", "complaint", "language", "help"]
    assert by_language["ru"]["bookings"] == "Мои записи на приём"
    assert by_language["kk"]["language"] == "Тілді ауыстыру"
    assert by_language["ru"]["language"] == "Сменить язык"
    assert by_language[None] == by_language["kk"]


async def test_group_messages_are_ignored(app: App, ru: ChatClient) -> None:
    group = Chat(id=-100123, type="supergroup", title="Somewhere")
    message = Message(message_id=1, date=_now(), chat=group, from_user=ru.user, text="справка")
    await app.dp.feed_update(app.bot, Update(update_id=999, message=message))
    assert app.session.requests == []
