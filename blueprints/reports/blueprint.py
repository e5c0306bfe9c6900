from flask import Blueprint

# A unit's reports and dashboard, under the unit's URL.
bp = Blueprint("reports", __name__, url_prefix="/t/<tenant_slug>/reports")
# The city's roll-ups, completeness board, dashboard and report deadlines.
city_bp = Blueprint("rollups", __name__, url_prefix="/city")
