"""The yardstick of the web benchmark (not part of the portal): one Flask endpoint that does no
work, served by bench/web.py under the same gunicorn settings as the portal (infra/gunicorn.conf.py),
so the ratio measures what the portal adds — security stack, database, row-level security,
templates — and not gunicorn or the machine.

    gunicorn -c infra/gunicorn.conf.py --pythonpath bench bare_app:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "ok"
