"""Whatever a user sends, the answer is polite and in their language, and the bot goes on."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import text

from tests.conftest import App
from tests.telegram import ChatClient


@pytest.mark.parametrize("send", ["send_sticker", "send_voice", "send_photo"])
async def test_non_text_gets_a_hint(ru: ChatClient, kk: ChatClient, send: str) -> None:
    await getattr(ru, send)()
    assert ru.last.text == "Я понимаю только текст. Напишите вопрос или воспользуйтесь меню."
    assert ru.last.button_texts == ["🏠 Главное меню"]
    await getattr(kk, send)()
    assert kk.last.text == "Мен тек мәтінді оқи аламын. Сұрағыңызды жазыңыз немесе мәзірді пайдаланыңыз."


async def test_sticker_inside_a_dialog_gets_the_hint_too(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send_sticker()
    assert ru.last.text.startswith("Я понимаю только текст.")


async def test_huge_message(ru: ChatClient) -> None:
    await ru.send("документы " * 400)
    assert ru.last.text.startswith("Слишком длинное сообщение.")


async def test_unknown_command(kk: ChatClient) -> None:
    await kk.send("/passport")
    assert kk.last.text == "Мұндай команданы білмеймін. Не істей алатынымды білу үшін /help жіберіңіз."


async def test_forged_button_data(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click_data("admin:delete_everything")
    assert ru.answers[-1].text == "Эта кнопка больше не действует."
    assert ru.last.text == "Пожалуйста, воспользуйтесь меню."
    await ru.send("/menu")
    assert "Кеңес — ваш помощник" in ru.last.text


async def test_button_of_a_dialog_that_is_gone(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    old, button = ru.button("СМИ")
    await ru.send("/menu")  # a new stack: the old message's dialog is gone
    assert old.buttons == [], "the old message lost its keyboard"
    current = ru.last
    methods = await ru.click_data(button.callback_data, old)  # pressed anyway (a slow client)
    assert ru.answers[-1].text == "Эта кнопка устарела: пользуйтесь последним сообщением."
    assert ru.texts_since(methods) == [] and ru.last is current, "the live menu is left alone"


async def test_button_after_the_conversation_state_was_lost(app: App, ru: ChatClient, redis_prefix: str) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    if isinstance(app.storage, RedisStorage):
        keys = [key async for key in app.storage.redis.scan_iter(f"{redis_prefix}:*")]
        await app.storage.redis.delete(*keys)
    else:
        await app.storage.settle()  # no write of the state still under way (on a slow machine)
        async with app.sessions.begin() as session:
            await session.execute(text("DELETE FROM fsm_records"))
        app.storage.forget()  # as after a crash: the in-memory copy is gone too
    await ru.click("СМИ")
    assert ru.answers[-1].text == "Это меню устарело, вот новое."
    assert "Кеңес — ваш помощник" in ru.last.text


async def test_an_error_is_apologised_for_and_the_bot_goes_on(
    app: App, ru: ChatClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await ru.start_in("Русский")
    real = app.services.renderer.render

    def broken(template: str, locale: str, **context: object) -> str:
        if template == "help.j2":
            raise RuntimeError("template exploded")
        return real(template, locale, **context)

    monkeypatch.setattr(app.services.renderer, "render", broken)
    await ru.send("/help")
    assert ru.last.text == "На моей стороне произошла ошибка. Попробуйте ещё раз или откройте меню."
    assert "update" in caplog.text and "template exploded" in caplog.text
    await ru.send("/menu")
    assert "Кеңес — ваш помощник" in ru.last.text


async def test_dialogs_opened_in_the_same_second_get_their_own_ids(app: App) -> None:
    """aiogram-dialog's own ids (the second plus 0–99) collided once in a hundred: a question in
    the middle of a checklist could overwrite the checklist. The app's ids do not."""
    from aiogram_dialog.api.entities import Stack

    from dialogs.states import MenuSG

    stack = Stack()
    ids = {stack.push(MenuSG.main, None).id for _ in range(99)}
    assert len(ids) == 99 and max(len(i) for i in ids) <= 6
