"""Updates per second and latency of the whole bot against a bare aiogram echo bot.

Run: python bench/updates.py [--users 1000] [--concurrency 1] [--database URL] [--redis URL]

1,000 simulated users (half Kazakh, half Russian) go through a realistic mix: /start and
the language, the menu, a service, its region or centre, two pages of its card, the
checklist (an answer and ticks), a /status lookup of their own application, and the menu
again; ``--concurrency`` of them at a time. Every update goes through the real dispatcher
(middlewares, dialogs, the database, FSM storage) over a fake Telegram that answers at
once. The same number of updates then goes through a dispatcher with one echo handler, and
through a bare aiogram-dialog bot (one dialog of two windows, state in memory, no database):
the ceiling of any bot whose conversations are aiogram-dialog dialogs.
Handling is CPU-bound in one process, so more users at a time (``--concurrency``) adds
queueing to the latency without raising the rate; the default measures latency unqueued.
The three run in alternating rounds (a share of the users each), so a machine that slows
down or speeds up during the run weighs on all three alike.
Prints the rates, p50/p99 latency and the ratios; exits 1 when a goal is missed: the bot
handles at least 40% of the bare dialog bot's rate, with p99 under 25 ms (the goals are set
for SQLite; ``--no-goals`` only prints). The echo rate is printed for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Dispatcher, Router  # noqa: E402
from aiogram.filters import CommandStart  # noqa: E402
from aiogram.fsm.state import State, StatesGroup  # noqa: E402
from aiogram.fsm.storage.memory import MemoryStorage  # noqa: E402
from aiogram.types import CallbackQuery, Message  # noqa: E402
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs  # noqa: E402
from aiogram_dialog.widgets.kbd import Back, Column, Select  # noqa: E402
from aiogram_dialog.widgets.text import Const, Format  # noqa: E402

from bench.fake import FakeSession, SimulatedUser, application, fresh_database, percentile  # noqa: E402
from bot.app import build_bot, build_dispatcher, build_fsm, build_services  # noqa: E402
from config import load_settings  # noqa: E402
from domain.clock import system_clock  # noqa: E402
from storage.database import create_session_factory  # noqa: E402
from storage.repositories import Repositories  # noqa: E402

TOKEN = "123456:bench-token"
GOAL_RATIO = 0.40  # of the bare aiogram-dialog bot's rate
ROUNDS = 4
GOAL_P99_MS = 25.0
# (language button, menu "Services", a service, a place) for each kind of user
JOURNEYS = [
    ("Русский", "Услуги", "воинской", "Актау"),
    ("Қазақша", "Қызметтер", "Әскери", "Ақтау"),
    ("Русский", "Услуги", "льготников", "Атырау"),
    ("Қазақша", "Қызметтер", "Жеңілдігі", "Алматы"),
]


async def journey(user: SimulatedUser, kind: int, case_number: str) -> None:
    language, services, service, place = JOURNEYS[kind % len(JOURNEYS)]
    await user.send("/start")
    await user.click(language)
    await user.click(services)
    await user.click(service)
    await user.click(place)
    while not user.has("📍"):  # a city with several centres: the first centre
        await user.click(user.buttons()[0][0])
    await user.click("📍")
    await user.click("📑")
    await user.click("✅")
    while not user.has("1. "):  # the checklist's questions: the first answer
        await user.click(user.buttons()[0][0])
    await user.click("1.")
    await user.click("2.")
    await user.click("✔️")
    await user.send(f"/status {case_number}")
    await user.send("/menu")


async def seed_cases(services: object, sessions: object, users: int) -> list[str]:
    """One application per user, so /status finds something of theirs."""
    numbers = []
    async with sessions() as session:  # type: ignore[operator]
        repositories = Repositories(session)
        for n in range(users):
            await repositories.users.touch(10_000 + n)
        await repositories.commit()
        cases = services.units(sessions).over(repositories.session).cases  # type: ignore[attr-defined]
        for n in range(users):
            case = await cases.submit(application(10_000 + n))
            numbers.append(case.number or "")
    return numbers


@dataclass
class Contender:
    """One of the three bots: its users, the steps each takes, and what it measured so far."""

    name: str
    people: list[SimulatedUser]
    steps: Callable[[int, SimulatedUser], Awaitable[None]]
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)

    async def round(self, number: int, concurrency: int) -> int:
        """Drive this round's share of the users; the number of updates it took."""
        chosen = self.people[number::ROUNDS]
        began = len(self.latencies)
        elapsed, latencies = await drive(chosen, concurrency,
                                         lambda n, person: self.steps(number + n * ROUNDS, person))
        self.elapsed += elapsed
        self.latencies += latencies
        return len(self.latencies) - began


async def the_bot(args: argparse.Namespace, database_url: str) -> tuple[Contender, Callable[[], Awaitable[None]]]:
    """The whole bot over a fresh database, one application seeded per user; and its cleanup."""
    settings = load_settings(bot_token=TOKEN, database_url=database_url, redis_url=args.redis or "",
                             _env_file=None)
    engine = await fresh_database(database_url)
    sessions = create_session_factory(engine, system_clock)
    services = build_services(settings, system_clock)
    storage, isolation = build_fsm(settings, sessions, prefix=f"bench{time.time_ns()}")
    session = FakeSession()
    bot = build_bot(settings, session=session)
    dp = build_dispatcher(settings, sessions, services, storage, isolation)
    numbers = await seed_cases(services, sessions, args.users)
    people = [SimulatedUser(bot, dp, session, 10_000 + n, "kk" if n % 2 else "ru") for n in range(args.users)]
    await journey(SimulatedUser(bot, dp, session, 9_999), 0, numbers[0])  # warm up (templates, caches)
    gc.collect()
    gc.freeze()  # as bot.app.run does once started

    async def steps(n: int, person: SimulatedUser) -> None:
        await journey(person, n, numbers[n])

    async def cleanup() -> None:
        await storage.close()
        await isolation.close()
        await engine.dispose()

    return Contender("bot", people, steps), cleanup


def echo_dispatcher() -> Dispatcher:
    """One echo handler for messages, one answer for buttons."""
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def pressed(callback: CallbackQuery) -> None:
        await callback.answer()

    return dp


class BareSG(StatesGroup):
    pick = State()
    picked = State()


def bare_dialog_dispatcher() -> Dispatcher:
    """/start opens a list of six; a pick shows it with a Back button: two windows, no database."""

    async def items(**_kwargs: object) -> dict[str, object]:
        return {"items": [(f"Item {n}", str(n)) for n in range(6)]}

    async def picked(_callback: CallbackQuery, _widget: object, manager: DialogManager, item: str) -> None:
        manager.dialog_data["item"] = item
        await manager.next()

    dialog = Dialog(
        Window(Const("Pick one"), Column(Select(Format("{item[0]}"), id="s", item_id_getter=lambda x: x[1],
                                                items="items", on_click=picked)),
               state=BareSG.pick, getter=items),
        Window(Format("Picked {dialog_data[item]}"), Back(Const("Back")), state=BareSG.picked),
    )
    router = Router()

    @router.message(CommandStart())
    async def start(_message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(BareSG.pick, mode=StartMode.RESET_STACK)

    dp = Dispatcher(storage=MemoryStorage())
    dp.include_routers(router, dialog)
    setup_dialogs(dp)
    return dp


def references(users: int, per_user: int) -> tuple[Contender, Contender]:
    """The echo bot (``per_user`` messages each) and the bare dialog bot (/start, then pick and back)."""

    async def echo_steps(_n: int, person: SimulatedUser) -> None:
        for step in range(per_user):
            await person.send(f"echo {step}")

    async def bare_steps(_n: int, person: SimulatedUser) -> None:
        await person.send("/start")
        for step in range(max(per_user, 2) - 1):
            await person.click("Back" if step % 2 else "Item 3")

    return (Contender("echo", bare_people(echo_dispatcher(), users), echo_steps),
            Contender("bare dialog", bare_people(bare_dialog_dispatcher(), users), bare_steps))


def bare_people(dp: Dispatcher, users: int) -> list[SimulatedUser]:
    """Simulated users of a reference dispatcher (no database), over their own fake Telegram."""
    session = FakeSession()
    bot = build_bot(load_settings(bot_token=TOKEN, _env_file=None), session=session)
    return [SimulatedUser(bot, dp, session, 10_000 + n) for n in range(users)]


async def drive(people: list[SimulatedUser], concurrency: int,
                steps: Callable[[int, SimulatedUser], Awaitable[None]]) -> tuple[float, list[float]]:
    """Each person's ``steps``, ``concurrency`` people at a time: the time it took, and the
    latency of every update."""
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int, person: SimulatedUser) -> None:
        async with gate:
            await steps(n, person)

    began = time.perf_counter()
    await asyncio.gather(*(one(n, person) for n, person in enumerate(people)))
    return time.perf_counter() - began, [value for person in people for value in person.latencies]


def report(name: str, elapsed: float, latencies: list[float]) -> float:
    rate = len(latencies) / elapsed
    print(f"{name:>11}: {len(latencies):6d} updates in {elapsed:6.2f} s = {rate:7.0f} updates/s, "
          f"p50 {percentile(latencies, 0.5) * 1000:6.2f} ms, p99 {percentile(latencies, 0.99) * 1000:6.2f} ms")
    return rate


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--database", default="")
    parser.add_argument("--redis", default="")
    parser.add_argument("--no-goals", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        bot, cleanup = await the_bot(args, database)
        echo = bare = None
        for number in range(ROUNDS):
            updates = await bot.round(number, args.concurrency)
            if echo is None or bare is None:  # as many updates per user as the bot's journey takes
                echo, bare = references(args.users, max(updates // len(bot.people[number::ROUNDS]), 1))
            await echo.round(number, args.concurrency)
            await bare.round(number, args.concurrency)
        await cleanup()
    assert echo is not None and bare is not None
    backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    print(f"{args.users} users, {args.concurrency} at a time, {backend}{' + Redis' if args.redis else ''}, "
          f"{ROUNDS} alternating rounds")
    bot_rate, echo_rate, bare_rate = (report(c.name, c.elapsed, c.latencies) for c in (bot, echo, bare))
    ratio = bot_rate / bare_rate
    print(f"a bare aiogram-dialog bot: {bare_rate / echo_rate:.1%} of the echo rate; "
          f"the bot: {bot_rate / echo_rate:.1%} of the echo rate")
    p99 = percentile(bot.latencies, 0.99) * 1000
    print(f"ratio: the bot handles {ratio:.1%} of the bare dialog bot's rate (goal {GOAL_RATIO:.0%}); "
          f"p99 {p99:.1f} ms (goal < {GOAL_P99_MS:.0f})")
    if args.no_goals:
        return 0
    missed = [goal for goal, ok in (("rate", ratio >= GOAL_RATIO), ("p99", p99 < GOAL_P99_MS)) if not ok]
    if missed:
        print("goal missed: " + ", ".join(missed))
        return 1
    print("goals met")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
