"""Top-1 hit rate and speed of the free-text matcher on the question tables in tests/data.

Run: python bench/matching.py [--misses]
A question is a hit when the predicted services, fact and place all equal the expected ones.
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.catalog import load_catalog  # noqa: E402
from domain.matching import Intent, Matcher  # noqa: E402


def expected(row: dict) -> tuple[frozenset[str], str | None, frozenset[str]]:
    services = frozenset(s for s in row["services"].split(",") if s)
    fact = None if row["fact"] in ("", "none") else row["fact"]
    places = frozenset([row["place"]]) if row["place"] else frozenset()
    return services, fact, places


def got(intent: Intent) -> tuple[frozenset[str], str | None, frozenset[str]]:
    return intent.services, intent.fact, intent.places


def load(table: str) -> list[dict]:
    with (ROOT / "tests" / "data" / f"questions_{table}.toml").open("rb") as fh:
        return tomllib.load(fh)["questions"]


def main() -> None:
    matcher = Matcher(load_catalog())
    show = "--misses" in sys.argv
    for language in ("kk", "ru", "kk_holdout", "ru_holdout"):
        rows = load(language)
        hits = 0
        started = time.perf_counter()
        for row in rows:
            intent = matcher.match(row["text"])
            ok = got(intent) == expected(row)
            hits += ok
            if show and not ok:
                print(f"  MISS [{language}] {row['text']!r}\n     want {expected(row)}\n     got  {got(intent)}")
        elapsed = time.perf_counter() - started
        print(f"{language}: top-1 {hits}/{len(rows)} = {hits / len(rows):.1%}, "
              f"{elapsed / len(rows) * 1000:.2f} ms per question")


if __name__ == "__main__":
    main()
