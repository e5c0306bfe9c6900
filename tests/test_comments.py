"""Comments on dossiers: written by the unit's police, leader and Front members (pages and API),
never by city roles or another unit; deletable by their author for 15 minutes; read-only once the
dossier is closed; shown with a constant number of queries."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.app import create_app
from portal.audit import AuditEvent
from portal.comments import Comment
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import sign_in, tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, bearer, close, issue_token, make_returnee

UNIT_ROLES = ("commune_police", "commune_leader", "mttq_member")


def _url(returnee_id, slug=CAT_HAI):
    return f"/t/{slug}/returnees/{returnee_id}/comments"


def _bodies(app, slug=CAT_HAI):
    with app.app_context(), use_tenant(tenant(slug)):
        return list(db.session.scalars(select(Comment.body).order_by(Comment.id)))


def _comment_ids(app):
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        return list(db.session.scalars(select(Comment.id).order_by(Comment.id)))


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_every_unit_role_comments_and_sees_who_wrote_what(app, login, role):
    rid = make_returnee(app)
    client = login(role, CAT_HAI, full_name="Đỗ Thị Hoa")
    response = client.post(_url(rid), data={"body": "  Đã gặp gia đình, ổn định.  "})
    assert response.status_code == 303
    page = client.get(_url(rid)).get_data(as_text=True)
    assert "Đã gặp gia đình, ổn định." in page and "Đỗ Thị Hoa" in page
    assert _bodies(app) == ["Đã gặp gia đình, ổn định."]
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "comment.create"))


@pytest.mark.parametrize("role", ["city_police", "system_admin"])
def test_city_roles_cannot_comment_or_read(app, login, role):
    rid = make_returnee(app)
    client = login(role)
    assert client.post(_url(rid), data={"body": "x"}).status_code == 404
    assert client.get(_url(rid)).status_code == 404
    assert _bodies(app) == []


def test_another_unit_cannot_reach_the_dossier_or_its_comments(app, login):
    rid = make_returnee(app)
    writer = login("commune_police", CAT_HAI)
    writer.post(_url(rid), data={"body": "Ghi chú nội bộ"})
    [comment_id] = _comment_ids(app)
    outsider = login("commune_police", AN_KHANH)
    assert outsider.post(_url(rid), data={"body": "x"}).status_code == 404
    assert outsider.post(_url(rid, AN_KHANH), data={"body": "x"}).status_code == 404  # real id, own unit's URL
    assert outsider.get(_url(rid, AN_KHANH)).status_code == 404
    assert outsider.post(f"{_url(rid, AN_KHANH)}/{comment_id}/delete").status_code == 404
    assert _bodies(app) == ["Ghi chú nội bộ"] and _bodies(app, AN_KHANH) == []


@pytest.mark.parametrize(("body", "message"), [("   ", "Write a comment."), ("x" * 2001, "At most 2000 characters.")])
def test_an_empty_or_too_long_comment_is_refused_next_to_the_field(app, login, body, message):
    rid = make_returnee(app)
    client = login("mttq_member", CAT_HAI)
    response = client.post(_url(rid), data={"body": body}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    if body.strip():
        assert body in page  # what was typed is kept
    assert _bodies(app) == []


def test_a_closed_dossier_takes_no_more_comments(app, login):
    rid = make_returnee(app)
    close(app, CAT_HAI, rid)
    client = login("commune_leader", CAT_HAI)
    assert client.post(_url(rid), data={"body": "x"}).status_code == 303
    assert _bodies(app) == []
    assert 'name="body"' not in client.get(_url(rid)).get_data(as_text=True)


def test_authors_delete_their_own_comment_within_15_minutes_only(app, login):
    rid = make_returnee(app)
    author, colleague = login("mttq_member", CAT_HAI), login("commune_police", CAT_HAI)
    for text in ("một", "hai"):
        author.post(_url(rid), data={"body": text})
    first, second = _comment_ids(app)
    assert "Delete my comment" in author.get(_url(rid), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert colleague.post(f"{_url(rid)}/{first}/delete").status_code == 403
    assert author.post(f"{_url(rid)}/{first}/delete").status_code == 303
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        for comment in db.session.scalars(select(Comment)):
            comment.created_at -= timedelta(minutes=16)
        db.session.commit()
    assert author.post(f"{_url(rid)}/{second}/delete").status_code == 403
    assert _bodies(app) == ["hai"]
    with app.app_context():
        deleted = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "comment.delete")).all()
    assert deleted == [str(first)]


def test_the_comment_form_carries_a_csrf_token_and_needs_it(app, make_user):
    strict = create_app({**app.config, "WTF_CSRF_ENABLED": True})
    rid = make_returnee(app)
    client = strict.test_client()
    sign_in(client, strict, make_user("commune_police", CAT_HAI))
    page = client.get(_url(rid)).get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert client.post(_url(rid), data={"body": "x"}).status_code == 400
    assert _bodies(app) == []


def test_the_comments_cost_a_constant_number_of_queries(app, login, count_queries):
    rid = make_returnee(app)
    clients = [login(role, CAT_HAI) for role in UNIT_ROLES]
    clients[0].post(_url(rid), data={"body": "0"})
    with count_queries() as few:
        assert clients[0].get(_url(rid)).status_code == 200
    for i in range(12):
        clients[i % 3].post(_url(rid), data={"body": str(i)})
    with count_queries() as many:
        assert clients[0].get(_url(rid)).status_code == 200
    assert len(few) == len(many) <= 6


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_the_api_takes_comments_from_every_unit_role(app, make_user, role):
    rid = make_returnee(app)
    headers = bearer(issue_token(app, make_user(role, CAT_HAI, full_name="Vũ Văn Nam")))
    client, url = app.test_client(), f"/api/v1/t/{CAT_HAI}/returnees/{rid}/comments"
    created = client.post(url, json={"body": "Theo dõi thêm"}, headers=headers)
    assert created.status_code == 201 and created.get_json()["author_name"] == "Vũ Văn Nam"
    listed = client.get(url, headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["body"] == "Theo dõi thêm"
    refused = client.post(url, json={"body": "", "extra": 1}, headers=headers)
    assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"body", "extra"}
    assert client.post(url, json={"body": "x" * 2001}, headers=headers).status_code == 422
    close(app, CAT_HAI, rid)
    assert client.post(url, json={"body": "x"}, headers=headers).status_code == 409


@pytest.mark.parametrize("role", ["city_police", "system_admin"])
def test_the_api_refuses_comments_from_city_roles(app, make_user, role):
    rid = make_returnee(app)
    headers = bearer(issue_token(app, make_user(role)))
    url = f"/api/v1/t/{CAT_HAI}/returnees/{rid}/comments"
    assert app.test_client().post(url, json={"body": "x"}, headers=headers).status_code == 404
