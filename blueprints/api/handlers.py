"""The API's answers to refused input and conflicting state: JSON errors with field messages
(DESIGN.md §11), and nothing of the refused work kept."""

from flask_babel import gettext
from sqlalchemy.orm.exc import StaleDataError

from blueprints.api import bp
from blueprints.api.returnee_service import Conflict
from blueprints.api.validation import Invalid, Unreadable
from blueprints.returnees.care_services import CareError
from blueprints.returnees.lifecycle import TransitionError
from blueprints.returnees.services import DossierClosedError
from portal.errors import api_error
from portal.extensions import db


@bp.errorhandler(Unreadable)
def unreadable(exc):
    db.session.rollback()
    return api_error(400, str(exc))


@bp.errorhandler(Invalid)
def invalid(exc):
    db.session.rollback()
    return api_error(422, fields=exc.fields)


@bp.errorhandler(TransitionError)
def refused_transition(exc):
    db.session.rollback()
    # Missing facts are field problems (422); a status the dossier cannot take is a conflict (409).
    return api_error(422, str(exc), exc.fields) if exc.fields else api_error(409, str(exc))


@bp.errorhandler(Conflict)
def conflict(exc):
    db.session.rollback()
    return api_error(409, str(exc), exc.fields, code=exc.code)


@bp.errorhandler(DossierClosedError)
def closed(exc):
    db.session.rollback()
    return api_error(409, str(exc), code="closed")


@bp.errorhandler(CareError)
def care_refused(exc):
    db.session.rollback()
    return api_error(exc.status, str(exc), {exc.field: str(exc)} if exc.field else {})


@bp.errorhandler(StaleDataError)
def stale(exc):
    db.session.rollback()
    message = gettext("Someone else changed this dossier meanwhile. Reload it and apply your changes again.")
    return api_error(409, message, code="stale")
