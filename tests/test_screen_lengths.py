"""Every message a user reads first fits one phone screen (issue 15 item 3).

The walk opens the card of every service × office through the real dispatcher, in both
languages, and reads each page screen by screen («Подробнее / Толығырақ»): no screen may be
longer than ``SCREEN_LIMIT`` visible characters, and nothing of the page may be lost on the way.
"""

from __future__ import annotations

import re

import pytest

from domain.catalog import Catalog, Placement
from presentation.screens import SCREEN_LIMIT, split_screens, visible_length
from tests.conftest import App
from tests.telegram import ChatClient

MORE = {"kk": "Толығырақ ›", "ru": "Подробнее ›"}
SHORT = {"kk": "‹ Қысқаша", "ru": "‹ Кратко"}
_SELECT = re.compile(r"^(?P<prefix>.+\x1dsel_(?P<attribute>\w+):).*$")


def _balanced(text: str) -> bool:
    return all(text.count(f"<{tag}>") == text.count(f"</{tag}>") for tag in ("b", "i"))


def _select_data(client: ChatClient, item: str) -> str:
    """The callback of the list's Select for ``item`` (whichever page of the list shows it)."""
    for button in client.last.buttons:
        match = _SELECT.match(button.callback_data or "")
        if match:
            return match["prefix"] + item
    raise AssertionError(f"not a list: {client.last.text!r}")


def _attribute(client: ChatClient) -> str:
    for button in client.last.buttons:
        match = _SELECT.match(button.callback_data or "")
        if match:
            return match["attribute"]
    return ""


def _value(placement: Placement, attribute: str) -> str:
    return {"service": placement.standard.service, "standard": placement.standard.id,
            "city": placement.office.city_id, "office": placement.office.id}[attribute]


async def _open_card(client: ChatClient, placement: Placement) -> None:
    """Services → service → region → city → office, each step where the list asks it."""
    await client.send("/services")
    for _ in range(5):
        attribute = _attribute(client)
        if not attribute:
            return
        await client.click_data(_select_data(client, _value(placement, attribute)))
    raise AssertionError("the card did not open")


async def _read_page(client: ChatClient, locale: str, where: str) -> list[str]:
    """The screens of the page shown, following «Подробнее» to its end."""
    screens = [client.last.text]
    while MORE[locale] in client.last.button_texts:
        await client.click(MORE[locale], exact=True)
        screens.append(client.last.text)
        assert len(screens) < 12, where
    if len(screens) > 1:
        assert SHORT[locale] in client.last.button_texts, where
    for number, screen in enumerate(screens, 1):
        assert visible_length(screen) <= SCREEN_LIMIT, f"{where}, screen {number}: {visible_length(screen)}"
        assert _balanced(screen), f"{where}, screen {number}"
    return screens


PAGE_BUTTONS = ["📍", "📑", "⛔", "📣", "☎️", "📊"]  # where, documents, refusal, complaints, contacts, quality


@pytest.mark.parametrize("locale", ["kk", "ru"])
async def test_every_card_page_fits_a_screen(app: App, locale: str) -> None:
    catalog: Catalog = app.services.catalog
    client = app.client(user_id=910_000 + (locale == "ru"), language_code=locale)
    await client.start_in({"kk": "Қазақша", "ru": "Русский"}[locale])
    longest = read = 0
    for placement in catalog.placements:
        where = f"{placement.standard.id} × {placement.office.id} ({locale})"
        await _open_card(client, placement)
        screens = await _read_page(client, locale, f"{where} overview")
        assert "⏱" in screens[0], f"{where}: the deadline is among the essentials"
        for page in PAGE_BUTTONS:
            await client.click(page)
            screens += await _read_page(client, locale, f"{where} {page}")
        longest = max([longest, *map(visible_length, screens)])
        read += len(screens)
    assert read >= 7 * len(catalog.placements), "every page of every card was read"
    assert longest > SCREEN_LIMIT * 0.6, "screens are filled, not cut needlessly short"


def test_split_screens_keeps_every_word_in_order() -> None:
    header = "🎖 <b>Service</b>\n📍 Office"
    body = "\n\n".join(f"<b>Block {n}</b>\n" + " ".join(f"word{n}.{w}." for w in range(40)) for n in range(6))
    screens = split_screens(f"{header}\n\n{body}", limit=300)
    assert len(screens) > 3 and screens[0].startswith(header)
    assert all(s.startswith("🎖 <b>Service</b>") and visible_length(s) <= 300 for s in screens)
    words = [w for s in screens for w in re.sub(r"<[^>]+>", "", s).split() if w.startswith("word")]
    assert words == [f"word{n}.{w}." for n in range(6) for w in range(40)]
