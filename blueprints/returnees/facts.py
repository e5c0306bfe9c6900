"""What the law expects of a dossier, computed from its rows: the expected expungement and the
expected (dự kiến) due dates of the procedure.

Adapts the ORM rows to the pure modules (expungement, deadlines) so they stay free of the database.
Everything here is an expectation shown as "dự kiến"; the legal effect comes from the documents.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from blueprints.returnees import deadlines, expungement
from blueprints.returnees.models import Conviction, Returnee
from blueprints.returnees.workdays import calendar_from_config
from portal.i18n import local_moment


def today() -> date:
    """Today in the deployment's time zone (Hải Phòng), not the server's: a sweep at 00:30 local
    time must not still see yesterday."""
    return local_moment(datetime.now(UTC)).date()


# --- Expungement -----------------------------------------------------------------------------------


def conviction_facts(c: Conviction) -> expungement.ConvictionFacts:
    """One conviction row as the expungement module reads it."""
    return expungement.ConvictionFacts(
        judgment_date=c.judgment_date,
        penalty_kind=c.penalty_kind,
        sentence_months=c.sentence_months,
        penal_code_chapter=c.penal_code_chapter,
        severity=c.severity,
        intentional=c.intentional,
        offender_age_at_offence=c.age_at_offence,
        main_penalty_served_on=c.main_penalty_served_on,
        additional_penalties_end=c.additional_penalties_end,
        civil_obligations_open=bool(c.civil_obligations_open),
        # An open obligation has no settlement day, whatever an older edit left in the row.
        civil_obligations_settled_on=None if c.civil_obligations_open else c.civil_obligations_settled_on,
    )


@dataclass(frozen=True)
class ExpectedExpungement:
    result: expungement.ExpungementResult | None
    text: str  # the reason in the current locale, or why nothing could be computed
    missing: str | None = None  # the conviction field the law needs and the dossier lacks


def expected_expungement(returnee: Returnee, on: date) -> ExpectedExpungement:
    """expungement.compute over the person's convictions; never raises for incomplete rows."""
    try:
        facts = [conviction_facts(c) for c in returnee.convictions]
        result = expungement.compute(facts, on)
    except expungement.IncompleteFacts as exc:
        field = _FIELD_NAMES.get(exc.field, exc.field)
        label = _MISSING_LABELS.get(field, field)
        text = gettext("Not computed: a conviction lacks this fact: %(fact)s.", fact=label)
        return ExpectedExpungement(None, text, missing=field)
    except ValueError:  # a row the law cannot read (e.g. life imprisonment at 16)
        return ExpectedExpungement(None, gettext("Not computed: the facts of a conviction contradict each other."))
    return ExpectedExpungement(result, expungement.describe(result))


# ConvictionFacts names → the conviction form's fields, and what they are called there.
_FIELD_NAMES = {"offender_age_at_offence": "age_at_offence"}
_MISSING_LABELS = {
    "severity": _l("Category of the crime"),
    "intentional": _l("Intentional or negligent"),
    "age_at_offence": _l("Age at the time of the offence"),
}


# --- Due dates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDate:
    key: str  # a deadlines rule key, or "reporting_deadline" for the date printed on the certificate
    due: date | None  # None: no rule in force on the event day
    done_on: date | None
    description: object  # lazy string
    instrument: str = ""
    live: bool = True  # the dossier is still at the step this date is for

    def overdue(self, on: date) -> bool:
        return self.live and self.due is not None and self.done_on is None and on > self.due


# While the dossier is at these statuses the step is pending; past them, a missing "done" date is a
# gap in the record, not something still to do (and whether the assignment was proposed is the care
# module's record, shown in its own part of the page).
PENDING_AT = {
    "residence_check": ("expected",),
    "reporting_deadline": ("released_not_reported", "overdue"),
    "assignment_proposal": ("received",),
    "dossier_open": ("received",),
}


def _rule_due(key: str, event_day: date, done_on: date | None, cal, live: bool) -> DueDate:
    try:
        rule = deadlines.rule_for(key, event_day)
    except deadlines.RuleNotFound:
        return DueDate(key, None, done_on, key, live=live)
    due = deadlines.due_date(key, event_day, cal)
    return DueDate(key, due, done_on, rule.description, rule.instrument, live)


def due_dates(returnee: Returnee) -> list[DueDate]:
    """The procedure's expected due dates that apply to this dossier so far, in legal order:
    residence check (notice + 3 working days), the deadline printed on the certificate, the
    assignment proposal (work session + 3 wd) and the opening of the dossier (work session + 5 wd)."""
    cal = calendar_from_config()

    def live(key):
        return returnee.status in PENDING_AT[key]

    rows = []
    if returnee.notice_received_on:
        rows.append(_rule_due("residence_check", returnee.notice_received_on, returnee.residence_checked_on, cal,
                              live("residence_check")))
    if returnee.reporting_deadline:
        rows.append(DueDate("reporting_deadline", returnee.reporting_deadline, returnee.reported_on, "",
                            live=live("reporting_deadline")))
    if returnee.reported_on:
        rows.append(_rule_due("assignment_proposal", returnee.reported_on, None, cal, live("assignment_proposal")))
        rows.append(_rule_due("dossier_open", returnee.reported_on, returnee.dossier_opened_on, cal,
                              live("dossier_open")))
    return rows


def presentation_overdue(returnee: Returnee, on: date) -> bool:
    """Past the deadline printed on the certificate and not presented (or already marked overdue)."""
    if returnee.status == "overdue":
        return True
    return (
        returnee.status == "released_not_reported"
        and returnee.reporting_deadline is not None
        and returnee.reporting_deadline < on
    )


def contact_overdue(returnee: Returnee, last_contact: date | None, on: date) -> bool:
    """A week without contact for a person under management (deadlines.contact_overdue)."""
    if returnee.status != "under_management" or returnee.managed_since is None:
        return False
    try:
        return deadlines.contact_overdue(last_contact, on, returnee.managed_since)
    except deadlines.RuleNotFound:
        return False
