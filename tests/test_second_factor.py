"""The second factor: enrolment with a QR code, sign-in with a one-time code, replay refused,
recovery codes, the lock after wrong codes, the grace period for roles that need it, admin reset."""

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from portal import crypto
from portal.accounts import RecoveryCode, User
from portal.audit import AuditEvent
from portal.auth import totp
from portal.extensions import db
from tests.conftest import PASSWORD

CAT_HAI = "dac_khu_cat_hai"


def _user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _enrol(app, user_id) -> tuple[str, list[str]]:
    """Turn the second factor on directly (the page is tested on its own); a code from a past step
    so the test's own sign-in codes are newer."""
    with app.app_context():
        user = db.session.get(User, user_id)
        secret = pyotp.random_base32()
        codes = totp.enable(user, secret)
        user.totp_last_step = int(time.time() // 30) - 5
        db.session.commit()
    return secret, codes


def _password_step(client, app, user_id):
    return client.post("/login", data={"username": _user(app, user_id).username, "password": PASSWORD})


def test_enrolment_shows_a_qr_code_and_turns_on_with_a_valid_code(app, login):
    client = login("commune_police", CAT_HAI)
    page = client.get("/account/second-factor")
    assert page.status_code == 200 and b"<svg" in page.data
    secret = re.search(rb'class="secret">([A-Z2-7]+)<', page.data).group(1).decode()

    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    pending = app.session_interface.get_signing_serializer(app).loads(cookie)["totp_setup"]
    assert secret not in pending and secret not in cookie

    # The password is asked again: a borrowed open session cannot bind another phone.
    no_password = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert no_password.status_code == 422 and _user(app, client.user_id).totp_enabled_at is None
    wrong = client.post("/account/second-factor", data={"code": "000000", "password": PASSWORD})
    assert wrong.status_code == 422 and _user(app, client.user_id).totp_enabled_at is None

    done = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now(), "password": PASSWORD})
    assert done.status_code == 200
    codes = re.findall(rb"<code>((?:[0-9a-f]{8}-){3}[0-9a-f]{8})</code>", done.data)
    assert len(codes) == totp.RECOVERY_CODES
    user = _user(app, client.user_id)
    assert user.totp_enabled_at is not None
    # The key is stored encrypted: neither the column nor the enrolment cookie holds it in clear.
    assert secret not in user.totp_secret
    with app.app_context():
        assert totp.stored_secret(user) == secret
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(stored) == totp.RECOVERY_CODES
        assert not {c.decode() for c in codes} & set(stored)  # only digests are kept


def test_sign_in_needs_the_code_and_a_used_code_is_refused(app, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    secret, _ = _enrol(app, user_id)
    client = app.test_client()
    response = _password_step(client, app, user_id)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get(f"/t/{CAT_HAI}/").status_code == 302  # not signed in yet

    code = pyotp.TOTP(secret).now()
    signed = client.post("/login/code", data={"code": code})
    assert signed.status_code == 302 and signed.headers["Location"] == f"/t/{CAT_HAI}/"
    assert client.get(f"/t/{CAT_HAI}/").status_code == 200

    other = app.test_client()
    _password_step(other, app, user_id)
    replay = other.post("/login/code", data={"code": code})
    assert replay.status_code == 401
    assert other.get(f"/t/{CAT_HAI}/").status_code == 302


def test_a_recovery_code_works_once(app, make_user):
    user_id = make_user("city_police")
    _, codes = _enrol(app, user_id)
    first = app.test_client()
    _password_step(first, app, user_id)
    assert first.post("/login/code", data={"code": codes[0].upper()}).status_code == 302
    again = app.test_client()
    _password_step(again, app, user_id)
    assert again.post("/login/code", data={"code": codes[0]}).status_code == 401
    with app.app_context():
        reasons = db.session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "login.success")).all()
        assert reasons == ["recovery_code"]


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, make_user):
    user_id = make_user("commune_leader", CAT_HAI)
    secret, _ = _enrol(app, user_id)
    client = app.test_client()
    _password_step(client, app, user_id)
    answers = [client.post("/login/code", data={"code": "123456"}).status_code for _ in range(5)]
    assert answers == [401] * 5
    locked = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert locked.status_code == 429


def test_the_half_signed_in_state_expires(app, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    secret, _ = _enrol(app, user_id)
    client = app.test_client()
    _password_step(client, app, user_id)
    with client.session_transaction() as session:
        session["pending_since"] -= 301
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_after_the_grace_period_police_must_enrol_before_anything_else(app, login):
    client = login("commune_police", CAT_HAI)
    assert client.get(f"/t/{CAT_HAI}/").status_code == 200  # a new account is in its grace period
    with app.app_context():
        user = db.session.get(User, client.user_id)
        user.created_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=app.config["TOTP_GRACE_DAYS"] + 1)
        db.session.commit()
    blocked = client.get(f"/t/{CAT_HAI}/")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/account/second-factor"
    assert client.get("/account/second-factor").status_code == 200
    assert client.post("/logout").status_code == 302


def test_the_front_member_is_not_forced(app, login):
    client = login("mttq_member", CAT_HAI)
    with app.app_context():
        user = db.session.get(User, client.user_id)
        user.created_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=365)
        db.session.commit()
    assert client.get(f"/t/{CAT_HAI}/").status_code == 200


def test_an_admin_resets_a_lost_second_factor(app, login, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    _enrol(app, user_id)
    holder = app.test_client()
    _password_step(holder, app, user_id)
    admin = login("system_admin")
    assert admin.post(f"/admin/users/{user_id}/reset-second-factor").status_code == 302
    user = _user(app, user_id)
    assert user.totp_secret is None and user.totp_enabled_at is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "totp.reset")) == 1
    # The half-finished sign-in started before the reset is void: the session token changed.
    assert holder.post("/login/code", data={"code": "123456"}).headers["Location"] == "/login"
    fresh = app.test_client()
    assert _password_step(fresh, app, user_id).headers["Location"] == f"/t/{CAT_HAI}/"


def test_other_roles_cannot_reset_a_second_factor(app, login, make_user):
    user_id = make_user("commune_police", CAT_HAI)
    _enrol(app, user_id)
    for role, unit in (("commune_police", CAT_HAI), ("city_police", None)):
        assert login(role, unit).post(f"/admin/users/{user_id}/reset-second-factor").status_code == 403
    assert _user(app, user_id).totp_enabled_at is not None


def test_encryption_keys_rotate_without_losing_enrolments(app, login):
    """A new key goes first, `users reencrypt` moves every key onto it, the old key can then go."""
    from cryptography.fernet import Fernet

    client = login("commune_police", CAT_HAI)
    old, new = Fernet.generate_key(), Fernet.generate_key()

    def use_keys(*keys):
        app.config["DATA_ENCRYPTION_KEYS"] = list(keys)
        app.extensions.pop("portal_fernet", None)

    try:
        use_keys(old)
        secret, _ = _enrol(app, client.user_id)
        use_keys(new, old)
        result = app.test_cli_runner().invoke(args=["users", "reencrypt"])
        assert result.exit_code == 0 and "re-encrypted" in result.output
        use_keys(new)
        with app.app_context():
            assert totp.stored_secret(db.session.get(User, client.user_id)) == secret
        use_keys(old)
        with app.app_context(), pytest.raises(crypto.InvalidToken):
            totp.stored_secret(db.session.get(User, client.user_id))
    finally:
        use_keys()
