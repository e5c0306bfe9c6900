"""Imports every model so metadata, migrations and the scoping checks see them all."""

from blueprints.admin.models import BreachRecord
from blueprints.campaigns.models import (
    Campaign,
    CampaignProgress,
    LoanList,
    LoanListEntry,
    PlanDocument,
    PlanTask,
    UnitPlan,
)
from blueprints.reports.models import (
    Report,
    ReportDeadline,
    ReportFile,
    ReportReminder,
    RollupFile,
    UnitFigures,
)
from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    SupportTeam,
    TeamMember,
    TeamReturnee,
    Transfer,
)
from blueprints.returnees.community import Commendation, Employer, OutreachActivity
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from portal.accounts import ApiToken, Membership, RecoveryCode, User, UserSession
from portal.audit import AuditEvent
from portal.comments import Comment
from tenants.models import Tenant
from workers.attachments import Attachment
from workers.tasks import CityTask, Task

__all__ = [
    "ApiToken", "Assignment", "Attachment", "AuditEvent", "BreachRecord", "Campaign", "CampaignProgress",
    "CityTask", "Comment",
    "LoanList", "LoanListEntry", "PlanDocument", "PlanTask", "UnitPlan", "Commendation", "Contact",
    "Conviction", "Employer", "Incident", "Membership", "OutreachActivity", "QuarterlyReview", "RecoveryCode", "Report",
    "ReportDeadline", "ReportFile", "ReportReminder", "Returnee", "RollupFile",
    "StatusEvent", "SupportAction", "SupportTeam", "Task", "TeamMember", "TeamReturnee", "Tenant",
    "Transfer", "UnitFigures", "User", "UserSession",
]
