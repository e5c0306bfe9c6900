"""A dossier's photo and scanned documents: uploaded from the dossier page, listed there, stored
by the files job, downloadable by the unit's readers and by no one else."""

from datetime import date

from blueprints.returnees import services
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.servers import PDF, upload

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"


def _dossier(app, slug=CAT_HAI, name="Nguyễn Văn Hùng") -> int:
    with app.app_context(), use_tenant(tenant(slug)):
        returnee = services.create_returnee(
            {"full_name": name, "sex": "male", "date_of_birth": date(1988, 3, 12),
             "release_kind": "completed_sentence"},
            "expected", {"notice_received_on": date(2026, 2, 13)}, date(2026, 2, 13), None,
        )
        db.session.commit()
        return returnee.id


def test_a_scan_uploaded_from_the_dossier_is_stored_and_listed_there(app, login):
    police = login("commune_police", CAT_HAI)
    rid = _dossier(app)
    response = upload(police, CAT_HAI, PDF, name="Giấy chứng nhận.pdf", target_type="returnee", target_id=str(rid))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{CAT_HAI}/returnees/{rid}#attachments")
    page = police.get(f"/t/{CAT_HAI}/returnees/{rid}").get_data(as_text=True)
    assert "Giấy chứng nhận.pdf" in page
    assert "/files/" in page and "/open" in page  # a stored file offers its download button

    reader = login("mttq_member", CAT_HAI)
    reader_page = reader.get(f"/t/{CAT_HAI}/returnees/{rid}").get_data(as_text=True)
    assert "Giấy chứng nhận.pdf" in reader_page
    assert 'name="target_type"' not in reader_page  # readers get no upload form


def test_files_of_one_dossier_do_not_show_on_another(app, login):
    police = login("commune_police", CAT_HAI)
    first, second = _dossier(app), _dossier(app, name="Trần Văn Bình")
    upload(police, CAT_HAI, PDF, name="rieng-cua-hung.pdf", target_type="returnee", target_id=str(first))
    assert "rieng-cua-hung.pdf" in police.get(f"/t/{CAT_HAI}/returnees/{first}").get_data(as_text=True)
    assert "rieng-cua-hung.pdf" not in police.get(f"/t/{CAT_HAI}/returnees/{second}").get_data(as_text=True)


def test_a_file_cannot_be_attached_to_another_units_dossier(app, login):
    rid = _dossier(app, CAT_HAI)
    outsider = login("commune_police", AN_KHANH)
    response = upload(outsider, AN_KHANH, PDF, target_type="returnee", target_id=str(rid))
    assert response.status_code == 404
    missing = upload(outsider, AN_KHANH, PDF, target_type="returnee", target_id="999999")
    assert missing.status_code == 404


def test_a_closed_dossier_takes_no_new_file(app, login):
    police = login("commune_police", CAT_HAI)
    rid = _dossier(app)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        from sqlalchemy import select

        from blueprints.returnees.models import Returnee

        returnee = db.session.scalar(select(Returnee).where(Returnee.id == rid))
        services.change_status(returnee, "closed", date(2026, 3, 2), {
            "closure_ground": "dead", "closure_decision_number": "12/QĐ-UBND",
            "closure_decision_date": date(2026, 3, 2)}, None)
        db.session.commit()
    assert upload(police, CAT_HAI, PDF, target_type="returnee", target_id=str(rid)).status_code == 409
    assert 'name="target_type"' not in police.get(f"/t/{CAT_HAI}/returnees/{rid}").get_data(as_text=True)
