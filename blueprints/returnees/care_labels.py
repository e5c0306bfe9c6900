"""What the kinds of care.py are called on screen (lazy: translated when shown)."""

from flask_babel import lazy_gettext as _l

from blueprints.returnees.lifecycle import GROUP_LABELS, STATUS_LABELS

MEMBER_KIND_LABELS = {
    "police": _l("Police officer"),
    "mass_organisation": _l("Mass-organisation cadre"),
    "village_cadre": _l("Village or residential-group cadre"),
    "family": _l("Family representative"),
    "other": _l("Other"),
}
CONTACT_METHOD_LABELS = {
    "visit": _l("Home visit"),
    "at_office": _l("At the office"),
    "phone": _l("Phone call"),
    "other": _l("Other"),
}
SUPPORT_KIND_LABELS = {
    "counselling": _l("Counselling"),
    "residence_registration": _l("Residence registration"),
    "civil_status": _l("Civil status papers"),
    "id_card": _l("Citizen ID card"),
    "judicial_record": _l("Judicial record certificate"),
    "expungement_application": _l("Expungement application"),
    "vocational_training": _l("Vocational training"),
    "job_placement": _l("Job placement"),
    "public_works_job": _l("Public-works job"),
    "loan": _l("Loan (Social Policy Bank)"),
    "social_assistance": _l("Social assistance"),
    "child_protection": _l("Child protection"),
    "other": _l("Other"),
}
SUPPORT_STATE_LABELS = {
    "proposed": _l("Proposed"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "refused": _l("Refused"),
    "cancelled": _l("Cancelled"),
}
LOAN_PURPOSE_LABELS = {"business": _l("Production and business"), "training": _l("Vocational training")}
LOAN_STATE_LABELS = {
    "preparing": _l("Preparing the file"),
    "submitted": _l("On the list sent to the bank"),
    "approved": _l("Approved"),
    "disbursed": _l("Disbursed"),
    "rejected": _l("Rejected"),
}
INCIDENT_KIND_LABELS = {
    "administrative_violation": _l("Administrative violation"),
    "breach_of_obligations": _l("Breach of obligations"),
    "new_crime": _l("New crime"),
    "custody_period": _l("Custody period"),
}

# One name for the templates: labels.member_kind["police"], labels.group["A"], …
LABELS = {
    "member_kind": MEMBER_KIND_LABELS,
    "contact_method": CONTACT_METHOD_LABELS,
    "support_kind": SUPPORT_KIND_LABELS,
    "support_state": SUPPORT_STATE_LABELS,
    "loan_purpose": LOAN_PURPOSE_LABELS,
    "loan_state": LOAN_STATE_LABELS,
    "incident_kind": INCIDENT_KIND_LABELS,
    "group": GROUP_LABELS,
    "status": STATUS_LABELS,
}
