"""The unit's community work: participating employers, outreach sessions and commendations.

Commune police keep them (DOSSIER_WRITE); the leader and the Front members read them. Rows are
tenant-owned: the lookups below are scoped to the unit of the URL, so another unit's id is 404.
Each change flushes, is audited and committed once; a list naming people (employers' contact
persons, commended people) is an audited read.
"""

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from blueprints.returnees.blueprint import bp
from blueprints.returnees.community import Commendation, Employer, OutreachActivity
from blueprints.returnees.community_forms import (
    COMMENDATION_TARGET_LABELS,
    OUTREACH_FORM_LABELS,
    CommendationForm,
    EmployerFilterForm,
    EmployerForm,
    OutreachForm,
    YearFilterForm,
    valid_filters,
)
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, can, requires
from portal.search import fold, matches

PER_PAGE = 50


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool

    def url(self, number: int) -> str:
        """This list with the same filters, at page `number`."""
        return url_for(request.endpoint, **{**request.args.to_dict(), "page": number})


def _page(query) -> Page:
    number = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(query.limit(PER_PAGE + 1).offset((number - 1) * PER_PAGE)).all()
    return Page(rows[:PER_PAGE], number, len(rows) > PER_PAGE)


def _one(model, row_id: int):
    """The unit's row or 404 (a select, scoped to the unit; never session.get)."""
    row = db.session.scalar(select(model).where(model.id == row_id))
    if row is None:
        abort(404)
    return row


def _can_write() -> bool:
    return can(g.role, Permission.DOSSIER_WRITE)


def _year_range(query, column, year: int | None):
    if year:
        query = query.where(column >= date(year, 1, 1), column < date(year + 1, 1, 1))
    return query


def _edit(form, row, action: str, message: str, back: str, title: str):
    """Render the form (422 with the reasons when it was refused) or save it and go back to the list."""
    if form.validate_on_submit():
        for field in form:
            if field.name != "csrf_token":
                setattr(row, field.name, field.data)
        db.session.add(row)
        db.session.flush()
        audit.record(action, row)
        db.session.commit()
        flash(message, "info")
        return redirect(url_for(back), code=303)
    status = 422 if form.errors else 200
    return render_template("returnees/community/form.html", form=form, back=back, title=title), status


# --- Employers -----------------------------------------------------------------------------------


@bp.route("/employers")
@requires(Permission.DOSSIER_READ)
def employers():
    form = EmployerFilterForm(formdata=request.args)
    wanted = valid_filters(form)
    query = select(Employer)
    if wanted["status"]:
        query = query.where(Employer.active.is_(wanted["status"] == "active"))
    # A unit works with dozens of businesses: the diacritic-insensitive search runs in Python.
    rows = [e for e in db.session.scalars(query) if matches(wanted["q"], e.name, e.sector)]
    rows.sort(key=lambda e: (not e.active, fold(e.name), e.id))
    audit.record("employer.list", object_type="employers")
    return render_template(
        "returnees/community/employers.html", form=form, employers=rows, can_write=_can_write()
    )


@bp.route("/employers/new", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def new_employer():
    return _edit(EmployerForm(), Employer(), "employer.create", _("The employer was added."),
                 "returnees.employers", _("New employer"))


@bp.route("/employers/<int:employer_id>/edit", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def edit_employer(employer_id):
    row = _one(Employer, employer_id)
    return _edit(EmployerForm(obj=row), row, "employer.update", _("The employer was saved."),
                 "returnees.employers", _("Edit employer"))


# --- Outreach ------------------------------------------------------------------------------------


@bp.route("/outreach")
@requires(Permission.DOSSIER_READ)
def outreach():
    form = YearFilterForm(formdata=request.args)
    year = valid_filters(form)["year"]
    page = _page(_year_range(select(OutreachActivity), OutreachActivity.on, year)
                 .order_by(OutreachActivity.on.desc(), OutreachActivity.id.desc()))
    totals = _year_range(
        select(func.count(), func.coalesce(func.sum(OutreachActivity.participants), 0)),
        OutreachActivity.on, year,
    ).select_from(OutreachActivity)
    sessions, participants = db.session.execute(totals).one()
    return render_template(
        "returnees/community/outreach.html", form=form, page=page, sessions=sessions,
        participants=participants, form_labels=OUTREACH_FORM_LABELS, can_write=_can_write(),
    )


@bp.route("/outreach/new", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def new_outreach():
    return _edit(OutreachForm(), OutreachActivity(), "outreach.create", _("The outreach session was recorded."),
                 "returnees.outreach", _("New outreach session"))


@bp.route("/outreach/<int:activity_id>/edit", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def edit_outreach(activity_id):
    row = _one(OutreachActivity, activity_id)
    return _edit(OutreachForm(obj=row), row, "outreach.update", _("The outreach session was saved."),
                 "returnees.outreach", _("Edit outreach session"))


# --- Commendations -------------------------------------------------------------------------------


@bp.route("/commendations")
@requires(Permission.DOSSIER_READ)
def commendations():
    form = YearFilterForm(formdata=request.args)
    year = valid_filters(form)["year"]
    page = _page(_year_range(select(Commendation), Commendation.on, year)
                 .order_by(Commendation.on.desc(), Commendation.id.desc()))
    audit.record("commendation.list", object_type="commendations")
    return render_template(
        "returnees/community/commendations.html", form=form, page=page,
        target_labels=COMMENDATION_TARGET_LABELS, can_write=_can_write(),
    )


@bp.route("/commendations/new", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def new_commendation():
    return _edit(CommendationForm(), Commendation(), "commendation.create", _("The commendation was recorded."),
                 "returnees.commendations", _("New commendation"))


@bp.route("/commendations/<int:commendation_id>/edit", methods=["GET", "POST"])
@requires(Permission.DOSSIER_WRITE)
def edit_commendation(commendation_id):
    row = _one(Commendation, commendation_id)
    return _edit(CommendationForm(obj=row), row, "commendation.update", _("The commendation was saved."),
                 "returnees.commendations", _("Edit commendation"))
