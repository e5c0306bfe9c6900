"""The returnees blueprint and the view modules that attach to it."""

from blueprints.returnees import (  # noqa: F401
    care_notebook_views,
    care_support_views,
    care_team_views,
    care_views,
    comment_views,
    community_views,
    conviction_views,
    dossier_views,
    spreadsheet_views,
    subject_access_views,
    transfer_views,
    views,
)
from blueprints.returnees.blueprint import bp

__all__ = ["bp"]
