"""Entry point: ``BOT_TOKEN=... python run_bot.py``."""

from __future__ import annotations

import asyncio
import contextlib
import sys

from config import SettingsError, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Kenes cannot start: {exc}", file=sys.stderr)
        return 2
    from bot.logs import configure_logging

    configure_logging(settings.log_level)
    from bot.app import StartError, run

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(settings))
    except StartError as exc:
        print(f"Kenes cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
