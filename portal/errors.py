"""Error pages: JSON under /api/ (DESIGN.md §11), a translated page elsewhere."""

from flask import current_app, jsonify, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.guard import is_api_request, log_refusal

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
}


def messages():
    return {
        400: gettext("The request could not be understood."),
        401: gettext("Please sign in."),
        403: gettext("You do not have permission to do this."),
        404: gettext("Not found."),
        405: gettext("This method is not allowed here."),
        409: gettext("This conflicts with the current state."),
        413: gettext("The file is too large."),
        422: gettext("Some fields are not valid."),
        429: gettext("Too many attempts. Please wait and try again."),
        500: gettext("Something went wrong on our side and nothing was saved. Please try again."),
    }


def api_error(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    text = message or messages().get(status, messages()[500])
    body = {"error": code or CODES.get(status, "error"), "message": text, "fields": fields or {}}
    return jsonify(body), status


def _handle_http(exc: HTTPException):
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        status = 400
        log_refusal("form token refused", status)
    if is_api_request():
        return api_error(status)
    message = messages().get(status, exc.description)
    if isinstance(exc, CSRFError):
        message = gettext("The form expired. Please reload the page and try again.")
    return render_template("error.html", status=status, message=message), status


def _handle_unexpected(exc: Exception):
    current_app.logger.exception("unhandled error")
    db.session.rollback()
    if is_api_request():
        return api_error(500, code="internal_error")
    return render_template("error.html", status=500, message=messages()[500]), 500


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
