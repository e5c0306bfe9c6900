"""The web benchmark's servers and client (for bench/web.py): gunicorn started with the production
settings on a free loopback port, a sign-in through the login form, and the CPU time spent by a
server's processes and by the PostgreSQL backends serving it.

CPU time is what makes the comparison hold on a busy machine: requests per second depend on what
else runs, CPU seconds per request much less.
"""

# A benchmark, not a service: our own servers as child processes, a fixed scratch folder.
# ruff: noqa: S603, S108

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path("/tmp/portal-bench-web")
AGENT = "portal-bench"  # Flask-Login's "strong" protection binds a session to the address and agent
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, cookie: str = "") -> tuple[int, object, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"User-Agent": AGENT, **({"Cookie": cookie} if cookie else {})})
    resp = conn.getresponse()
    return resp.status, resp.msg, resp.read().decode()


def _cookies(headers) -> dict[str, str]:
    return dict(c.split(";", 1)[0].split("=", 1) for c in headers.get_all("Set-Cookie") or ())


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form (CSRF token and all); the session's Cookie header."""
    _status, headers, body = get(port, "/login")
    jar = _cookies(headers)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    form = urlencode({"csrf_token": token, "username": username, "password": password})
    conn.request("POST", "/login", body=form, headers={
        "User-Agent": AGENT, "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    resp = conn.getresponse()
    resp.read()
    if resp.status != 302:
        raise SystemExit(f"sign-in failed: HTTP {resp.status}")
    jar.update(_cookies(resp.msg))
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _ticks(pid: int, children: bool = False) -> int:
    """utime + stime of a process (+ those of its exited, reaped children), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


class Server:
    """A gunicorn master started by us with infra/gunicorn.conf.py, on a free loopback port.

    `database` (a psycopg URL) names where its backends run: their CPU time counts as the server's.
    """

    def __init__(self, name: str, target: list[str], env: dict, health: str, database: str | None = None):
        self.name, self.port, self.health, self.database = name, free_port(), health, database
        env = dict(env, GUNICORN_BIND=f"127.0.0.1:{self.port}", GUNICORN_LOG_LEVEL="warning")
        self.log = (SCRATCH / f"{name}.log").open("w")
        # Its own process group, so that stopping it reaches workers still booting too.
        self.process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "infra/gunicorn.conf.py"),
                                         *target], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait(self, seconds: float = 300) -> None:
        # Each worker builds the app after the fork (no preloading): on a busy machine, minutes.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn exited; see {self.log.name}")
            try:
                if get(self.port, self.health)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name}: not ready after {seconds} s; see {self.log.name}")

    def cpu(self) -> dict[str, int]:
        """Clock ticks so far: the master with its reaped workers, each live worker, each backend."""
        master = self.process.pid
        workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        ticks = {"master": _ticks(master, children=True), **{w: _ticks(int(w)) for w in workers}}
        if self.database:
            with psycopg.connect(self.database, autocommit=True) as conn:
                backends = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                        (self.application_name,)).fetchall()
            ticks.update({f"pg{pid}": _ticks(pid) for (pid,) in backends})
        return ticks

    @property
    def application_name(self) -> str:
        return f"portal-bench-{self.name}"

    @staticmethod
    def spent(before: dict[str, int], after: dict[str, int]) -> tuple[float, float]:
        """(app seconds, database seconds) between two samples. A worker that exited meanwhile is in
        the master's reaped total; a backend that exited is lost (workers keep theirs open)."""
        app = sum(v for k, v in after.items() if not k.startswith("pg")) - sum(
            v for k, v in before.items() if not k.startswith("pg"))
        db = sum(v - before.get(k, 0) for k, v in after.items() if k.startswith("pg"))
        return app / TICK, db / TICK

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(40)  # gunicorn's graceful timeout is 30 s
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()
