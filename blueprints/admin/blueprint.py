"""The admin blueprint object, apart from its views so each view module can register on it."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
