"""The unit's changes to its campaign: the plan and its tasks, the expected people and their arrival,
the results report and the comments on the plan.

Like every service here: each change checks, flushes, audits and republishes the unit's progress for
the city's board (`services.publish`); the view commits once. People go through the dossier's own
services (create_returnee, update_returnee, change_status), so the lifecycle and its audit apply.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

from blueprints.campaigns.models import PLAN_ISSUED, Campaign, PlanTask, UnitPlan
from blueprints.campaigns.services import CampaignError, period_of, publish
from blueprints.campaigns.unit_queries import COMMENT_TARGET
from blueprints.reports import services as reports
from blueprints.reports.services import utcnow
from blueprints.returnees import services as dossiers
from blueprints.returnees.comment_service import utc_now
from blueprints.returnees.models import Returnee
from portal import audit
from portal.comments import Comment
from portal.extensions import db

ARRIVING = ("expected", "released_not_reported", "overdue")


class UnitError(CampaignError):
    """Refused; `fields` maps a form field to the message shown next to it."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


def _changed(plan: UnitPlan) -> None:
    # Task rows live in their own table: touching the plan row bumps its version, so a colleague's
    # form filled from the plan before this change is refused instead of undoing it.
    flag_modified(plan, "number")


# --- The plan ------------------------------------------------------------------------------------------


def save_plan(campaign: Campaign, plan: UnitPlan, data: dict, rows: list[dict], actor_id: int | None) -> None:
    if plan.status == PLAN_ISSUED:
        raise UnitError(_("This plan has been issued: it can no longer be edited. Task progress can still be "
                          "recorded on the campaign page."))
    existing = {task.id: task for task in plan.tasks}
    kept = []
    for row in rows:
        task_id = int(row["id"]) if str(row["id"] or "").isdigit() else None
        task = existing.get(task_id)
        if row["remove"]:
            continue
        task = task or PlanTask()
        task.agency, task.text, task.due_on = row["agency"], row["text"], row["due_on"]
        task.status, task.note, task.position = row["status"], row["note"], len(kept)
        kept.append(task)
    plan.tasks = kept  # rows left out are deleted (delete-orphan)
    for name, value in data.items():
        setattr(plan, name, value)
    _changed(plan)
    db.session.flush()  # raises StaleDataError when someone saved the plan meanwhile
    audit.record("campaign_plan.update", plan, user_id=actor_id, reason=f"tasks={len(kept)}")
    publish(campaign)


def issue_plan(campaign: Campaign, plan: UnitPlan, actor_id: int | None) -> None:
    if plan.status == PLAN_ISSUED:
        raise UnitError(_("This plan has already been issued."))
    missing = {}
    if not plan.number:
        missing["number"] = _("Give the plan its number before issuing it.")
    if not plan.signed_on:
        missing["signed_on"] = _("Give the plan its date before issuing it.")
    if missing:
        raise UnitError(" ".join(missing.values()), missing)
    plan.status, plan.issued_at = PLAN_ISSUED, utcnow()
    db.session.flush()
    audit.record("campaign_plan.issue", plan, user_id=actor_id)
    publish(campaign)


def update_task(campaign: Campaign, plan: UnitPlan, task: PlanTask, status: str, note: str | None,
                actor_id: int | None) -> None:
    task.status, task.note = status, note
    _changed(plan)
    db.session.flush()
    audit.record("campaign_task.update", task, user_id=actor_id, reason=f"status={status}")
    publish(campaign)


# --- People --------------------------------------------------------------------------------------------


def pardon_fields(campaign: Campaign) -> dict:
    # Stored on the dossier as the certificate reads; document data, not interface text.
    return {"pardon_decision": campaign.pardon_decision_number,
            "pardon_round": f"Đợt {campaign.round} năm {campaign.year}"}


def add_person(campaign: Campaign, data: dict, actor_id: int | None) -> Returnee:
    """A new dossier at status `expected` (the prison's notice), of kind special_pardon, in the campaign.
    The caller has applied the duplicate rules of the dossier pages. Raises lifecycle.TransitionError."""
    values = {**data, "release_kind": "special_pardon", "campaign_id": campaign.id, **pardon_fields(campaign)}
    notice = values.pop("notice_received_on")
    person = dossiers.create_returnee(values, "expected", {"notice_received_on": notice}, notice, actor_id)
    publish(campaign)
    return person


def link_refusal(campaign: Campaign, returnee: Returnee) -> str | None:
    """Why this existing dossier cannot be linked to the campaign, or None."""
    if returnee.is_closed:
        return _("This dossier is closed: it cannot join the campaign.")
    if returnee.campaign_id == campaign.id:
        return _("This person is already among the campaign's people.")
    if returnee.campaign_id is not None:
        return _("This dossier already belongs to another campaign.")
    if returnee.release_kind != "special_pardon":
        return _("This dossier is not of a special pardon: correct its release kind on the dossier first.")
    return None


def link_person(campaign: Campaign, returnee: Returnee) -> None:
    refusal = link_refusal(campaign, returnee)
    if refusal:
        raise UnitError(refusal)
    changes = {"campaign_id": campaign.id}
    for name, value in pardon_fields(campaign).items():
        if not getattr(returnee, name):
            changes[name] = value
    dossiers.update_returnee(returnee, changes)
    publish(campaign)


def arrive(campaign: Campaign, person: Returnee, facts: dict, release_date: date | None,
           deadline: date | None, actor_id: int | None) -> None:
    """The person presented themselves: the lifecycle's `received`, after `released_not_reported` when
    the pardon certificate's release date and deadline are given for someone still expected.
    Raises lifecycle.TransitionError or UnitError."""
    if person.status not in ARRIVING:
        raise UnitError(_("This person has already presented themselves (or the dossier is past that step)."))
    if deadline is not None and person.status == "expected":
        dossiers.change_status(person, "released_not_reported", release_date,
                               {"release_date": release_date, "reporting_deadline": deadline}, actor_id)
    else:
        changes = {k: v for k, v in (("release_date", release_date), ("reporting_deadline", deadline)) if v}
        if changes:
            dossiers.update_returnee(person, changes)
    dossiers.change_status(person, "received", facts["reported_on"], facts, actor_id)
    publish(campaign)


# --- The results report and comments -----------------------------------------------------------------


def open_report(campaign: Campaign, actor_id: int | None):
    report = reports.open_report(period_of(campaign), actor_id, campaign_id=campaign.id,
                                 due=campaign.report_due_on)
    publish(campaign)
    return report


def add_comment(plan: UnitPlan, body: str, author_id: int | None) -> Comment:
    note = Comment(target_type=COMMENT_TARGET, target_id=plan.id, author_id=author_id, body=body.strip(),
                   created_at=utc_now())
    db.session.add(note)
    db.session.flush()
    audit.record("comment.create", note, user_id=author_id, reason=f"campaign_plan:{plan.id}")
    return note
