"""The breach register: what happened, when it was detected, which units and how many people, what
was done, and the notification the Ministry of Public Security (A05) must receive no later than 72
hours after detection (Decree 13/2023/NĐ-CP art. 23; Law 91/2025/QH15 art. 23).

System administrators only. A record belongs to no unit (it names units), so nothing here is
tenant-scoped. Every change is audited with identifiers only: the record's id and the names of the
fields that changed, never their content (a title may name a person).
"""

from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from blueprints.admin import queries
from blueprints.admin.blueprint import bp
from blueprints.admin.breach_forms import BreachForm, NotifyForm, VersionForm
from blueprints.admin.forms import PER_PAGE
from blueprints.admin.models import NOTIFY_WITHIN, BreachRecord
from portal import audit
from portal.accounts import User
from portal.auth.sessions import utcnow
from portal.extensions import db
from portal.i18n import format_moment
from portal.permissions import Permission, requires

HOUR = 3600


@dataclass(frozen=True)
class Deadline:
    state: str  # due, overdue, notified, late or closed: the template's class names
    text: str


def deadline(record: BreachRecord, now: datetime) -> Deadline:
    """Where the record stands against the 72 hours. A record closed without notification was judged
    not to need one (only a breach that may cause harm must be notified); that is shown, not hidden."""
    if record.notified_at is not None:
        when = format_moment(record.notified_at)
        if record.notified_at > record.notify_by:
            return Deadline("late", _("Notified on %(when)s, after the deadline", when=when))
        return Deadline("notified", _("Notified on %(when)s", when=when))
    if record.closed_at is not None:
        return Deadline("closed", _("Closed without notification"))
    if now > record.notify_by:
        return Deadline("overdue", _("OVERDUE — not notified"))
    hours = int((record.notify_by - now).total_seconds() // HOUR)
    if hours < 1:
        return Deadline("due", _("Due in less than an hour"))
    return Deadline("due", ngettext("Due in %(num)d hour", "Due in %(num)d hours", hours))


def _record_or_404(breach_id: int) -> BreachRecord:
    return db.session.get(BreachRecord, breach_id) or abort(404)


def _render(template: str, status: int = 200, **context):
    now = utcnow()
    page = render_template(template, deadline=lambda r: deadline(r, now),
                           hours=int(NOTIFY_WITHIN.total_seconds() // HOUR), **context)
    return page, status


def _stale(form: VersionForm, record: BreachRecord) -> bool:
    """The form was filled from an older version of the record than the saved one."""
    return str(form.version.data or "") != str(record.version)


def _stale_message() -> str:
    return _("Someone else saved this record while you were working on it. Nothing of yours was saved; your "
             "entries are kept below. Check the record as it is now: saving again will apply your entries.")


def _closed_message() -> str:
    return _("This record is closed: reopen it to change it. Nothing was saved.")


def _changed_meanwhile() -> str:
    return _("Someone else changed this record meanwhile, so nothing was done. Check it as it is now, then try again.")


# --- The list and a new record ---------------------------------------------------------------------


@bp.route("/breaches")
@requires(Permission.ADMIN)
def breaches():
    """Newest detection first, 50 a page, each with its units: two queries whatever the count."""
    number = queries.page_number()
    query = select(BreachRecord).order_by(BreachRecord.detected_at.desc(), BreachRecord.id.desc())
    rows = db.session.scalars(query.limit(PER_PAGE + 1).offset((number - 1) * PER_PAGE)).all()
    return _render("admin/breaches/list.html", page=queries.Page(rows[:PER_PAGE], number, len(rows) > PER_PAGE))


@bp.route("/breaches/new", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def new_breach():
    form = BreachForm()
    form.offer_units(queries.all_units())
    if not form.validate_on_submit():
        return _render("admin/breaches/new.html", 422 if form.is_submitted() else 200, form=form)
    record = BreachRecord(created_by_id=current_user.id, **form.record_data())
    record.units = form.chosen_units()
    db.session.add(record)
    db.session.flush()
    audit.record("breach.create", record)
    db.session.commit()
    flash(_("The breach was recorded. The authority must be notified by %(when)s.",
            when=format_moment(record.notify_by)), "info")
    return redirect(url_for("admin.breach", breach_id=record.id), code=303)


# --- One record: the page, its edit form, notification, closing -------------------------------------


def _detail(record: BreachRecord, form=None, notify=None, *, conflict=None, status=200, keep_form=False):
    """The record's page; `form` and `notify` are the posted forms when they are shown again."""
    if form is None:
        form = BreachForm.of(record)
        form.offer_units(queries.all_units())
    notify = notify or NotifyForm(formdata=None, version=record.version, detected_at=record.detected_at)
    author = db.session.get(User, record.created_by_id) if record.created_by_id else None
    return _render("admin/breaches/detail.html", status, record=record, form=form, notify=notify,
                   author=author, conflict=conflict, show_form=keep_form or record.closed_at is None)


def _conflict(record: BreachRecord, **forms):
    # The forms now carry the saved version: submitting one again is a deliberate overwrite.
    for form in forms.values():
        form.version.data = record.version
    return _detail(record, **forms, conflict=_stale_message(), status=409, keep_form="form" in forms)


@bp.route("/breaches/<int:breach_id>", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def breach(breach_id):
    record = _record_or_404(breach_id)
    if request.method != "POST":
        return _detail(record)
    form = BreachForm()
    form.offer_units(queries.all_units())
    if record.closed_at is not None:
        return _detail(record, form, conflict=_closed_message(), status=409, keep_form=True)
    if not form.validate():
        return _detail(record, form, status=422)
    if _stale(form, record):
        return _conflict(record, form=form)
    try:
        changed = _apply(record, form)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _conflict(_record_or_404(breach_id), form=form)
    flash(_("The record was saved.") if changed else _("Nothing was changed."), "info")
    return redirect(url_for("admin.breach", breach_id=record.id), code=303)


def _apply(record: BreachRecord, form: BreachForm) -> list[str]:
    """Copy the form onto the record; returns the names of the fields that changed."""
    data = form.record_data()
    changed = [name for name, value in data.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, data[name])
    units = form.chosen_units()
    if {t.id for t in units} != {t.id for t in record.units}:
        record.units = units
        changed.append("units")
        # Changing the units alone updates no column of the record, so its version would not move.
        record.updated_at = utcnow()
    if changed:
        db.session.flush()  # raises StaleDataError when someone saved this record meanwhile
        audit.record("breach.edit", record, reason=",".join(changed)[:200])
    return changed


@bp.route("/breaches/<int:breach_id>/notify", methods=["POST"])
@requires(Permission.ADMIN)
def notify_breach(breach_id):
    record = _record_or_404(breach_id)
    notify = NotifyForm(detected_at=record.detected_at)
    if record.closed_at is not None:
        return _detail(record, notify=notify, conflict=_closed_message(), status=409)
    if record.notified_at is not None:
        message = _("The notification is already recorded: correct it in the record's form below if needed.")
        return _detail(record, notify=notify, conflict=message, status=409)
    if not notify.validate():
        return _detail(record, notify=notify, status=422)
    if _stale(notify, record):
        return _conflict(record, notify=notify)
    record.notified_at = notify.notified_at.data
    record.notification_reference = notify.notification_reference.data
    try:
        db.session.flush()
        audit.record("breach.notify", record, reason="late" if record.notified_at > record.notify_by else None)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _conflict(_record_or_404(breach_id), notify=notify)
    flash(_("The notification to the authority was recorded."), "info")
    return redirect(url_for("admin.breach", breach_id=record.id), code=303)


@bp.route("/breaches/<int:breach_id>/close", methods=["POST"])
@requires(Permission.ADMIN)
def close_breach(breach_id):
    return _set_closed(breach_id, closing=True)


@bp.route("/breaches/<int:breach_id>/reopen", methods=["POST"])
@requires(Permission.ADMIN)
def reopen_breach(breach_id):
    return _set_closed(breach_id, closing=False)


def _set_closed(breach_id: int, closing: bool):
    record = _record_or_404(breach_id)
    if (record.closed_at is not None) == closing:  # a second click: already done
        return redirect(url_for("admin.breach", breach_id=record.id), code=303)
    if _stale(VersionForm(), record):
        return _detail(record, conflict=_changed_meanwhile(), status=409)
    record.closed_at = utcnow() if closing else None
    try:
        db.session.flush()
        audit.record("breach.close" if closing else "breach.reopen", record)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _detail(_record_or_404(breach_id), conflict=_changed_meanwhile(), status=409)
    flash(_("The record was closed.") if closing else _("The record was reopened."), "info")
    return redirect(url_for("admin.breach", breach_id=record.id), code=303)
