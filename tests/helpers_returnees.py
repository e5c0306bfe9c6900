"""Shared helpers for the returnee API, comment and transfer tests: bearer tokens, people, and
moving a dossier through its lifecycle the way the app does."""

from datetime import date

from sqlalchemy import select

from blueprints.returnees import lifecycle
from blueprints.returnees.models import Conviction, Returnee
from portal.accounts import ApiToken, User
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH, THIRD = "dac_khu_cat_hai", "xa_an_khanh", "phuong_le_chan"
CAT_HAI_CODE, AN_KHANH_CODE = "11914", "11668"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def issue_token(app, user_id: int) -> str:
    with app.app_context():
        row, token = ApiToken.issue(db.session.get(User, user_id))
        db.session.add(row)
        db.session.commit()
    return token


def person(**overrides) -> dict:
    body = {
        "full_name": "Nguyễn Văn Đức",
        "sex": "male",
        "date_of_birth": "1990-05-01",
        "national_id": "031090001234",
        "release_kind": "completed_sentence",
        "notice_received_on": "2026-05-04",
        "hamlet": "Thôn 1",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create(client, headers, slug=CAT_HAI, **overrides) -> dict:
    response = client.post(f"/api/v1/t/{slug}/returnees", json=person(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def advance(app, slug: str, returnee_id: int, to: str, on: date = date(2026, 6, 1), **facts) -> None:
    """Move a dossier as the app would (lifecycle.transition), and commit."""
    with app.app_context(), use_tenant(tenant(slug)):
        returnee = db.session.scalar(select(Returnee).where(Returnee.id == returnee_id))
        lifecycle.transition(returnee, to, on, None, **facts)
        db.session.commit()


def under_management(app, slug: str, returnee_id: int, group: str = "B") -> None:
    advance(app, slug, returnee_id, "received", reported_on=date(2026, 5, 20), work_session_minutes="Biên bản",
            commitment_signed=True)
    advance(app, slug, returnee_id, "under_management", group=group, dossier_opened_on=date(2026, 5, 25))


def close(app, slug: str, returnee_id: int) -> None:
    advance(app, slug, returnee_id, "closed", closure_ground="dead", closure_decision_number="12/QĐ",
            closure_decision_date=date(2026, 6, 2))


def add_conviction(app, slug: str, returnee_id: int) -> None:
    with app.app_context(), use_tenant(tenant(slug)):
        db.session.add(Conviction(returnee_id=returnee_id, judgment_number="45/2019/HS-ST",
                                  judgment_date=date(2019, 3, 1), court="TAND Hải Phòng", penal_code_article="173",
                                  penalty_kind="imprisonment", sentence_months=36,
                                  main_penalty_served_on=date(2022, 3, 1)))
        db.session.commit()


def make_returnee(app, slug: str = CAT_HAI, **overrides) -> int:
    """A dossier created by the same service as the API (status expected); returns its id."""
    from blueprints.api import returnee_service
    from blueprints.api.validation import parse

    with app.test_request_context(), use_tenant(tenant(slug)):
        values = parse(person(**overrides), returnee_service.CREATE, partial=False)
        returnee = returnee_service.create(values, None, date(2026, 6, 1))
        db.session.commit()
        return returnee.id
