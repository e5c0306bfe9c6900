"""JSON shapes of the returnee API (DESIGN.md §11): English snake_case names as in the models,
dates as ISO yyyy-mm-dd, national ID numbers masked for roles without DOSSIER_READ_NATIONAL_ID."""

from datetime import date, datetime

from blueprints.returnees import labels

IDENTITY_FIELDS = (
    "full_name", "other_names", "sex", "date_of_birth", "national_id", "ethnicity", "nationality", "hamlet",
    "address", "phone", "family_contacts",
)
RELEASE_FIELDS = (
    "release_kind", "prison", "notice_received_on", "expected_release_date", "certificate_number",
    "certificate_date", "certificate_issuer", "release_date", "reporting_deadline", "pardon_decision",
    "pardon_round", "campaign_id",
)
LIFECYCLE_FIELDS = (
    "status", "overdue_state", "group", "residence_checked_on", "reported_on", "commitment_signed",
    "dossier_opened_on", "managed_since", "closed_on", "closure_ground", "closure_decision_number",
    "closure_decision_date", "needs",
)
CONVICTION_FIELDS = (
    "id", "judgment_number", "judgment_date", "court", "penal_code_article", "penal_code_chapter", "intentional",
    "severity", "penalty_kind", "sentence_months", "main_penalty_served_on", "additional_penalties",
    "additional_penalties_end", "civil_obligations", "civil_obligations_open", "civil_obligations_settled_on",
    "age_at_offence",
)
CONTACT_FIELDS = (
    "id", "on", "member_id", "contact_person", "method", "content", "state_of_mind", "risk_signals", "next_step",
    "recorded_by", "created_at",
)


def mask_national_id(value: str | None) -> str | None:
    """The dossier pages' mask; an absent number stays null in JSON."""
    return labels.mask_national_id(value) if value else value


def iso(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _pick(obj, names) -> dict:
    return {name: iso(getattr(obj, name)) for name in names}


def returnee_json(returnee, *, today: date, show_national_id: bool) -> dict:
    body = {"id": returnee.id, **_pick(returnee, IDENTITY_FIELDS + RELEASE_FIELDS + LIFECYCLE_FIELDS)}
    if not show_national_id:
        body["national_id"] = mask_national_id(returnee.national_id)
    body["needs"] = dict(returnee.needs or {})
    body["age"] = returnee.age_on(today)
    body["is_minor"] = returnee.is_minor(today)
    body["is_child"] = returnee.is_child(today)
    body["version"] = returnee.version
    body["created_at"] = iso(returnee.created_at)
    body["updated_at"] = iso(returnee.updated_at)
    return body


def returnee_detail_json(returnee, *, today: date, show_national_id: bool, due_dates=()) -> dict:
    """One dossier: the list shape plus convictions, the status history and the expected due dates
    (facts.due_dates, computed from the row: no query)."""
    body = returnee_json(returnee, today=today, show_national_id=show_national_id)
    body["convictions"] = [_pick(c, CONVICTION_FIELDS) for c in returnee.convictions]
    body["status_history"] = [event_json(e) for e in returnee.events]
    body["due_dates"] = [due_date_json(d, today) for d in due_dates]
    return body


def due_date_json(due, today: date) -> dict:
    """One expected (dự kiến) due date; `pending`: the dossier is still at the step it is for."""
    return {
        "key": due.key,
        "due": iso(due.due),
        "done_on": iso(due.done_on),
        "description": str(due.description),
        "instrument": due.instrument,
        "pending": due.live,
        "overdue": due.overdue(today),
    }


def event_json(event) -> dict:
    return {
        "id": event.id,
        "on": iso(event.on),
        "at": iso(event.at),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "facts": dict(event.facts or {}),
    }


def contact_json(contact) -> dict:
    return _pick(contact, CONTACT_FIELDS)


def comment_json(comment, author_name: str | None) -> dict:
    return {
        "id": comment.id,
        "body": comment.body,
        "author_id": comment.author_id,
        "author_name": author_name,
        "created_at": iso(comment.created_at),
    }
