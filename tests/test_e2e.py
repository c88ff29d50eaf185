"""End to end: ``run_bot.py`` as a real process, talking to a fake Bot API server."""

from __future__ import annotations

import asyncio
import json
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
    _, commands = await fake.wait_for(lambda m, p: m == "setMyCommands" and p.get("language_code") == "ru", 120)
    assert [c["command"] for c in commands["commands"]] == [
        "start", "menu", "services", "bookings", "status", "complaint", "language", "help"]

    fake.user_message(USER, "/start")
    assert (await fake.wait_text("Выберите язык общения")).endswith("\n\n🌐 Выберите язык общения:")
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
    fake.press(USER, "Показать итог")
    summary = await fake.wait_text("Проверка документов")
    assert "Можно подавать: все документы (2) на руках." in summary

    bot_process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(bot_process.wait(), 15) == 0


REGISTRY_PORT = free_port()
REGISTRY = f"http://127.0.0.1:{REGISTRY_PORT}"
AUTH = {"Authorization": "Bearer e2e-registry-token"}



async def apply_with_a_scan(fake: FakeBotAPI) -> str:
    """A citizen applies for the benefits certificate in Atyrau with one scan; the receipt's number."""
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
    return receipt.split("№ ")[1].split("<")[0]

@pytest.mark.parametrize("extra_env", [{"REGISTRY_TOKEN": "e2e-registry-token",
                                        "REGISTRY_PORT": str(REGISTRY_PORT)}])
async def test_application_registry_api_and_notifier_in_one_process(
    api: tuple[FakeBotAPI, str], bot_process: asyncio.subprocess.Process, tmp_path: Path
) -> None:
    fake, _ = api
    await fake.wait_for(lambda m, p: m == "setMyCommands" and p.get("language_code") == "ru", 120)
    number = await apply_with_a_scan(fake)

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


async def read_until(process: asyncio.subprocess.Process, text: str, timeout: float = 90) -> list[str]:
    """The lines the process prints until one contains ``text``."""
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while not lines or text not in lines[-1]:
            line = await process.stdout.readline()
            assert line, f"the process ended; it printed: {lines}"
            lines.append(line.decode(errors="replace").rstrip())
    return lines


async def test_no_network_at_start(database_url: str, tmp_path: Path, empty_engine: object) -> None:
    """With the Bot API down, the start says so in one line naming the URL and tries again with
    backoff; the registry API serves meanwhile; when the Bot API comes up, the bot works."""
    port, registry_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BOT_TOKEN": TEST_TOKEN, "BOT_API_URL": url, "DATABASE_URL": database_url,
           "REDIS_URL": REDIS_URL or "", "LOG_LEVEL": "INFO", "FILE_STORE_DIR": str(tmp_path / "files"),
           "REGISTRY_TOKEN": "e2e-registry-token", "REGISTRY_PORT": str(registry_port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run_bot.py"), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    fake = FakeBotAPI()
    runner = web.AppRunner(fake.app())
    try:
        first = await read_until(process, "cannot be reached")
        second = await read_until(process, "cannot be reached")
        assert f"the Bot API at {url} cannot be reached" in first[-1] and "trying again in 1 s" in first[-1]
        assert "trying again in 2 s" in second[-1], "the wait doubles"
        assert not any("Traceback" in line for line in first + second)
        async with ClientSession() as http, http.get(f"http://127.0.0.1:{registry_port}/health") as response:
            assert response.status == 200, "the registry API serves while Telegram is away"

        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await fake.wait_for(lambda m, p: m == "setMyCommands", 90)
        fake.user_message(USER, "/start")
        assert "Выберите язык общения" in await fake.wait_text("Выберите язык общения", 60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 15)
        fake.close()
        await runner.cleanup()
    assert process.stdout is not None
    rest = (await process.stdout.read()).decode(errors="replace")
    assert "Traceback" not in rest, rest
    assert process.returncode == 0


async def test_a_refused_token_stops_with_one_line(tmp_path: Path, empty_engine: object, database_url: str) -> None:
    fake = FakeBotAPI(refuse_token=True)
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = {**os.environ, "BOT_TOKEN": TEST_TOKEN, "BOT_API_URL": f"http://127.0.0.1:{port}",
           "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL or "", "FILE_STORE_DIR": str(tmp_path / "files")}
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "run_bot.py"), cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        await runner.cleanup()
    assert process.returncode == 2
    printed = stderr.decode()
    assert printed.strip().splitlines()[-1] == (f"Kenes cannot start: BOT_TOKEN was refused by the Bot API at "
                                                f"http://127.0.0.1:{port} (401 Unauthorized)")
    assert "Traceback" not in printed


PERSONAL = ("Ахметова", "Динара", json.dumps("Ахметова")[1:-1], json.dumps("Ахметова")[1:-1].replace("\\", "\\\\"),
            "900101300126", "7011234567", "701 123", "701-123")


@pytest.mark.parametrize("extra_env", [{"LOG_LEVEL": "DEBUG"}])
async def test_no_personal_data_in_the_log_at_debug(api: tuple[FakeBotAPI, str],
                                                     bot_process: asyncio.subprocess.Process) -> None:
    """A whole application (name, IIN, phone, a scan) at LOG_LEVEL=DEBUG: the log has none of it."""
    fake, _ = api
    assert bot_process.stdout is not None
    reading = asyncio.create_task(bot_process.stdout.read())  # the pipe must not fill up
    await fake.wait_for(lambda m, p: m == "setMyCommands" and p.get("language_code") == "ru", 120)
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
    fake.user_message(USER, "+7 701 123 45 67")
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
    fake.user_message(USER, f"/status {number}")
    await fake.wait_text("История")  # the owner sees their case
    await fake.wait_for(lambda m, p: m == "download", 30)
    await asyncio.sleep(0.5)

    bot_process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(bot_process.wait(), 15) == 0
    log = (await reading).decode(errors="replace")
    assert "Traceback" not in log
    assert " DEBUG " in log, "the log is at DEBUG"
    leaked = [fragment for fragment in PERSONAL if fragment in log]
    assert not leaked, f"personal data in the log: {leaked}"
