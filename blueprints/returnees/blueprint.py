from flask import Blueprint

bp = Blueprint("returnees", __name__, url_prefix="/t/<tenant_slug>")
