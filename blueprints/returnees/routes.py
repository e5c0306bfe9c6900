"""The returnees blueprint and the view modules that attach to it."""

from blueprints.returnees import care_views, comment_views, community_views, transfer_views, views  # noqa: F401
from blueprints.returnees.blueprint import bp

__all__ = ["bp"]
