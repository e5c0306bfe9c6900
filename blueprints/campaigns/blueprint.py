from flask import Blueprint

# A unit's campaign work: its plan, expected people and arrivals, loan lists and results report.
bp = Blueprint("campaigns", __name__, url_prefix="/t/<tenant_slug>/campaigns")
# The city's campaigns: creation, opening and the board of all units.
city_bp = Blueprint("city_campaigns", __name__, url_prefix="/city/campaigns")
