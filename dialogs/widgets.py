"""Dialog widgets that translate through gettext at render time."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.text import Text


class I18nFormat(Text):
    """A gettext message (English msgid) formatted with the window's data: ``{name}``."""

    def __init__(self, text: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.text = text

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return gettext(self.text).format_map(data)
