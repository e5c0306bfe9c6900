"""JSON API under /api/v1, bearer tokens only (no cookies, so no CSRF)."""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# The modules attach their routes and error handlers to bp.
from blueprints.api import (  # noqa: E402,F401
    campaigns,
    handlers,
    reports,
    returnee_notes,
    returnees,
    routes,
    transitions,
)
