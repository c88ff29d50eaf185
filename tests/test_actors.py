"""Who made a change, stored as one string and read back."""

from __future__ import annotations

from domain.actors import Actor


def test_round_trip() -> None:
    for actor in (Actor.user(555), Actor.clerk(900001, "Асель  Нурланова"), Actor.clerk(7), Actor.api("docflow"),
                  Actor.system()):
        assert Actor.parse(actor.encode()) == actor
    assert Actor.clerk(1, "Асель  Нурланова").name == "Асель Нурланова"


def test_older_and_foreign_strings() -> None:
    assert Actor.parse("clerk:900001") == Actor.clerk(900001)
    assert Actor.parse("back-office") == Actor.api("back-office")
    assert len(Actor.clerk(1, "Я" * 100).encode()) == 64
