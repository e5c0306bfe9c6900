"""Make sure PostgreSQL and Redis answer for the test suite; start throwaway ones if not.

Prints `export VAR=value` lines for the Makefile to eval. Uses TEST_DATABASE_URL and REDIS_URL
when they answer (defaults: 127.0.0.1:5432 and :6379); otherwise starts servers from the installed
binaries in a temporary folder, on free ports, and points the variables at them.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        sys.exit(f"PostgreSQL is not reachable and {name} is not installed")
    return found


def start_postgres() -> str:
    root = tempfile.mkdtemp(prefix="portal-pg-")
    port = free_port()
    subprocess.run([pg_binary("initdb"), "-D", root + "/data", "-A", "trust", "-U", "postgres"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([pg_binary("pg_ctl"), "-D", root + "/data", "-l", root + "/log", "-w", "start",
                    "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1"], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"started a throwaway PostgreSQL on port {port} ({root})", file=sys.stderr)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def start_redis() -> str:
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("Redis is not reachable and redis-server is not installed")
    port = free_port()
    subprocess.run([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes"], check=True, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if answers(url):
            break
        time.sleep(0.1)
    print(f"started a throwaway Redis on port {port}", file=sys.stderr)
    return url


def main() -> None:
    pg = os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT
    rd = os.environ.get("REDIS_URL") or REDIS_DEFAULT
    if not answers(pg):
        pg = start_postgres()
    if not answers(rd):
        rd = start_redis()
    print(f"export TEST_DATABASE_URL='{pg}'")
    print(f"export REDIS_URL='{rd}'")


if __name__ == "__main__":
    main()
