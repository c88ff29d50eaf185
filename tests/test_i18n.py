"""Both catalogs are complete, consistent and compiled; catalog texts exist in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("kk", "ru")
SOURCE_DIRS = ("bot", "dialogs", "handlers", "domain", "storage")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "I18nFormat": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)[^}]*\}")


def extracted() -> set[str | tuple[str, ...]]:
    """Every message the code and templates use, as pybabel would extract it."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    messages: set[str | tuple[str, ...]] = set()
    for directory in SOURCE_DIRS:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / directory, method_map, options_map, keywords=KEYWORDS
        ):
            messages.add(message)
    for _line, message, _comments, _context in extract_from_file("python", ROOT / "run_bot.py",
                                                                 keywords=KEYWORDS):
        messages.add(message)
    return messages


def po(locale: str) -> PoCatalog:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    catalog = po(locale)
    problems = []
    for message in extracted():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None:
            problems.append(f"missing: {key!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif not all(entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            problems.append(f"empty: {key!r}")
    assert problems == [], f"{locale}: {len(problems)} untranslated\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders(locale: str) -> None:
    for entry in po(locale):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = placeholders(ids[0])
        for string in strings:
            assert placeholders(string) == wanted, f"{locale}: {entry.id!r} -> {string!r}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogs_are_not_stale(locale: str) -> None:
    """The .mo the bot loads says exactly what the .po says (run scripts/i18n.py compile)."""
    def as_key(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = {as_key(m.id): as_key(m.string) for m in read_mo(fh) if m.id}
    source = {as_key(m.id): as_key(m.string) for m in po(locale) if m.id and not m.fuzzy}
    assert compiled == source


def test_russian_plural_forms() -> None:
    assert po("ru").num_plurals == 3
    assert po("kk").num_plurals == 2


def test_a_missing_translation_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The completeness check is not vacuous: a new message in the code is reported."""
    import tests.test_i18n as module

    real = module.extracted
    monkeypatch.setattr(module, "extracted", lambda: real() | {"A message nobody translated"})
    with pytest.raises(AssertionError, match="missing: 'A message nobody translated'"):
        module.test_every_message_is_translated("ru")
