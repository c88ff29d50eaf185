"""Assembling the bot: Bot, Dispatcher with its middlewares and routers, commands, polling."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from aiogram_dialog import setup_dialogs
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import SUPPORTED_LOCALES, Settings
from bot.i18n import N_, LanguageMiddleware, create_i18n
from bot.middlewares import DatabaseMiddleware, InFlightUpdates, UserMiddleware
from bot.rendering import Renderer
from dialogs import card, catalog, checklist, language, menu
from domain.catalog import Catalog, load_catalog
from domain.matching import Matcher
from handlers import commands, errors, fallback, questions
from storage.database import SessionFactory, create_engine, create_session_factory
from storage.fsm import SQLAlchemyStorage
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

# (command, description msgid) in the order Telegram shows them.
COMMANDS = (
    ("start", N_("Start over")),
    ("menu", N_("Main menu")),
    ("services", N_("Services and their cards")),
    ("language", N_("Change the language")),
    ("help", N_("How to use the bot")),
)


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    """The Bot, talking to ``BOT_API_URL`` when it is set."""
    if session is None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
            if settings.bot_api_url
            else AiohttpSession()
        )
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_fsm(
    settings: Settings, sessions: SessionFactory, prefix: str = "fsm"
) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis for FSM and locks when ``REDIS_URL`` is set (several processes), else the database.

    Keys carry the destiny (aiogram-dialog keeps its stacks under their own destinies).
    """
    keys = DefaultKeyBuilder(prefix=prefix, with_destiny=True, with_bot_id=True)
    if settings.redis_url:
        storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
        return storage, RedisEventIsolation(storage.redis, key_builder=keys)
    return SQLAlchemyStorage(sessions, key_builder=keys), SimpleEventIsolation()


@dataclass
class Services:
    """What the dispatcher's handlers get injected, built once at start."""

    catalog: Catalog
    i18n: I18n
    renderer: Renderer
    matcher: Matcher


def build_services(settings: Settings) -> Services:
    catalog_ = load_catalog()
    i18n = create_i18n(settings.default_locale)
    return Services(catalog=catalog_, i18n=i18n, renderer=Renderer(i18n), matcher=Matcher(catalog_))


def build_dispatcher(
    settings: Settings,
    sessions: SessionFactory,
    services: Services,
    storage: BaseStorage,
    events_isolation: BaseEventIsolation,
) -> Dispatcher:
    """The dispatcher with middlewares, routers and dialogs, ready for ``feed_update``."""
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation,
        settings=settings,
        catalog=services.catalog,
        renderer=services.renderer,
        matcher=services.matcher,
    )
    in_flight = InFlightUpdates()
    dp.update.outer_middleware(in_flight)
    dp.shutdown.register(in_flight.drain)
    # The Dispatcher registered closing the FSM storage first; updates must finish before it.
    dp.shutdown.handlers.insert(0, dp.shutdown.handlers.pop())
    dp.update.outer_middleware(DatabaseMiddleware(sessions))
    dp.update.outer_middleware(UserMiddleware())
    LanguageMiddleware(services.i18n).setup(dp)
    # Messages are routed before the dialogs, which would otherwise take every message
    # while one of them is open; buttons reach the dialogs before the stale-button fallback.
    dp.include_routers(
        errors.create_router(),
        commands.create_router(),
        questions.create_router(),
        fallback.create_messages_router(),
        language.create_dialog(),
        menu.create_dialog(),
        catalog.create_dialog(),
        card.create_dialog(),
        checklist.create_dialog(),
        fallback.create_buttons_router(),
    )
    setup_dialogs(dp, events_isolation=events_isolation)
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


async def prepare_database(settings: Settings) -> tuple[AsyncEngine, SessionFactory]:
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    return engine, create_session_factory(engine)


async def run(settings: Settings) -> None:
    """Start everything and poll until stopped."""
    engine, sessions = await prepare_database(settings)
    services = build_services(settings)
    storage, isolation = build_fsm(settings, sessions)
    bot = build_bot(settings)
    dp = build_dispatcher(settings, sessions, services, storage, isolation)
    try:
        await set_commands(bot, services.i18n, settings.default_locale)
        logger.info("Kenes is starting (database: %s)", engine.url.get_backend_name())
        await dp.start_polling(bot, handle_signals=True)
    finally:
        await bot.session.close()
        await storage.close()
        await isolation.close()
        await engine.dispose()
