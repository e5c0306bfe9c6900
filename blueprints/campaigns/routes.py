"""The campaign blueprints and the modules that attach views and jobs to them."""

from blueprints.campaigns import city_views, document_views, loan_views, views  # noqa: F401
from blueprints.campaigns.blueprint import bp, city_bp

__all__ = ["bp", "city_bp"]
