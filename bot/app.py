"""Assembling the bot: Bot, Dispatcher with its middlewares and routers, commands, polling."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.fsm.strategy import FSMStrategy
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from aiogram_dialog import setup_dialogs
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import RegistryContext, create_app
from api.server import ApiServer
from bot.dedup import DatabaseSeenUpdates, DuplicateUpdates, RedisSeenUpdates, SeenUpdates
from bot.middlewares import DatabaseMiddleware, InFlightUpdates, UserMiddleware
from bot.requests import FloodWait, HandlingDispatcher, OneAnswerPerPress
from bot.webhook import serve_webhook
from config import SUPPORTED_LOCALES, Settings
from console.app import create_console
from console.web import ConsoleContext
from dialogs import (
    application,
    booking,
    card,
    cases,
    catalog,
    checklist,
    complaint,
    drafts,
    language,
    menu,
    my_bookings,
    my_complaints,
)
from dialogs.widgets import KenesMessageManager, PlainReplyButtons, unique_intent_ids
from domain.catalog import Catalog, load_catalog
from domain.clock import Clock, system_clock
from domain.deadlines import CalendarOverrides, WorkingCalendar
from domain.hours import DeskHours
from domain.slots import BookingConfig
from handlers import (
    bookings,
    clerks,
    commands,
    complaints,
    errors,
    fallback,
    handoff,
    notices,
    questions,
    survey,
)
from handlers import console as console_handlers
from jobs.daily import DeadlineWatch
from jobs.outbox import OutboxWorker, Pacing
from jobs.scans import MB, AttachmentDownloader
from presentation.filters import NotDialogButton
from presentation.i18n import N_, LanguageMiddleware, create_i18n
from presentation.notices import OutboxNotices
from presentation.rendering import Renderer
from services.handoff import HandoffDesk
from services.staff import links_from, roles_from, sessions_from
from services.unit import UnitFactory
from storage.cache import UserCache
from storage.database import SessionFactory, clock_of, create_engine, create_session_factory
from storage.fsm import SQLAlchemyStorage
from storage.migrate import upgrade
from understanding.engine import Understanding

logger = logging.getLogger(__name__)

# (command, description msgid) in the order Telegram shows them.
COMMANDS = (
    ("start", N_("Start over")),
    ("menu", N_("Main menu")),
    ("services", N_("Services and their cards")),
    ("bookings", N_("My booked visits")),
    ("status", N_("My applications")),
    ("complaint", N_("My complaints")),
    ("language", N_("Change the language")),
    ("help", N_("How to use the bot")),
)


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    """The Bot, talking to ``BOT_API_URL`` when it is set; a press is answered once and replies
    wait out flood control (bot.requests)."""
    if session is None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
            if settings.bot_api_url
            else AiohttpSession()
        )
    session.middleware(OneAnswerPerPress())
    session.middleware(FloodWait())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def one_process(settings: Settings) -> bool:
    """SQLite without Redis: one process owns the database and may keep what it read in memory
    (conversation state, see :mod:`storage.fsm`; the users, see :mod:`storage.cache`)."""
    return settings.database_url.startswith("sqlite") and not settings.redis_url


def build_fsm(
    settings: Settings, sessions: SessionFactory, prefix: str = "fsm"
) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis for FSM and locks when ``REDIS_URL`` is set (several processes), else the database
    (with SQLite, through an in-memory copy saved twice a second, see :mod:`storage.fsm`).

    Keys carry the destiny (aiogram-dialog keeps its stacks under their own destinies).
    """
    keys = DefaultKeyBuilder(prefix=prefix, with_destiny=True, with_bot_id=True)
    if settings.redis_url:
        storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
        return storage, RedisEventIsolation(storage.redis, key_builder=keys)
    # SQLite serves one process: the state is kept in memory and saved twice a second.
    write_behind = 0.5 if one_process(settings) else None
    storage = SQLAlchemyStorage.for_url(settings.database_url, clock_of(sessions), keys, write_behind)
    return storage, SimpleEventIsolation()


@dataclass
class Services:
    """What the dispatcher's handlers get injected, built once at start."""

    catalog: Catalog
    i18n: I18n
    renderer: Renderer
    understanding: Understanding
    calendar: WorkingCalendar
    notices: OutboxNotices
    booking_config: BookingConfig
    clock: Clock
    complaint_review_days: int = 5

    def units(self, sessions: SessionFactory) -> UnitFactory:
        """The one factory of services over a database session (bot, registry API, jobs)."""
        return UnitFactory(sessions, self.catalog, self.calendar, self.notices, self.booking_config, self.clock,
                           self.complaint_review_days)


def build_services(settings: Settings, clock: Clock) -> Services:
    catalog_ = load_catalog()
    i18n = create_i18n(settings.default_locale)
    renderer = Renderer(i18n)
    notices = OutboxNotices(renderer, catalog_, settings.default_locale, settings.clerk_chat_id)
    return Services(catalog=catalog_, i18n=i18n, renderer=renderer, understanding=Understanding(catalog_),
                    calendar=WorkingCalendar(CalendarOverrides.load()), notices=notices,
                    booking_config=BookingConfig.load(), complaint_review_days=settings.complaint_review_days,
                    clock=clock)


def build_dispatcher(
    settings: Settings,
    sessions: SessionFactory,
    services: Services,
    storage: BaseStorage,
    events_isolation: BaseEventIsolation,
    seen: SeenUpdates | None = None,
) -> Dispatcher:
    """The dispatcher with middlewares, routers and dialogs, ready for ``feed_update``.

    With ``seen`` (webhook mode), an update delivered twice is handled once.
    """
    dp = HandlingDispatcher(
        storage=storage,
        events_isolation=events_isolation,
        settings=settings,
        catalog=services.catalog,
        renderer=services.renderer,
        understanding=services.understanding,
        notices=services.notices,
        calendar=services.calendar,
        handoff_desk=HandoffDesk(settings.clerk_chat_id, settings.clerk_ids, DeskHours(*settings.clerk_hours),
                                 services.calendar, services.renderer, services.catalog, settings.default_locale,
                                 lambda: services.clock()),
        console_links=links_from(settings, lambda: services.clock()),
        fsm_strategy=FSMStrategy.USER_IN_TOPIC,
    )
    # Every update is tracked from its arrival (before the duplicates check, which queries),
    # so that a shutdown lets the updates in hand finish (polling and webhook alike).
    in_flight = InFlightUpdates()
    dp.update.outer_middleware(in_flight)
    dp.shutdown.register(in_flight.drain)
    # The Dispatcher registered closing the FSM storage first; updates must finish before it.
    # (A library internal: tests/test_library_internals.py fails if aiogram changes it.)
    dp.shutdown.handlers.insert(0, dp.shutdown.handlers.pop())
    if seen is not None:
        dp.update.outer_middleware(DuplicateUpdates(seen))
    dp.update.outer_middleware(DatabaseMiddleware(services.units(sessions)))
    dp.update.outer_middleware(UserMiddleware(UserCache.of(sessions) if one_process(settings) else None))
    LanguageMiddleware(services.i18n).setup(dp)
    # Messages are routed before the dialogs, which would otherwise take every message
    # while one of them is open; buttons reach the dialogs before the stale-button fallback.
    # A dialog's button skips the handlers' routers at once (each router passed costs time).
    handlers = Router(name="handlers")
    handlers.callback_query.filter(NotDialogButton())
    handlers.include_routers(
        errors.create_router(),
        console_handlers.create_router(),
        clerks.create_router(),
        complaints.create_router(),
        handoff.create_router(),
        commands.create_router(),
        survey.create_router(),
        bookings.create_router(),
        notices.create_router(),
        questions.create_router(),
        fallback.create_messages_router(),
    )
    dp.include_routers(
        handlers,
        language.create_dialog(),
        menu.create_dialog(),
        catalog.create_dialog(),
        card.create_dialog(),
        checklist.create_dialog(),
        application.create_dialog(),
        cases.create_dialog(),
        booking.create_dialog(),
        my_bookings.create_dialog(),
        complaint.create_dialog(),
        my_complaints.create_dialog(),
        drafts.create_dialog(),
        fallback.create_buttons_router(),
    )
    unique_intent_ids()
    # A dialog stack is only touched by its user's updates, which the dispatcher already locks
    # (across processes with Redis, with the same chat, user and topic): aiogram-dialog's own
    # lock of the stack only has to guard within the process, which saves two round trips to
    # Redis per update.
    setup_dialogs(dp, events_isolation=SimpleEventIsolation(), message_manager=KenesMessageManager())
    dp.message.outer_middleware(PlainReplyButtons())  # after aiogram-dialog's: its context is loaded
    return dp


async def set_commands(bot: Bot, i18n: I18n, default_locale: str) -> None:
    """Register the command list for each language, and the default language for the rest."""
    for locale in (*SUPPORTED_LOCALES, None):
        language = locale or default_locale
        commands_ = [
            BotCommand(command=name, description=i18n.gettext(text, locale=language))
            for name, text in COMMANDS
        ]
        await bot.set_my_commands(commands_, scope=BotCommandScopeDefault(), language_code=locale)


class StartError(Exception):
    """The bot cannot start for a reason retrying will not mend; the message is one line."""


TELEGRAM = "https://api.telegram.org"
FIRST_RETRY, LAST_RETRY = 1.0, 60.0


async def reach_telegram(bot: Bot, settings: Settings, stop: asyncio.Event,
                         steps: Callable[[], Awaitable[object]]) -> bool:
    """Run the start's requests to Telegram (``steps``) until they succeed or ``stop`` is set.

    While the Bot API cannot be reached (no route, a self-hosted server that is down, 5xx,
    flood control) each failure is one log line naming the URL, and the next try comes after
    a doubling wait (1 s up to a minute); the registry API and the jobs keep running meanwhile.
    A token Telegram refuses stops the start (:class:`StartError`). ``False``: stopped first.
    """
    url = settings.bot_api_url or TELEGRAM
    wait = FIRST_RETRY
    while not stop.is_set():
        try:
            await steps()
            return True
        except TelegramUnauthorizedError:
            raise StartError(f"BOT_TOKEN was refused by the Bot API at {url} (401 Unauthorized)") from None
        except TelegramRetryAfter as exc:
            wait = max(wait, float(exc.retry_after))
            logger.warning("the Bot API at %s asks to wait %s s (flood control)", url, exc.retry_after)
        except (TelegramNetworkError, TelegramServerError, TelegramNotFound) as exc:
            logger.warning("the Bot API at %s cannot be reached (%s); trying again in %.0f s", url,
                           exc.message.removeprefix("HTTP Client says - "), wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
        wait = min(wait * 2, LAST_RETRY)
    return False


async def prepare_database(settings: Settings, clock: Clock) -> tuple[AsyncEngine, SessionFactory]:
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    return engine, create_session_factory(engine, clock)


async def start_registry_api(settings: Settings, sessions: SessionFactory, services: Services) -> ApiServer | None:
    """Serve the registry API on ``REGISTRY_HOST:REGISTRY_PORT`` (uvicorn, on this event loop);
    off without ``REGISTRY_TOKEN``."""
    if settings.registry_token is None:
        logger.info("registry API is off (REGISTRY_TOKEN is not set)")
        return None
    context = RegistryContext(units=services.units(sessions), file_store=settings.file_store_dir)
    open311_key = settings.open311_api_key.get_secret_value() if settings.open311_api_key else None
    server = ApiServer(create_app(context, settings.registry_token.get_secret_value(), open311_key=open311_key),
                       settings.registry_host, settings.registry_port)
    await server.start()
    return server


async def start_console(settings: Settings, sessions: SessionFactory, services: Services) -> ApiServer | None:
    """Serve the staff console on ``CONSOLE_HOST:CONSOLE_PORT`` (uvicorn, on this event loop);
    off unless ``CONSOLE_ENABLED``."""
    links = links_from(settings, services.clock)
    if links is None:
        logger.info("console is off (CONSOLE_ENABLED is not set)")
        return None
    context = ConsoleContext(
        units=services.units(sessions), file_store=settings.file_store_dir, i18n=services.i18n,
        roles=roles_from(settings),
        links=links, staff_sessions=sessions_from(settings, services.clock), default_locale=settings.default_locale,
        secure_cookies=settings.console_base_url.startswith("https://"), trust_proxy=settings.console_trust_proxy)
    # Forwarded headers are read by the console itself, and only with CONSOLE_TRUST_PROXY.
    server = ApiServer(create_console(context), settings.console_host, settings.console_port, name="console",
                       proxy_headers=False)
    await server.start()
    return server


async def run(settings: Settings) -> None:
    """Start the bot, the registry API and the notifier together; stop them together."""
    clock = system_clock
    engine, sessions = await prepare_database(settings, clock)
    services = build_services(settings, clock)
    storage, isolation = build_fsm(settings, sessions)
    bot = build_bot(settings)
    seen: SeenUpdates | None = None
    if settings.webhook_url:
        if isinstance(storage, RedisStorage):
            seen = RedisSeenUpdates(storage.redis, bot.id)
        else:
            seen = DatabaseSeenUpdates(sessions)
    dp = build_dispatcher(settings, sessions, services, storage, isolation, seen)
    worker = OutboxWorker(bot, sessions, clock=clock, pacing=Pacing(per_second=settings.outbox_per_second))
    services.notices.wake = worker.wake
    downloader = AttachmentDownloader(bot, sessions, settings.file_store_dir, services.notices, clock=clock,
                                      max_bytes=settings.max_upload_mb * MB)
    watch = DeadlineWatch(services.units(sessions), services.renderer, clerk_chat_id=settings.clerk_chat_id,
                          locale=settings.default_locale, at=settings.digest_time)
    # What start-up built (the catalog, templates, vocabulary, dispatcher) lives as long as the
    # process: kept out of the garbage collector's full passes, which otherwise stop the bot
    # for a fraction of a second each time they walk it.
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    api = await start_registry_api(settings, sessions, services)
    console = await start_console(settings, sessions, services)
    background = [asyncio.create_task(job.run(stop), name=type(job).__name__)
                  for job in (worker, downloader, watch)]
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async def start_steps() -> None:
        await bot.me()  # cached: polling asks for it first
        await set_commands(bot, services.i18n, settings.default_locale)
        if not settings.webhook_url:
            await bot.delete_webhook()  # polling and a webhook exclude each other

    try:
        logger.info("Kenes is starting (database: %s, %s)", engine.url.get_backend_name(),
                    "webhook" if settings.webhook_url else "polling")
        if not await reach_telegram(bot, settings, stop, start_steps):
            return
        if settings.webhook_url:
            await serve_webhook(dp, bot, settings, stop, lambda steps: reach_telegram(bot, settings, stop, steps))
        else:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
    finally:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        if api is not None:
            await api.stop()
        if console is not None:
            await console.stop()
        await bot.session.close()
        await storage.close()
        await isolation.close()
        await engine.dispose()
