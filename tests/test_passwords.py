"""What a new password may be: long enough, any characters, not leaked, not built from the portal's
or the user's own words; used exactly as typed; an administrator's password works once."""

import re

import pytest
from sqlalchemy import select

from portal.accounts import User
from portal.extensions import db
from tests.conftest import PASSWORD

CAT_HAI = "dac_khu_cat_hai"


def _change(client, new, current=PASSWORD):
    return client.post("/account/password", data={"current": current, "new": new, "confirm": new})


@pytest.mark.parametrize(
    ("new", "says"),
    [
        ("short pw", "12"),  # too short
        ("qwerty123456", "rò rỉ"),  # in the breached-password list
        ("congancathai2026", "tên của bạn"),  # the portal's own words and digits
        ("x" * 64, "dễ đoán"),  # long but trivially guessable
        ("x" * 257, "256"),  # longer than anyone types
    ],
)
def test_a_weak_new_password_is_refused_with_the_reason(app, login, new, says):
    client = login("commune_police", CAT_HAI)
    response = _change(client, new)
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    assert client.get(f"/t/{CAT_HAI}/").status_code == 200  # nothing changed, still signed in


def test_a_password_built_from_the_users_own_name_is_refused(app, login):
    client = login("commune_police", CAT_HAI, full_name="Nguyễn Văn An")
    response = _change(client, "nguyenvanan1990")
    assert "tên của bạn" in response.get_data(as_text=True)


def test_a_long_passphrase_with_any_characters_is_accepted_and_used_exactly_as_typed(app, login):
    client = login("commune_police", CAT_HAI)
    passphrase = "  Tháng Mười hai, cây tre xanh bên bờ sông Cấm — 64 ký tự là đủ! "[:64]
    assert len(passphrase) == 64
    assert _change(client, passphrase).status_code == 302
    username = _username(app, client.user_id)
    fresh = app.test_client()
    # Not trimmed, not case-folded: the same characters or nothing.
    assert fresh.post("/login", data={"username": username, "password": passphrase.strip()}).status_code == 401
    assert fresh.post("/login", data={"username": username, "password": passphrase.upper()}).status_code == 401
    assert fresh.post("/login", data={"username": username, "password": passphrase}).status_code == 302


def _username(app, user_id):
    with app.app_context():
        return db.session.scalar(select(User.username).where(User.id == user_id))


def test_a_password_issued_by_an_administrator_must_be_replaced_at_first_sign_in(app, login):
    admin = login("system_admin")
    page = admin.post(
        "/admin/users/new",
        data={"username": "can.bo.moi", "full_name": "Cán bộ mới", "role": "commune_police", "unit": CAT_HAI},
    ).get_data(as_text=True)
    issued = re.search(r'<code class="secret" id="new-password">([^<]+)</code>', page).group(1)

    officer = app.test_client()
    assert officer.post("/login", data={"username": "can.bo.moi", "password": issued}).status_code == 302
    for url in (f"/t/{CAT_HAI}/", f"/t/{CAT_HAI}/returnees", "/account"):
        response = officer.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password"), url
    assert "Hãy tự chọn mật khẩu" in officer.get("/account/password").get_data(as_text=True)

    assert _change(officer, "bien xanh cat trang buoi som", current=issued).status_code == 302
    again = app.test_client()
    assert again.post("/login", data={"username": "can.bo.moi", "password": issued}).status_code == 401
    chosen = {"username": "can.bo.moi", "password": "bien xanh cat trang buoi som"}
    assert again.post("/login", data=chosen).status_code == 302
    assert again.get(f"/t/{CAT_HAI}/").status_code == 200


def test_the_operator_cannot_create_an_account_with_a_leaked_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "leaky", "--role", "city_police", "--password-stdin"], input="password1234\n"
    )
    assert result.exit_code != 0 and "leaked" in result.output
