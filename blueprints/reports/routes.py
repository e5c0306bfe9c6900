"""The reports blueprints and the modules that attach views and jobs to them."""

from blueprints.reports import build_views, city_views, dashboard_views, views  # noqa: F401
from blueprints.reports.blueprint import bp, city_bp

__all__ = ["bp", "city_bp"]
