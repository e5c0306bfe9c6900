"""Probes: /healthz (the process answers) and /readyz (database, Redis and storage reachable)."""

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.permissions import public
from workers.queues import redis_client
from workers.storage import StorageError, storage

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    if current_app.config["REDIS_URL"]:
        try:
            redis_client().ping()
            checks["redis"] = "ok"
        except redis.RedisError:
            checks["redis"] = "unreachable"
    else:
        checks["redis"] = "not used"
    try:
        storage().check()
        checks["storage"] = "ok"
    except StorageError:
        checks["storage"] = "unreachable"
    ready = all(v in ("ok", "not used") for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
