"""Import of a list of returnees (all or nothing) and export of the list (masked for the Front)."""

import io
import re
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from blueprints.returnees import facts, spreadsheets
from blueprints.returnees.models import Returnee, StatusEvent
from blueprints.returnees.spreadsheet_views import XLSX
from portal.audit import AuditEvent
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
BASE = "/t/dac_khu_cat_hai"
TODAY = date(2026, 7, 15)
HEADERS = [c.header for c in spreadsheets.COLUMNS]
EXPECTED = {"Họ và tên": "Nguyễn Văn Ánh", "Giới tính": "Nam", "Ngày sinh": "05/03/1990",
            "Số định danh cá nhân": "031090001234", "Thôn/Tổ dân phố": "Thôn 1", "Diện": "Đặc xá",
            "Trại giam": "Trại giam Xuân Nguyên", "Ngày nhận thông báo": "01/07/2026"}
RELEASED = {"Họ và tên": "Trần Thị Bích", "Giới tính": "Nữ", "Ngày sinh": "12/11/1985",
            "Số định danh cá nhân": "031185004321", "Diện": "Chấp hành xong án phạt tù",
            "Ngày ra trại": "20/06/2026", "Số giấy chứng nhận": "125/GCN", "Hạn trình diện": "30/06/2026"}


@pytest.fixture(autouse=True)
def on_fixed_day(monkeypatch):
    monkeypatch.setattr(facts, "today", lambda: TODAY)


@pytest.fixture
def police(login):
    return login("commune_police", CAT_HAI, locale="en")


def xlsx(rows: list[dict], headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a text-formatted cell keeps it
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name="danh-sach.xlsx", slug=CAT_HAI):
    return client.post(f"/t/{slug}/returnees/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def people(app, slug=CAT_HAI) -> list[Returnee]:
    with app.app_context(), use_tenant(tenant(slug)):
        found = db.session.scalars(select(Returnee).order_by(Returnee.id)).all()
        db.session.expunge_all()
        return found


def report(response) -> list[tuple[str, str, str]]:
    """(row, column, message) of the error report."""
    html = response.get_data(as_text=True)
    cells = re.findall(r'<td data-label="Row">(\d+)</td>\s*<td data-label="Column">(.*?)</td>\s*'
                       r'<td data-label="Problem" class="error">(.*?)</td>', html, re.S)
    return [(r, c.strip(), m.strip()) for r, c, m in cells]


def test_the_template_downloads_and_parses_back_into_dossiers(app, police):
    response = police.get(f"{BASE}/returnees/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert "Hướng dẫn" in book.sheetnames
    for values in (EXPECTED, RELEASED):
        sheet.append([values.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)

    imported = upload(police, out.getvalue())
    assert imported.status_code == 303
    assert "2 people were imported" in police.get(imported.headers["Location"]).get_data(as_text=True)
    first, second = people(app)
    assert (first.full_name, first.status, first.notice_received_on, first.release_kind, first.sex) == (
        "Nguyễn Văn Ánh", "expected", date(2026, 7, 1), "special_pardon", "male")
    assert first.search_name == "nguyen van anh" and first.hamlet == "Thôn 1"
    assert (second.status, second.release_date, second.reporting_deadline, second.certificate_number) == (
        "released_not_reported", date(2026, 6, 20), date(2026, 6, 30), "125/GCN")
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        events = db.session.execute(select(StatusEvent.returnee_id, StatusEvent.from_status, StatusEvent.to_status,
                                           StatusEvent.on).order_by(StatusEvent.id)).all()
        audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("returnee."))).all()
    assert [tuple(e) for e in events] == [(first.id, None, "expected", date(2026, 7, 1)),
                                          (second.id, None, "released_not_reported", date(2026, 6, 20))]
    assert audited.count("returnee.create") == 2 and audited.count("returnee.import") == 1


def test_one_bad_row_saves_nobody_and_the_report_names_it(app, police):
    bad = {**RELEASED, "Số định danh cá nhân": "031185009999", "Ngày sinh": "31/02/1985", "Giới tính": "?"}
    response = upload(police, xlsx([EXPECTED, bad, {**EXPECTED, "Số định danh cá nhân": "031090005555"}]))
    assert response.status_code == 422
    assert report(response) == [
        ("3", "Giới tính", "Write Nam or Nữ."),
        ("3", "Ngày sinh", "Not a date: write it as dd/mm/yyyy."),
    ]
    assert people(app) == []


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [({"Ngày ra trại": "20/06/2026", "Ngày nhận thông báo": None}, "Hạn trình diện", "Required with the release"),
     ({**RELEASED, "Hạn trình diện": "01/06/2026"}, "Hạn trình diện", "before the release date"),
     ({"Ngày nhận thông báo": None}, "Ngày nhận thông báo", "Give the day"),
     ({"Ngày nhận thông báo": "01/08/2026"}, "Ngày nhận thông báo", "in the future"),
     ({"Số định danh cá nhân": "12345"}, "Số định danh cá nhân", "12 digits"),
     ({"Diện": "Ân xá"}, "Diện", "Not a known kind"),
     ({"Họ và tên": ""}, "Họ và tên", "Required."),
     ({"Họ và tên": "A" * 121}, "Họ và tên", "At most 120")],
)
def test_each_rule_is_reported_next_to_its_column(app, police, change, column, message):
    response = upload(police, xlsx([{**EXPECTED, **change}]))
    assert response.status_code == 422
    [(row, where, text)] = report(response)
    assert (row, where) == ("2", column) and message in text
    assert people(app) == []


def test_duplicate_ids_are_refused_in_the_file_and_in_the_unit(app, police, login):
    assert upload(police, xlsx([EXPECTED])).status_code == 303
    again = {**RELEASED, "Số định danh cá nhân": EXPECTED["Số định danh cá nhân"]}
    twice = {**RELEASED, "Họ và tên": "Trần Thị Bích Hai"}
    response = upload(police, xlsx([again, RELEASED, twice]))
    assert response.status_code == 422
    assert report(response) == [
        ("2", "Số định danh cá nhân", "A dossier with this personal ID number already exists in this unit."),
        ("4", "Số định danh cá nhân", "Same personal ID number as row 3."),
    ]
    assert len(people(app)) == 1
    # The same person may be on another unit's list: units never see each other's numbers.
    an_khanh = login("commune_police", AN_KHANH, locale="en")
    assert upload(an_khanh, xlsx([EXPECTED]), slug=AN_KHANH).status_code == 303
    assert [p.national_id for p in people(app, AN_KHANH)] == [EXPECTED["Số định danh cá nhân"]]


def test_csv_with_bom_semicolons_and_decomposed_diacritics(app, police):
    name = unicodedata.normalize("NFD", "Đặng Thị Hồng Nhung")
    header = ";".join(["ho va ten", "gioi tinh", "NGAY SINH", "so cccd", "dien", "ngay ra trai", "han trinh dien",
                       "Địa chỉ"])
    line = ";".join([name, "nữ", "1/2/2001", "031301000777", "tha tù trước thời hạn có điều kiện", "2026-06-01",
                     "10/06/2026", '"Số 5; ngõ 3, Cát Bà"'])
    data = ("\ufeff" + header + "\r\n" + line + "\r\n\r\n").encode("utf-8")
    assert upload(police, data, name="danh sách.csv").status_code == 303
    [person] = people(app)
    assert person.full_name == "Đặng Thị Hồng Nhung"  # composed (NFC), as typed on Windows
    assert (person.search_name, person.sex, person.date_of_birth) == ("dang thi hong nhung", "female", date(2001, 2, 1))
    assert (person.release_kind, person.address) == ("conditional_release_ended", "Số 5; ngõ 3, Cát Bà")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [(b"\xff\xfe\x00h\x00i", "list.csv", "Only XLSX and CSV"),
     (b"H\xf2 v\xe0 t\xean\n", "list.csv", "not in UTF-8"),  # Windows-1258
     (b"PK\x03\x04 broken", "list.xlsx", "cannot be read"),
     (b"", "list.csv", "The file is empty"),
     (b"anything", "list.xls", "old .xls"),
     ("Họ và tên,Giới tính,Ngày sinh,Diện,Ghi chú\n".encode(), "list.csv", "Unknown column")],
)
def test_unusable_files_are_refused_with_a_reason(app, police, data, name, message):
    response = upload(police, data, name=name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert people(app) == []


def _rezipped(data: bytes, name: str, content: bytes) -> bytes:
    """The XLSX `data` with the member `name` replaced by `content`."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def test_damaged_and_bombed_xlsx_files_are_refused(app, police):
    damaged = _rezipped(xlsx([EXPECTED]), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c")
    response = upload(police, damaged)
    assert response.status_code == 422 and "cannot be read" in response.get_data(as_text=True)
    bomb = _rezipped(xlsx([EXPECTED]), "xl/worksheets/sheet1.xml", b"<" + b" " * (spreadsheets.MAX_UNPACKED + 1))
    assert len(bomb) < 200_000
    response = upload(police, bomb)
    assert response.status_code == 413 and "once unpacked" in response.get_data(as_text=True)
    assert people(app) == []


def _padded(data: bytes, entries: int) -> bytes:
    """The XLSX `data` with tiny extra members added until the archive holds `entries` of them."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        for i in range(entries - len(source.infolist())):
            target.writestr(f"xl/extra/part{i}.xml", b"<x/>")
    return out.getvalue()


def test_an_xlsx_with_more_entries_than_a_workbook_needs_is_refused(app, police):
    crowded = _padded(xlsx([EXPECTED]), spreadsheets.MAX_ENTRIES + 1)
    assert len(zipfile.ZipFile(io.BytesIO(crowded)).infolist()) == spreadsheets.MAX_ENTRIES + 1
    assert len(crowded) < spreadsheets.MAX_BYTES  # tiny: only the count gives it away
    response = upload(police, crowded)
    assert response.status_code == 413 and "once unpacked" in response.get_data(as_text=True)
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert people(app) == []
    # Exactly the limit is read as any workbook.
    assert upload(police, _padded(xlsx([EXPECTED]), spreadsheets.MAX_ENTRIES)).status_code == 303
    assert [p.full_name for p in people(app)] == [EXPECTED["Họ và tên"]]


def _with_entities(data: bytes, dtd: str, reference: str) -> bytes:
    """The XLSX `data` whose sheet declares `dtd` and holds `reference` as the first person's name."""
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    sheet, found = re.subn(r'(<c r="A2" t="inlineStr"><is><t>)[^<]*(</t>)', rf"\g<1>{reference}\g<2>", sheet, count=1)
    assert found == 1
    return _rezipped(data, "xl/worksheets/sheet1.xml", f"<!DOCTYPE worksheet [{dtd}]>{sheet}".encode())


def test_an_xlsx_with_an_external_entity_is_refused_without_reading_the_file(app, police, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("XXE-SECRET-7f3a9c")
    hostname = Path("/etc/hostname").read_text().strip()
    baseline = upload(police, b"PK\x03\x04 broken").get_data(as_text=True)  # a refusal that read nothing
    for target, content in ((secret.as_uri(), "XXE-SECRET-7f3a9c"), ("file:///etc/hostname", hostname)):
        data = _with_entities(xlsx([EXPECTED]), f'<!ENTITY xxe SYSTEM "{target}">', "&xxe;")
        response = upload(police, data)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert "cannot be read" in body
        assert content not in body or content in baseline  # a short hostname may be a word of any page
        assert people(app) == []
    # Declared but not used, the entity is not fetched either: the row is imported as written.
    data = _with_entities(xlsx([EXPECTED]), f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">', "Nguyễn Văn Ánh")
    assert upload(police, data).status_code == 303
    assert [p.full_name for p in people(app)] == ["Nguyễn Văn Ánh"]


def test_an_xlsx_with_a_billion_laughs_is_refused_quickly(app, police):
    laughs = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    response = upload(police, _with_entities(xlsx([EXPECTED]), laughs, "&lol9;"))
    assert 400 <= response.status_code < 500  # expat stops the expansion: 10⁹ "lol"s are never built
    assert people(app) == []


def test_a_missing_required_column_is_reported(app, police):
    response = upload(police, xlsx([EXPECTED], headers=[h for h in HEADERS if h != "Ngày sinh"]))
    assert response.status_code == 422
    assert report(response) == [("1", "Ngày sinh", "This column is missing; it is required.")]


def test_oversize_files_and_too_many_rows_are_refused(app, police, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    rows = [{**EXPECTED, "Số định danh cá nhân": f"03109000{i:04d}"} for i in range(4)]
    response = upload(police, xlsx(rows))
    assert response.status_code == 413
    assert "more than 3 rows" in response.get_data(as_text=True)
    assert upload(police, xlsx(rows[:3])).status_code == 303  # exactly the limit is fine
    assert len(people(app)) == 3

    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    response = upload(police, b"x" * 1025, name="big.csv")
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert len(people(app)) == 3


def test_the_default_limit_is_2000_rows():
    assert spreadsheets.MAX_ROWS == 2000
    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.read_sheet("x.csv", ("a\n" + "b\n" * 2001).encode(), 2000)
    assert refused.value.status == 413


@pytest.mark.parametrize("role", ["commune_leader", "mttq_member"])
def test_readers_cannot_import(app, login, role):
    client = login(role, CAT_HAI, locale="en")
    assert client.get(f"{BASE}/returnees/import").status_code == 403
    assert client.get(f"{BASE}/returnees/import/template.xlsx").status_code == 403
    assert upload(client, xlsx([EXPECTED])).status_code == 403
    assert people(app) == []


# --- Export ----------------------------------------------------------------------------------------


def export(client, query="", slug=CAT_HAI):
    response = client.get(f"/t/{slug}/returnees/export.xlsx{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    return response, values[0], [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_the_export_holds_the_filtered_list_in_the_import_columns(app, police, login):
    formula = {**RELEASED, "Họ và tên": "=HYPERLINK(\"http://x\")", "Số định danh cá nhân": "031185000001"}
    assert upload(police, xlsx([EXPECTED, RELEASED, formula])).status_code == 303
    response, header, rows = export(police)
    assert header == HEADERS + ["Trạng thái", "Nhóm"]
    assert response.headers["Content-Disposition"].startswith(
        "attachment; filename=danh-sach_dac_khu_cat_hai_2026-07-15.xlsx")
    assert response.headers["Cache-Control"] == "no-store, private"
    by_name = {r["Họ và tên"]: r for r in rows}
    assert by_name["Nguyễn Văn Ánh"]["Số định danh cá nhân"] == "031090001234"
    assert by_name["Nguyễn Văn Ánh"]["Ngày nhận thông báo"].date() == date(2026, 7, 1)
    assert by_name["Trần Thị Bích"]["Giới tính"] == "Nữ" and by_name["Trần Thị Bích"]["Diện"] == RELEASED["Diện"]
    cells = [c for row in load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows() for c in row]
    [typed] = [c for c in cells if c.value == '=HYPERLINK("http://x")']
    assert typed.data_type == "s"  # text a user typed is never a formula in the file handed out
    # Filtered as the list is: by status, by name without diacritics.
    _, _, expected_only = export(police, "?status=expected")
    assert [r["Họ và tên"] for r in expected_only] == ["Nguyễn Văn Ánh"]
    _, _, found = export(police, "?q=tran+thi")
    assert [r["Họ và tên"] for r in found] == ["Trần Thị Bích"]
    # The export parses back: imported in another unit it gives the same people.
    an_khanh = login("commune_police", AN_KHANH)
    assert upload(an_khanh, response.data, slug=AN_KHANH).status_code == 303
    assert sorted(p.full_name for p in people(app, AN_KHANH)) == sorted(p.full_name for p in people(app))
    with app.app_context():
        reasons = db.session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "returnee.export")).all()
    assert reasons[0] == "rows=3 format=xlsx"


@pytest.mark.parametrize(("role", "shown"), [("commune_leader", "031090001234"), ("mttq_member", "••••••••1234")])
def test_personal_ids_are_masked_for_the_front(app, police, login, role, shown):
    assert upload(police, xlsx([EXPECTED])).status_code == 303
    _, _, rows = export(login(role, CAT_HAI))
    assert [r["Số định danh cá nhân"] for r in rows] == [shown]
    # A masked role cannot find the number by searching for it either.
    _, _, found = export(login(role, CAT_HAI), "?q=031090001234")
    assert len(found) == (1 if role == "commune_leader" else 0)


def test_another_units_people_are_never_exported(app, police, login):
    assert upload(police, xlsx([EXPECTED, RELEASED])).status_code == 303
    an_khanh = login("commune_police", AN_KHANH)
    _, _, rows = export(an_khanh, "?status=all", slug=AN_KHANH)
    assert rows == []
    assert an_khanh.get(f"{BASE}/returnees/export.xlsx").status_code == 404
    for role in ("city_police", "system_admin"):
        assert login(role).get(f"{BASE}/returnees/export.xlsx").status_code == 404


def test_export_statement_count_does_not_grow(app, police, count_queries):
    def statements():
        with count_queries() as queries:
            assert police.get(f"{BASE}/returnees/export.xlsx").status_code == 200
        return len(queries)

    assert upload(police, xlsx([EXPECTED])).status_code == 303
    few = statements()
    many = [{**EXPECTED, "Số định danh cá nhân": f"03109100{i:04d}"} for i in range(40)]
    assert upload(police, xlsx(many)).status_code == 303
    assert statements() == few <= 6
