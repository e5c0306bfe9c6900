"""Hardening a deployment relies on (ASVS items without a home elsewhere): production cookie and
transport settings, generic error pages, no TRACE, no trust in client-set forwarding headers."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from portal import config
from portal.app import create_app
from portal.audit import AuditEvent
from portal.extensions import db
from portal.permissions import public
from tests.conftest import PASSWORD, app_config
from tests.helpers_returnees import make_returnee


@pytest.fixture
def production_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://portal_app@db/portal")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    return config.from_environment()


def test_production_cookies_are_host_only_secure_httponly_and_samesite(production_settings):
    assert production_settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert production_settings["SESSION_COOKIE_SECURE"] and production_settings["SESSION_COOKIE_HTTPONLY"]
    assert production_settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production_settings["REMEMBER_COOKIE_DURATION"].total_seconds() == 0  # no remember-me


def test_the_session_cookie_is_set_as_configured(_migrated, tmp_path, make_user, app):
    secure = create_app(app_config(
        _migrated, tmp_path, SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-portal",
    ))
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    with app.app_context():
        from portal.accounts import User

        username = db.session.get(User, user_id).username
    response = secure.test_client().post(
        "/login", data={"username": username, "password": PASSWORD}, base_url="https://localhost"
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-portal=") and "Domain" not in cookie and "Path=/" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    hsts = response.headers["Strict-Transport-Security"]
    assert "includeSubDomains" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 365 * 24 * 3600


def test_pages_declare_their_charset_and_are_not_cached(app, login):
    client = login("commune_police", "dac_khu_cat_hai")
    for url, content_type in (
        ("/login", "text/html; charset=utf-8"),
        ("/t/dac_khu_cat_hai/", "text/html; charset=utf-8"),
        ("/api/v1/openapi.json", "application/json"),  # UTF-8 by definition (RFC 8259): no charset
    ):
        response = client.get(url)
        assert response.headers["Content-Type"] == content_type, url
        assert response.headers["Cache-Control"] == "no-store", url
        assert "object-src 'none'" in response.headers["Content-Security-Policy"], url


def test_trace_is_not_served(app):
    assert app.test_client().open("/login", method="TRACE").status_code == 405


def test_a_client_cannot_choose_its_own_address(app, make_user):
    """Without TRUSTED_PROXIES the address is the peer's: a forged X-Forwarded-For is ignored, so it
    can neither dodge the per-address sign-in limit nor falsify the audit log."""
    client = app.test_client()
    client.post(
        "/login", data={"username": "nobody-here", "password": "wrong"},
        headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"},
    )
    with app.app_context():
        ip = db.session.scalar(
            select(AuditEvent.ip).where(AuditEvent.action == "login.failure").order_by(AuditEvent.id.desc())
        )
    assert ip == "127.0.0.1"


def test_a_refused_sign_in_keeps_the_account_it_aimed_at_but_never_unknown_typed_text(app, make_user):
    """A password typed into the username field must not end up in the audit log."""
    make_user("commune_police", "dac_khu_cat_hai", username="cathai.guard")
    client = app.test_client()
    for username in ("cathai.guard", "Tr0ub4dor&3-typed-here"):
        assert client.post("/login", data={"username": username, "password": "wrong"}).status_code == 401
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.object_id, AuditEvent.reason)
                                  .where(AuditEvent.action == "login.failure").order_by(AuditEvent.id)).all()
        kept = " ".join(str(value) for row in db.session.execute(select(AuditEvent)).scalars()
                        for value in vars(row).values())
    assert [tuple(r) for r in rows] == [("cathai.guard", None), (None, "unknown_account")]
    assert "tr0ub4dor" not in kept.lower()


def test_refused_input_and_refused_form_tokens_are_logged_without_what_was_typed(_migrated, tmp_path, app,
                                                                                 login, caplog):
    police = login("commune_police", "dac_khu_cat_hai")
    strict = create_app(app_config(_migrated, tmp_path, WTF_CSRF_ENABLED=True))
    with caplog.at_level("WARNING", logger=app.logger.name):
        typed = {"full_name": "Nguyễn Văn Bí Mật", "national_id": "0310-not-a-number"}
        assert police.post("/t/dac_khu_cat_hai/returnees/new", data=typed).status_code == 422
        forged = strict.test_client().post("/login", data={"username": "someone", "password": "pw-typed"})
        assert forged.status_code == 400
    logged = [r.getMessage() for r in caplog.records]
    refused = [m for m in logged if m.startswith(("input refused", "form token refused"))]
    assert len(refused) == 2, logged
    assert refused[0].startswith(f"input refused status=422 user={police.user_id} endpoint=returnees.new")
    assert refused[1].startswith("form token refused status=400 user=None endpoint=auth.login")
    text = " ".join(logged)
    assert "Bí Mật" not in text and "not-a-number" not in text and "pw-typed" not in text and "someone" not in text


def test_an_unexpected_error_shows_a_generic_page_and_leaks_nothing(_migrated, tmp_path):
    live = create_app(app_config(_migrated, tmp_path, TESTING=False))

    @live.route("/explode")
    @public
    def explode():
        raise RuntimeError("secret detail: connection string postgresql://user:pw@db")

    @live.route("/api/v1/explode")
    @public
    def api_explode():
        raise RuntimeError("secret detail")

    page = live.test_client().get("/explode")
    body = page.get_data(as_text=True)
    assert page.status_code == 500 and "secret detail" not in body and "Traceback" not in body
    assert "chưa có gì được lưu" in body
    api = live.test_client().get("/api/v1/explode")
    assert api.status_code == 500 and api.get_json()["error"] == "internal_error"
    assert "secret" not in api.get_data(as_text=True)


def test_debug_is_off(app):
    assert app.debug is False and app.config.get("DEBUG") is False


def test_a_forged_request_id_is_replaced(app, login):
    """The request id lands in the logs and the audit log: only a well-formed one (the proxy's) is kept."""
    client = login("commune_police", "dac_khu_cat_hai")
    client.get("/t/dac_khu_cat_hai/returnees", headers={"X-Request-Id": "forged id; user=admin' OR 1=1 --"})
    client.get("/t/dac_khu_cat_hai/returnees", headers={"X-Request-Id": "0f3c9a6e2b7d4c1a9e8f7a6b5c4d3e2f"})
    with app.app_context():
        ids = db.session.scalars(
            select(AuditEvent.request_id).where(AuditEvent.user_id == client.user_id).order_by(AuditEvent.id)
        ).all()
    assert ids[-1] == "0f3c9a6e2b7d4c1a9e8f7a6b5c4d3e2f"
    assert all("forged" not in (i or "") for i in ids)


def test_referrer_policy_and_password_fields(app):
    page = app.test_client().get("/login")
    assert page.headers["Referrer-Policy"] == "same-origin"
    html = page.get_data(as_text=True)
    password = re.search(r'<input[^>]*name="password"[^>]*>', html).group(0)
    assert 'type="password"' in password and 'autocomplete="current-password"' in password
    assert "onpaste" not in html  # pasting and password managers are allowed


def test_markup_typed_by_a_user_is_shown_as_text(app, login):
    returnee_id = make_returnee(app, full_name="<script>alert(1)</script> Nguyễn Văn Bình")
    client = login("commune_police", "dac_khu_cat_hai")
    for url in ("/t/dac_khu_cat_hai/returnees", f"/t/dac_khu_cat_hai/returnees/{returnee_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_an_unexpected_error_is_logged(_migrated, tmp_path, caplog):
    live = create_app(app_config(_migrated, tmp_path, TESTING=False))

    @live.route("/explode-quietly")
    @public
    def explode_quietly():
        raise RuntimeError("boom")

    with caplog.at_level("ERROR"):
        assert live.test_client().get("/explode-quietly").status_code == 500
    assert any(r.getMessage() == "unhandled error" and r.exc_info for r in caplog.records)


@pytest.mark.postgres
def test_the_database_clock_writes_utc_whatever_the_servers_time_zone(_migrated, tmp_path):
    """Server-side timestamps (the audit log's `at` among them) are naive UTC: the app pins its own
    connections to UTC, so a database set to Hải Phòng time changes nothing."""
    owner = create_engine(_migrated["owner"], isolation_level="AUTOCOMMIT", poolclass=NullPool)  # new sessions
    name = make_url(_migrated["owner"]).database
    with owner.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Ho_Chi_Minh'")
    try:
        with owner.connect() as conn:  # the setting is real for any other client
            assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "Asia/Ho_Chi_Minh"
        live = create_app(app_config(_migrated, tmp_path))
        with live.app_context():
            assert db.session.execute(text("SHOW TimeZone")).scalar() == "UTC"
            event = AuditEvent(action="test.clock")
            db.session.add(event)
            db.session.commit()
            written = db.session.scalar(select(AuditEvent.at).where(AuditEvent.id == event.id))
            db.engine.dispose()
        assert abs((written - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) < 120
    finally:
        with owner.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET timezone')
        owner.dispose()
