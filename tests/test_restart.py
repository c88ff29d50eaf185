"""A restart in the middle of a conversation resumes where the user was."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiogram.methods import EditMessageText

from tests.conftest import REDIS_URL, App, FakeClock
from tests.test_checklist_dialog import start_checklist


async def test_checklist_survives_a_restart(make_app: Callable[[], App]) -> None:
    before = make_app()
    user = before.client(language_code="ru", user_id=4242)
    await user.start_in("Русский")
    await user.click("Проверить мои документы")
    await user.click("СМИ")
    await user.click("Алматинская область")
    await user.click("Физическое лицо")
    await user.click("1. ")

    await before.storage.close()  # the old process stops (its state is saved)
    after = make_app()  # a new dispatcher and storage object over the same database
    resumed = after.client(language_code="ru", user_id=4242)
    resumed.chat = user.chat
    assert resumed.last.button_texts[0].startswith("✅ 1.")
    await resumed.click("2. ")
    assert resumed.last.button_texts[1].startswith("✅ 2.")
    await resumed.click("Показать итог")
    assert "✅ <b>Можно подавать: все документы (2) на руках.</b>" in resumed.last.text


async def test_language_survives_a_restart(make_app: Callable[[], App]) -> None:
    before = make_app()
    user = before.client(language_code="ru", user_id=4343)
    await user.start_in("Қазақша")
    await before.storage.close()
    after = make_app().client(language_code="ru", user_id=4343)
    after.chat = user.chat
    await after.send("сколько стоит справка")
    assert "💰 Тегін" in after.last.text


async def test_booking_survives_a_restart(make_app: Callable[[], App], clock: FakeClock) -> None:
    before = make_app()
    user = before.client(language_code="ru", user_id=4444)
    await user.start_in("Русский")
    await user.click("Записаться на приём")
    await user.click("Регистрация миссионеров")
    await user.click("Атырауская область")
    await user.click("24", exact=True)
    await user.click("08:30")

    await before.storage.close()
    after = make_app()
    resumed = after.client(language_code="ru", user_id=4444)
    resumed.chat = user.chat
    await resumed.click("Подтвердить")
    assert resumed.last.text.startswith("🎫 <b>Талон № T-000001</b>")
    assert "🗓 24 ноября 2026\u202fг., 08:30" in resumed.last.text


async def test_two_processes_take_one_users_buttons_in_turn(make_app: Callable[[], App],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Several processes (PostgreSQL + Redis): two ticks pressed at the same moment reach two
    processes; the user's lock in Redis makes one wait for the other, and both are kept."""
    if not REDIS_URL:
        pytest.skip("several processes need PostgreSQL and Redis (the CI's second leg)")
    first, second = make_app(), make_app()
    user = first.client(language_code="kk", user_id=4343)
    await start_checklist(user, "Қазақша", "Құжаттарымды тексеру", "Миссионерлерді тіркеу")
    await user.click("Атырау")
    await user.click("Шетелдікпін")
    presses = []
    for label in ("1. ", "2. "):
        message, button = user.button(label)
        presses.append(user._callback_update(button.callback_data or "", message))
    answer = first.session.make_request

    async def slow_edit(bot: Any, method: Any, timeout: int | None = None) -> Any:
        if isinstance(method, EditMessageText):  # the first process is slow to show its tick
            await asyncio.sleep(0.3)
        return await answer(bot, method, timeout)

    monkeypatch.setattr(first.session, "make_request", slow_edit)
    pressed_first = asyncio.create_task(first.dp.feed_update(first.bot, presses[0]))
    await asyncio.sleep(0.1)  # the first process holds the user's conversation
    await second.dp.feed_update(second.bot, presses[1])
    await pressed_first
    monkeypatch.undo()
    await user.click("3. ")
    assert [label[:4] for label in user.last.button_texts[:4]] == ["✅ 1.", "✅ 2.", "✅ 3.", "⬜ 4."]
