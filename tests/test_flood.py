"""Replies survive Telegram's flood control (429 with retry_after)."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage

from tests.conftest import App, ChatClient


def too_many(method: type, retry_after: int = 1) -> TelegramRetryAfter:
    return TelegramRetryAfter(method=method(chat_id=0, text=""), message="Too Many Requests", retry_after=retry_after)


async def test_three_quick_helps_under_flood_control_all_get_their_reply(app: App, ru: ChatClient) -> None:
    await ru.start_in("Русский")
    for _ in range(3):
        app.session.add_result_for(SendMessage, too_many(SendMessage))
    await asyncio.gather(*(ru.send("/help") for _ in range(3)))
    helps = [r for r in app.session.requests if isinstance(r, SendMessage) and "/status" in (r.text or "")]
    delivered = [r for r, result in zip(app.session.requests, app.session.results, strict=True)
                 if r in helps and not isinstance(result, Exception)]
    assert len(delivered) == 3, "each /help got its reply after waiting out the 429"


async def test_the_wait_is_bounded(app: App, ru: ChatClient, caplog: pytest.LogCaptureFixture) -> None:
    """A reply refused four times in a row (or told to wait over a minute) is given up: the
    update fails, and is logged, but the bot goes on."""
    await ru.start_in("Русский")
    for _ in range(4):
        app.session.add_result_for(SendMessage, too_many(SendMessage, retry_after=0))
    await ru.send("/help")
    tries = [r for r in app.session.requests if isinstance(r, SendMessage) and "/status" in (r.text or "")]
    assert len(tries) == 4, "the first try and three more"
    await ru.send("/help")
    assert "/status" in ru.last.text, "the next update is answered"


async def test_the_apology_for_an_error_is_not_lost(app: App, ru: ChatClient,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    await ru.start_in("Русский")
    import handlers.commands

    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(handlers.commands.Renderer, "render", broken)
    app.session.add_result_for(SendMessage, too_many(SendMessage))
    await ru.send("/help")
    assert ru.last.text == "На моей стороне произошла ошибка. Попробуйте ещё раз или откройте меню."


async def test_an_edit_waits_too(app: App, ru: ChatClient) -> None:
    """A button that edits the dialog's message: the edit waits out the 429 and the user sees it."""
    await ru.start_in("Русский")
    app.session.add_result_for(EditMessageText, TelegramRetryAfter(
        method=EditMessageText(text=""), message="Too Many Requests", retry_after=1))
    await ru.click("Услуги")
    assert "Какая услуга вам нужна?" in ru.last.text
