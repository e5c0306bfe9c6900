"""Web benchmark (not a test): the unit's returnee list page under gunicorn, against a bare Flask
endpoint under the same gunicorn settings, and with row-level security against without it, in one
run on loopback; then the SQL statements per request of the main pages at two data sizes.

    .venv/bin/python bench/web.py [--database portal_bench] [--small-database portal_bench_10k]
                                  [--seconds 15] [--rounds 5] [--no-load] [--no-statements]

Four gunicorn servers run side by side, all with infra/gunicorn.conf.py and the same environment:
- `app`: the portal connected as its login role (owns nothing, cannot bypass RLS), as deployed;
- `app-no-rls`: the same portal connected as the database owner, a superuser, which PostgreSQL
  exempts from row-level security; the ORM's own unit filter still applies, so both answer the same
  page (checked) and the difference is the cost of the policies alone;
- `bare`: bench/bare_app.py, one endpoint that does nothing (the issue's yardstick);
- `plain`: bench/plain_app.py, the same 50 rows by the same SQL in a plain Flask page, without the
  portal's stack (for reference: what the stack costs on this page).
wrk (`-t2 -c8`, 8 concurrent clients) loads each in turn after a warm-up, round after round in a
rotating order, so that a change in the machine's load weighs on all alike. Beside requests
per second and latency, the CPU time of each server's processes (and of its PostgreSQL backends)
per request is measured: it depends far less on what else the machine is doing.
"""

# A benchmark, not a service: our own tools as child processes, SQL of our own.
# ruff: noqa: S603, S607

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from generate import flask, url  # noqa: E402
from servers import AGENT, ROOT, SCRATCH, Server, get, sign_in  # noqa: E402

APP_ROLE = "portal_bench_web"  # not the roll-up benchmark's role: both may run at once
USERNAME = "bench.police"
SECRET_KEY = "bench-only-" + "x" * 24
FILTER = "status=under_management"  # the list page measured: 50 rows of one status, sorted by name
GOALS = {"ratio": 0.25, "p95_ms": 50.0, "rls_cost": 0.10}


def app_role(database: str) -> str:
    """The app's login role (no RLS bypass) with a fresh password; its SQLAlchemy URL."""
    from tenants import rls

    password = secrets.token_hex(12)
    with psycopg.connect(url(database)) as conn:
        rls.ensure_app_role(conn, APP_ROLE, password)
    return url(database, driver=True).replace("postgres@", f"{APP_ROLE}:{password}@", 1)


def flask_env(database_url: str, owner_url: str) -> dict:
    return dict(
        os.environ, DATABASE_URL=database_url, MIGRATION_DATABASE_URL=owner_url, SECRET_KEY=SECRET_KEY,
        PORTAL_INSTANCE_DIR=str(SCRATCH / "instance"), REDIS_URL="", JOBS_INLINE="1",
        # The user signs in once, before the measurement; an enrolled second factor would change
        # nothing per request (the guard tests one attribute either way), so it is waived instead.
        TOTP_GRACE_DAYS="36500",
    )


def ensure_user(database: str, username: str, role: str, unit: str | None) -> str:
    """A user of `role` (in `unit`) with a new random password, created with the app's CLI."""
    from portal.auth.passwords import hash_password

    password = secrets.token_urlsafe(18)
    with psycopg.connect(url(database)) as conn:
        found = conn.execute("UPDATE users SET password_hash = %s, active = true WHERE username = %s",
                             (hash_password(password), username)).rowcount
    if not found:
        owner = url(database, driver=True)
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "users", "create", username, "--role", role,
                        *(["--tenant", unit] if unit else []), "--password-stdin"],
                       input=password + "\n", text=True, cwd=ROOT, env=flask_env(owner, owner), check=True,
                       stdout=subprocess.DEVNULL)
    return password


def unit_id(database: str, slug: str) -> int:
    with psycopg.connect(url(database)) as conn:
        return conn.execute("SELECT id FROM tenants WHERE slug = %s", (slug,)).fetchone()[0]


def largest_unit(database: str) -> tuple[str, int]:
    with psycopg.connect(url(database)) as conn:
        return conn.execute(
            "SELECT t.slug, count(*) FROM returnees r JOIN tenants t ON t.id = r.tenant_id "
            "GROUP BY t.slug ORDER BY count(*) DESC, t.slug LIMIT 1"
        ).fetchone()


def check_page(server: Server, path: str, cookie: str) -> str:
    """The page answers 200 with its rows: what wrk measures is the real page, not a redirect."""
    status, _headers, body = get(server.port, path, cookie)
    if status != 200:
        raise SystemExit(f"{server.name}: {path} answered HTTP {status}")
    return f"{len(body):,} bytes, {body.count('<tr>') - 1} rows"  # less the header row


def wrk(server: Server, path: str, seconds: int, cookie: str = "", clients: int = 8) -> dict:
    headers = ["-H", f"User-Agent: {AGENT}"] + (["-H", f"Cookie: {cookie}"] if cookie else [])
    # A generous timeout: on a busy machine a slow answer must count as slow, not vanish as an error.
    command = ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency",
               "-s", str(BENCH / "latency.lua"), *headers, f"http://127.0.0.1:{server.port}{path}"]
    before = server.cpu()
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    app_cpu, db_cpu = Server.spent(before, server.cpu())
    result = json.loads(out.split("BENCH ", 1)[1].splitlines()[0])
    redirects = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["not_2xx"] = int(redirects.group(1)) if redirects else 0
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms"] = 1000 * (app_cpu + db_cpu) / max(result["requests"], 1)
    result["db_ms"] = 1000 * db_cpu / max(result["requests"], 1)
    return result


def measure(targets: list[tuple[Server, str, str]], seconds: int, rounds: int) -> dict[str, list[dict]]:
    """A warm-up of each, then `rounds` rounds, each target once per round in a rotating order."""
    for server, path, cookie in targets:
        wrk(server, path, 10, cookie)  # past the 5 custom plans psycopg runs before preparing
    runs: dict[str, list[dict]] = {server.name: [] for server, _p, _c in targets}
    for i in range(rounds):
        for server, path, cookie in targets[i % len(targets):] + targets[:i % len(targets)]:
            r = wrk(server, path, seconds, cookie)
            if r["not_2xx"] or any(r["errors"].values()):
                raise SystemExit(f"{server.name}: errors under load: {r}")
            runs[server.name].append(r)
            print(f"  round {i + 1} {server.name:<10} {r['rps']:7.1f} req/s  p50 {r['p50'] / 1000:7.1f}  "
                  f"p95 {r['p95'] / 1000:7.1f}  p99 {r['p99'] / 1000:7.1f} ms   CPU {r['cpu_ms']:5.1f} ms/request "
                  f"(database {r['db_ms']:4.1f})", flush=True)
    return runs


def report(runs: dict[str, list[dict]], alone: dict[str, dict]) -> None:
    s = {name: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p95", "p99", "cpu_ms", "db_ms")}
         for name, rs in runs.items()}
    print("\nmedians:")
    for name, m in s.items():
        print(f"  {name:<10} {m['rps']:7.1f} req/s   p50 {m['p50'] / 1000:7.1f}   p95 {m['p95'] / 1000:7.1f}   "
              f"p99 {m['p99'] / 1000:7.1f} ms   CPU {m['cpu_ms']:5.1f} ms/request (database {m['db_ms']:.1f})")
    app, bare, no_rls = s["app"], s["bare"], s["app-no-rls"]
    ratio, cost = app["rps"] / bare["rps"], 1 - app["rps"] / no_rls["rps"]
    cpu_cost = app["cpu_ms"] / no_rls["cpu_ms"] - 1
    p95 = app["p95"] / 1000
    verdict = {True: "met", False: "MISSED"}
    print(f"(1) list page / bare Flask, req/s: {ratio:.3f}×   goal ≥ {GOALS['ratio']}×   "
          f"{verdict[ratio >= GOALS['ratio']]}   (CPU per request: {bare['cpu_ms'] / app['cpu_ms']:.3f}×)")
    print(f"    list page p95 at 8 clients: {p95:.1f} ms (p99 {app['p99'] / 1000:.1f} ms)   "
          f"goal < {GOALS['p95_ms']:.0f} ms   {verdict[p95 < GOALS['p95_ms']]}")
    clients = os.cpu_count() or 1
    print(f"    for reference, p95 at {clients} clients (one per CPU, no queueing): list page "
          f"{alone['app']['p95'] / 1000:.1f} ms, the same page without the portal "
          f"{alone['plain']['p95'] / 1000:.1f} ms")
    same = s["plain"]
    print(f"    for reference, list page / the same page without the portal (bench/plain_app.py): "
          f"{app['rps'] / same['rps']:.3f}× req/s, {same['cpu_ms'] / app['cpu_ms']:.3f}× CPU per request (no goal)")
    print(f"(2) cost of row-level security, req/s: {cost:+.1%}; CPU per request: {cpu_cost:+.1%}   "
          f"goal ≤ {GOALS['rls_cost']:.0%}   {verdict[max(cost, cpu_cost) <= GOALS['rls_cost']]}")


def web(database: str, seconds: int, rounds: int) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (or `make bench`, which installs it)")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    unit, people = largest_unit(database)
    owner, password = url(database, driver=True), ensure_user(database, USERNAME, "commune_police", unit)
    named = {name: f"?application_name=portal-bench-{name}" for name in ("app", "app-no-rls", "plain")}  # backends' CPU
    plain_env = dict(flask_env(owner, owner), BENCH_PLAIN_DATABASE_URL=owner + named["plain"],
                     BENCH_PLAIN_UNIT=str(unit_id(database, unit)))
    servers = [
        Server("app", ["wsgi:app"], flask_env(app_role(database) + named["app"], owner), "/healthz", url(database)),
        Server("app-no-rls", ["wsgi:app"], flask_env(owner + named["app-no-rls"], owner), "/healthz", url(database)),
        Server("bare", ["--pythonpath", str(BENCH), "bare_app:app"], flask_env(owner, owner), "/"),
        Server("plain", ["--pythonpath", str(BENCH), "plain_app:app"], plain_env, "/", url(database)),
    ]
    try:
        for server in servers:
            server.wait()
        cookie = sign_in(servers[0].port, USERNAME, password)  # a server-side session: valid on both apps
        path = f"/t/{unit}/returnees?{FILTER}"
        pages = {s.name: check_page(s, path, cookie) for s in servers[:2]}
        if len(set(pages.values())) != 1:
            raise SystemExit(f"the two apps answer different pages: {pages}")
        workers = os.environ.get("WEB_CONCURRENCY") or f"default ({min(2 * os.cpu_count() + 1, 8)})"
        print(f"{database}: {path} — unit of {people:,} returnees; page {pages['app']}")
        print(f"gunicorn workers {workers}, threads {os.environ.get('GUNICORN_THREADS') or 1}; "
              f"wrk -t2 -c8 -d{seconds}s × {rounds} rounds; load average before: {load_average()}")
        print(f"plain page: {check_page(servers[3], '/', '')}")
        runs = measure([(servers[2], "/", ""), (servers[0], path, cookie), (servers[1], path, cookie),
                        (servers[3], "/", "")], seconds, rounds)
        for server in servers[:2]:
            check_page(server, path, cookie)  # still signed in: no run measured a redirect
        # Latency without queueing: as many clients as CPUs, so no request waits for another.
        alone = {s.name: wrk(s, p, seconds, c, clients=os.cpu_count() or 1)
                 for s, p, c in ((servers[0], path, cookie), (servers[3], "/", ""))}
        print(f"load average after: {load_average()}")
        report(runs, alone)
    finally:
        for server in servers:
            server.stop()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="portal_bench")
    parser.add_argument("--small-database", default="portal_bench_10k",
                        help="where the statement counts find a unit of about 10 returnees")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-load", action="store_true", help="only the statement counts")
    parser.add_argument("--no-statements", action="store_true", help="only the load")
    args = parser.parse_args()
    for database in {args.database, args.small_database}:
        flask("db", "upgrade", database=database)  # kept data follows the code's schema, as a deployment's
    if not args.no_load:
        web(args.database, args.seconds, args.rounds)
    if not args.no_statements:
        import statements

        statements.run(args.small_database, args.database)


if __name__ == "__main__":
    sys.exit(main())
