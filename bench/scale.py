"""The updates benchmark across processes: PostgreSQL + Redis, webhooks, 1 and 2 bot processes.

Run: python bench/scale.py [--users 400] [--concurrency 32] [--processes 1 2]
                           [--database postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                           [--redis redis://127.0.0.1:6379/1]
(the database and the Redis database given are emptied first)

For each number of processes, ``run_bot.py`` runs that many times in webhook mode on one
fresh PostgreSQL database and one Redis, all against a local fake Bot API. This script
plays Telegram and the reverse proxy: simulated users (the journey of
``bench/updates.py``: start, language, services, a centre, the card, the checklist, a
status lookup, the menu) send their updates with the secret header, each update to the
next process in turn, so one user's conversation hops between processes and continues
through Redis. A step is done when the bot's answer is visible (a message sent or edited).
Prints updates per second, p50/p99 time to the answer, for each number of processes, and
the machine's CPU count (the processes, PostgreSQL, Redis and this script share it).
Exits 1 if a journey fails (a wrong or missing answer).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, ClientTimeout, web  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from bench.fake import fresh_database, percentile  # noqa: E402
from bench.updates import journey, seed_cases  # noqa: E402
from bot.app import build_services  # noqa: E402
from config import load_settings  # noqa: E402
from domain.clock import system_clock  # noqa: E402
from storage.database import create_session_factory  # noqa: E402
from tests.fake_bot_api import FakeBotAPI, ShownMessage  # noqa: E402

TOKEN = "123456:bench-scale"
SECRET = "bench-secret-0123456789"
FIRST_USER = 10_000
STEP_TIMEOUT = 30.0


@dataclass
class WatchingBotAPI(FakeBotAPI):
    """The fake Bot API, waking whoever waits for a chat's next answer."""

    changed: dict[int, asyncio.Event] = field(default_factory=dict)

    def chat_event(self, chat_id: int) -> asyncio.Event:
        return self.changed.setdefault(chat_id, asyncio.Event())

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        result = super()._answer(method, params)
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup") and "chat_id" in params:
            self.chat_event(int(params["chat_id"])).set()
        return result


@dataclass
class Proxy:
    """Telegram and the reverse proxy: posts each update to the next process."""

    http: ClientSession
    urls: list[str]
    _next: itertools.cycle = field(init=False)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._next = itertools.cycle(self.urls)

    async def post(self, update: dict[str, Any]) -> None:
        update = {"update_id": next(self._ids), **update}
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with self.http.post(next(self._next), json=update, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"the webhook answered {response.status}")


@dataclass
class WebhookUser:
    """A person whose updates go through the proxy; the same surface as ``bench.fake.SimulatedUser``."""

    api: WatchingBotAPI
    proxy: Proxy
    user_id: int
    language_code: str = "ru"
    latencies: list[float] = field(default_factory=list)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Bench", "language_code": self.language_code}

    def _newest(self) -> ShownMessage | None:
        shown = [m for m in self.api.messages.values() if m.chat_id == self.user_id and m.buttons()]
        return max(shown, key=lambda m: m.message_id) if shown else None

    def buttons(self) -> list[tuple[str, str]]:
        newest = self._newest()
        return [(b["text"], b.get("callback_data", "")) for b in newest.buttons()] if newest else []

    def has(self, label: str) -> bool:
        return any(label in text for text, _ in self.buttons())

    async def _step(self, update: dict[str, Any]) -> None:
        event = self.api.chat_event(self.user_id)
        event.clear()
        began = time.perf_counter()
        await self.proxy.post(update)
        await asyncio.wait_for(event.wait(), STEP_TIMEOUT)
        self.latencies.append(time.perf_counter() - began)

    async def send(self, text: str) -> None:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "text": text, "from": self.user,
            "chat": {"id": self.user_id, "type": "private", "first_name": "Bench"}}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        await self._step({"message": message})

    async def click(self, label: str) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while (newest := self._newest()) is None or not self.has(label):  # a second answer may follow
            if time.monotonic() > deadline:
                raise LookupError(f"user {self.user_id}: no button {label!r} in {[t for t, _ in self.buttons()]}")
            event = self.api.chat_event(self.user_id)
            event.clear()
            await asyncio.wait_for(event.wait(), STEP_TIMEOUT)
        data = next(d for text, d in self.buttons() if label in text and d)
        await self._step({"callback_query": {
            "id": f"{self.user_id}-{time.perf_counter_ns()}", "from": self.user, "chat_instance": "bench",
            "data": data, "message": {
                "message_id": newest.message_id, "date": int(time.time()), "text": newest.text,
                "chat": {"id": self.user_id, "type": "private"}, "from": {"id": 1, "is_bot": True,
                                                                          "first_name": "Kenes"},
                "reply_markup": newest.markup}}})


async def prepare(database: str, redis_url: str, users: int) -> list[str]:
    engine = await fresh_database(database)
    services = build_services(load_settings(bot_token=TOKEN, database_url=database, _env_file=None), system_clock)
    numbers = await seed_cases(services, create_session_factory(engine, system_clock), users)
    await engine.dispose()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()  # conversation state and seen updates of an earlier run
    await redis.aclose()
    return numbers


async def wait_ready(http: ClientSession, url: str, process: asyncio.subprocess.Process) -> None:
    health = url.rsplit("/", 1)[0] + "/health"
    for _ in range(600):
        if process.returncode is not None:
            raise RuntimeError("a bot process stopped while starting")
        try:
            async with http.get(health) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("a bot process did not start")


async def measure(args: argparse.Namespace, processes: int, folder: Path) -> tuple[float, list[float], int]:
    numbers = await prepare(args.database, args.redis, args.users)
    api = WatchingBotAPI()
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    bots: list[asyncio.subprocess.Process] = []
    urls = []
    async with ClientSession(timeout=ClientTimeout(total=STEP_TIMEOUT)) as http:
        try:
            for n in range(processes):
                port = args.first_port + n
                env = {**os.environ, "BOT_TOKEN": TOKEN, "BOT_API_URL": f"http://127.0.0.1:{api_port}",
                       "DATABASE_URL": args.database, "REDIS_URL": args.redis, "LOG_LEVEL": "ERROR",
                       "WEBHOOK_URL": "https://kenes.example/telegram", "WEBHOOK_SECRET": SECRET,
                       "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port), "REGISTRY_TOKEN": "",
                       "CLERK_CHAT_ID": "", "FILE_STORE_DIR": str(folder / "files")}
                bots.append(await asyncio.create_subprocess_exec(
                    sys.executable, str(ROOT / "run_bot.py"), cwd=ROOT, env=env,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL))
                urls.append(f"http://127.0.0.1:{port}/telegram")
            for url, process in zip(urls, bots, strict=True):
                await wait_ready(http, url, process)
            proxy = Proxy(http, urls)
            people = [WebhookUser(api, proxy, FIRST_USER + n, "kk" if n % 2 else "ru") for n in range(args.users)]
            gate = asyncio.Semaphore(args.concurrency)

            async def one(n: int) -> None:
                async with gate:
                    await journey(people[n], n, numbers[n])  # type: ignore[arg-type]

            began = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(args.users)))
            elapsed = time.perf_counter() - began
        finally:
            for process in bots:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in bots:
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
            api.close()
            await runner.cleanup()
    latencies = [value for person in people for value in person.latencies]
    return elapsed, latencies, len(latencies)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", default=os.environ.get(
        "KENES_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis", default=os.environ.get("KENES_BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"))
    parser.add_argument("--first-port", type=int, default=18081)
    args = parser.parse_args()
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        for processes in args.processes:
            try:
                elapsed, latencies, count = await measure(args, processes, Path(folder))
            except (LookupError, TimeoutError, RuntimeError) as error:
                print(f"{processes} process(es): a journey failed: {error!r}")
                return 1
            rates[processes] = count / elapsed
            print(f"{processes} process(es): {count} updates in {elapsed:.1f} s = {rates[processes]:.0f} updates/s, "
                  f"answer p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
                  f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms")
    if len(rates) > 1:
        first = min(rates)
        print("scaling: " + ", ".join(f"{n} processes {rates[n] / rates[first]:.2f}×" for n in sorted(rates)
                                       if n != first) + f" the rate of {first}")
    print(f"{args.users} users, {args.concurrency} at a time; PostgreSQL + Redis; "
          f"{os.cpu_count()} CPUs shared by the bot processes, PostgreSQL, Redis and this script")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
