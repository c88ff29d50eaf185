"""A property-based fuzzer (schemathesis) against the API served by uvicorn: no 500, every
answer matches the description, valid input is taken and out-of-range input is refused."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from sqlalchemy import select

from config import Settings
from storage.models import Attachment
from tests.api.conftest import TOKEN
from tests.conftest import App, FakeClock
from tests.test_bookings import AKIMAT, TUESDAY, at, book, users
from tests.test_case_service import add_user, submit
from tests.test_complaints import register as register_complaint

# Examples per run (each operation, positive and negative, also at the seeded resources):
# 10-15 s in all here. Under libfaketime (the far-off-date leg of CI) every read of the clock
# costs about ten times as much, and the fuzzer's findings do not depend on the date (the
# API takes the time from the test's clock): there it makes a sixth of the examples.
SLOW_CLOCK = "faketime" in os.environ.get("LD_PRELOAD", "")
EXAMPLES = ({GenerationMode.POSITIVE: 7, GenerationMode.NEGATIVE: 4} if SLOW_CLOCK
            else {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25})
# The path parameters of what seed() makes; the actions' case is not the one read, so the
# reads still find a submitted case while the moves take the other through its lifecycle.
# Files: 1 stored, 2 refused, 3 (the complaint's) not stored yet.
SEEDED: dict[str, list[dict[str, object]]] = {
    "/api/v1/cases/{number}": [{"number": "26-000001"}],
    "/api/v1/cases/{number}/actions": [{"number": "26-000002"}],
    "/api/v1/complaints/{number}": [{"number": "C-26-000001"}],
    "/api/v1/complaints/{number}/actions": [{"number": "C-26-000001"}],
    "/api/v1/bookings/{number}/visit": [{"number": "T-000001"}],
    "/api/v1/attachments/{id}/content": [{"id": 1}, {"id": 2}, {"id": 3}],
}


async def seed(app: App, settings: Settings) -> None:
    """Something to find at the numbers the description gives as examples."""
    await add_user(app, 7001, "ru")
    await users(app, 7002)
    number = await submit(app)
    await submit(app, standard="mangystau_foreign_media", office="mangystau_uvp_232")
    await register_complaint(app, case_number=number)
    await book(app, 7002, AKIMAT, at(TUESDAY, 10))
    async with app.sessions() as session:
        first, second = (await session.scalars(select(Attachment).order_by(Attachment.id))).all()[:2]
        first.stored_path = f"{number}/1-military_id.jpg"
        first.content_type = "image/jpeg"
        second.rejected = "size"
        await session.commit()
    path = Path(settings.file_store_dir) / number / "1-military_id.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 jpeg")


def run(base: str, operation: APIOperation, mode: GenerationMode, examples: int,
        path_parameters: dict[str, object] | None, statuses: Counter[int]) -> str | None:
    """One hypothesis run of ``examples`` requests; what failed (shrunk), if anything did."""

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(base_url=base, timeout=30)
        statuses[response.status_code] += 1

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        statuses[0] += 1  # nothing left to get wrong (/health; a read with its path given)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return str(exc)[:2000]
    return None


def fuzz(base: str) -> list[str]:
    """Every operation in both modes, with generated path parameters and with those of the
    seeded case, complaint, booking and file; what failed, one line per run."""
    config = schemathesis.Config.from_str(f"""
[generation]
# Unknown query parameters are ignored, as they always were; unknown body fields are refused.
allow-extra-parameters = false
# The token is right in every request (wrong tokens have their own tests): the negative
# cases break the parameters and bodies, not the Authorization header.
with-security-parameters = false

[auth.openapi.bearer]
bearer = "{TOKEN}"

# A file refused by the scan is 410 and one not downloaded yet 503 (with Retry-After): both
# are the answers the description gives, not faults.
[[operations]]
include-path = "/api/v1/attachments/{{id}}/content"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "410", "503"]
""")
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", config=config)
    failures = []
    statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
    for result in schema.get_all_operations():
        operation = result.ok()
        runs: list[dict[str, object] | None] = [None, *SEEDED.get(operation.path, [])]
        for mode, examples in EXAMPLES.items():
            for path_parameters in runs:
                label = f"{operation.label} {mode.value}{f' {path_parameters}' if path_parameters else ''}"
                failure = run(base, operation, mode, examples, path_parameters, statuses[label])
                if failure:
                    failures.append(f"{label}: {failure}")
    for label, counts in statuses.items():
        print(label, dict(sorted(counts.items())))
    return failures


async def test_the_fuzzer_finds_no_fault(live_api: str, app: App, clock: FakeClock, settings: Settings) -> None:
    await seed(app, settings)
    started = time.monotonic()
    failures = await asyncio.get_running_loop().run_in_executor(None, fuzz, live_api)
    print(f"fuzzed in {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)
