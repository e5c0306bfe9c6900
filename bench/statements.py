"""SQL statements per request for the main pages and API calls, at two data sizes (for bench/web.py).

In each of two generated databases the app runs in-process (Flask's test client), connected as its
login role with row-level security on, signed in through the login form like a browser; a unit of
about 10 returnees is taken from the small database and one of about 1,000 from the large one. Each
page is requested once to warm up, then twice with a `before_cursor_execute` counter; the smaller
count is kept (the session's last-seen time is written at most once a minute, by one request). The
goal (DESIGN §14): the same count at both sizes. The suite's own test (tests/test_statement_counts.py)
checks the same on seeded data; this is the check on city-scale data.
"""

import re

import psycopg
from generate import url
from servers import SCRATCH
from sqlalchemy import event

PERIOD = "2026-Q3"

# (label, role, path); {unit}, {person} and {team} are filled in per database. A page whose object
# does not exist in the generated data (no reports or campaigns are generated) still counts: its list.
PAGES = (
    ("unit home", "police", "/t/{unit}/"),
    ("returnee list", "police", "/t/{unit}/returnees"),
    ("returnee list, filtered", "police", "/t/{unit}/returnees?status=under_management"),
    ("returnee list, name search", "police", "/t/{unit}/returnees?q=nguyen+van"),
    ("returnee list, overdue", "police", "/t/{unit}/returnees?overdue=y"),
    ("dossier", "police", "/t/{unit}/returnees/{person}"),
    ("dossier: care", "police", "/t/{unit}/returnees/{person}/care"),
    ("dossier: contacts", "police", "/t/{unit}/returnees/{person}/contacts"),
    ("dossier: reviews", "police", "/t/{unit}/returnees/{person}/reviews"),
    ("dossier: support", "police", "/t/{unit}/returnees/{person}/support"),
    ("dossier: incidents", "police", "/t/{unit}/returnees/{person}/incidents"),
    ("dossier: assignments", "police", "/t/{unit}/returnees/{person}/assignments"),
    ("dossier: comments", "police", "/t/{unit}/returnees/{person}/comments"),
    ("support teams", "police", "/t/{unit}/teams"),
    ("support team", "police", "/t/{unit}/teams/{team}"),
    ("employers", "police", "/t/{unit}/employers"),
    ("outreach", "police", "/t/{unit}/outreach"),
    ("commendations", "police", "/t/{unit}/commendations"),
    ("transfers", "police", "/t/{unit}/transfers"),
    ("files", "police", "/t/{unit}/files"),
    ("reports", "police", "/t/{unit}/reports/"),
    ("report dashboard", "police", "/t/{unit}/reports/dashboard"),
    ("campaigns", "police", "/t/{unit}/campaigns/"),
    ("loan lists", "police", "/t/{unit}/campaigns/loans"),
    ("city home", "city", "/city/"),
    ("city roll-ups", "city", "/city/rollups/"),
    ("city dashboard", "city", "/city/dashboard"),
    ("city campaigns", "city", "/city/campaigns/"),
    ("admin home", "admin", "/admin/"),
    ("admin users", "admin", "/admin/users"),
    ("admin units", "admin", "/admin/units"),
    ("admin audit log", "admin", "/admin/audit"),
    ("API me", "police-api", "/api/v1/me"),
    ("API tenants", "police-api", "/api/v1/tenants"),
    ("API returnees", "police-api", "/api/v1/t/{unit}/returnees"),
    ("API returnee", "police-api", "/api/v1/t/{unit}/returnees/{person}"),
    ("API contacts", "police-api", "/api/v1/t/{unit}/returnees/{person}/contacts"),
    ("API comments", "police-api", "/api/v1/t/{unit}/returnees/{person}/comments"),
    ("API reports", "police-api", "/api/v1/t/{unit}/reports"),
    ("API campaigns", "police-api", "/api/v1/campaigns"),
    ("API city roll-up", "city-api", f"/api/v1/city/rollups/{PERIOD}"),
)
ROLES = {"police": "commune_police", "city": "city_police", "admin": "system_admin"}


def sample(database: str, target: int) -> dict:
    """The unit whose returnee count is nearest `target`, its most-contacted person, its largest team."""
    with psycopg.connect(url(database)) as conn:
        unit_id, slug, people = conn.execute(
            "SELECT t.id, t.slug, count(r.id) FROM tenants t JOIN returnees r ON r.tenant_id = t.id "
            "GROUP BY t.id, t.slug ORDER BY abs(count(r.id) - %s), t.slug LIMIT 1", (target,)).fetchone()
        person, contacts = conn.execute(
            "SELECT returnee_id, count(*) FROM contacts WHERE tenant_id = %s GROUP BY returnee_id "
            "ORDER BY count(*) DESC, returnee_id LIMIT 1", (unit_id,)).fetchone()
        team = conn.execute("SELECT team_id FROM team_returnees WHERE tenant_id = %s GROUP BY team_id "
                            "ORDER BY count(*) DESC, team_id LIMIT 1", (unit_id,)).fetchone()[0]
        unit_contacts = conn.execute("SELECT count(*) FROM contacts WHERE tenant_id = %s", (unit_id,)).fetchone()[0]
    return {"database": database, "unit": slug, "person": person, "team": team, "people": people,
            "contacts": contacts, "unit_contacts": unit_contacts}


def make_app(database: str):
    """The app in-process, as its login role (row-level security on), settings as bench/web.py's."""
    from web import SECRET_KEY, app_role

    from portal.app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": app_role(database), "MIGRATION_DATABASE_URL": url(database, driver=True),
        "SECRET_KEY": SECRET_KEY, "REDIS_URL": "",
        "JOBS_INLINE": True, "INSTANCE_DIR": str(SCRATCH / "instance"), "TOTP_GRACE_DAYS": 36500,
        "STORAGE_URL": f"file://{SCRATCH / 'files'}",
    })


def clients(app, database: str, unit: str) -> dict:
    """A signed-in test client per role (through the login form) and API tokens for two of them."""
    from web import ensure_user

    from portal.accounts import ApiToken, User
    from portal.extensions import db

    out = {}
    for key, role in ROLES.items():
        username = f"bench.count.{key}"
        password = ensure_user(database, username, role, unit if role == "commune_police" else None)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
        if response.status_code != 302:
            raise SystemExit(f"{database}: sign-in of {username} failed (HTTP {response.status_code})")
        out[key] = (client, {})
        if key in ("police", "city"):
            with app.app_context():
                user = db.session.scalar(db.select(User).where(User.username == username))
                row, secret = ApiToken.issue(user)
                db.session.add(row)
                db.session.commit()
            out[f"{key}-api"] = (app.test_client(), {"Authorization": f"Bearer {secret}"})
    return out


def count(app, client, path: str, headers: dict) -> tuple[int, int]:
    """(statements, HTTP status) of one request, the lesser of two after a warm-up."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def counter(conn, cursor, statement, *args):
        seen.append(statement)

    client.get(path, headers=headers)
    counts = []
    for _ in range(2):
        seen.clear()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            status = client.get(path, headers=headers).status_code
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        counts.append(len(seen))
    return min(counts), status


def revoke_tokens(database: str) -> None:
    """The tokens issued for the count end with it."""
    with psycopg.connect(url(database)) as conn:
        conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND user_id IN "
                     "(SELECT id FROM users WHERE username LIKE 'bench.count.%%')")


def measure(database: str, target: int) -> tuple[dict, dict]:
    where = sample(database, target)
    app = make_app(database)
    signed = clients(app, database, where["unit"])
    try:
        found = {}
        for label, who, path in PAGES:
            client, headers = signed[who]
            found[label] = count(app, client, path.format(**where), headers)
    finally:
        revoke_tokens(database)
    return where, found


def run(small_database: str, large_database: str) -> None:
    small, large = measure(small_database, 10), measure(large_database, 1000)
    print("\nSQL statements per request (goal: the same at both sizes; row-level security on)")
    for where, _found in (small, large):
        print(f"  {where['database']}: unit {where['unit']} ({where['people']:,} returnees, "
              f"{where['unit_contacts']:,} contacts); dossier #{where['person']} ({where['contacts']} contacts)")
    print(f"  {'page or API call':<28} {'~10':>5} {'~1,000':>7}")
    differ = 0
    for label, _who, _path in PAGES:
        (few, s1), (many, s2) = small[1][label], large[1][label]
        note = "" if s1 == s2 == 200 else f"  HTTP {s1}/{s2}"
        if few != many:
            differ += 1
            note += "  DIFFERS"
        print(f"  {label:<28} {few:>5} {many:>7}{note}")
    print(f"identical at both sizes: {len(PAGES) - differ} of {len(PAGES)}   goal: all   "
          f"{'met' if not differ else 'MISSED'}")
