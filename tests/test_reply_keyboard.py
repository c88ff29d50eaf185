"""Reply-keyboard labels are plain text (issue 15 item 8): no invisible characters that some
clients draw as boxes, and a pressed label still works as its button, in kk and ru."""

from __future__ import annotations

import unicodedata

from aiogram_dialog.utils import REPLY_CALLBACK_SYMBOLS

from tests.conftest import App, FakeClock
from tests.telegram import ChatClient
from tests.test_application import VALID_IIN, open_psc_application


def labels(client: ChatClient) -> list[str]:
    assert client.reply_keyboard is not None, "the phone step shows a reply keyboard"
    return [button.text for row in client.reply_keyboard.keyboard for button in row]


def invisible(text: str) -> list[str]:
    """Invisible characters: format characters (ZWNJ, word joiner, soft hyphen ...) and the
    musical-symbol formatting marks aiogram-dialog encodes callbacks with."""
    return [hex(ord(c)) for c in text
            if c in REPLY_CALLBACK_SYMBOLS or unicodedata.category(c) == "Cf"]


async def test_the_phone_step_labels_are_plain_kk(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await open_psc_application(kk)
    await kk.click("Жоқ")
    await kk.send("Ахметов Ерлан")
    await kk.send(VALID_IIN)
    shown = labels(kk)
    assert shown[0].startswith("📱 "), shown
    for label in shown:
        assert not invisible(label), (label, invisible(label))
    assert "⬅️ Артқа" in shown
    await kk.press("Артқа")
    assert f"<b>{VALID_IIN}</b>" in kk.last.text, "the plain label still works as the button"


async def test_the_phone_step_labels_are_plain_ru(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать онлайн")
    await ru.click("льготников")
    await ru.click("Атырау")
    await ru.click("Нет, не нужна")
    await ru.click("Я сам(а)")
    await ru.send("Садыков Бауыржан")
    await ru.send(VALID_IIN)
    shown = labels(ru)
    assert all(not invisible(label) for label in shown), shown
    assert "⬅️ Назад" in shown
    await ru.send("Назад, пожалуйста")  # not a label: an answer to the question, refused as a phone
    assert "⬅️ Назад" in labels(ru) and "Ваш номер телефона" in ru.last.text
    await ru.send("⬅️ Назад")  # typed or pressed: the same text
    assert f"<b>{VALID_IIN}</b>" in ru.last.text
