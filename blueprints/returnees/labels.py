"""What the dossier's codes are called on screen (lazy: translated when shown).

The lifecycle's own labels (statuses, groups, closure grounds) live in lifecycle.py; this module adds
the identity, release, needs and conviction vocabularies, and the masking of personal ID numbers.
"""

from flask import g
from flask_babel import lazy_gettext as _l

from portal.permissions import Permission, can

SEX_LABELS = {"male": _l("Male"), "female": _l("Female")}
RELEASE_KIND_LABELS = {
    "completed_sentence": _l("Served the full sentence"),
    "special_pardon": _l("Special pardon"),
    "conditional_release_ended": _l("Conditional early release, probation ended"),
}
NEED_LABELS = {
    "housing": _l("Housing"),
    "work": _l("Work"),
    "training": _l("Vocational training"),
    "loan": _l("Loan"),
    "papers": _l("Civil papers"),
    "health": _l("Health"),
    "addiction": _l("Addiction treatment"),
    "family": _l("Family"),
}
NEED_STATE_LABELS = {"need": _l("Needs help"), "no_need": _l("No need")}
SEVERITY_LABELS = {
    "less_serious": _l("Less serious"),
    "serious": _l("Serious"),
    "very_serious": _l("Very serious"),
    "especially_serious": _l("Especially serious"),
}
PENALTY_KIND_LABELS = {
    "imprisonment": _l("Imprisonment for a term"),
    "life": _l("Life imprisonment"),
    "death_commuted": _l("Death penalty commuted"),
    "non_custodial": _l("Non-custodial (warning, fine, reform, suspended)"),
    "exempted": _l("Exempted from penalty"),
    "reformatory": _l("Reformatory school (under 18)"),
}
FACT_LABELS = {
    "notice_received_on": _l("Prison's notice received on"),
    "release_date": _l("Release date"),
    "reporting_deadline": _l("Deadline to present (as printed on the certificate)"),
    "overdue_state": _l("Follow-up of the missed deadline"),
    "reported_on": _l("Presented on (work session)"),
    "work_session_minutes": _l("Minutes of the work session"),
    "commitment_signed": _l("The person signed the commitment"),
    "group": _l("Group"),
    "dossier_opened_on": _l("Dossier opened on"),
    "closure_ground": _l("Ground for closure"),
    "closure_decision_number": _l("Closure decision number (HCD-11)"),
    "closure_decision_date": _l("Closure decision date"),
}

MASK = "\u2022"  # a bullet: the digits hidden from roles that need not see the number


def mask_national_id(value: str | None) -> str:
    """The last four digits only: enough to tell two people apart, not to reuse the number."""
    if not value:
        return ""
    return MASK * (len(value) - 4) + value[-4:]


def shown_national_id(value: str | None) -> str:
    """The personal ID as the current role may see it (masked for Fatherland Front members)."""
    if can(g.get("role"), Permission.DOSSIER_READ_NATIONAL_ID):
        return value or ""
    return mask_national_id(value)


def template_helpers() -> dict:
    return {
        "national_id": shown_national_id,
        "sex_label": lambda v: SEX_LABELS.get(v, v or ""),
        "release_kind_label": lambda v: RELEASE_KIND_LABELS.get(v, v or ""),
        "need_label": lambda v: NEED_LABELS.get(v, v),
        "need_state_label": lambda v: NEED_STATE_LABELS.get(v, v),
        "severity_label": lambda v: SEVERITY_LABELS.get(v, v or ""),
        "penalty_kind_label": lambda v: PENALTY_KIND_LABELS.get(v, v or ""),
        "fact_label": lambda v: FACT_LABELS.get(v, v),
    }
