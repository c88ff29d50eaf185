"""gettext catalogs (``locales/``) and the middleware choosing each user's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import I18n, I18nMiddleware

import locales
from config import SUPPORTED_LOCALES
from storage.models import User

LOCALES_DIR: Path = Path(locales.__file__).resolve().parent
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translated where used)."""
    return message


def create_i18n(default_locale: str) -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def locale_from_telegram(user: TelegramUser | None, default: str) -> str:
    """The supported locale closest to Telegram's ``language_code``, else ``default``."""
    code = (user.language_code or "").lower() if user else ""
    language = code.split("-")[0]
    return language if language in SUPPORTED_LOCALES else default


class LanguageMiddleware(I18nMiddleware):
    """Uses the language the user chose (stored in ``users``), then Telegram's, then the default.

    Relies on :class:`bot.middlewares.UserMiddleware` having put the stored user in ``data``.
    """

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("user")
        if user is not None and user.language in SUPPORTED_LOCALES:
            return user.language
        return locale_from_telegram(data.get("event_from_user"), self.i18n.default_locale)
