"""The JSON API from outside: bearer tokens, JSON errors, the registry, and an OpenAPI document
that matches the routes."""

import re

import pytest
from sqlalchemy import select

from portal.accounts import ApiToken, User
from portal.extensions import db


@pytest.fixture
def token_for(app, make_user):
    """token_for(role, unit=None) → a fresh bearer token of a new user."""

    def make(role, unit=None):
        user_id = make_user(role, unit)
        with app.app_context():
            row, token = ApiToken.issue(db.session.get(User, user_id))
            db.session.add(row)
            db.session.commit()
        return token

    return make


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_me_describes_the_caller_and_their_permissions(app, token_for):
    response = app.test_client().get("/api/v1/me", headers=_bearer(token_for("mttq_member", "xa_an_khanh")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["city_role"] is None
    [membership] = body["memberships"]
    assert membership["tenant"] == "xa_an_khanh" and membership["tenant_code"] == "11668"
    assert "dossier.read" in membership["permissions"]
    assert "dossier.write" not in membership["permissions"]
    assert "password_hash" not in response.get_data(as_text=True)


def test_tenants_lists_the_registry(app, token_for):
    body = app.test_client().get("/api/v1/tenants", headers=_bearer(token_for("city_police"))).get_json()
    assert body["total"] == 114
    cat_hai = next(t for t in body["items"] if t["slug"] == "dac_khu_cat_hai")
    assert cat_hai == {"code": "11914", "slug": "dac_khu_cat_hai", "name": "Đặc khu Cát Hải",
                       "kind": "dac_khu", "active": True}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer hp_not-a-token", "Basic abc", "hp_x"])
def test_missing_or_bad_tokens_get_a_json_401(app, header):
    headers = {"Authorization": header} if header else {}
    response = app.test_client().get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized" and body["message"] and body["fields"] == {}


def test_a_session_cookie_does_not_authenticate_the_api(app, login):
    client = login("commune_police", "dac_khu_cat_hai")
    assert client.get("/t/dac_khu_cat_hai/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_tokens_and_deactivated_users_are_refused(app, token_for):
    token = token_for("commune_police", "dac_khu_cat_hai")
    client = app.test_client()
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        row.user.active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_only_the_token_hash_is_stored(app, token_for):
    token = token_for("commune_police", "dac_khu_cat_hai")
    with app.app_context():
        stored = db.session.scalar(select(ApiToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_errors_are_json_with_a_translated_message(app, token_for):
    client = app.test_client()
    headers = _bearer(token_for("commune_police", "dac_khu_cat_hai"))
    missing = client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong_method = client.post("/api/v1/me", headers=headers)
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"] == "method_not_allowed"
    english = client.get("/api/v1/nothing-here", headers={**headers, "Accept-Language": "en"})
    vietnamese = client.get("/api/v1/nothing-here", headers={**headers, "Accept-Language": "vi"})
    assert english.get_json()["message"] == "Not found."
    assert vietnamese.get_json()["message"] != english.get_json()["message"]


def test_a_job_of_another_unit_is_not_found(app, token_for):
    token = token_for("commune_police", "xa_an_khanh")
    response = app.test_client().get("/api/v1/jobs/0123456789abcdef", headers=_bearer(token))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def _openapi_path(rule: str) -> str:
    path = rule.removeprefix("/api/v1")
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)


def test_the_openapi_document_matches_the_routes(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            # Several rules may share a path (GET and POST declare different permissions).
            routes.setdefault(_openapi_path(rule.rule), set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}
            )
    assert set(doc["paths"]) == set(routes)
    for path, methods in routes.items():
        assert set(doc["paths"][path]) == methods, path
        for operation in doc["paths"][path].values():
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == set(re.findall(r"{([a-z_]+)}", path)), path
            assert all(p["in"] in {"path", "query"} for p in operation.get("parameters", [])), path
    for schema in doc["components"]["schemas"].values():
        assert schema["type"] == "object"
