"""Benchmark of the city quarterly roll-up (not a test): in one run on the same database,

(a) the app's `rollups.live` job — every active unit's figures computed and published unit by
    unit, as the app's own login role (row-level security on), in-process, on one connection
    and on several at once (each acting for one unit at a time);
(b) the same figures for all units at once by a few hand-written SQL statements (GROUP BY
    tenant_id), as the database owner (no row-level security);

then the ratio of their medians (goal ≤ 1.5×), a check that both give the same figures, and the
worker's peak memory (ru_maxrss of a fresh process running the job) on two databases of
different sizes (goal: flat).

    .venv/bin/python bench/rollup.py [--database portal_bench] [--memory portal_bench_10k,portal_bench]
                                     [--period 2026-Q3] [--repeat 5] [--connections 1,2,3]
                                     [--explain] [--try-indexes]
"""

# A benchmark, not a service: fixed scratch folders, our own script as the child process.
# ruff: noqa: S603, S108, S608

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import handwritten  # noqa: E402
from generate import ADMIN_URL, url  # noqa: E402

APP_ROLE = "portal_bench_app"
GOAL = 1.5
# Indexes not in the migrations, measured for --try-indexes (created, then dropped afterwards): a
# unit's reviews of the quarter, instead of every review it ever had.
CANDIDATE_INDEXES = {
    "bench_reviews_tenant_quarter":
        "CREATE INDEX bench_reviews_tenant_quarter ON quarterly_reviews (tenant_id, year, quarter)",
}


def prepare_role(database: str) -> str:
    """The app's login role (no RLS bypass), with a fresh password for this run."""
    from tenants import rls

    password = secrets.token_hex(12)
    with psycopg.connect(url(database)) as conn:
        rls.ensure_app_role(conn, APP_ROLE, password)
    return password


def make_app(database: str, password: str):
    from portal.app import create_app

    scratch = Path("/tmp/portal-bench-instance")
    owner = url(database, driver=True)
    app_url = owner.replace("postgres@", f"{APP_ROLE}:{password}@", 1)
    return create_app({
        "SQLALCHEMY_DATABASE_URI": app_url, "MIGRATION_DATABASE_URL": owner,
        "SECRET_KEY": "bench-only-" + "x" * 24, "JOBS_INLINE": True, "REDIS_URL": "",
        "INSTANCE_DIR": str(scratch), "STORAGE_URL": f"file://{scratch / 'files'}",
    })


def app_rollup(period_key: str, connections: int | None = None) -> None:
    """Run the roll-up the app runs (the job, in-process), on `connections` connections at once
    (by default as many as the app uses)."""
    from blueprints.reports import live
    from workers import runner

    if connections is not None:
        live.CONNECTIONS = connections
    task = runner.request_city_job("rollups.live", actor_id=None, period=period_key)
    if task.state != "finished":
        raise SystemExit(f"the job did not finish: {task.state} {task.message}")


def timed(contenders: list, repeat: int) -> list[list[float]]:
    """Alternate the contenders (after one warm-up run each), so a change in the machine's load
    during the run weighs on all alike."""
    for func in contenders:
        func()  # warm: caches, connection pool, first-use imports
    runs: list[list[float]] = [[] for _ in contenders]
    for _ in range(repeat):
        for func, out in zip(contenders, runs, strict=True):
            started = time.perf_counter()
            func()
            out.append(time.perf_counter() - started)
    return runs


def load() -> str:
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def published(database: str, period_key: str) -> dict[int, dict]:
    with psycopg.connect(url(database)) as conn:
        rows = conn.execute("SELECT tenant_id, figures FROM unit_figures WHERE period = %s AND source = 'live'",
                            (period_key,)).fetchall()
    return {t: (f if isinstance(f, dict) else json.loads(f)) for t, f in rows}


def compare(app_values: dict[int, dict], hand: dict[int, dict], keys: list[str], label: str) -> int:
    wrong: dict[str, list] = {}
    for tenant_id, values in hand.items():
        got = app_values.get(tenant_id) or {}
        for key in keys:
            if int(got.get(key, -1)) != values.get(key, 0):
                wrong.setdefault(key, []).append((tenant_id, got.get(key), values.get(key, 0)))
    for key, cases in wrong.items():
        app_sum, sql_sum = sum(c[1] or 0 for c in cases), sum(c[2] for c in cases)
        print(f"  {label}: MISMATCH {key}: {len(cases)} units differ (app {app_sum:,} vs SQL {sql_sum:,} over them); "
              f"e.g. unit {cases[0][0]}: app {cases[0][1]} vs SQL {cases[0][2]}")
    if not wrong:
        print(f"  {label}: hand-written SQL and the app agree on all {len(keys)} figures of all {len(hand)} units")
    return sum(len(c) for c in wrong.values())


def measure(database: str, period_key: str, repeat: int, connections: list[int]) -> None:
    from blueprints.reports import figures, periods
    from portal.extensions import db

    app = make_app(database, prepare_role(database))
    p = periods.parse(period_key)
    with app.app_context(), psycopg.connect(url(database)) as conn:
        units = [r[0] for r in conn.execute("SELECT id FROM tenants WHERE active ORDER BY id")]
        contenders = {f"app (job rollups.live, {n} connection{'s' if n > 1 else ''})":
                      (lambda n=n: app_rollup(period_key, n)) for n in connections}
        contenders["hand-written SQL (5 statements, all units, owner)"] = lambda: handwritten.run(conn, p, units)
        print(f"  before: {load()}")
        runs = dict(zip(contenders, timed(list(contenders.values()), repeat), strict=True))
        print(f"  after:  {load()}")
        hand = handwritten.run(conn, p, units)
        sql_name, sql_runs = runs.popitem()
        sql_median = statistics.median(sql_runs)
        print(f"  {sql_name}: median {sql_median:.3f} s of {[round(r, 3) for r in sql_runs]}")
        for name, times in runs.items():
            ratio = statistics.median(times) / sql_median
            print(f"  {name}: median {statistics.median(times):.3f} s of {[round(r, 3) for r in times]}; "
                  f"RATIO app / SQL = {ratio:.2f}x   (goal <= {GOAL}x: {'met' if ratio <= GOAL else 'MISSED'})")
        for n in connections:  # each way must publish the hand-written SQL's figures, from scratch
            conn.execute("DELETE FROM unit_figures WHERE period = %s AND source = 'live'", (period_key,))
            conn.commit()
            app_rollup(period_key, n)
            compare(published(database, period_key), hand, figures.KEYS, f"{n} connection{'s' if n > 1 else ''}")
        db.session.remove()
        db.engine.dispose()


def resident_kb() -> int:
    """The process's resident memory now (Linux), beside the high-water mark of ru_maxrss."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def child_memory(database: str, period_key: str, password: str) -> None:
    """In a fresh process: peak resident memory before and after one roll-up (kB, Linux)."""
    from portal.extensions import db

    app = make_app(database, password)
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        import blueprints.reports.live  # noqa: F401  (registers the job)
        before, resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resident_kb()
        started = time.perf_counter()
        app_rollup(period_key)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kb": before, "peak_kb": peak, "rss_before_kb": resident, "rss_after_kb": resident_kb(),
                      "seconds": round(seconds, 3)}))


def memory(databases: list[str], period_key: str) -> None:
    peaks = []
    for database in databases:
        with psycopg.connect(url(database)) as conn:
            people = conn.execute("SELECT count(*) FROM returnees").fetchone()[0]
            contacts = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        password = prepare_role(database)
        out = subprocess.run([sys.executable, __file__, "--child-memory", "--database", database,
                              "--period", period_key], env=dict(os.environ, BENCH_APP_PASSWORD=password),
                             check=True, capture_output=True, text=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        peaks.append(m["peak_kb"])
        print(f"  {database}: {people:,} returnees, {contacts:,} contacts: peak RSS {m['peak_kb'] / 1024:.1f} MB "
              f"(peak before the roll-up {m['before_kb'] / 1024:.1f} MB; resident {m['rss_before_kb'] / 1024:.1f} MB "
              f"before, {m['rss_after_kb'] / 1024:.1f} MB after; roll-up {m['seconds']:.2f} s)")
    if len(peaks) > 1:
        growth = (max(peaks) - min(peaks)) / min(peaks)
        print(f"  MEMORY peak differs by {100 * growth:.1f}% between sizes   (goal: flat: "
              f"{'met' if growth <= 0.10 else 'MISSED'}, within 10%)")


def explain(database: str, period_key: str) -> None:
    """EXPLAIN ANALYZE of the app's statements for the largest unit, as the app role."""
    from sqlalchemy import event, func, select

    from blueprints.reports import figures, periods
    from blueprints.returnees.models import Returnee
    from portal.extensions import db
    from tenants.context import use_tenant
    from tenants.models import Tenant

    app = make_app(database, prepare_role(database))
    with app.app_context():
        with psycopg.connect(url(database)) as conn:
            biggest = conn.execute(
                "SELECT tenant_id FROM returnees GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        unit = db.session.get(Tenant, biggest)
        seen = []

        def keep(conn, cursor, statement, parameters, context, executemany):
            if "set_config" not in statement:
                seen.append((statement, parameters))

        with use_tenant(unit):
            print(f"  unit {unit.slug}: {db.session.scalar(select(func.count()).select_from(Returnee)):,} returnees")
            event.listen(db.engine, "before_cursor_execute", keep)
            figures.compute(periods.parse(period_key))
            event.remove(db.engine, "before_cursor_execute", keep)
            for n, (statement, parameters) in enumerate(seen, start=1):
                plan = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                lines = [row[0] for row in plan]
                print(f"  --- statement {n}: {lines[-1].strip()}")
                print("    " + " ".join(statement.split())[:200])
                print("\n".join("    " + line for line in lines))
        db.session.remove()


def indexes(database: str, create: bool) -> None:
    with psycopg.connect(url(database), autocommit=True) as conn:
        for name, ddl in CANDIDATE_INDEXES.items():
            conn.execute(f"DROP INDEX IF EXISTS {name}")
            if create:
                conn.execute(ddl)
        conn.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="portal_bench")
    parser.add_argument("--memory", default="portal_bench_10k,portal_bench", help="databases for the memory test")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--connections", default="1,2,3",
                        help="measure the app on each of these numbers of connections at once (the app uses "
                             "blueprints.reports.live.CONNECTIONS)")
    parser.add_argument("--explain", action="store_true", help="print the plans of the app's statements")
    parser.add_argument("--try-indexes", action="store_true", help="measure again with the candidate indexes")
    parser.add_argument("--child-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        return child_memory(args.database, args.period, os.environ["BENCH_APP_PASSWORD"])
    connections = [int(n) for n in args.connections.split(",")]
    with psycopg.connect(ADMIN_URL) as conn:
        print(f"PostgreSQL {conn.info.server_version}, {os.cpu_count()} CPUs; period {args.period}; "
              f"{args.repeat} repetitions; {load()}")
    indexes(args.database, create=False)
    print(f"== {args.database}: roll-up time, migrated schema")
    measure(args.database, args.period, args.repeat, connections)
    if args.explain:
        explain(args.database, args.period)
    if args.try_indexes:
        indexes(args.database, create=True)
        print(f"== {args.database}: with {', '.join(CANDIDATE_INDEXES)} (created by hand, dropped after)")
        measure(args.database, args.period, args.repeat, connections)
        if args.explain:
            explain(args.database, args.period)
        indexes(args.database, create=False)
    print("== worker peak memory (fresh process, one roll-up)")
    memory([d for d in args.memory.split(",") if d], args.period)
    return None


if __name__ == "__main__":
    sys.exit(main())
