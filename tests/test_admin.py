"""The administrator's area: units, accounts, memberships, the audit log, and who may use them."""

import re
from datetime import datetime, timedelta
from itertools import count
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from portal.accounts import Membership, User
from portal.app import create_app
from portal.audit import AuditEvent
from portal.extensions import db
from portal.permissions import Permission, declared_permission
from tenants.models import Tenant
from tests.conftest import PASSWORD, app_config, sign_in

OTHER_ROLES = [
    ("commune_police", "dac_khu_cat_hai"),
    ("commune_leader", "dac_khu_cat_hai"),
    ("mttq_member", "xa_an_khanh"),
    ("city_police", None),
]
_addresses = count(1)


@pytest.fixture
def admin(login):
    return login("system_admin", locale="en", username="root.admin")


def unit_id(app, slug):
    with app.app_context():
        value = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        db.session.remove()
        return value


def fetch(app, query):
    """Run a select in its own app context and return plain rows."""
    with app.app_context():
        rows = db.session.execute(query).all()
        db.session.remove()
        return rows


def audit_rows(app, action):
    return fetch(
        app,
        select(AuditEvent.user_id, AuditEvent.tenant_id, AuditEvent.object_type, AuditEvent.object_id).where(
            AuditEvent.action == action
        ),
    )


def post_login(app, username, password):
    # A fresh address per sign-in: the per-address failure counter is shared by the whole run.
    client = app.test_client()
    n = next(_addresses)
    address = f"10.9.{n // 250}.{n % 250 + 1}"
    data = {"username": username, "password": password}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def is_login_redirect(response):
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def field_block(html: str, field_id: str) -> str:
    """The <div class="field …"> that holds the control `field_id`, with its label and errors."""
    match = re.search(rf'<div class="field[^"]*">\s*<label for="{field_id}">.*?</div>', html, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


def shown_password(response) -> str:
    match = re.search(r'id="new-password">([^<]+)<', response.get_data(as_text=True))
    assert match, "the password is not shown"
    return match.group(1)


# Units ---------------------------------------------------------------------------------------


def test_units_list_shows_the_114_units_with_their_member_counts(admin, make_user):
    make_user("commune_police", "dac_khu_cat_hai")
    make_user("mttq_member", "dac_khu_cat_hai")
    html = admin.get("/admin/units").get_data(as_text=True)
    assert "114 units" in html
    assert "Đặc khu Cát Hải" in html and "11914" in html and "dac_khu_cat_hai" in html
    assert 'href="/admin/users?unit=dac_khu_cat_hai">2</a>' in html
    assert 'href="/admin/users?unit=xa_an_khanh">0</a>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "cat hai"}, "1 unit"),
        ({"q": "CÁT HẢI"}, "1 unit"),
        ({"q": "dac khu"}, "2 units"),
        ({"kind": "xa"}, "67 units"),
        ({"kind": "phuong"}, "45 units"),
        ({"q": "an khanh", "kind": "phuong"}, "0 units"),
    ],
)
def test_unit_search_ignores_case_and_diacritics(admin, query, expected):
    html = admin.get("/admin/units", query_string=query).get_data(as_text=True)
    assert expected in html
    if query.get("q") == "cat hai":
        assert "Đặc khu Cát Hải" in html and "Bạch Long Vĩ" not in html


def test_deactivating_a_unit_closes_it_and_is_audited(app, admin, login):
    member = login("commune_police", "dac_khu_cat_hai")
    cat_hai = unit_id(app, "dac_khu_cat_hai")
    response = admin.post(f"/admin/units/{cat_hai}/deactivate", data={"q": "cat hai", "kind": "x&y"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/units?q=cat+hai&kind=x%26y"
    assert fetch(app, select(Tenant.active).where(Tenant.id == cat_hai)) == [(False,)]
    assert member.get("/t/dac_khu_cat_hai/").status_code == 404
    assert audit_rows(app, "tenant.deactivate") == [(admin.user_id, cat_hai, "tenants", str(cat_hai))]

    admin.post(f"/admin/units/{cat_hai}/deactivate")  # already off: nothing to record
    assert len(audit_rows(app, "tenant.deactivate")) == 1
    assert admin.post(f"/admin/units/{cat_hai}/activate").status_code == 302
    assert member.get("/t/dac_khu_cat_hai/").status_code == 200
    assert audit_rows(app, "tenant.activate") == [(admin.user_id, cat_hai, "tenants", str(cat_hai))]


def test_unknown_unit_is_404(admin):
    assert admin.post("/admin/units/99999/deactivate").status_code == 404


# Accounts ------------------------------------------------------------------------------------


def test_accounts_list_shows_roles_and_finds_names_without_diacritics(admin, make_user):
    make_user("commune_police", "dac_khu_cat_hai", username="cathai.police", full_name="Nguyễn Văn Hải")
    make_user("city_police", username="city.officer", full_name="Đỗ Thị Hoa")
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "cathai.police" in html and "city.officer" in html
    assert "Commune police · Đặc khu Cát Hải" in html
    assert "City police · City level" in html

    html = admin.get("/admin/users?q=nguyen van hai").get_data(as_text=True)
    assert "cathai.police" in html and "city.officer" not in html
    html = admin.get("/admin/users?q=do thi").get_data(as_text=True)
    assert "city.officer" in html and "cathai.police" not in html
    html = admin.get("/admin/users?unit=dac_khu_cat_hai").get_data(as_text=True)
    assert "cathai.police" in html and "city.officer" not in html
    html = admin.get("/admin/users?role=city_police").get_data(as_text=True)
    assert "city.officer" in html and "cathai.police" not in html


def test_accounts_list_pages_by_50(admin, make_user):
    for i in range(55):
        make_user("mttq_member", "xa_an_khanh", username=f"member{i:02d}")
    first = admin.get("/admin/users?role=mttq_member").get_data(as_text=True)
    assert "member49" in first and "member50" not in first
    assert 'href="/admin/users?role=mttq_member&amp;page=2"' in first
    second = admin.get("/admin/users?role=mttq_member&page=2").get_data(as_text=True)
    assert "member50" in second and "member54" in second and "member49" not in second


def test_admin_creates_a_unit_account_whose_password_works_once_shown(app, admin):
    data = {"username": " Ng.Hai ", "full_name": "Nguyễn Hải", "role": "commune_police", "unit": "xa_an_khanh",
            "email": " hai@congan.example "}
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 201
    assert fetch(app, select(User.email).where(User.username == "ng.hai")) == [("hai@congan.example",)]
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(response)
    assert len(password) >= 12

    [(user_id, username, password_hash)] = fetch(
        app, select(User.id, User.username, User.password_hash).where(User.username == "ng.hai")
    )
    assert password not in password_hash
    memberships = fetch(app, select(Membership.tenant_id, Membership.role).where(Membership.user_id == user_id))
    assert memberships == [(unit_id(app, "xa_an_khanh"), "commune_police")]
    assert audit_rows(app, "user.create") == [(admin.user_id, None, "users", str(user_id))]
    [(_, tenant, kind, _)] = audit_rows(app, "membership.add")
    assert (tenant, kind) == (unit_id(app, "xa_an_khanh"), "memberships")

    signed_in = post_login(app, "ng.hai", password)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/t/xa_an_khanh/"
    # Shown once: the account page never repeats it.
    assert password not in admin.get(f"/admin/users/{user_id}").get_data(as_text=True)


def test_admin_creates_a_city_account_without_a_unit(app, admin):
    data = {"username": "city.two", "full_name": "Trần Văn Hai", "role": "city_police", "unit": ""}
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 201
    rows = fetch(app, select(Membership.tenant_id, Membership.role).join(User).where(User.username == "city.two"))
    assert rows == [(None, "city_police")]
    assert post_login(app, "city.two", shown_password(response)).headers["Location"] == "/city/"


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({"role": "commune_police", "unit": ""}, "unit", "This role works in a unit: choose the unit."),
        ({"role": "city_police", "unit": "xa_an_khanh"}, "unit", "This is a city-level role: leave the unit empty."),
        ({"role": "", "unit": ""}, "role", "Choose a role."),
        ({"role": "commune_police", "unit": "no_such_unit"}, "unit", "Not a valid choice"),
        ({"role": "commune_police", "unit": "xa_an_khanh", "username": "a b"}, "username", "lowercase letters"),
        ({"role": "commune_police", "unit": "xa_an_khanh", "email": "hai at congan"}, "email", "Not an e-mail"),
    ],
)
def test_create_errors_stand_next_to_the_field_and_keep_what_was_typed(app, admin, data, field_id, message):
    typed = {"username": "new.person", "full_name": "Nguyễn Thị Mai", **data}
    response = admin.post("/admin/users/new", data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    block = field_block(html, field_id)
    assert 'class="field invalid"' in block and message in block and 'aria-invalid="true"' in block
    assert f'value="{typed["username"]}"' in html and 'value="Nguyễn Thị Mai"' in html
    if data["role"]:
        assert f'selected value="{data["role"]}"' in html
    assert fetch(app, select(User.id).where(User.username == typed["username"])) == []
    assert audit_rows(app, "user.create") == []


def test_duplicate_username_is_refused_clearly(app, admin, make_user):
    make_user("commune_police", "dac_khu_cat_hai", username="cathai.police")
    data = {"username": "CatHai.Police", "full_name": "Another", "role": "mttq_member", "unit": "xa_an_khanh"}
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert "This username is already taken." in field_block(response.get_data(as_text=True), "username")
    assert len(fetch(app, select(User.id).where(User.username == "cathai.police"))) == 1
    assert audit_rows(app, "user.create") == []


def test_deactivation_ends_the_sessions_at_once_and_reactivation_restores_sign_in(app, admin, login):
    victim = login("commune_police", "dac_khu_cat_hai", username="cathai.police")
    assert victim.get("/t/dac_khu_cat_hai/").status_code == 200
    response = admin.post(f"/admin/users/{victim.user_id}/deactivate")
    assert response.status_code == 302
    assert is_login_redirect(victim.get("/t/dac_khu_cat_hai/"))
    assert post_login(app, "cathai.police", PASSWORD).status_code == 401
    assert audit_rows(app, "user.deactivate") == [(admin.user_id, None, "users", str(victim.user_id))]

    admin.post(f"/admin/users/{victim.user_id}/reactivate")
    assert audit_rows(app, "user.reactivate") == [(admin.user_id, None, "users", str(victim.user_id))]
    assert post_login(app, "cathai.police", PASSWORD).status_code == 302
    assert is_login_redirect(victim.get("/t/dac_khu_cat_hai/"))  # the old session stays dead


def test_an_admin_cannot_deactivate_or_reset_themselves(app, admin):
    response = admin.post(f"/admin/users/{admin.user_id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    response = admin.post(f"/admin/users/{admin.user_id}/reset-password", follow_redirects=True)
    assert response.status_code == 200
    assert "Change your own password from your account page." in response.get_data(as_text=True)
    assert fetch(app, select(User.active).where(User.id == admin.user_id)) == [(True,)]
    assert audit_rows(app, "user.deactivate") == [] and audit_rows(app, "user.password_reset") == []


def test_password_reset_ends_sessions_and_only_the_new_password_works(app, admin, login):
    victim = login("commune_leader", "xa_an_khanh", username="ankhanh.leader")
    response = admin.post(f"/admin/users/{victim.user_id}/reset-password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = shown_password(response)
    assert is_login_redirect(victim.get("/t/xa_an_khanh/"))
    assert post_login(app, "ankhanh.leader", PASSWORD).status_code == 401
    assert post_login(app, "ankhanh.leader", password).status_code == 302
    assert audit_rows(app, "user.password_reset") == [(admin.user_id, None, "users", str(victim.user_id))]


# Memberships ---------------------------------------------------------------------------------


def test_membership_add_change_and_remove_apply_at_once_and_are_audited(app, admin, login):
    officer = login("commune_police", "dac_khu_cat_hai")
    an_khanh = unit_id(app, "xa_an_khanh")
    assert officer.get("/t/xa_an_khanh/").status_code == 404

    data = {"role": "commune_leader", "unit": "xa_an_khanh"}
    assert admin.post(f"/admin/users/{officer.user_id}/memberships", data=data).status_code == 302
    assert officer.get("/t/xa_an_khanh/").status_code == 200
    [(membership_id,)] = fetch(
        app, select(Membership.id).where(Membership.user_id == officer.user_id, Membership.tenant_id == an_khanh)
    )
    assert audit_rows(app, "membership.add") == [(admin.user_id, an_khanh, "memberships", str(membership_id))]
    page = admin.get(f"/admin/users/{officer.user_id}").get_data(as_text=True)
    assert "Xã An Khánh" in page and "Commune leader" in page

    url = f"/admin/users/{officer.user_id}/memberships/{membership_id}"
    assert admin.post(f"{url}/role", data={"role": "mttq_member"}).status_code == 302
    assert fetch(app, select(Membership.role).where(Membership.id == membership_id)) == [("mttq_member",)]
    assert audit_rows(app, "membership.role_change") == [(admin.user_id, an_khanh, "memberships", str(membership_id))]

    assert admin.post(f"{url}/delete").status_code == 302
    assert officer.get("/t/xa_an_khanh/").status_code == 404
    assert officer.get("/t/dac_khu_cat_hai/").status_code == 200
    assert audit_rows(app, "membership.remove") == [(admin.user_id, an_khanh, "memberships", str(membership_id))]


def test_a_city_role_can_be_added_to_a_unit_account(app, admin, login):
    officer = login("commune_police", "dac_khu_cat_hai")
    data = {"role": "city_police", "unit": ""}
    assert admin.post(f"/admin/users/{officer.user_id}/memberships", data=data).status_code == 302
    assert officer.get("/city/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({"role": "commune_police", "unit": ""}, "unit", "This role works in a unit: choose the unit."),
        ({"role": "system_admin", "unit": "xa_an_khanh"}, "unit", "This is a city-level role: leave the unit empty."),
        ({"role": "mttq_member", "unit": "dac_khu_cat_hai"}, "unit", "already a member of this unit"),
        ({"role": "system_admin", "unit": ""}, "role", "already has a city-level role"),
    ],
)
def test_membership_errors_stand_next_to_the_field(app, admin, make_user, data, field_id, message):
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    with app.app_context():
        user = db.session.get(User, user_id)
        user.memberships.append(Membership(tenant_id=None, role="city_police"))
        db.session.commit()
        db.session.remove()
    response = admin.post(f"/admin/users/{user_id}/memberships", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_block(html, field_id)
    assert f'selected value="{data["role"]}"' in html
    assert len(fetch(app, select(Membership.id).where(Membership.user_id == user_id))) == 2
    assert audit_rows(app, "membership.add") == []


def test_a_role_cannot_jump_scope_through_a_crafted_form(app, admin, make_user):
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    [(membership_id,)] = fetch(app, select(Membership.id).where(Membership.user_id == user_id))
    response = admin.post(f"/admin/users/{user_id}/memberships/{membership_id}/role", data={"role": "system_admin"})
    assert response.status_code == 302
    assert fetch(app, select(Membership.role).where(Membership.id == membership_id)) == [("commune_police",)]
    assert audit_rows(app, "membership.role_change") == []


def test_a_membership_is_reached_only_through_its_own_account(app, admin, make_user):
    owner = make_user("commune_police", "dac_khu_cat_hai")
    other = make_user("commune_police", "xa_an_khanh")
    [(membership_id,)] = fetch(app, select(Membership.id).where(Membership.user_id == owner))
    url = f"/admin/users/{other}/memberships/{membership_id}"
    assert admin.post(f"{url}/role", data={"role": "mttq_member"}).status_code == 404
    assert admin.post(f"{url}/delete").status_code == 404
    assert len(fetch(app, select(Membership.id).where(Membership.user_id == owner))) == 1


def test_an_admin_cannot_remove_their_own_admin_role(app, admin):
    [(membership_id,)] = fetch(app, select(Membership.id).where(Membership.user_id == admin.user_id))
    url = f"/admin/users/{admin.user_id}/memberships/{membership_id}"
    response = admin.post(f"{url}/delete", follow_redirects=True)
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    response = admin.post(f"{url}/role", data={"role": "city_police"}, follow_redirects=True)
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    assert fetch(app, select(Membership.role).where(Membership.user_id == admin.user_id)) == [("system_admin",)]


# Audit log -----------------------------------------------------------------------------------


def add_events(app, specs):
    """specs: (action, username or None, unit slug or None, at, object_id)."""
    with app.app_context():
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        units = {t.slug: t.id for t in db.session.scalars(select(Tenant))}
        for action, username, slug, at, object_id in specs:
            db.session.add(
                AuditEvent(
                    action=action,
                    user_id=users.get(username),
                    tenant_id=units.get(slug),
                    at=at,
                    object_type="dossiers",
                    object_id=str(object_id),
                    ip="10.0.0.7",
                    request_id=f"req-{object_id}",
                )
            )
        db.session.commit()
        db.session.remove()


def shown_objects(response) -> list[str]:
    return re.findall(r"dossiers #(\d+)", response.get_data(as_text=True))


@pytest.fixture
def three_events(app, make_user):
    make_user("commune_police", "dac_khu_cat_hai", username="cathai.police")
    make_user("commune_police", "xa_an_khanh", username="ankhanh.police")
    add_events(
        app,
        [
            ("dossier.read", "cathai.police", "dac_khu_cat_hai", datetime(2025, 3, 1, 10, 15), 1),
            ("login.success", "ankhanh.police", "xa_an_khanh", datetime(2025, 3, 5, 23, 59), 2),
            ("login.failure", None, None, datetime(2025, 3, 10, 8, 0), 3),
        ],
    )


def test_the_audit_log_shows_every_unit_newest_first(admin, three_events):
    response = admin.get("/admin/audit")
    html = response.get_data(as_text=True)
    assert shown_objects(response) == ["3", "2", "1"]
    # Stored at 10:15 UTC, shown in Hải Phòng time (UTC+7).
    assert "01/03/2025 17:15" in html and "Đặc khu Cát Hải" in html and "Xã An Khánh" in html
    assert "cathai.police" in html and "10.0.0.7" in html and "req-2" in html and "<code>login.failure</code>" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"unit": "xa_an_khanh"}, ["2"]),
        ({"unit": "dac_khu_cat_hai"}, ["1"]),
        ({"user": "CatHai.Police"}, ["1"]),
        ({"action": "login."}, ["3", "2"]),
        ({"action": "login.failure"}, ["3"]),
        ({"action": "login_"}, []),
        ({"date_from": "2025-03-02", "date_to": "2025-03-05"}, ["2"]),
        ({"date_from": "02/03/2025", "date_to": "05/03/2025"}, ["2"]),
        ({"date_to": "2025-03-01"}, ["1"]),
        ({"unit": "xa_an_khanh", "action": "dossier."}, []),
    ],
)
def test_the_audit_log_filters(admin, three_events, query, expected):
    response = admin.get("/admin/audit", query_string=query)
    assert response.status_code == 200
    assert shown_objects(response) == expected


def test_an_invalid_audit_filter_is_shown_and_ignored(admin, three_events):
    response = admin.get("/admin/audit", query_string={"date_from": "31/02/2025", "unit": "nowhere"})
    html = response.get_data(as_text=True)
    assert 'class="field invalid"' in field_block(html, "date_from")
    assert 'class="field invalid"' in field_block(html, "unit")
    assert shown_objects(response) == ["3", "2", "1"]


def test_the_audit_log_pages_by_50(app, admin):
    start = datetime(2025, 1, 1)
    add_events(app, [("dossier.read", None, "xa_an_khanh", start + timedelta(minutes=i), i) for i in range(120)])
    first = admin.get("/admin/audit?unit=xa_an_khanh")
    assert shown_objects(first) == [str(i) for i in range(119, 69, -1)]
    assert 'href="/admin/audit?unit=xa_an_khanh&amp;page=2"' in first.get_data(as_text=True)
    last = admin.get("/admin/audit?unit=xa_an_khanh&page=3")
    assert shown_objects(last) == [str(i) for i in range(19, -1, -1)]
    assert "Next page" not in last.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/users", "/admin/units"])
def test_list_pages_cost_the_same_number_of_queries_for_3_or_30_rows(app, admin, make_user, count_queries, path):
    with app.app_context():
        slugs = db.session.scalars(select(Tenant.slug).order_by(Tenant.code).limit(30)).all()
        db.session.remove()

    def grow_to(n, have):
        for i in range(have, n):
            make_user("commune_police", slugs[i], username=f"officer{i:02d}")
        add_events(
            app, [("dossier.read", f"officer{i:02d}", slugs[i], datetime(2025, 1, 1), i) for i in range(have, n)]
        )

    admin.get(path)  # warm-up: first-request work is not the page's
    grow_to(3, 0)
    with count_queries() as few:
        assert admin.get(path).status_code == 200
    grow_to(30, 3)
    with count_queries() as many:
        response = admin.get(path)
    assert response.status_code == 200
    if path != "/admin/units":
        assert "officer29" in response.get_data(as_text=True)
    assert len(many) == len(few), many.statements


# Who may enter -------------------------------------------------------------------------------


def admin_routes(app, user_id, membership_id, tenant_id):
    """(method, url) of every admin endpoint, with real ids in the URL."""
    # A breach record need not exist: the guard refuses before any view loads one.
    values = {"user_id": user_id, "membership_id": membership_id, "tenant_id": tenant_id, "breach_id": 1}
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin."):
                url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
                routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.fixture
def target(app, make_user):
    user_id = make_user("commune_police", "dac_khu_cat_hai")
    [(membership_id,)] = fetch(app, select(Membership.id).where(Membership.user_id == user_id))
    return user_id, membership_id, unit_id(app, "dac_khu_cat_hai")


def test_every_admin_endpoint_declares_an_admin_permission(app):
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]
    assert len(endpoints) >= 10
    for endpoint in endpoints:
        wanted = Permission.AUDIT_READ if endpoint == "admin.audit" else Permission.ADMIN
        assert declared_permission(app.view_functions[endpoint]) == wanted, endpoint


@pytest.mark.parametrize(("role", "unit"), OTHER_ROLES)
def test_other_roles_get_403_on_every_admin_route(app, login, target, role, unit):
    client = login(role, unit)
    routes = admin_routes(app, *target)
    assert {m for m, _ in routes} == {"GET", "POST"}
    data = {"role": "system_admin", "unit": "", "username": "intruder", "full_name": "X"}
    for method, url in routes:
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url)
    user_id, _, tenant_id = target
    assert fetch(app, select(User.active).where(User.id == user_id)) == [(True,)]
    assert fetch(app, select(Tenant.active).where(Tenant.id == tenant_id)) == [(True,)]
    assert fetch(app, select(User.id).where(User.username == "intruder")) == []
    assert fetch(app, select(AuditEvent.action)) == []


def test_anonymous_visitors_are_sent_to_sign_in(app, target):
    client = app.test_client()
    for method, url in admin_routes(app, *target):
        assert is_login_redirect(client.open(url, method=method)), (method, url)


# Pages ---------------------------------------------------------------------------------------


def test_admin_pages_work_without_inline_script_or_style(admin, target, three_events):
    user_id, _, _ = target
    for path in (
        "/admin/",
        "/admin/units",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{user_id}",
        "/admin/audit",
    ):
        response = admin.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script" not in html and " style=" not in html, path
        assert 'name="viewport"' in html


def test_every_post_form_carries_the_csrf_token(_migrated, tmp_path, make_user, target):
    strict = create_app(app_config(_migrated, tmp_path, WTF_CSRF_ENABLED=True))
    client = strict.test_client()
    sign_in(client, strict, make_user("system_admin", locale="en"))
    user_id, _, tenant_id = target
    for path in ("/admin/units", "/admin/users/new", f"/admin/users/{user_id}"):
        html = client.get(path).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', html, re.S)
        assert forms, path
        for form in forms:
            assert 'name="csrf_token"' in form, (path, form[:120])
    assert client.post(f"/admin/units/{tenant_id}/deactivate").status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/units").get_data(as_text=True))
    response = client.post(f"/admin/units/{tenant_id}/deactivate", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
