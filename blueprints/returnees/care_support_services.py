"""Support actions, and loans checked against Decision 22/2023/QĐ-TTg (loan_rules).

Like care_services: each change checks, flushes and audits; the view commits. A training loan's
number of months has no column yet: it is kept at the head of `note` (care_rows.join_note).
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from blueprints.returnees import loan_rules
from blueprints.returnees.care import SupportAction
from blueprints.returnees.care_rows import join_note
from blueprints.returnees.care_services import CareError, ensure_open, flushed
from blueprints.returnees.models import Conviction, Returnee
from portal.extensions import db
from portal.i18n import format_day, format_vnd

CLOSED_STATES = ("refused", "cancelled")  # a support action that no longer counts towards a cap


def sentence_ended_on(returnee: Returnee) -> date | None:
    """The day the prison sentence was finished: the later of the release date and the day the main
    penalty was served (after a conditional release, the end of probation)."""
    served = db.session.scalar(
        select(func.max(Conviction.main_penalty_served_on)).where(Conviction.returnee_id == returnee.id)
    )
    known = [d for d in (returnee.release_date, served) if d is not None]
    return max(known) if known else None


def caps(on: date) -> dict | None:
    """The caps in force on `on`, for the form's hint; None when no version is in force."""
    try:
        return {
            "business": loan_rules.value("business_cap_per_person", on),
            "training": loan_rules.value("training_cap_per_month", on),
            "years": loan_rules.value("window_years", on),
        }
    except loan_rules.LoanRuleNotFound:
        return None


def check_loan(returnee: Returnee, purpose: str, amount: int, months: int | None, loan_on: date,
               exclude_id: int | None = None) -> None:
    """Decision 22/2023: the 5-year window (Art. 3) and the caps (Art. 6), by the version in force on
    the day of the loan. Raises CareError next to the field at fault."""
    ended = sentence_ended_on(returnee)
    if ended is None:
        raise CareError(_("Record the release date first: without it the 5-year limit cannot be checked."),
                        "started_on")
    last = loan_rules.window_end(ended, loan_on)
    if loan_on < ended or loan_on > last:
        years = loan_rules.value("window_years", loan_on)
        raise CareError(
            _("Not eligible: a loan must come within %(years)s years of the end of the sentence "
              "(%(ended)s), that is by %(last)s (Decision 22/2023, Art. 3).",
              years=years, ended=format_day(ended), last=format_day(last)),
            "started_on",
        )
    if purpose == "business":
        cap = loan_rules.value("business_cap_per_person", loan_on)
        others = db.session.scalar(
            select(func.coalesce(func.sum(SupportAction.amount_vnd), 0)).where(
                SupportAction.returnee_id == returnee.id, SupportAction.kind == "loan",
                SupportAction.loan_purpose == "business", SupportAction.status.not_in(CLOSED_STATES),
                func.coalesce(SupportAction.loan_status, "") != "rejected",
                SupportAction.id != (exclude_id or 0),
            )
        )
        if others + amount > cap:
            message = _("At most %(cap)s per person for production and business (Decision 22/2023, Art. 6).",
                        cap=format_vnd(cap))
            if others:
                message += " " + _("%(others)s is already recorded for this person.", others=format_vnd(others))
            raise CareError(message, "amount")
    else:
        per_month = loan_rules.value("training_cap_per_month", loan_on)
        if amount > per_month * months:
            raise CareError(
                _("At most %(cap)s: %(per_month)s per month for %(months)s months of training "
                  "(Decision 22/2023, Art. 6).",
                  cap=format_vnd(per_month * months), per_month=format_vnd(per_month), months=months),
                "amount",
            )


def save_support(returnee: Returnee, action: SupportAction | None, data: dict, on: date) -> SupportAction:
    """Create (action None) or change a support action; loans are checked against Decision 22/2023."""
    ensure_open(returnee)
    months = data.pop("months", None)
    if data["kind"] == "loan":
        months = months if data["loan_purpose"] == "training" else None
    # A refused, cancelled or rejected loan goes on no list: recording it needs no eligibility.
    live = data["status"] not in CLOSED_STATES and data.get("loan_status") != "rejected"
    if data["kind"] == "loan" and live:
        check_loan(returnee, data["loan_purpose"], data["amount_vnd"], months, data.get("started_on") or on,
                   exclude_id=action.id if action else None)
    if data["kind"] != "loan":
        data["loan_purpose"] = data["loan_status"] = None
        months = None
    data["note"] = join_note(months, data.get("note"))
    created = action is None
    action = action or SupportAction(returnee_id=returnee.id)
    for name, value in data.items():
        setattr(action, name, value)
    return flushed(action, "support_action.create" if created else "support_action.update",
                    reason=f"{action.kind}:{action.status}")
