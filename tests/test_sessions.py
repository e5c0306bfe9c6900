"""Server-side sessions: each signed-in browser is a row the user can see and end; "sign out
everywhere"; a copied cookie dies with its row; the account page keeps the e-mail address."""

from sqlalchemy import select

from portal.accounts import User, UserSession
from portal.audit import AuditEvent
from portal.extensions import db
from tests.conftest import PASSWORD

CAT_HAI = "dac_khu_cat_hai"
HOME = f"/t/{CAT_HAI}/"


def _browser(app, username, agent):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _username(app, user_id):
    with app.app_context():
        return db.session.scalar(select(User.username).where(User.id == user_id))


def _rows(app, user_id):
    with app.app_context():
        return db.session.scalars(
            select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)
        ).all()


def test_each_browser_is_listed_and_one_can_end_another(app, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    name = _username(app, user_id)
    laptop = _browser(app, name, "Laptop Firefox")
    phone = _browser(app, name, "Phone Chrome")

    rows = _rows(app, user_id)
    assert [r.user_agent for r in rows] == ["Laptop Firefox", "Phone Chrome"]
    assert all(r.address == "127.0.0.1" and len(r.secret_hash) == 64 for r in rows)

    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Laptop Firefox" in page and "Phone Chrome" in page
    assert page.count("Phiên này") == 1  # "This session" marks the laptop's own row only

    # Ending a session asks for the password again.
    refused = laptop.post(f"/account/sessions/{rows[1].id}/end", data={"password": "wrong password"})
    assert refused.status_code == 422 and phone.get(HOME).status_code == 200
    ended = laptop.post(f"/account/sessions/{rows[1].id}/end", data={"password": PASSWORD})
    assert ended.status_code == 302 and ended.headers["Location"].endswith("/account/sessions")
    assert phone.get(HOME).status_code == 302  # the phone is signed out at once
    assert laptop.get(HOME).status_code == 200
    assert "Phone Chrome" not in laptop.get("/account/sessions").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user_id)).all()
    assert "session.end" in actions


def test_sign_out_everywhere_ends_every_session(app, make_user):
    user_id = make_user("commune_leader", CAT_HAI)
    name = _username(app, user_id)
    first, second = _browser(app, name, "A"), _browser(app, name, "B")
    assert first.post("/account/sessions/end-all").status_code == 422  # no password: nothing ends
    assert second.get(HOME).status_code == 200
    response = first.post("/account/sessions/end-all", data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert first.get(HOME).status_code == 302 and second.get(HOME).status_code == 302
    assert all(r.ended_at is not None for r in _rows(app, user_id))


def test_nobody_can_end_or_see_another_users_session(app, make_user):
    victim_id, other_id = make_user("commune_police", CAT_HAI), make_user("commune_police", CAT_HAI)
    victim = _browser(app, _username(app, victim_id), "Victim")
    other = _browser(app, _username(app, other_id), "Other")
    victim_row = _rows(app, victim_id)[0]
    assert other.post(f"/account/sessions/{victim_row.id}/end", data={"password": PASSWORD}).status_code == 404
    assert "Victim" not in other.get("/account/sessions").get_data(as_text=True)
    assert victim.get(HOME).status_code == 200


def test_a_copied_cookie_is_useless_after_sign_out(app, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    client = _browser(app, _username(app, user_id), "Browser")
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    stolen = client.get_cookie(cookie_name).value
    assert client.post("/logout").status_code == 302

    thief = app.test_client()
    thief.environ_base["HTTP_USER_AGENT"] = "Browser"
    thief.set_cookie(cookie_name, stolen)
    assert thief.get(HOME).status_code == 302


def test_the_session_secret_is_not_stored_in_clear(app, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    client = _browser(app, _username(app, user_id), "Browser")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    secret = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    (row,) = _rows(app, user_id)
    assert secret not in row.secret_hash and len(secret) >= 40


def test_the_account_page_saves_an_email_address_and_keeps_bad_input(app, login):
    client = login("commune_police", CAT_HAI)
    bad = client.post("/account", data={"email": "not an address", "password": PASSWORD})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "not an address" in page and "Không phải địa chỉ thư điện tử" in page
    # The password is asked again: an open session alone cannot redirect the account's mail.
    unconfirmed = client.post("/account", data={"email": "ke.gian@example.com", "password": "wrong password"})
    assert unconfirmed.status_code == 422 and "ke.gian@example.com" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, client.user_id).email is None
    good = client.post("/account", data={"email": " can.bo@haiphong.gov.vn ", "password": PASSWORD})
    assert good.status_code == 302
    with app.app_context():
        assert db.session.get(User, client.user_id).email == "can.bo@haiphong.gov.vn"
    cleared = client.post("/account", data={"email": "", "password": PASSWORD})
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.get(User, client.user_id).email is None


def test_the_account_pages_need_a_signed_in_user(app):
    anonymous = app.test_client()
    for url in ("/account", "/account/sessions"):
        assert anonymous.get(url).status_code == 302
    assert anonymous.post("/account/sessions/end-all").status_code == 302


def test_an_administrator_ends_every_session_of_an_account(app, make_user, login):
    user_id = make_user("commune_police", CAT_HAI)
    name = _username(app, user_id)
    laptop, phone = _browser(app, name, "Laptop"), _browser(app, name, "Phone")
    admin = login("system_admin")
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "Các phiên đăng nhập" in page
    assert admin.post(f"/admin/users/{user_id}/end-sessions").status_code == 302
    assert laptop.get(HOME).status_code == 302 and phone.get(HOME).status_code == 302
    # Only administrators may do it.
    police = login("commune_police", CAT_HAI)
    assert police.post(f"/admin/users/{user_id}/end-sessions").status_code == 403


def test_the_operator_can_sign_everyone_out(app, make_user):
    first, second = make_user("commune_police", CAT_HAI), make_user("city_police")
    a, b = _browser(app, _username(app, first), "A"), _browser(app, _username(app, second), "B")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "end-sessions"]).exit_code != 0  # neither a name nor --all
    result = runner.invoke(args=["users", "end-sessions", "--all"])
    assert result.exit_code == 0, result.output
    assert a.get(HOME).status_code == 302 and b.get("/city/").status_code == 302


def test_a_refused_request_is_logged_without_personal_data(app, login, caplog):
    other_unit = login("commune_police", "xa_an_khanh")
    front = login("mttq_member", CAT_HAI)
    with caplog.at_level("WARNING", logger=app.logger.name):
        assert other_unit.get(HOME).status_code == 404
        assert front.post(f"/t/{CAT_HAI}/returnees/new", data={}).status_code == 403
    denied = [r.getMessage() for r in caplog.records if r.getMessage().startswith("access denied")]
    assert len(denied) == 2
    assert f"status=404 user={other_unit.user_id}" in denied[0] and "status=403" in denied[1]
