"""City-scale data for the roll-up benchmark (not a test): 114 units, N returnees and a year of
contacts, reviews, support and incidents, loaded with PostgreSQL COPY into a dedicated database.

    .venv/bin/python bench/generate.py [--database portal_bench] [--returnees 100000]
                                       [--contacts 5000000] [--seed 1] [--if-missing]

The database is created (or dropped and re-created) and migrated with `flask --app wsgi db
upgrade` and `tenants sync`, exactly as a deployment is. Everything is drawn from one seeded
random generator per table, so the same arguments give the same rows. The arguments are written
in the database's comment; `--if-missing` keeps a database whose comment matches.
"""

# A benchmark, not a service: seeded pseudo-random data, a fixed scratch folder, the app's own CLI.
# ruff: noqa: S311, S603, S108

import argparse
import os
import random
import subprocess
import sys
import time
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TODAY = date(2026, 11, 25)  # the data is "as of" this day; the benchmarked quarter is 2026-Q3
YEAR_AGO = date(2025, 10, 1)  # contacts and reviews cover the last year or so
# 100,000 returnees give about 5 million contacts (the city scale): people managed over the
# year are seen every few days on average, some far more often, some rarely or never.
CONTACTS_PER_PERSON = 50

SURNAMES = (("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Phan", 4),
            ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1), ("Lý", 1), ("Đinh", 1),
            ("Mạc", 1), ("Lương", 1), ("Tô", 1))
MIDDLE_M = ("Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Xuân", "Ngọc", "Công", "Đình")
MIDDLE_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng")
GIVEN_M = ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phúc", "Quân",
           "Sơn", "Thắng", "Tuấn", "Trung", "Việt", "Vinh", "Tùng", "Hiếu", "Kiên", "Lâm", "Toàn")
GIVEN_F = ("Anh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Yến")
HAMLETS = tuple(f"Thôn {i}" for i in range(1, 13)) + tuple(f"Tổ dân phố {i}" for i in range(1, 9))

STATUSES = (("under_management", 50), ("closed", 22), ("received", 5), ("expected", 4),
            ("released_not_reported", 4), ("overdue", 3), ("in_custody", 4), ("transferring", 1))
RELEASE_KINDS = (("completed_sentence", 80), ("special_pardon", 8), ("conditional_release_ended", 12))
GROUPS = (("A", 40), ("B", 35), ("C", 20), ("D", 5))
GROUNDS = (("expunged", 50), ("moved_residence", 15), ("settled_abroad", 3), ("declared_missing", 5),
           ("dead", 7), ("imprisoned_again", 20))
SUPPORT = (("counselling", 20), ("residence_registration", 6), ("civil_status", 4), ("id_card", 8),
           ("judicial_record", 6), ("expungement_application", 5), ("vocational_training", 10),
           ("job_placement", 12), ("public_works_job", 4), ("loan", 10), ("social_assistance", 8),
           ("child_protection", 1), ("other", 6))
SUPPORT_STATES = (("done", 55), ("in_progress", 20), ("proposed", 15), ("refused", 5), ("cancelled", 5))
LOAN_STATES = (("disbursed", 50), ("approved", 15), ("submitted", 15), ("preparing", 10), ("rejected", 10))
INCIDENTS = (("administrative_violation", 55), ("breach_of_obligations", 25), ("new_crime", 12),
             ("custody_period", 8))
METHODS = (("visit", 55), ("at_office", 20), ("phone", 22), ("other", 3))
NOTES = ("Gặp tại nhà, tình hình ổn định", "Đã có việc làm, chấp hành tốt", "Gia đình phản ánh có tiến bộ",
         "Nhắc nhở chấp hành nghĩa vụ", "Trao đổi qua điện thoại", "Tư vấn học nghề", "Chưa có việc làm ổn định")
QUARTER_ENDS = (date(2025, 9, 30), date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30))
TABLES = ("returnees", "assignments", "support_teams", "team_members", "team_returnees", "contacts",
          "quarterly_reviews", "support_actions", "incidents", "employers", "outreach_activities", "commendations")


def pick(rng: random.Random, weighted):
    """A weighted choice from ((value, weight), …)."""
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def fold(text: str) -> str:
    """Lowercase without diacritics, as the app's search_name."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").lower()


def field(value) -> str:
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
    return str(value)


class Copy:
    """Rows into one table through COPY, written in large text chunks (one COPY at a time)."""

    def __init__(self, conn, table: str, columns: tuple[str, ...]):
        self.conn, self.table, self.columns, self.lines, self.count = conn, table, columns, [], 0

    def __enter__(self):
        cols = sql.SQL(", ").join(map(sql.Identifier, self.columns))
        self.cursor = self.conn.cursor()
        self.copy_cm = self.cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(self.table), cols))
        self.copy = self.copy_cm.__enter__()
        return self

    def row(self, *values):
        self.lines.append("\t".join(map(field, values)))
        self.count += 1
        if len(self.lines) >= 50_000:
            self.flush()

    def flush(self):
        if self.lines:
            self.copy.write("\n".join(self.lines) + "\n")
            self.lines = []

    def __exit__(self, *exc):
        self.flush()
        self.copy_cm.__exit__(*exc)
        self.cursor.close()


def days(rng, lo: int, hi: int) -> timedelta:
    return timedelta(days=rng.randint(lo, hi))


def people(conn, n: int, units: list[int], seed: int) -> list[tuple]:
    """Returnees; returns (id, tenant, status, reported_on, managed_since, closed_on) per person."""
    rng = random.Random(seed)
    weights = [rng.lognormvariate(0, 0.6) for _ in units]  # communes differ in size
    out = []
    cols = ("id", "tenant_id", "full_name", "search_name", "sex", "date_of_birth", "nationality", "hamlet",
            "release_kind", "release_date", "reporting_deadline", "status", "overdue_state", "group",
            "reported_on", "commitment_signed", "dossier_opened_on", "managed_since", "closed_on",
            "closure_ground", "closure_decision_number", "closure_decision_date", "notice_received_on",
            "needs", "version")
    with Copy(conn, "returnees", cols) as copy:
        for rid, tenant in enumerate(rng.choices(units, weights, k=n), start=1):
            male = rng.random() < 0.9
            name = " ".join((pick(rng, SURNAMES), rng.choice(MIDDLE_M if male else MIDDLE_F),
                             rng.choice(GIVEN_M if male else GIVEN_F)))
            age_days = rng.randint(14 * 365, 17 * 365) if rng.random() < 0.02 else rng.randint(18 * 365, 65 * 365)
            status = pick(rng, STATUSES)
            released = deadline = reported = managed = closed = ground = group = overdue = notice = None
            if status == "expected":
                notice = TODAY - days(rng, 0, 60)
            else:
                released = TODAY - days(rng, 20, 6 * 365)
                deadline = None if rng.random() < 0.15 else released + days(rng, 5, 15)
                early_close = status == "closed" and rng.random() < 0.15
                if status in ("released_not_reported", "overdue") or early_close:
                    overdue = "verifying" if status == "overdue" else None
                else:
                    reported = released + (days(rng, 15, 60) if rng.random() < 0.1 else days(rng, 0, 14))
                    reported = min(reported, TODAY)
                if reported and status != "received":
                    managed = min(reported + days(rng, 0, 10), TODAY)
                    group = "D" if status == "in_custody" else pick(rng, GROUPS)
                if status == "closed":
                    begin = managed or released
                    closed = min(begin + days(rng, 30, 5 * 365), TODAY)
                    ground = pick(rng, GROUNDS)
            copy.row(rid, tenant, name, fold(name), "male" if male else "female", TODAY - timedelta(days=age_days),
                     "Việt Nam", rng.choice(HAMLETS), pick(rng, RELEASE_KINDS), released, deadline, status, overdue,
                     group, reported, reported is not None, managed, managed, closed, ground,
                     f"{rid}/QĐ" if closed else None, closed, notice, "{}", 1)
            out.append((rid, tenant, status, reported, managed, closed))
    return out


def around(conn, folks: list[tuple], units: list[int], contacts: int, seed: int) -> dict[str, int]:
    """Everything around the people, table by table (each with its own seeded generator)."""
    counts = {}
    managed = [p for p in folks if p[4] is not None]
    # Assignments: one active per open case; a closed case keeps its ended one.
    rng = random.Random(seed + 1)
    with Copy(conn, "assignments", ("tenant_id", "returnee_id", "organisation", "person_name", "proposed_on",
                                    "decision_number", "decision_date", "active", "ended_on")) as copy:
        for rid, tenant, _status, _rep, since, closed in managed:
            if rng.random() < 0.9:
                decided = None if rng.random() < 0.1 else since + days(rng, 3, 20)
                copy.row(tenant, rid, "Hội Cựu chiến binh", "Ông Nguyễn Văn Ba", since, "HCD-07" if decided else None,
                         decided, closed is None, closed)
        counts["assignments"] = copy.count
    # Support teams: one per ~8 managed people of a unit, most complete (four required kinds).
    rng = random.Random(seed + 2)
    per_unit: dict[int, list[tuple]] = {}
    for p in managed:
        per_unit.setdefault(p[1], []).append(p)
    teams: dict[int, list[int]] = {}
    team_id = member_id = 0
    with Copy(conn, "support_teams", ("id", "tenant_id", "name", "hamlet")) as copy:
        for tenant in units:
            for i in range(max(1, len(per_unit.get(tenant, ())) // 8)):
                team_id += 1
                teams.setdefault(tenant, []).append(team_id)
                copy.row(team_id, tenant, f"Tổ giúp đỡ số {i + 1}", rng.choice(HAMLETS))
        counts["support_teams"] = copy.count
    kinds = ("police", "mass_organisation", "village_cadre", "family", "other")
    with Copy(conn, "team_members", ("id", "tenant_id", "team_id", "full_name", "kind", "is_leader",
                                     "active")) as copy:
        for tenant, ids in teams.items():
            for tid in ids:
                missing = None if rng.random() < 0.85 else rng.choice(kinds[:4])  # an incomplete team
                present = tuple(k for k in kinds if k != missing)
                for kind in present:
                    member_id += 1
                    copy.row(member_id, tenant, tid, "Thành viên tổ", kind, kind == "police", True)
        counts["team_members"] = copy.count
    with Copy(conn, "team_returnees", ("tenant_id", "returnee_id", "team_id", "since", "until")) as copy:
        for rid, tenant, _status, _rep, since, closed in managed:
            if rng.random() < 0.7:
                copy.row(tenant, rid, rng.choice(teams[tenant]), since + days(rng, 0, 30), closed)
        counts["team_returnees"] = copy.count
    # Contacts: regular over the last year for those managed then; the spacing is set so the
    # total comes near `contacts` (at 50 a returnee, every five or six days for most people). Some
    # people are seen far more often, some never.
    rng = random.Random(seed + 3)
    spans = []
    for rid, tenant, _status, _rep, since, closed in managed:
        first, last = max(since, YEAR_AGO), min(closed or TODAY, TODAY)
        if first <= last:
            habit = rng.choices((1.0, 3.0, 0.3, 0.0), (80, 8, 7, 5))[0]
            spans.append((rid, tenant, first, (last - first).days + 1, habit))
    step = max(sum(s[3] * s[4] for s in spans) / max(contacts, 1), 1.0)
    with Copy(conn, "contacts", ("tenant_id", "returnee_id", "on", "contact_person", "method", "content")) as copy:
        for rid, tenant, first, length, habit in spans:
            if not habit:
                continue
            mean = step / habit
            at = rng.uniform(0, mean)
            while at < length:
                copy.row(tenant, rid, first + timedelta(days=int(at)), "Công an xã", pick(rng, METHODS),
                         rng.choice(NOTES))
                at += rng.uniform(0.5 * mean, 1.5 * mean)
        counts["contacts"] = copy.count
    rng = random.Random(seed + 4)
    with Copy(conn, "quarterly_reviews", ("tenant_id", "returnee_id", "year", "quarter", "report_received_on",
                                          "group", "reason")) as copy:
        for rid, tenant, _status, _rep, since, closed in managed:
            for end in QUARTER_ENDS:
                if since <= end and (closed is None or closed > end) and rng.random() < 0.8:
                    copy.row(tenant, rid, end.year, (end.month - 1) // 3 + 1, end + days(rng, 1, 15),
                             pick(rng, GROUPS), "Chấp hành tốt")
        counts["quarterly_reviews"] = copy.count
    rng = random.Random(seed + 5)
    employers = {}
    with Copy(conn, "employers", ("id", "tenant_id", "name", "sector", "active")) as copy:
        for tenant in units:
            for i in range(8):
                eid = len(employers) + 1
                employers[eid] = tenant
                copy.row(eid, tenant, f"Công ty TNHH {i + 1}", "Sản xuất", rng.random() < 0.9)
        counts["employers"] = copy.count
    by_unit: dict[int, list[int]] = {}
    for eid, tenant in employers.items():
        by_unit.setdefault(tenant, []).append(eid)
    with Copy(conn, "support_actions", ("tenant_id", "returnee_id", "kind", "status", "started_on", "completed_on",
                                        "employer_id", "amount_vnd", "loan_purpose", "loan_status")) as copy:
        for rid, tenant, _status, reported, _since, _closed in folks:
            if reported is None:
                continue
            for _ in range(rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0]):
                kind, state = pick(rng, SUPPORT), pick(rng, SUPPORT_STATES)
                started = min(reported + days(rng, 0, 700), TODAY)
                done = min(started + days(rng, 1, 120), TODAY) if state == "done" else None
                employer = rng.choice(by_unit[tenant]) if kind in ("job_placement", "public_works_job") else None
                loan = pick(rng, LOAN_STATES) if kind == "loan" else None
                amount = rng.randint(10, 100) * 1_000_000 if kind == "loan" else None
                copy.row(tenant, rid, kind, state, started, done, employer, amount, "business" if loan else None, loan)
        counts["support_actions"] = copy.count
    rng = random.Random(seed + 6)
    with Copy(conn, "incidents", ("tenant_id", "returnee_id", "kind", "on", "description")) as copy:
        for rid, tenant, _status, _rep, since, closed in managed:
            if rng.random() < 0.15:
                end = closed or TODAY
                copy.row(tenant, rid, pick(rng, INCIDENTS), since + timedelta(days=rng.randint(0, (end - since).days)),
                         "Vi phạm quy định")
        counts["incidents"] = copy.count
    rng = random.Random(seed + 7)
    with Copy(conn, "outreach_activities", ("tenant_id", "on", "form", "topic", "participants")) as copy:
        for tenant in units:
            for _ in range(40):
                copy.row(tenant, YEAR_AGO + days(rng, 0, (TODAY - YEAR_AGO).days), "meeting",
                         "Tuyên truyền tái hòa nhập cộng đồng", rng.randint(10, 200))
        counts["outreach_activities"] = copy.count
    with Copy(conn, "commendations", ("tenant_id", "on", "target", "name")) as copy:
        for tenant in units:
            for i in range(6):
                copy.row(tenant, YEAR_AGO + days(rng, 0, (TODAY - YEAR_AGO).days), "person", f"Cá nhân {i}")
        counts["commendations"] = copy.count
    return counts


def url(database: str, driver: bool = False) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    return base.replace("postgresql://", "postgresql+psycopg://", 1) if driver else base


def signature(args) -> str:
    return f"bench returnees={args.returnees} contacts={args.contacts} seed={args.seed}"


def existing_signature(database: str) -> str | None:
    with psycopg.connect(ADMIN_URL) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (database,)).fetchone()
    return None if row is None else (row[0] or "")


def flask(*command: str, database: str) -> None:
    env = dict(os.environ, DATABASE_URL=url(database, driver=True), MIGRATION_DATABASE_URL=url(database, driver=True),
               SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-" + "x" * 24),
               PORTAL_INSTANCE_DIR=os.environ.get("PORTAL_INSTANCE_DIR", "/tmp/portal-bench-instance"), REDIS_URL="")
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *command], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="portal_bench")
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--contacts", type=int,
                        help=f"about how many contacts in all (default: {CONTACTS_PER_PERSON} a person)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--if-missing", action="store_true", help="keep a database generated with these arguments")
    args = parser.parse_args()
    args.contacts = args.contacts or CONTACTS_PER_PERSON * args.returnees
    found = existing_signature(args.database)
    if args.if_missing and found == signature(args):
        # Kept data still follows the schema: later migrations (indexes included) run on it.
        flask("db", "upgrade", database=args.database)
        print(f"{args.database}: already generated ({found}), schema upgraded")
        return
    started = time.perf_counter()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.database)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.database)))
    flask("db", "upgrade", database=args.database)
    flask("tenants", "sync", database=args.database)
    with psycopg.connect(url(args.database)) as conn:
        units = [row[0] for row in conn.execute("SELECT id FROM tenants WHERE active ORDER BY id")]
        loaded = time.perf_counter()
        folks = people(conn, args.returnees, units, args.seed)
        counts = {"returnees": len(folks), **around(conn, folks, units, args.contacts, args.seed)}
        for table in TABLES:
            conn.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                t=sql.Literal(table), i=sql.Identifier(table)))
        conn.commit()
        copied = time.perf_counter() - loaded
    with psycopg.connect(url(args.database), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(args.database), sql.Literal(signature(args))))
    print(f"{args.database}: {len(units)} units, " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"generated and copied in {copied:.0f} s; {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    sys.exit(main())
