"""The city police's side of a special-pardon campaign: the list, the form (create, edit while
draft), opening it (every active unit then gets its plan, made by the `campaigns.open` job), and
the board of all units with its XLSX export.

The board reads only what units published (`CampaignProgress`) and the registry, through `board`:
counts and dates, never a person. Every page issues a fixed number of statements.
"""

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from blueprints.admin.forms import KIND_LABELS as UNIT_KIND_LABELS
from blueprints.campaigns import board, template
from blueprints.campaigns.blueprint import city_bp
from blueprints.campaigns.city_forms import MORE_ROWS, CampaignForm
from blueprints.campaigns.models import AGENCY_LABELS, DRAFT, OPEN, Campaign
from blueprints.campaigns.services import CampaignError, new_campaign, open_campaign
from blueprints.returnees import facts
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires
from portal.search import fold
from tenants.models import Tenant
from workers.runner import refresh_state, request_city_job
from workers.tasks import FAILED, FINISHED, OPEN_STATES, CityTask

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPEN_JOB = "campaigns.open"


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@city_bp.context_processor
def _labels():
    return {"agency_labels": AGENCY_LABELS, "campaign_state": _state_label}


def _state_label(status: str) -> str:
    return {DRAFT: _("draft"), OPEN: _("open"), "closed": _("closed")}.get(status, status)


# --- The list ---------------------------------------------------------------------------------------


@city_bp.route("/")
@requires(Permission.CAMPAIGN_CITY)
def index():
    campaigns = db.session.scalars(
        select(Campaign).order_by(Campaign.year.desc(), Campaign.round.desc(), Campaign.id.desc())
    ).all()
    units = db.session.scalar(select(func.count()).select_from(Tenant).where(Tenant.active.is_(True)))
    return render_template("campaigns/city_index.html", campaigns=campaigns, counts=board.index_counts(),
                           units=units, today=facts.today())


# --- The form -----------------------------------------------------------------------------------------


def _form_page(form, campaign=None, *, conflict=None, status=200):
    locked = campaign is not None and campaign.status != DRAFT
    return render_template("campaigns/city_form.html", form=form, campaign=campaign, conflict=conflict,
                           locked=locked), status


def _wants_more_rows(form) -> bool:
    """"More rows": show the form again with blank rows added, saving nothing."""
    if request.form.get("action") != "more":
        return False
    form.show_rows(form.template(), MORE_ROWS)
    return True


@city_bp.route("/new", methods=["GET", "POST"])
@requires(Permission.CAMPAIGN_CITY)
def new():
    form = CampaignForm()
    if request.method != "POST":
        year = facts.today().year
        form.year.data, form.round.data = year, 1
        form.name.data = _("Special pardon %(year)s", year=year)
        form.show_rows(list(template.DEFAULT_TASKS))
        return _form_page(form)
    if _wants_more_rows(form):
        return _form_page(form)
    if not form.validate():
        return _form_page(form, status=422)
    campaign = new_campaign(current_user.id, **form.campaign_data())
    campaign.task_template = form.template()
    db.session.commit()
    flash(_("The campaign was created as a draft. Check it, then open it for the units."), "info")
    return redirect(url_for("city_campaigns.board", campaign_id=campaign.id), code=303)


@city_bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires(Permission.CAMPAIGN_CITY)
def edit(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    if request.method != "POST":
        return _form_page(CampaignForm.of(campaign), campaign)
    form = CampaignForm()
    if campaign.status != DRAFT:
        # Units' plans, tasks and report due dates were made from it: changing it here would leave
        # 114 units' copies behind (a per-unit job would be needed), so an open campaign is fixed.
        return _form_page(form, campaign, conflict=_("This campaign is open: it can no longer be changed."),
                          status=409)
    if _wants_more_rows(form):
        return _form_page(form, campaign)
    if not form.validate():
        return _form_page(form, campaign, status=422)
    if str(form.version.data or "") != str(campaign.version):
        return _conflict(form, campaign)
    data = form.campaign_data()
    data["task_template"] = form.template()
    changed = [name for name, value in data.items() if getattr(campaign, name) != value]
    for name in changed:
        setattr(campaign, name, data[name])
    try:
        if changed:
            db.session.flush()
            audit.record("campaign.edit", campaign, user_id=current_user.id, reason=",".join(changed)[:200])
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _conflict(form, _campaign_or_404(campaign_id))
    flash(_("The campaign was saved.") if changed else _("Nothing was changed."), "info")
    return redirect(url_for("city_campaigns.board", campaign_id=campaign.id), code=303)


def _conflict(form, campaign):
    # The form now carries the saved version: submitting it again is a deliberate overwrite.
    form.version.data = campaign.version
    message = _("Someone else saved this campaign while you were working on it. Nothing of yours was saved; "
                "your entries are kept below. Saving the form again will apply them.")
    return _form_page(form, campaign, conflict=message, status=409)


# --- Opening ------------------------------------------------------------------------------------------


def _open_task(campaign_id: int) -> CityTask | None:
    """The latest job that made (or makes) this campaign's plans (one statement)."""
    tasks = db.session.scalars(
        select(CityTask).where(CityTask.kind == OPEN_JOB).order_by(CityTask.created_at.desc(), CityTask.id)
    ).all()
    return next((t for t in tasks if t.params.get("campaign_id") == campaign_id), None)


@city_bp.route("/<int:campaign_id>/open", methods=["POST"], endpoint="open")
@requires(Permission.CAMPAIGN_CITY)
def open_view(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    target = url_for("city_campaigns.board", campaign_id=campaign.id)
    if campaign.status == DRAFT:
        try:
            open_campaign(campaign, current_user.id)
        except CampaignError as exc:
            flash(str(exc), "error")
            return redirect(target, code=303)
        db.session.commit()
    elif campaign.status != OPEN:
        flash(_("This campaign is closed."), "error")
        return redirect(target, code=303)
    task = _open_task(campaign.id)
    if task is not None and task.state in OPEN_STATES:
        flash(_("The units' plans are being made."), "info")  # a second click follows the first job
        return redirect(target, code=303)
    if task is not None and not board.units_without_plan(campaign):
        flash(_("Every active unit has its plan."), "info")
        return redirect(target, code=303)
    # Also after a failed run: the job skips the units that have their plan.
    task = request_city_job(OPEN_JOB, campaign_id=campaign.id, actor_id=current_user.id, locale=str(get_locale()))
    if task.state == FINISHED:
        flash(_("The campaign is open: every active unit has its plan."), "info")
    elif task.state == FAILED:
        flash(_("The units' plans could not all be made: %(message)s", message=task.message or ""), "error")
    else:
        flash(_("The campaign is open; the units' plans are being made."), "info")
    return redirect(target, code=303)


# --- The board ----------------------------------------------------------------------------------------


def _filters() -> dict:
    args = request.args
    return {
        "plan": args.get("plan", "") if args.get("plan") in board.PLAN_FILTERS else "",
        "report": args.get("report", "") if args.get("report") in board.REPORT_FILTERS else "",
        "kind": args.get("kind", "") if args.get("kind") in UNIT_KIND_LABELS else "",
        "q": args.get("q", "")[:80],
    }


def _shown(campaign):
    today, chosen = facts.today(), _filters()
    all_rows = board.rows(campaign, today)
    words = fold(chosen["q"])
    shown = [r for r in all_rows if board.keep(r, chosen["plan"], chosen["report"], chosen["kind"], words)]
    return today, chosen, all_rows, shown


@city_bp.route("/<int:campaign_id>", endpoint="board")
@requires(Permission.CAMPAIGN_CITY)
def board_page(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    today, chosen, all_rows, shown = _shown(campaign)
    task = _open_task(campaign.id) if campaign.status != DRAFT else None
    if task is not None:
        task = refresh_state(task)
    total = board.summary(all_rows)
    running = task is not None and task.state in OPEN_STATES
    page = render_template(
        "campaigns/city_board.html", campaign=campaign, rows=shown, total=total,
        shown=board.summary(shown) if len(shown) != len(all_rows) else None, filters=chosen, today=today,
        plan_filters=board.PLAN_FILTERS, report_filters=board.REPORT_FILTERS, unit_kinds=UNIT_KIND_LABELS,
        plan_labels=board.PLAN_LABELS, report_labels=board.REPORT_LABELS, counts=board.COUNTS, task=task,
        task_running=running, job_page="rollups.job" in current_app.view_functions,
        overdue=today > campaign.report_due_on,
    )
    response = current_app.make_response(page)
    if running:
        response.headers["Refresh"] = "5"  # the board follows the plans being made, without a script
    return response


@city_bp.route("/<int:campaign_id>/export.xlsx")
@requires(Permission.CAMPAIGN_CITY)
def export(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    today, chosen, _all, shown = _shown(campaign)
    data = board.workbook(campaign, shown, UNIT_KIND_LABELS, today)
    audit.record("campaign.export", campaign, user_id=current_user.id, reason=f"units={len(shown)} format=xlsx")
    name = f"dac-xa-{campaign.year}-dot-{campaign.round}_{today.isoformat()}.xlsx"
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, etag=False)
    response.headers["Cache-Control"] = "no-store, private"
    return response
