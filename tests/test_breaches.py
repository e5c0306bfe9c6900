"""The breach register: an administrator records a breach, sees the 72-hour deadline and where it
stands, marks it notified, edits it without overwriting someone else's save, closes it; every change
is audited; no other role reaches any of it; the list costs the same queries for 1 or 20 records.

Moments are typed in Hải Phòng time (UTC+7, no daylight saving) and stored as naive UTC.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select, update

from blueprints.admin import breaches
from blueprints.admin.models import BreachRecord
from portal.audit import AuditEvent
from portal.extensions import db
from tests.conftest import tenant
from tests.test_admin import OTHER_ROLES, fetch, field_block

HAI_PHONG = timedelta(hours=7)
TITLE = "Lộ danh sách người được đặc xá qua thư điện tử"


@pytest.fixture
def admin(login):
    return login("system_admin", locale="en", username="breach.admin")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def typed(moment_utc: datetime) -> str:
    """How an administrator in Hải Phòng types this UTC moment."""
    return (moment_utc + HAI_PHONG).strftime("%d/%m/%Y %H:%M")


def form_data(**fields) -> dict:
    data = {
        "title": TITLE,
        "description": "Một cán bộ gửi nhầm tệp cho người ngoài.",
        "occurred_at": "",
        "detected_at": typed(utcnow() - timedelta(hours=2, minutes=30)),
        "units": ["dac_khu_cat_hai", "xa_an_khanh"],
        "people_count": "12",
        "data_categories": "Họ tên, số định danh, tội danh",
        "actions": "Thu hồi thư, đổi mật khẩu",
        "notified_at": "",
        "notification_reference": "",
    }
    data.update(fields)
    return data


def notification(notified_at: str, notification_reference: str, version) -> dict:
    """The "mark notified" form as posted (its fields are prefixed: the record's form is on the page too)."""
    return {"notify-notified_at": notified_at, "notify-notification_reference": notification_reference,
            "notify-version": version}


def add_record(app, detected_at: datetime, units=("dac_khu_cat_hai",), **fields) -> int:
    with app.app_context():
        record = BreachRecord(title=fields.pop("title", TITLE), detected_at=detected_at, **fields)
        record.units = [tenant(slug) for slug in units]
        db.session.add(record)
        db.session.commit()
        record_id = record.id
        db.session.remove()
        return record_id


def someone_edits(app, record_id: int) -> None:
    """Another administrator saves the record: its version moves from 1 to 2."""
    with app.app_context():
        db.session.get(BreachRecord, record_id).actions = "Khóa tài khoản bị lộ"
        db.session.commit()
        db.session.remove()


def load(app, record_id: int) -> BreachRecord:
    with app.app_context():
        record = db.session.get(BreachRecord, record_id)
        db.session.expunge(record)
        db.session.remove()
        return record


def unit_slugs(app, record_id: int) -> set[str]:
    with app.app_context():
        slugs = {t.slug for t in db.session.get(BreachRecord, record_id).units}
        db.session.remove()
        return slugs


def events(app) -> list[tuple]:
    query = select(AuditEvent.action, AuditEvent.user_id, AuditEvent.tenant_id, AuditEvent.object_type,
                   AuditEvent.object_id, AuditEvent.reason).order_by(AuditEvent.id)
    return fetch(app, query)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def record_id_from(response) -> int:
    assert response.status_code == 303, text_of(response)[:2000]
    return int(re.fullmatch(r"/admin/breaches/(\d+)", response.headers["Location"]).group(1))


# Recording and the deadline ---------------------------------------------------------------------


def test_an_admin_records_a_breach_and_sees_the_72_hour_deadline_in_local_time(app, admin):
    detected = minute(utcnow() - timedelta(hours=2, minutes=30))
    response = admin.post("/admin/breaches/new", data=form_data(detected_at=typed(detected)))
    record_id = record_id_from(response)

    record = load(app, record_id)
    assert record.detected_at == detected  # typed at UTC+7, stored in UTC
    assert record.title == TITLE and record.people_count == 12 and record.created_by_id == admin.user_id
    assert record.occurred_at is None and record.notified_at is None and record.closed_at is None
    assert unit_slugs(app, record_id) == {"dac_khu_cat_hai", "xa_an_khanh"}

    page = text_of(admin.get(f"/admin/breaches/{record_id}"))
    deadline = re.search(r'<dd id="deadline">(.*?)</dd>', page, re.S).group(1)
    assert typed(detected + timedelta(hours=72)) in deadline
    assert "Due in 69 hours" in deadline
    assert "Đặc khu Cát Hải" in page and "Xã An Khánh" in page

    listing = text_of(admin.get("/admin/breaches"))
    assert TITLE in listing and typed(detected) in listing and typed(detected + timedelta(hours=72)) in listing
    assert "Due in 69 hours" in listing and ">12<" in listing and "Being handled" in listing


def test_the_list_tells_overdue_notified_late_and_closed_apart_newest_first(app, admin):
    now = minute(utcnow())
    add_record(app, now - timedelta(days=5), title="Notified in time",
               notified_at=now - timedelta(days=4), notification_reference="12/CAHP")
    add_record(app, now - timedelta(days=4), title="Notified late",
               notified_at=now - timedelta(hours=1), notification_reference="13/CAHP")
    add_record(app, now - timedelta(days=3), title="Never notified")
    add_record(app, now - timedelta(hours=80), title="Closed quietly", closed_at=now - timedelta(hours=79))
    add_record(app, now - timedelta(minutes=71 * 60 + 30), title="Almost due",
               units=("dac_khu_cat_hai", "xa_an_khanh", "phuong_le_chan", "phuong_thanh_dong", "dac_khu_bach_long_vi"))

    page = text_of(admin.get("/admin/breaches"))
    titles = re.findall(r'<a href="/admin/breaches/\d+">([^<]+)</a>', page)
    assert titles == ["Almost due", "Never notified", "Closed quietly", "Notified late", "Notified in time"]
    rows = dict(zip(titles, re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:], strict=True))
    assert "Due in less than an hour" in rows["Almost due"]
    assert "Closed without notification" in rows["Closed quietly"] and "Record closed" in rows["Closed quietly"]
    assert "Being handled" in rows["Almost due"] and "Record closed" not in rows["Almost due"]
    assert "and 2 more units" in rows["Almost due"]
    assert "OVERDUE — not notified" in rows["Never notified"]
    assert f"Notified on {typed(now - timedelta(hours=1))}, after the deadline" in rows["Notified late"]
    assert f"Notified on {typed(now - timedelta(days=4))}" in rows["Notified in time"]
    assert "after the deadline" not in rows["Notified in time"]
    assert "OVERDUE" not in page.replace(rows["Never notified"], "")


def test_marking_notified_keeps_the_time_and_the_dispatch_and_is_audited(app, admin):
    record_id = add_record(app, minute(utcnow()) - timedelta(hours=30))
    sent = minute(utcnow() - timedelta(hours=1))
    response = admin.post(f"/admin/breaches/{record_id}/notify",
                          data=notification(typed(sent), "215/CAHP-PV01", 1))
    assert response.status_code == 303
    record = load(app, record_id)
    assert (record.notified_at, record.notification_reference, record.version) == (sent, "215/CAHP-PV01", 2)
    page = text_of(admin.get(f"/admin/breaches/{record_id}"))
    assert f"Notified on {typed(sent)}" in page and "215/CAHP-PV01" in page
    assert "Record the notification" not in page  # the form is gone once notified
    assert events(app) == [("breach.notify", admin.user_id, None, "breach_records", str(record_id), None)]


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"notification_reference": ""}, "notification_reference", "Enter the number of the notification dispatch."),
        ({"notified_at": ""}, "notified_at", "Enter when the notification was sent."),
        ({"notified_at": "hôm qua"}, "notified_at", "Type the date and time as dd/mm/yyyy hh:mm"),
        ({"notified_at": "late"}, "notified_at", "before the breach was detected"),
        ({"notified_at": "future"}, "notified_at", "This moment is in the future."),
    ],
)
def test_a_rejected_notification_says_why_and_keeps_what_was_typed(app, admin, fields, field_id, message):
    detected = minute(utcnow()) - timedelta(hours=30)
    record_id = add_record(app, detected)
    moments = {"late": typed(detected - timedelta(hours=1)), "future": typed(utcnow() + timedelta(hours=2))}
    data = {"notified_at": typed(detected + timedelta(hours=2)), "notification_reference": "215/CAHP"}
    data.update({k: moments.get(v, v) for k, v in fields.items()})
    response = admin.post(f"/admin/breaches/{record_id}/notify", data=notification(**data, version=1))
    assert response.status_code == 422
    page = text_of(response)
    assert message in field_block(page, f"notify-{field_id}")
    for name in ("notified_at", "notification_reference"):
        if data[name]:
            assert f'value="{data[name]}"' in field_block(page, f"notify-{name}")
    assert load(app, record_id).notified_at is None
    assert events(app) == []


# Editing ----------------------------------------------------------------------------------------


def test_an_edit_is_saved_and_audited_with_the_names_of_the_fields_only(app, admin):
    detected = minute(utcnow()) - timedelta(hours=5)
    record_id = add_record(app, detected)
    occurred = detected - timedelta(days=1)
    data = form_data(detected_at=typed(detected), occurred_at=typed(occurred), people_count="40",
                     units=["dac_khu_cat_hai", "phuong_le_chan"], version="1")
    assert admin.post(f"/admin/breaches/{record_id}", data=data).status_code == 303
    record = load(app, record_id)
    assert (record.occurred_at, record.people_count, record.version) == (occurred, 40, 2)
    assert unit_slugs(app, record_id) == {"dac_khu_cat_hai", "phuong_le_chan"}
    [(action, user_id, tenant_id, object_type, object_id, reason)] = events(app)
    assert (action, user_id, tenant_id, object_type, object_id) == (
        "breach.edit", admin.user_id, None, "breach_records", str(record_id))
    assert set(reason.split(",")) == {"description", "occurred_at", "people_count", "data_categories", "actions",
                                      "units"}
    assert TITLE not in reason and "Họ tên" not in reason


def test_changing_only_the_units_moves_the_version(app, admin):
    detected = minute(utcnow()) - timedelta(hours=5)
    record_id = add_record(app, detected, description="", data_categories="", actions="", people_count=3)
    data = form_data(detected_at=typed(detected), description="", data_categories="", actions="",
                     people_count="3", units=["xa_an_khanh"], version="1")
    assert admin.post(f"/admin/breaches/{record_id}", data=data).status_code == 303
    assert load(app, record_id).version == 2
    assert unit_slugs(app, record_id) == {"xa_an_khanh"}
    assert [(e[0], e[5]) for e in events(app)] == [("breach.edit", "units")]


def test_a_stale_save_answers_409_keeps_the_typed_text_and_overwrites_nothing(app, admin, login):
    detected = minute(utcnow()) - timedelta(hours=5)
    record_id = add_record(app, detected)
    other = login("system_admin")
    theirs = form_data(detected_at=typed(detected), actions="Khóa tài khoản bị lộ", version="1")
    assert other.post(f"/admin/breaches/{record_id}", data=theirs).status_code == 303

    mine = form_data(detected_at=typed(detected), actions="Báo cáo lãnh đạo Công an thành phố", version="1")
    response = admin.post(f"/admin/breaches/{record_id}", data=mine)
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else saved this record while you were working on it. Nothing of yours was saved" in page
    assert "Báo cáo lãnh đạo Công an thành phố" in field_block(page, "actions")
    assert 'name="version" type="hidden" value="2"' in page
    assert load(app, record_id).actions == "Khóa tài khoản bị lộ"

    # Submitting again, now from the saved version, is a deliberate overwrite.
    assert admin.post(f"/admin/breaches/{record_id}", data={**mine, "version": "2"}).status_code == 303
    assert load(app, record_id).actions == "Báo cáo lãnh đạo Công an thành phố"


def test_a_save_racing_another_is_refused_by_the_version_in_the_database(app, admin, monkeypatch):
    detected = minute(utcnow()) - timedelta(hours=5)
    record_id = add_record(app, detected)

    def someone_saves_meanwhile(form, record):
        # Between this request's read and its write, another administrator's save commits.
        table = BreachRecord.__table__
        with db.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == record_id).values(version=2, actions="Khóa tài khoản"))
        return False

    monkeypatch.setattr(breaches, "_stale", someone_saves_meanwhile)
    mine = form_data(detected_at=typed(detected), actions="Báo cáo lãnh đạo", version="1")
    response = admin.post(f"/admin/breaches/{record_id}", data=mine)
    assert response.status_code == 409
    assert "Báo cáo lãnh đạo" in field_block(text_of(response), "actions")
    assert load(app, record_id).actions == "Khóa tài khoản" and events(app) == []


def test_a_stale_notification_answers_409_and_keeps_what_was_typed(app, admin):
    record_id = add_record(app, minute(utcnow()) - timedelta(hours=5))
    someone_edits(app, record_id)
    sent = typed(minute(utcnow()) - timedelta(hours=1))
    response = admin.post(f"/admin/breaches/{record_id}/notify",
                          data=notification(sent, "9/CAHP", "1"))
    assert response.status_code == 409
    page = text_of(response)
    assert f'value="{sent}"' in field_block(page, "notify-notified_at")
    assert 'name="notify-version" type="hidden" value="2"' in page
    assert load(app, record_id).notified_at is None and events(app) == []


# Validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"title": "  "}, "title", "Enter a short title."),
        ({"detected_at": ""}, "detected_at", "Enter when the breach was detected."),
        ({"detected_at": "31/02/2026 10:00"}, "detected_at", "Type the date and time as dd/mm/yyyy hh:mm"),
        ({"detected_at": "future"}, "detected_at", "This moment is in the future."),
        ({"occurred_at": "after"}, "occurred_at", "A breach cannot be detected before it occurred."),
        ({"people_count": "-1"}, "people_count", "Enter a number from 0 to 10,000,000."),
        ({"people_count": "mười"}, "people_count", "Enter a whole number."),
        ({"people_count": ""}, "people_count", "Enter the number of people affected"),
        ({"units": ["dac_khu_cat_hai", "xa_khong_co"]}, "units", "Choose the units from the list."),
        ({"notification_reference": "1/CAHP"}, "notified_at", "Enter when the notification was sent."),
        ({"notified_at": "now"}, "notification_reference", "Enter the number of the notification dispatch."),
        ({"title": "x" * 201}, "title", "At most 200 characters."),
    ],
)
def test_a_rejected_record_says_why_next_to_the_field_and_keeps_the_input(app, admin, fields, field_id, message):
    now = utcnow()
    moments = {"future": typed(now + timedelta(hours=1)), "after": typed(now - timedelta(hours=1)),
               "now": typed(now)}
    data = form_data(**{k: moments.get(v, v) if isinstance(v, str) else v for k, v in fields.items()})
    response = admin.post("/admin/breaches/new", data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert message in field_block(page, field_id)
    assert "Một cán bộ gửi nhầm tệp cho người ngoài." in field_block(page, "description")
    assert "Thu hồi thư, đổi mật khẩu" in field_block(page, "actions")
    if "title" not in fields:
        assert f'value="{TITLE}"' in field_block(page, "title")
    if "detected_at" not in fields:
        assert f'value="{data["detected_at"]}"' in field_block(page, "detected_at")
    assert '<option selected value="dac_khu_cat_hai">' in field_block(page, "units")
    assert fetch(app, select(BreachRecord.id)) == [] and events(app) == []


# Closing ------------------------------------------------------------------------------------------


def test_closing_makes_the_record_read_only_until_reopened_and_both_are_audited(app, admin):
    detected = minute(utcnow()) - timedelta(hours=5)
    record_id = add_record(app, detected)
    assert admin.post(f"/admin/breaches/{record_id}/close", data={"version": "1"}).status_code == 303
    record = load(app, record_id)
    assert record.closed_at is not None and record.version == 2
    page = text_of(admin.get(f"/admin/breaches/{record_id}"))
    assert "Closed without notification" in page and "Reopen the record" in page and "Edit the record" not in page
    assert "Record closed" in text_of(admin.get("/admin/breaches"))

    edit = admin.post(f"/admin/breaches/{record_id}", data=form_data(detected_at=typed(detected), version="2"))
    assert edit.status_code == 409 and "This record is closed" in text_of(edit)
    notify = admin.post(f"/admin/breaches/{record_id}/notify",
                        data=notification(typed(detected), "1/CAHP", "2"))
    assert notify.status_code == 409
    assert load(app, record_id).description == "" and load(app, record_id).notified_at is None

    assert admin.post(f"/admin/breaches/{record_id}/reopen", data={"version": "2"}).status_code == 303
    assert load(app, record_id).closed_at is None
    assert [e[0] for e in events(app)] == ["breach.close", "breach.reopen"]


def test_closing_from_a_stale_page_changes_nothing(app, admin):
    record_id = add_record(app, minute(utcnow()) - timedelta(hours=5))
    someone_edits(app, record_id)
    response = admin.post(f"/admin/breaches/{record_id}/close", data={"version": "1"})
    assert response.status_code == 409 and "Someone else changed this record meanwhile" in text_of(response)
    assert load(app, record_id).closed_at is None and events(app) == []


def test_creating_is_audited_without_personal_data(app, admin):
    record_id = record_id_from(admin.post("/admin/breaches/new", data=form_data()))
    assert events(app) == [("breach.create", admin.user_id, None, "breach_records", str(record_id), None)]


def test_an_unknown_record_is_404(admin):
    assert admin.get("/admin/breaches/999").status_code == 404
    assert admin.post("/admin/breaches/999/close", data={"version": "1"}).status_code == 404


# Who may enter, and what the list costs -------------------------------------------------------------


def breach_routes(app, record_id: int) -> list[tuple[str, str]]:
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin.") and "breach" in rule.endpoint:
                url = url_for(rule.endpoint, **({"breach_id": record_id} if "breach_id" in rule.arguments else {}))
                routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.mark.parametrize(("role", "unit"), OTHER_ROLES)
def test_every_other_role_gets_403_on_every_breach_route(app, login, role, unit):
    record_id = add_record(app, minute(utcnow()) - timedelta(hours=5))
    client = login(role, unit)
    routes = breach_routes(app, record_id)
    assert len(routes) == 8  # list, new (GET, POST), the record (GET, POST), notify, close, reopen
    data = {**form_data(notified_at=typed(utcnow()), notification_reference="1/X", version="1"),
            **notification(typed(utcnow()), "1/X", "1")}
    for method, url in routes:
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url)
        assert TITLE not in text_of(response)
    record = load(app, record_id)
    assert (record.version, record.notified_at, record.closed_at) == (1, None, None)
    assert fetch(app, select(BreachRecord.id)) == [(record_id,)] and events(app) == []


def test_the_list_costs_the_same_queries_for_1_or_20_records(app, admin, count_queries):
    now = minute(utcnow())
    add_record(app, now - timedelta(hours=1), units=("dac_khu_cat_hai", "xa_an_khanh"))
    assert admin.get("/admin/breaches").status_code == 200  # the session's first touch is written once
    with count_queries() as few:
        assert admin.get("/admin/breaches").status_code == 200
    for n in range(19):
        add_record(app, now - timedelta(hours=2 + n), title=f"Sự cố {n}",
                   units=("dac_khu_cat_hai", "xa_an_khanh", "phuong_le_chan"))
    with count_queries() as many:
        response = admin.get("/admin/breaches")
    assert response.status_code == 200 and "Sự cố 18" in text_of(response)
    assert len(many) == len(few), many.statements
    assert len(few) <= 6, few.statements
