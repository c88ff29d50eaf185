"""Personal data never reaches the log."""

from __future__ import annotations

import logging

import pytest

from bot.logs import QUIET, configure_logging, redact


@pytest.mark.parametrize("text", [
    "IIN 900101300126 in a message", "params ('900101300126',)", "+77011234567", "+7 701 123 45 67",
    "8 (701) 123-45-67", "87011234567", "tel:7-701-123-45-67",
])
def test_numbers_of_people_are_redacted(text: str) -> None:
    out = redact(text)
    assert not any(run in out.replace(" ", "").replace("-", "") for run in ("900101300126", "7011234567"))


def test_other_numbers_stay() -> None:
    assert redact("case 26-000042, update 123456789, 15 days, port 8080") == \
        "case 26-000042, update 123456789, 15 days, port 8080"


def test_drivers_stay_quiet_at_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    level = root.level
    try:
        configure_logging("DEBUG")
        assert root.level == logging.DEBUG
        assert all(logging.getLogger(name).getEffectiveLevel() == logging.WARNING for name in QUIET)
    finally:
        root.setLevel(level)
        for name in QUIET:
            logging.getLogger(name).setLevel(logging.NOTSET)
