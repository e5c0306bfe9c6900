"""Everything the unit holds about one person, for a data-subject request (Law 91/2025/QH15; the
commune police answer it). The view (subject_access_views) renders it as JSON or XLSX.

`gather(returnee, today)` returns the sections in a fixed order, with native values (dates stay
dates: JSON writes them ISO, the workbook as dates). Field names are the API's (serializers), the
national ID is in full (it is the person's own data). One statement per section, whatever the rows;
nothing loads lazily. Scoping keeps every query inside the unit, except the audit log, which is not
a unit's table (the admin reads it city-wide), so its query names the unit itself.

Left out on purpose: the files' bytes (their metadata is here), and the support-team members' phone
numbers and accounts, which are the members' personal data, not the person's.
"""

from sqlalchemy import and_, or_, select

from blueprints.api.serializers import (
    CONTACT_FIELDS,
    CONVICTION_FIELDS,
    IDENTITY_FIELDS,
    LIFECYCLE_FIELDS,
    RELEASE_FIELDS,
)
from blueprints.campaigns.models import Campaign, LoanList, LoanListEntry
from blueprints.returnees import care_queries, facts, queries
from blueprints.returnees.attachment_queries import attachments_context
from blueprints.returnees.care import Contact, QuarterlyReview, SupportTeam, TeamMember, TeamReturnee, Transfer
from blueprints.returnees.comment_queries import list_comments
from portal.accounts import User
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import current_tenant_id
from tenants.models import Tenant

FORMAT_VERSION = 1
EXTRA_DOSSIER_FIELDS = ("work_session_minutes", "created_by", "created_at", "updated_at", "version")
EXTRA_CONVICTION_FIELDS = ("offence_date", "court_expunged_on")
ASSIGNMENT_FIELDS = (
    "id", "organisation", "person_name", "person_phone", "proposed_on", "decision_number", "decision_date", "active",
    "ended_on", "created_at",
)
REVIEW_FIELDS = (
    "id", "year", "quarter", "report_received_on", "group", "reason", "progress", "proposals", "reviewed_by",
    "created_at",
)
SUPPORT_FIELDS = (
    "id", "kind", "status", "started_on", "completed_on", "provider", "employer_id", "amount_vnd", "loan_purpose",
    "loan_status", "created_at",
)
INCIDENT_FIELDS = ("id", "kind", "on", "until", "description", "decision", "created_at")
TRANSFER_FIELDS = ("id", "direction", "notified_on", "new_address", "state", "accepted_on", "created_at")
MEMBER_FIELDS = ("full_name", "kind", "role_title", "is_leader", "active")
CAMPAIGN_FIELDS = (
    "id", "name", "year", "round", "pardon_decision_number", "pardon_decision_date", "release_decision_number",
    "release_effective_on",
)
LOAN_ENTRY_FIELDS = ("id", "list_id", "purpose", "amount_vnd", "term_months", "need")
ATTACHMENT_FIELDS = ("id", "filename", "content_type", "size", "sha256", "state", "reject_reason", "uploaded_by",
                     "created_at")
# The person's own rows whose audit events belong to their trail (object_type is the table's name).
CHILD_TABLES = ("convictions", "assignments", "contacts", "quarterly_reviews", "support_actions", "incidents",
                "transfers", "team_returnees", "loan_list_entries", "comments", "attachments")


def pick(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def user_name(full_name: str | None, username: str | None) -> str | None:
    return full_name or username or None


def dossier(returnee, today) -> dict:
    body = {"id": returnee.id, **pick(returnee, IDENTITY_FIELDS + RELEASE_FIELDS + LIFECYCLE_FIELDS)}
    body["needs"] = dict(returnee.needs or {})
    body["age"] = returnee.age_on(today)
    body["is_minor"] = returnee.is_minor(today)
    body["is_child"] = returnee.is_child(today)
    body.update(pick(returnee, EXTRA_DOSSIER_FIELDS))
    return body


def campaign(returnee) -> dict | None:
    if returnee.campaign_id is None:
        return None
    row = db.session.get(Campaign, returnee.campaign_id)
    return pick(row, CAMPAIGN_FIELDS) if row is not None else None


def status_history(returnee) -> list[dict]:
    return [
        {"id": e.id, "on": e.on, "at": e.at, "from_status": e.from_status, "to_status": e.to_status,
         "facts": dict(e.facts or {}), "actor_id": e.actor_id, "actor_name": name or None}
        for e, name in queries.history(returnee)
    ]


def due_dates(returnee, today) -> list[dict]:
    """The procedure's expected due dates (facts.due_dates: computed from the row, no query)."""
    return [
        {"key": d.key, "due": d.due, "done_on": d.done_on, "description": str(d.description),
         "instrument": d.instrument, "pending": d.live, "overdue": d.overdue(today)}
        for d in facts.due_dates(returnee)
    ]


def expungement(returnee, today) -> dict:
    expected = facts.expected_expungement(returnee, today)
    x = expected.result
    body = {"status": x.status if x else None, "text": expected.text, "missing_fact": expected.missing}
    if x is not None:
        body.update({
            "expected_date": x.expected_date, "one_third_date": x.one_third_date, "counted_from": x.counted_from,
            "period_months": x.period.total_months if x.period else None, "legal_basis": x.legal_basis,
        })
    return body


def support_teams(returnee_id: int) -> list[dict]:
    """Every team that helps or helped the person, with since/until and its members: one statement."""
    rows = db.session.execute(
        select(SupportTeam, TeamReturnee, TeamMember)
        .join(TeamReturnee, TeamReturnee.team_id == SupportTeam.id)
        .outerjoin(TeamMember, TeamMember.team_id == SupportTeam.id)
        .where(TeamReturnee.returnee_id == returnee_id)
        .order_by(TeamReturnee.since, TeamReturnee.id, TeamMember.is_leader.desc(), TeamMember.id)
    ).all()
    teams: dict[int, dict] = {}
    for team, link, member in rows:
        body = teams.setdefault(link.id, {"id": team.id, "name": team.name, "hamlet": team.hamlet,
                                          "link_id": link.id, "since": link.since, "until": link.until,
                                          "members": []})
        if member is not None:
            body["members"].append(pick(member, MEMBER_FIELDS))
    return list(teams.values())


def _with_user(model, user_column, returnee_id: int, *order):
    return db.session.execute(
        select(model, User.full_name, User.username)
        .outerjoin(User, User.id == user_column)
        .where(model.returnee_id == returnee_id)
        .order_by(*order)
    ).all()


def contacts(returnee_id: int) -> list[dict]:
    rows = _with_user(Contact, Contact.recorded_by, returnee_id, Contact.on.desc(), Contact.id.desc())
    return [{**pick(c, CONTACT_FIELDS), "recorded_by_name": user_name(*names)} for c, *names in rows]


def reviews(returnee_id: int) -> list[dict]:
    order = (QuarterlyReview.year.desc(), QuarterlyReview.quarter.desc(), QuarterlyReview.id.desc())
    rows = _with_user(QuarterlyReview, QuarterlyReview.reviewed_by, returnee_id, *order)
    return [{**pick(r, REVIEW_FIELDS), "reviewed_by_name": user_name(*names)} for r, *names in rows]


def support_actions(returnee_id: int) -> list[dict]:
    return [
        {**pick(row.action, SUPPORT_FIELDS), "employer_name": row.employer_name, "training_months": row.months,
         "note": row.note}
        for row in care_queries.support_rows(returnee_id)
    ]


def transfers(returnee_id: int) -> list[dict]:
    """The unit's own side of each move (the other unit's row is that unit's)."""
    rows = db.session.execute(
        select(Transfer, Tenant.code, Tenant.name)
        .join(Tenant, Tenant.id == Transfer.other_tenant_id)
        .where(Transfer.returnee_id == returnee_id)
        .order_by(Transfer.notified_on, Transfer.id)
    ).all()
    return [{**pick(t, TRANSFER_FIELDS), "other_unit_code": code, "other_unit_name": name} for t, code, name in rows]


def loan_list_entries(returnee_id: int) -> list[dict]:
    rows = db.session.execute(
        select(LoanListEntry, LoanList.month, LoanList.status)
        .join(LoanList, LoanList.id == LoanListEntry.list_id)
        .where(LoanListEntry.returnee_id == returnee_id)
        .order_by(LoanList.month, LoanListEntry.id)
    ).all()
    return [{**pick(e, LOAN_ENTRY_FIELDS), "month": month, "list_status": status} for e, month, status in rows]


def comments(returnee_id: int) -> list[dict]:
    return [
        {"id": c.id, "body": c.body, "author_id": c.author_id, "author_name": author or None,
         "created_at": c.created_at}
        for c, author in list_comments(returnee_id)
    ]


def attachments(returnee) -> list[dict]:
    return [pick(a, ATTACHMENT_FIELDS) for a in attachments_context(returnee)["attachments"]]


def audit_trail(returnee_id: int, child_ids: dict[str, list[int]]) -> list[dict]:
    """Who read or changed the dossier or one of its rows, and when: one statement. The staff's
    addresses and request ids stay out: they are about the staff, not the person."""
    own = [and_(AuditEvent.object_type == "returnees", AuditEvent.object_id == str(returnee_id)),
           # comments and convictions name their dossier in the reason (a deleted one has no row left)
           AuditEvent.reason.in_((f"returnee:{returnee_id}", f"returnee={returnee_id}"))]
    own += [
        and_(AuditEvent.object_type == table, AuditEvent.object_id.in_([str(i) for i in ids]))
        for table, ids in child_ids.items() if ids
    ]
    rows = db.session.execute(
        select(AuditEvent, User.full_name, User.username)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.tenant_id == current_tenant_id(), or_(*own))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [
        {"id": e.id, "at": e.at, "action": e.action, "user_id": e.user_id, "user_name": user_name(*names),
         "object_type": e.object_type, "object_id": e.object_id, "reason": e.reason}
        for e, *names in rows
    ]


def gather(returnee, today) -> dict:
    """The sections of the export, in the order the file lists them (the header is the view's)."""
    rid = returnee.id
    body = {
        "dossier": dossier(returnee, today),
        "campaign": campaign(returnee),
        "convictions": [pick(c, CONVICTION_FIELDS + EXTRA_CONVICTION_FIELDS) for c in returnee.convictions],
        "status_history": status_history(returnee),
        "due_dates": due_dates(returnee, today),
        "expungement": expungement(returnee, today),
        "assignments": [pick(a, ASSIGNMENT_FIELDS) for a in care_queries.assignments(rid)],
        "support_teams": support_teams(rid),
        "contacts": contacts(rid),
        "quarterly_reviews": reviews(rid),
        "support_actions": support_actions(rid),
        "incidents": [pick(i, INCIDENT_FIELDS) for i in care_queries.incidents(rid)],
        "transfers": transfers(rid),
        "loan_list_entries": loan_list_entries(rid),
        "comments": comments(rid),
        "attachments": attachments(returnee),
    }
    child_ids = {table: [row["id"] for row in body[table]] for table in CHILD_TABLES if table in body}
    child_ids["team_returnees"] = [team["link_id"] for team in body["support_teams"]]
    body["audit_trail"] = audit_trail(rid, child_ids)
    return body
