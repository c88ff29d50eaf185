"""End to end: ``run_bot.py`` as a real process, talking to a fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from redis.asyncio import Redis

from tests.conftest import REDIS_URL, TEST_TOKEN
from tests.fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
USER = {"id": 31337, "is_bot": False, "first_name": "Динара", "language_code": "ru"}

pytestmark = pytest.mark.e2e


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeBotAPI, str]]:
    fake = FakeBotAPI()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    fake.close()
    await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {}


@pytest.fixture
async def bot_process(api: tuple[FakeBotAPI, str], database_url: str, tmp_path: Path, empty_engine: object,
                      extra_env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    _, url = api
    if REDIS_URL:  # conversation state of an earlier run of this test would otherwise resume
        redis = Redis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(f"fsm:{TEST_TOKEN.split(':')[0]}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    env = {**os.environ, "BOT_TOKEN": TEST_TOKEN, "BOT_API_URL": url, "DATABASE_URL": database_url,
           "REDIS_URL": REDIS_URL or "", "LOG_LEVEL": "INFO", "FILE_STORE_DIR": str(tmp_path / "files"),
           **extra_env}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run_bot.py"), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    yield process
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.stdout is not None
    output = (await process.stdout.read()).decode(errors="replace")
    print(output)  # shown by pytest when the test fails
    assert "Traceback" not in output


async def test_start_language_card_and_checklist(api: tuple[FakeBotAPI, str],
                                                 bot_process: asyncio.subprocess.Process) -> None:
    fake, _ = api
    _, commands = await fake.wait_for(lambda m, p: m == "setMyCommands" and p.get("language_code") == "ru", 60)
    assert [c["command"] for c in commands["commands"]] == [
        "start", "menu", "services", "bookings", "status", "complaint", "language", "help"]

    fake.user_message(USER, "/start")
    assert await fake.wait_text("Выберите язык общения") == "🌐 Выберите язык общения:"
    fake.press(USER, "Русский")
    await fake.wait_text("Кеңес — ваш помощник по государственным услугам")
    fake.press(USER, "Услуги")
    await fake.wait_text("Какая услуга вам нужна?")
    fake.press(USER, "СМИ")
    await fake.wait_text("Где вы будете обращаться?")
    fake.press(USER, "Мангистауская")
    card = await fake.wait_text("15 календарных дней")
    assert "Справка об учёте иностранного СМИ" in card

    fake.press(USER, "Проверить мои документы")
    await fake.wait_text("Кто распространяет иностранное СМИ?")
    fake.press(USER, "Юрлицо")
    await fake.wait_text("Отметьте документы")
    fake.press(USER, "1. ")
    await fake.wait_for(lambda m, p: m == "editMessageText" and "✅ 1." in str(p.get("reply_markup")))
    fake.press(USER, "2. ")
    await fake.wait_for(lambda m, p: m == "editMessageText" and "✅ 2." in str(p.get("reply_markup")))
    fake.press(USER, "Готово")
    summary = await fake.wait_text("Проверка документов")
    assert "Можно подавать: все документы (2) на руках." in summary

    bot_process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(bot_process.wait(), 15) == 0


REGISTRY_PORT = free_port()
REGISTRY = f"http://127.0.0.1:{REGISTRY_PORT}"
AUTH = {"Authorization": "Bearer e2e-registry-token"}


@pytest.mark.parametrize("extra_env", [{"REGISTRY_TOKEN": "e2e-registry-token",
                                        "REGISTRY_PORT": str(REGISTRY_PORT)}])
async def test_application_registry_api_and_notifier_in_one_process(
    api: tuple[FakeBotAPI, str], bot_process: asyncio.subprocess.Process, tmp_path: Path
) -> None:
    fake, _ = api
    await fake.wait_for(lambda m, p: m == "setMyCommands" and p.get("language_code") == "ru", 60)
    fake.user_message(USER, "/start")
    await fake.wait_text("Выберите язык общения")
    fake.press(USER, "Русский")
    await fake.wait_text("Кеңес — ваш помощник")
    fake.press(USER, "Подать онлайн")
    await fake.wait_text("Какая услуга вам нужна?")
    fake.press(USER, "льготников")
    await fake.wait_text("Выберите город:")
    fake.press(USER, "Атырау")
    await fake.wait_text("Нужна ли в вашем случае архивная справка")
    fake.press(USER, "Нет, не нужна")
    await fake.wait_text("Кто получает справку?")
    fake.press(USER, "Я сам(а)")
    await fake.wait_text("Ваши фамилия, имя и отчество")
    fake.user_message(USER, "Динара Ахметова")
    await fake.wait_text("Ваш ИИН")
    fake.user_message(USER, "900101300126")
    await fake.wait_text("Ваш номер телефона")
    fake.user_message(USER, "+77011234567")
    await fake.wait_text("Заявление установленного образца")
    fake.user_photo(USER)
    await fake.wait_text("Получено файлов: 1")
    fake.press(USER, "Далее")
    for document in ("Военный билет", "Копия удостоверения личности"):
        await fake.wait_text(document)
        fake.press(USER, "Пропустить")
    await fake.wait_text("Проверьте заявление")
    fake.press(USER, "Отправить заявление")
    receipt = await fake.wait_text("Расписка №")
    number = receipt.split("№ ")[1].split("<")[0]

    submitted = len(fake.calls)  # the scan's download and the notice may come before the answers
    async with ClientSession() as http:
        async with http.get(f"{REGISTRY}/api/v1/cases") as response:
            assert response.status == 401
        async with http.get(f"{REGISTRY}/openapi.json") as response:
            assert (await response.json())["info"]["title"] == "Kenes registry API"
        async with http.get(f"{REGISTRY}/api/v1/cases", headers=AUTH) as response:
            assert [c["number"] for c in (await response.json())["cases"]] == [number]
        async with http.post(f"{REGISTRY}/api/v1/cases/{number}/actions", headers=AUTH,
                             json={"action": "accept", "actor": "e2e"}) as response:
            assert response.status == 200 and (await response.json())["status"] == "in_work"
        notice = await fake.wait_text(f"Ваше заявление № {number} принято в работу.", since=submitted)
        assert "Справка лицам, имеющим льготы" in notice
        await fake.wait_for(lambda m, p: m == "download", 30, since=0)  # the scan is copied into the file store
        for _ in range(50):
            async with http.get(f"{REGISTRY}/api/v1/cases/{number}", headers=AUTH) as response:
                attachment = (await response.json())["attachments"][0]
            if attachment["stored"]:
                break
            await asyncio.sleep(0.2)
        async with http.get(f"{REGISTRY}{attachment['content_url']}", headers=AUTH) as response:
            assert await response.read() == b"%PDF-1.4 e2e scan"

    bot_process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(bot_process.wait(), 15) == 0


WEBHOOK_PORT = free_port()
WEBHOOK = f"http://127.0.0.1:{WEBHOOK_PORT}/tg/updates"
SECRET = "e2e-webhook-secret-0123456789"


@pytest.mark.parametrize("extra_env", [{"WEBHOOK_URL": WEBHOOK, "WEBHOOK_SECRET": SECRET,
                                        "WEBHOOK_PORT": str(WEBHOOK_PORT)}])
async def test_webhook_mode(api: tuple[FakeBotAPI, str], bot_process: asyncio.subprocess.Process) -> None:
    fake, _ = api
    _, registered = await fake.wait_for(lambda m, p: m == "setWebhook", 60)
    assert registered["url"] == WEBHOOK and registered["secret_token"] == SECRET
    assert {"message", "callback_query"} <= set(registered["allowed_updates"])
    assert not any(m == "getUpdates" for m, _ in fake.calls)

    # A request without Telegram's secret header is refused and handles nothing.
    forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start", "from": USER,
                                             "chat": {"id": USER["id"], "type": "private"}}}
    fake.post(forged, secret="wrong")
    await asyncio.sleep(1)
    assert fake.deliveries == [401]

    start = fake.push(message={"message_id": 1, "date": 0, "text": "/start", "from": USER,
                               "chat": {"id": USER["id"], "type": "private", "first_name": USER["first_name"]},
                               "entities": [{"type": "bot_command", "offset": 0, "length": 6}]})
    await fake.wait_text("Выберите язык общения")
    fake.post(start)  # Telegram delivers the same update again
    fake.press(USER, "Русский")
    await fake.wait_text("Кеңес — ваш помощник")
    await asyncio.sleep(1)
    languages = [p for m, p in fake.calls if m == "sendMessage" and "Выберите язык" in p.get("text", "")]
    assert len(languages) == 1, "the repeated update is handled once"
    assert fake.deliveries[1:] == [200, 200, 200]

    # Stopping finishes the update in hand, then exits cleanly.
    fake.press(USER, "Услуги")
    while len(fake.deliveries) < 5:  # Telegram has its answer; the update may still be in hand
        await asyncio.sleep(0.005)
    bot_process.send_signal(signal.SIGTERM)
    await fake.wait_text("Какая услуга вам нужна?")
    assert await asyncio.wait_for(bot_process.wait(), 15) == 0
