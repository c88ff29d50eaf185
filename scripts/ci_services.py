"""CI: make sure PostgreSQL and Redis answer at 127.0.0.1, and create a fresh test database.

Starts whichever is not running (PostgreSQL through pg_ctlcluster or the service command,
Redis as a daemon that keeps nothing on disk), then drops and creates the database
``kenes_ci`` and prints its URL for ``KENES_TEST_DATABASE_URL``. Exits non-zero, saying why,
when a service cannot be reached.

    KENES_TEST_DATABASE_URL=$(python scripts/ci_services.py) ...
"""

from __future__ import annotations

import asyncio
import glob
import shutil
import socket
import subprocess
import sys
import time

import asyncpg

HOST = "127.0.0.1"
DATABASE = "kenes_ci"


def answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def try_commands(commands: list[list[str]]) -> None:
    for command in commands:
        if shutil.which(command[0]):
            subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure(name: str, port: int, commands: list[list[str]]) -> None:
    if answers(port):
        return
    print(f"{name} is not running; starting it", file=sys.stderr)
    try_commands(commands)
    for _ in range(60):
        if answers(port):
            return
        time.sleep(0.5)
    sys.exit(f"{name} does not answer at {HOST}:{port}")


async def fresh_database() -> str:
    connection = await asyncpg.connect(host=HOST, port=5432, user="postgres", database="postgres")
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await connection.close()
    return f"postgresql+asyncpg://postgres@{HOST}:5432/{DATABASE}"


def main() -> None:
    clusters = [path.split("/")[-2:] for path in glob.glob("/etc/postgresql/*/*")]
    ensure("PostgreSQL", 5432, [["pg_ctlcluster", version, cluster, "start"] for version, cluster in clusters]
           + [["service", "postgresql", "start"]])
    ensure("Redis", 6379, [["redis-server", "--daemonize", "yes", "--bind", HOST, "--port", "6379",
                            "--save", ""], ["service", "redis-server", "start"]])
    print(asyncio.run(fresh_database()))


if __name__ == "__main__":
    main()
