"""A restart in the middle of a conversation resumes where the user was."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import App, FakeClock


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
    await resumed.click("Готово")
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
