"""The application factory."""

import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as config_module
from portal.extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=None)
    app.config.update(config_module.from_environment())
    app.config.update(overrides or {})
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    _ensure_secret(app)
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _bind_extensions(app)
    _register(app)
    return app


def _ensure_secret(app: Flask) -> None:
    """Production sets SECRET_KEY; the demo keeps a random one in its instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not app.testing:
        raise RuntimeError("SECRET_KEY must be set when running on PostgreSQL")
    path = Path(app.config["INSTANCE_DIR"]) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()


def _bind_extensions(app: Flask) -> None:
    from portal import i18n
    from tenants import scoping

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    scoping.install()


def _register(app: Flask) -> None:
    # Models must be imported before anything maps or migrates.
    import portal.models  # noqa: F401
    from blueprints import register_blueprints
    from portal import cli, errors, guard, i18n, security
    from portal.auth import sessions
    from tenants import resolve

    resolve.init_app(app)
    guard.init_app(app)
    sessions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
