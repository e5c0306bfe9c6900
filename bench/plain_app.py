"""A second yardstick of the web benchmark (not part of the portal): the same list page written the
shortest way — Flask, one SQLAlchemy connection pool, the portal's own list statement as SQL text,
one Jinja template of 50 rows — with nothing of the portal around it: no sign-in, session, unit
check, permissions, row-level security, ORM objects, translations, audit or security headers.

Where `bare_app` measures everything the portal adds to a request, this measures what the portal's
stack adds to the same page (bench/web.py prints both ratios). Served under the same gunicorn
settings, connected as `BENCH_PLAIN_DATABASE_URL`, for the unit `BENCH_PLAIN_UNIT` (an id).

    gunicorn -c infra/gunicorn.conf.py --pythonpath bench plain_app:app
"""

import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["BENCH_PLAIN_DATABASE_URL"], pool_pre_ping=True)
UNIT = int(os.environ["BENCH_PLAIN_UNIT"])

# What the portal's list sends for `?status=under_management` (blueprints/returnees/queries.py).
PAGE = text("""
SELECT r.id, r.full_name, r.other_names, r.date_of_birth, r.national_id, r.hamlet, r.status, r.group,
       r.release_kind,
       (SELECT max(c."on") FROM contacts c WHERE c.returnee_id = r.id AND c.tenant_id = :unit) AS last_contact,
       count(*) OVER () AS total
FROM returnees r
WHERE r.status = :status AND r.tenant_id = :unit
ORDER BY r.search_name, r.id LIMIT 51 OFFSET 0
""")

TEMPLATE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Returnees</title></head><body>
<h1>Returnees</h1><p>{{ total }} dossiers</p>
<table><thead><tr><th>Full name</th><th>Date of birth</th><th>Personal ID number</th><th>Hamlet</th>
<th>Status</th><th>Group</th><th>Release kind</th></tr></thead><tbody>
{% for r in rows %}<tr>
<td><a href="/t/unit/returnees/{{ r.id }}">{{ r.full_name }}</a>
{% if r.other_names %} ({{ r.other_names }}){% endif %}</td>
<td>{{ r.date_of_birth.strftime("%d/%m/%Y") if r.date_of_birth else "" }}</td><td>{{ r.national_id or "" }}</td>
<td>{{ r.hamlet or "" }}</td><td>{{ r.status }}</td><td>{{ r.group or "" }}</td><td>{{ r.release_kind }}</td>
</tr>{% endfor %}
</tbody></table></body></html>"""


@app.get("/")
def page():
    with engine.connect() as conn:
        rows = conn.execute(PAGE, {"unit": UNIT, "status": "under_management"}).all()
    return render_template_string(TEMPLATE, rows=rows[:50], total=rows[0].total if rows else 0)
