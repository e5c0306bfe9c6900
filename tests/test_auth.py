"""Sign-in, throttling and lock-out, sessions that end everywhere at once, safe redirects."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import User, UserSession
from portal.app import create_app
from portal.audit import AuditEvent
from portal.extensions import db
from tests.conftest import PASSWORD, app_config, sign_in


def _username(app, user_id):
    with app.app_context():
        name = db.session.scalar(select(User.username).where(User.id == user_id))
        db.session.remove()
        return name


def _post_login(client, username, password, **query):
    return client.post("/login", data={"username": username, "password": password}, query_string=query)


def test_police_officer_signs_in_and_lands_on_their_unit(app, make_user):
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    client = app.test_client()
    response = _post_login(client, _username(app, user_id), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/t/dac_khu_cat_hai/"
    assert client.get("/t/dac_khu_cat_hai/").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "login.success")) == 1


@pytest.mark.parametrize(("role", "landing"), [("city_police", "/city/"), ("system_admin", "/admin/")])
def test_city_roles_land_on_city_pages(app, make_user, role, landing):
    client = app.test_client()
    response = _post_login(client, _username(app, make_user(role)), PASSWORD)
    assert response.headers["Location"] == landing


def test_several_memberships_pick_a_unit(app, make_user, login):
    client = login("commune_police", "dac_khu_cat_hai")
    with app.app_context():
        from portal.accounts import Membership
        from tests.conftest import tenant

        db.session.add(Membership(user_id=client.user_id, tenant_id=tenant("xa_an_khanh").id, role="mttq_member"))
        db.session.commit()
    page = client.get("/units")
    assert b"/t/dac_khu_cat_hai/" in page.data and b"/t/xa_an_khanh/" in page.data
    assert client.get("/t/xa_an_khanh/").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(app, make_user):
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    client = app.test_client()
    wrong = _post_login(client, username, "not the password")
    unknown = _post_login(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.data.count(b'role="alert"') == 1
    assert b"/t/" not in wrong.data


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, make_user):
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(client, username, "guess").status_code == 401
    locked = _post_login(client, username, PASSWORD)
    assert locked.status_code == 429
    assert "session" not in locked.headers.get("Set-Cookie", "") or b"/t/" not in locked.data
    assert app.test_client().get("/t/dac_khu_cat_hai/").status_code == 302


def test_a_success_resets_the_failure_count(app, make_user):
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _post_login(client, username, "guess")
    assert _post_login(client, username, PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _post_login(client, username, "guess")
    assert _post_login(client, username, PASSWORD).status_code == 302


def test_one_address_cannot_try_many_accounts(app, make_user):
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    client = app.test_client()
    for i in range(app.config["LOGIN_ADDRESS_LIMIT"]):
        _post_login(client, f"someone-{i}", "guess")
    assert _post_login(client, username, PASSWORD).status_code == 429


@pytest.mark.redis
def test_failure_counters_are_shared_by_every_worker(app, make_user, _migrated, tmp_path):
    """Two app instances (two gunicorn workers) see the same counters through Redis."""
    other = create_app(app_config(_migrated, tmp_path))
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _post_login(app.test_client(), username, "guess")
    assert _post_login(other.test_client(), username, PASSWORD).status_code == 429


def test_sign_in_keeps_working_when_redis_is_down(_migrated, tmp_path, make_user, app):
    broken = create_app(app_config(_migrated, tmp_path, REDIS_URL="redis://127.0.0.1:1/0"))
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    client = broken.test_client()
    assert _post_login(client, username, "guess").status_code == 401
    assert _post_login(client, username, PASSWORD).status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_next_never_leaves_the_site(app, make_user, target):
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    response = _post_login(app.test_client(), username, PASSWORD, next=target)
    assert response.headers["Location"] == "/t/dac_khu_cat_hai/"


def test_next_returns_to_the_page_asked_for(app, make_user):
    client = app.test_client()
    first = client.get("/t/dac_khu_cat_hai/files")
    assert first.status_code == 302 and "next=" in first.headers["Location"]
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    response = _post_login(client, username, PASSWORD, next="/t/dac_khu_cat_hai/files")
    assert response.headers["Location"] == "/t/dac_khu_cat_hai/files"


def test_sign_out_ends_every_session_of_the_user(app, make_user):
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    phone, desk = app.test_client(), app.test_client()
    sign_in(phone, app, user_id)
    sign_in(desk, app, user_id)
    assert desk.get("/t/dac_khu_cat_hai/").status_code == 200
    phone.post("/logout")
    assert desk.get("/t/dac_khu_cat_hai/").status_code == 302
    assert phone.get("/t/dac_khu_cat_hai/").status_code == 302


def test_password_change_ends_sessions_and_the_new_password_works(app, make_user):
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    username = _username(app, user_id)
    desk, other = app.test_client(), app.test_client()
    sign_in(desk, app, user_id)
    sign_in(other, app, user_id)
    new = "a much longer new password"
    bad = desk.post("/account/password", data={"current": "wrong", "new": new, "confirm": new})
    assert bad.status_code == 200 and b"error" in bad.data
    response = desk.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert other.get("/t/dac_khu_cat_hai/").status_code == 302
    assert _post_login(app.test_client(), username, PASSWORD).status_code == 401
    assert _post_login(app.test_client(), username, new).status_code == 302


def test_short_new_password_is_refused_next_to_the_field(app, login):
    client = login("commune_police", "dac_khu_cat_hai")
    response = client.post("/account/password", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.data


def test_a_deactivated_account_loses_its_session_at_once(app, login):
    client = login("commune_police", "dac_khu_cat_hai")
    with app.app_context():
        db.session.get(User, client.user_id).active = False
        db.session.commit()
    assert client.get("/t/dac_khu_cat_hai/").status_code == 302


def _age_session(app, client, **ago):
    """Move the client's session row back in time (the server decides when a session dies)."""
    with app.app_context():
        row = db.session.get(UserSession, client.session_id)
        for column, delta in ago.items():
            setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


def test_an_idle_session_expires(app, login):
    client = login("commune_police", "dac_khu_cat_hai")
    idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    _age_session(app, client, last_seen_at=idle - timedelta(seconds=90))
    assert client.get("/t/dac_khu_cat_hai/").status_code == 200  # seen again: the clock restarts
    _age_session(app, client, last_seen_at=idle - timedelta(seconds=90))
    assert client.get("/t/dac_khu_cat_hai/").status_code == 200
    _age_session(app, client, last_seen_at=idle + timedelta(seconds=5))
    assert client.get("/t/dac_khu_cat_hai/").status_code == 302


def test_a_session_has_an_absolute_lifetime(app, login):
    client = login("commune_police", "dac_khu_cat_hai")
    _age_session(app, client, created_at=timedelta(hours=12, seconds=5))
    assert client.get("/t/dac_khu_cat_hai/").status_code == 302


def test_forms_need_the_csrf_token(_migrated, tmp_path, make_user, app):
    strict = create_app(app_config(_migrated, tmp_path, WTF_CSRF_ENABLED=True))
    username = _username(app, make_user("commune_police", "dac_khu_cat_hai"))
    response = _post_login(strict.test_client(), username, PASSWORD)
    assert response.status_code == 400


def test_pages_carry_security_headers(app):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert b"<script" not in response.data


def test_roles_without_a_unit_cannot_open_unit_pages(login):
    assert login("city_police").get("/t/dac_khu_cat_hai/").status_code == 404
    assert login("system_admin").get("/t/dac_khu_cat_hai/").status_code == 404


def test_unit_roles_cannot_open_city_or_admin_pages(login):
    for role in ("commune_police", "commune_leader", "mttq_member"):
        client = login(role, "dac_khu_cat_hai")
        assert client.get("/city/").status_code == 403
        assert client.get("/admin/").status_code == 403
    assert login("city_police").get("/admin/").status_code == 403
    assert login("system_admin").get("/city/").status_code == 200
