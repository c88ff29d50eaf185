"""The catalogs follow locales/GLOSSARY.toml: one meaning per word in each language (issue 15 item 5)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.telegram import ChatClient

LOCALES = Path(__file__).resolve().parent.parent / "locales"
GLOSSARY = tomllib.loads((LOCALES / "GLOSSARY.toml").read_text(encoding="utf-8"))["terms"]


def translations(locale: str) -> dict[str, str]:
    """msgid (the singular of a plural) -> every form of its translation, joined."""
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=locale)
    out = {}
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        out[msgid] = message.string if isinstance(message.string, str) else " | ".join(message.string)
    return out


@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_each_listed_word_has_one_meaning(locale: str) -> None:
    catalog = translations(locale)
    for term in GLOSSARY:
        word = re.compile(term[locale], re.IGNORECASE)
        listed = {m for m in term["msgids"] if term.get("only", {}).get(m, locale) == locale}
        for msgid in listed:
            assert msgid in catalog, f"{term['meaning']}: {msgid!r} is not in the {locale} catalog"
            assert word.search(catalog[msgid]), f"{term['meaning']}: {msgid!r} -> {catalog[msgid]!r}"
        others = sorted(m for m, text in catalog.items() if word.search(text) and m not in listed)
        assert not others, f"{locale} «{term[locale]}» means {term['meaning']!r}, yet also: {others}"


def test_the_glossary_words_are_distinct() -> None:
    """Two meanings never share a word (one's pattern never matches the other's texts)."""
    for locale in ("kk", "ru"):
        catalog = translations(locale)
        for term in GLOSSARY:
            for other in GLOSSARY:
                if other is term:
                    continue
                texts = [catalog[m] for m in other["msgids"] if other.get("only", {}).get(m, locale) == locale]
                assert not any(re.search(term[locale], t, re.IGNORECASE) for t in texts), (locale, term["meaning"])


async def test_the_clerk_and_the_checklist_words_as_seen_ru(ru: ChatClient) -> None:
    """The checklist ends with «Показать итог», not the clerk's «Готово»."""
    await ru.start_in("Русский")
    await ru.click("Проверить мои документы")
    await ru.click("льготников")
    await ru.click("Нет, не нужна")
    await ru.click("Я сам(а)")
    assert "нажмите «Показать итог»" in ru.last.text
    assert "✔️ Показать итог" in ru.last.button_texts and not any("Готово" in t for t in ru.last.button_texts)


async def test_refusal_page_and_cancel_differ_kk(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.click("Қызметтер")
    await kk.click("Шетелдік БАҚ")
    await kk.click("Маңғыстау")
    assert "⛔ Бас тарту негіздері" in kk.last.button_texts
    await kk.click("⛔")
    assert "<b>Неге бас тартуы мүмкін</b>" in kk.last.text
