"""CI: the package installs anywhere and runs from any directory.

Builds the wheel, installs it (not editable) into a fresh virtual environment, then, from an
empty directory elsewhere:

1. ``kenes`` with a malformed token stops with exit code 2 and one line naming BOT_TOKEN;
2. every data file of the source tree's catalog (with its question corpus), templates, console
   pages and catalogs is in the installed package;
3. ``kenes`` with a well-formed token and an unreachable Bot API starts (catalog, locales,
   templates and migrations found in the installed package: the SQLite file appears in
   ``./data``), says in one line that the Bot API cannot be reached, and stops cleanly on SIGINT.

    python scripts/check_install.py
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAH-install-check-token-for-kenes"


# Run inside the fresh venv: the data folders of the installed packages hold what the source
# tree's do (the catalog with its question corpus, templates, the console's pages and styles).
SHIPPED = f"""
import importlib, pathlib, sys
source = pathlib.Path({str(ROOT)!r})
missing = []
for package, folders in {{"catalog": ["", "standards", "questions"], "presentation": ["templates"],
                          "console": ["templates", "static"], "locales": ["kk/LC_MESSAGES", "ru/LC_MESSAGES"]}}.items():
    installed = pathlib.Path(importlib.import_module(package).__file__).parent
    for folder in folders:
        for path in (source / package / folder).glob("*"):
            if path.is_file() and path.suffix != ".py" and not (installed / folder / path.name).is_file():
                missing.append(f"{{package}}/{{folder}}/{{path.name}}")
print("\\n".join(missing))
sys.exit(1 if missing else 0)
"""


def run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fail(message: str, output: str = "") -> None:
    sys.exit(f"install check failed: {message}\n{output}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kenes-install-") as temporary:
        tmp = Path(temporary)
        # A stale build/ of an earlier wheel would hide a file the package data leaves out.
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", ROOT)
        wheel = glob.glob(str(tmp / "dist" / "kenes-*.whl"))[0]
        run(sys.executable, "-m", "venv", tmp / "venv")
        run(tmp / "venv" / "bin" / "pip", "install", "-q", wheel)
        elsewhere = tmp / "elsewhere"
        elsewhere.mkdir()
        kenes = tmp / "venv" / "bin" / "kenes"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        env = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL", "REGISTRY_TOKEN")}

        # Every data file the package reads at run time was shipped: each one in the source tree
        # that the package data patterns are meant to cover is in the installed package.
        shipped = subprocess.run([tmp / "venv" / "bin" / "python", "-c", SHIPPED], cwd=elsewhere, env=env,
                                 capture_output=True, text=True, timeout=60)
        if shipped.returncode != 0:
            fail("data files missing from the installed package", shipped.stdout + shipped.stderr)

        bad = subprocess.run([kenes], cwd=elsewhere, env={**env, "BOT_TOKEN": "not-a-token"},
                             capture_output=True, text=True, timeout=60)
        lines = bad.stderr.strip().splitlines()
        if bad.returncode != 2 or len(lines) != 1 or "BOT_TOKEN is not a bot token" not in lines[0]:
            fail(f"a bad token should stop with one line and code 2 (code {bad.returncode})", bad.stderr)
        print(f"bad token: exit 2, {lines[0]!r}")

        url = f"http://127.0.0.1:{closed_port()}"
        process = subprocess.Popen([kenes], cwd=elsewhere, env={**env, "BOT_TOKEN": TOKEN, "BOT_API_URL": url},
                                   stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line.rstrip())
            if "cannot be reached" in line:
                break
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=30)[1]
        output = "\n".join(seen) + "\n" + rest
        if not any(f"the Bot API at {url} cannot be reached" in line for line in seen):
            fail("the installed bot did not say the Bot API cannot be reached", output)
        if "Traceback" in output or process.returncode != 0:
            fail(f"the installed bot did not stop cleanly (code {process.returncode})", output)
        if not (elsewhere / "data" / "kenes.sqlite3").is_file():
            fail("no database in the working directory's data folder", output)
        print(f"installed wheel runs from {elsewhere}: database created, Bot API unreachable said in one line, "
              "stopped cleanly")


if __name__ == "__main__":
    main()
