"""The main journeys, in Debian's Chromium, each as its role would do them (issue 7).

A commune police officer signs in with the second factor, registers a returnee from the prison's
notice and follows them to a loan; a Fatherland Front member reads and comments and finds nothing to
edit; the unit leader approves the quarterly report; the city officer opens the roll-up, reads who
reported and downloads the PDF; an officer in the field logs a contact on a phone. The pages are
real (served over HTTP with CSRF, the CSP and the production cookie), the forms are filled in by
their labels, every page is checked for console errors, and each journey leaves screenshots in
test-artifacts/browser/.
"""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from blueprints.reports import periods
from blueprints.reports import services as reports
from blueprints.returnees import care_services, facts
from blueprints.returnees.models import Returnee
from portal.demo_people import seed_people
from portal.extensions import db
from tenants.context import use_tenant
from tests import servers
from tests.browser_support import PHONE, browser, journeys, live_app, live_url  # noqa: F401
from tests.conftest import BACKEND, PASSWORD, tenant

CAT_HAI = "dac_khu_cat_hai"
HAI_PHONG = ZoneInfo("Asia/Ho_Chi_Minh")
PERSONAL_ID = "031088001234"
LOAN = "Vay vốn (Ngân hàng Chính sách xã hội)"


def fill(scope, values: dict) -> None:
    """Fill a form by its labels: a select takes the option's text, a checkbox True, a field the text."""
    for label, value in values.items():
        control = scope.get_by_label(label, exact=True)
        if value is True:
            control.check()
        elif control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)


def assert_fits_the_screen(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]}px wide on a {width[1]}px screen"


def menu(page, name: str) -> None:
    page.get_by_role("banner").get_by_role("link", name=name, exact=True).click()


@pytest.fixture
def today(live_app):  # noqa: F811
    with live_app.app_context():
        return facts.today()


def last_quarter(app):
    """The quarter ended last and its label as the pages show it (Vietnamese)."""
    with app.test_request_context():
        quarter = periods.containing("quarter", facts.today()).previous()
        return quarter, quarter.label


def seed_dossiers(app, police_id: int) -> int:
    """The demo's dossiers; Nguyễn Văn Hùng (Cát Hải, under management) gets a personal ID and one
    contact. Returns his id."""
    with app.app_context():
        on = facts.today()
        seed_people(police_id, on)
        with use_tenant(tenant(CAT_HAI)):
            hung = db.session.scalar(select(Returnee).where(Returnee.full_name == "Nguyễn Văn Hùng"))
            hung.national_id = PERSONAL_ID
            care_services.add_contact(hung, {
                "on": on - timedelta(days=3), "contact_person": "Đào Văn Cường", "method": "visit",
                "content": "Anh Hùng đã đi làm phụ hồ ở thị trấn Cát Bà.", "state_of_mind": "Ổn định",
            }, None, police_id)
            db.session.commit()
            return hung.id


def submitted_report(app, police_id: int, approved_by: int | None = None) -> None:
    """Cát Hải's report of the last quarter, written and submitted by the police (and approved)."""
    quarter, _label = last_quarter(app)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        report = reports.open_report(quarter, police_id)
        reports.save_sections(report, {"situation": "Tình hình an ninh trật tự ổn định.", "results": "",
                                       "shortcomings": "", "proposals": "Đề nghị hỗ trợ kinh phí học nghề."}, police_id)
        reports.submit(report, police_id)
        if approved_by:
            reports.approve(report, approved_by)
        db.session.commit()


# --- The commune police officer ---------------------------------------------------------------------


def test_police_officer_registers_a_returnee_and_follows_them_up_to_a_loan(journeys, make_user, today):  # noqa: F811
    # An officer whose week of grace is over: the second factor is set up at this sign-in.
    make_user("commune_police", CAT_HAI, username="hai.police", full_name="Nguyễn Văn Hải",
              created_at=datetime.now() - timedelta(days=30))
    police = journeys("police")
    page = police.page

    police.sign_in("hai.police")
    expect(page.get_by_role("heading", name="Xác thực hai lớp")).to_be_visible()
    police.snap("1-second-factor", "Vai trò của bạn bắt buộc xác thực hai lớp", "Khóa thiết lập")
    authenticator = pyotp.TOTP(page.locator("code.secret").inner_text().strip())
    enrolment_code = authenticator.now()
    fill(page, {"Mã": enrolment_code, "Mật khẩu hiện tại": PASSWORD})
    page.get_by_role("button", name="Bật").click()
    expect(page.get_by_role("heading", name="Mã khôi phục")).to_be_visible()
    assert page.locator("ul.codes li").count() == 10
    page.get_by_role("link", name="Tiếp tục").click()
    expect(page.get_by_role("heading", name="Đặc khu Cát Hải")).to_be_visible()

    # Signing in again asks for a code. The code just used is refused (replay); the next step's code —
    # what an authenticator whose clock runs a little ahead shows — is accepted without waiting 30 s.
    page.get_by_role("button", name="Đăng xuất").click()
    police.sign_in("hai.police")
    expect(page.get_by_role("heading", name="Mã đăng nhập")).to_be_visible()
    fill(page, {"Mã": enrolment_code})
    police.expect_status_error(401)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_have_text("Mã không đúng hoặc đã được dùng.")
    fill(page, {"Mã": authenticator.at(time.time() + authenticator.interval)})
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Đặc khu Cát Hải")).to_be_visible()

    # The prison's notice arrived four months ago (the dossier is entered from the paper file).
    day = {n: (today - timedelta(days=n)).isoformat() for n in (130, 110, 105, 100)}
    menu(page, "Người chấp hành xong án phạt tù")
    page.get_by_role("link", name="Lập hồ sơ mới").click()
    fill(page, {
        "Họ và tên": "Trần Văn Đông", "Giới tính": "Nam", "Ngày sinh": "1985-04-12",
        "Số định danh cá nhân": "031085004321", "Thôn, tổ dân phố": "Thôn Hiền Hào",
        "Diện ra tù": "Chấp hành xong án phạt tù", "Trại giam, trại tạm giam": "Trại giam Xuân Nguyên",
        "Ngày nhận thông báo của trại giam": day[130], "Ngày dự kiến ra tù": day[110],
        "Trạng thái khi lập hồ sơ": "Dự kiến ra tù (đã nhận thông báo)",
    })
    page.get_by_role("button", name="Lập hồ sơ").click()
    expect(page.get_by_role("status")).to_have_text("Đã tạo hồ sơ.")
    expect(page.get_by_role("heading", name="Trần Văn Đông")).to_be_visible()

    # Released on the expected day, with the deadline printed on the certificate; then presented.
    page.get_by_role("button", name="Chuyển sang: Đã ra tù, chưa trình diện").click()
    fill(page, {"Ngày ra tù": day[110], "Hạn trình diện (theo giấy chứng nhận)": day[100]})
    page.get_by_role("button", name="Ghi nhận").click()
    page.get_by_role("button", name="Chuyển sang: Đã trình diện, đang lập hồ sơ").click()
    fill(page, {
        "Ngày trình diện (buổi làm việc)": day[105],
        "Biên bản buổi làm việc": "Anh Đông trình diện, được phổ biến quyền và nghĩa vụ.",
        "Người được quản lý đã ký bản cam kết": True,
    })
    page.get_by_role("button", name="Ghi nhận").click()
    expect(page.get_by_role("status")).to_have_text("Trạng thái hiện nay: Đã trình diện, đang lập hồ sơ.")
    page.get_by_role("button", name="Chuyển sang: Đang quản lý").click()
    fill(page, {"Nhóm": "B: chấp hành tốt pháp luật, có hoàn cảnh khó khăn", "Ngày lập hồ sơ": day[100]})
    page.get_by_role("button", name="Ghi nhận").click()
    expect(page.get_by_role("status")).to_have_text("Trạng thái hiện nay: Đang quản lý.")

    # A support team with the four members the model asks for, the police officer leading it.
    menu(page, "Tổ giúp đỡ")
    fill(page, {"Tên tổ": "Tổ giúp đỡ thôn Hiền Hào", "Thôn, tổ dân phố": "Thôn Hiền Hào"})
    page.get_by_role("button", name="Lập tổ").click()
    expect(page.get_by_text("Tổ chưa đủ thành phần")).to_be_visible()
    new_member = page.locator("form").filter(has=page.get_by_role("heading", name="Thêm thành viên"))
    for name, kind in [("Đào Văn Cường", "Đại diện Công an"), ("Lý Thị Hoa", "Cán bộ đoàn thể"),
                       ("Bùi Văn Sơn", "Cán bộ thôn, tổ dân phố"), ("Trần Thị Nga", "Đại diện gia đình")]:
        fill(new_member, {"Họ và tên": name, "Đại diện": kind})
        if kind == "Đại diện Công an":
            fill(new_member, {"Tổ trưởng": True})
        new_member.get_by_role("button", name="Thêm thành viên").click()
    fill(page, {"Người được giúp đỡ": "Trần Văn Đông — Thôn Hiền Hào", "Giúp đỡ từ ngày": day[100]})
    page.get_by_role("button", name="Thêm", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Tổ bắt đầu giúp đỡ người này.")
    expect(page.get_by_text("Tổ chưa đủ thành phần")).to_have_count(0)
    expect(page.get_by_text("Tổ chưa có tổ trưởng")).to_have_count(0)
    expect(page.get_by_role("row", name="Đào Văn Cường tổ trưởng")).to_be_visible()
    police.snap("2-team", "Tổ giúp đỡ thôn Hiền Hào", "Đại diện gia đình")

    # This week's visit, in the progress notebook.
    page.get_by_role("link", name="Trần Văn Đông").click()
    page.get_by_role("link", name="ghi lần tiếp xúc").click()
    page.get_by_text("Ghi lần tiếp xúc", exact=True).click()
    fill(page, {
        "Thành viên tổ": "Đào Văn Cường", "Hình thức": "Đến nhà",
        "Nội dung trao đổi": "Anh Đông đang sửa thuyền cùng gia đình, muốn vay vốn mua lưới.",
        "Tâm lý, tư tưởng": "Ổn định, tích cực",
    })
    page.get_by_role("button", name="Ghi vào sổ").click()
    expect(page.get_by_role("status")).to_have_text("Đã ghi vào sổ theo dõi.")
    expect(page.get_by_role("row").filter(has_text="muốn vay vốn mua lưới")).to_contain_text(today.strftime("%d/%m/%Y"))

    # The quarter's review: the form proposes the quarter just ended.
    care_pages = page.get_by_role("navigation", name="Quản lý, giúp đỡ")
    care_pages.get_by_role("link", name="Đánh giá, phân loại hằng quý").click()
    year, quarter = page.get_by_label("Năm").input_value(), page.get_by_label("Quý").input_value()
    fill(page, {
        "Ngày nhận báo cáo của người giám sát (HCD-08)": today.isoformat(),
        "Nhóm": "B: chấp hành tốt pháp luật, có hoàn cảnh khó khăn",
        "Lý do phân loại": "Chấp hành tốt, kinh tế gia đình còn khó khăn.",
    })
    page.get_by_role("button", name="Lưu kết quả đánh giá").click()
    expect(page.get_by_role("status")).to_have_text("Đã ghi kết quả đánh giá quý.")
    expect(page.get_by_role("row").filter(has_text=f"{quarter}/{year}")).to_contain_text("Chấp hành tốt")

    # A loan from the Social Policy Bank for his fishing nets.
    care_pages.get_by_role("link", name="Hỗ trợ").click()
    fill(page, {
        "Loại hỗ trợ": LOAN, "Trạng thái": "Đang thực hiện",
        "Ngày bắt đầu": today.isoformat(), "Đơn vị thực hiện": "Ngân hàng Chính sách xã hội",
        "Số tiền (đồng)": "50.000.000", "Mục đích vay": "Sản xuất, kinh doanh",
        "Tình trạng khoản vay": "Đang lập hồ sơ",
    })
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Đã ghi hoạt động hỗ trợ.")
    expect(page.get_by_role("row").filter(has_text=LOAN)).to_contain_text("50.000.000")

    # Everything shows on the dossier, and the list has him under management.
    page.get_by_role("link", name="Về hồ sơ").click()
    care = page.locator("#care")
    expect(care.get_by_role("row").filter(has_text="muốn vay vốn mua lưới")).to_be_visible()
    expect(care.get_by_role("row").filter(has_text=f"{quarter}/{year}")).to_be_visible()
    expect(care.get_by_role("row").filter(has_text=LOAN)).to_contain_text("50.000.000")
    expect(care.get_by_role("link", name="Tổ giúp đỡ thôn Hiền Hào")).to_be_visible()
    police.snap("3-dossier", "Đang quản lý", "Sổ tay theo dõi", "Đánh giá, phân loại hằng quý")
    menu(page, "Người chấp hành xong án phạt tù")
    row = page.get_by_role("row").filter(has_text="Trần Văn Đông")
    expect(row).to_contain_text("Đang quản lý")
    expect(row).to_contain_text("031085004321")
    police.snap("4-list", "Người chấp hành xong án phạt tù", "Đang quản lý")


# --- The Fatherland Front member --------------------------------------------------------------------

# What a reader may post: a comment, signing out, the language. Anything else would be an edit control.
READER_FORMS = re.compile(r"/(comments|logout|locale/\w+)$")


def test_front_member_reads_and_comments_and_finds_nothing_to_edit(journeys, make_user, live_app):  # noqa: F811
    hung = seed_dossiers(live_app, make_user("commune_police", CAT_HAI))
    make_user("mttq_member", CAT_HAI, username="binh.mttq", full_name="Phạm Văn Bình")
    front = journeys("mttq")
    page = front.page

    front.sign_in("binh.mttq")
    expect(page.get_by_role("heading", name="Đặc khu Cát Hải")).to_be_visible()
    menu(page, "Người chấp hành xong án phạt tù")
    row = page.get_by_role("row").filter(has_text="Nguyễn Văn Hùng")
    expect(row).to_contain_text("••••••••1234")  # the personal ID, masked for the Front
    expect(page.get_by_text(PERSONAL_ID)).to_have_count(0)
    expect(page.get_by_role("link", name="Lập hồ sơ mới")).to_have_count(0)
    row.get_by_role("link", name="Nguyễn Văn Hùng").click()

    expect(page.get_by_role("heading", name="Nguyễn Văn Hùng")).to_be_visible()
    expect(page.locator("#care")).to_contain_text("Anh Hùng đã đi làm phụ hồ ở thị trấn Cát Bà.")
    expect(page.get_by_role("button", name=re.compile("Sửa|Chuyển sang"))).to_have_count(0)
    for link in ("ghi lần tiếp xúc", "ghi kết quả đánh giá", "ghi hoạt động hỗ trợ", "Thêm bản án"):
        expect(page.get_by_role("link", name=link)).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    actions = page.locator("form[method=post]").evaluate_all("forms => forms.map(f => f.action)")
    assert [a for a in actions if not READER_FORMS.search(a)] == []

    page.get_by_role("textbox", name="Ý kiến").fill("Mặt trận đề nghị giới thiệu anh Hùng học nghề sửa chữa máy thủy.")
    page.get_by_role("button", name="Thêm ý kiến").click()
    expect(page.get_by_role("status")).to_have_text("Đã thêm ý kiến.")
    comment = page.locator("#comments li").filter(has_text="học nghề sửa chữa máy thủy")
    expect(comment).to_contain_text("Phạm Văn Bình")
    front.snap("1-dossier", "Nguyễn Văn Hùng", "Ý kiến", "Phạm Văn Bình")

    # The notebook has no form for the Front, and typing an edit address answers "forbidden".
    page.get_by_role("link", name="Toàn bộ sổ theo dõi").click()
    expect(page.locator("#care, main")).to_contain_text("Anh Hùng đã đi làm phụ hồ")
    expect(page.get_by_text("Ghi lần tiếp xúc", exact=True)).to_have_count(0)
    front.expect_status_error(403)
    page.goto(f"/t/{CAT_HAI}/returnees/{hung}/edit")
    expect(page.get_by_text("Bạn không có quyền thực hiện thao tác này.")).to_be_visible()
    front.snap("2-forbidden", "Bạn không có quyền thực hiện thao tác này.")


# --- The unit leader --------------------------------------------------------------------------------


def test_leader_approves_the_quarterly_report(journeys, make_user, live_app):  # noqa: F811
    police_id = make_user("commune_police", CAT_HAI, full_name="Nguyễn Văn Hải")
    seed_dossiers(live_app, police_id)
    submitted_report(live_app, police_id)
    _quarter, label = last_quarter(live_app)
    make_user("commune_leader", CAT_HAI, username="lan.leader", full_name="Trần Thị Lan")
    leader = journeys("leader")
    page = leader.page

    leader.sign_in("lan.leader")
    menu(page, "Báo cáo")
    row = page.get_by_role("row").filter(has_text=label)
    expect(row).to_contain_text("đã gửi")
    row.get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", name=f"Báo cáo: {label}")).to_be_visible()
    expect(page.get_by_text("Tình hình an ninh trật tự ổn định.")).to_be_visible()
    expect(page.get_by_role("link", name="Sửa nội dung")).to_have_count(0)
    leader.snap("1-submitted", "Phê duyệt báo cáo", "Nguyễn Văn Hải")

    page.get_by_role("button", name="Phê duyệt báo cáo").click()
    expect(page.get_by_role("status")).to_have_text("Báo cáo đã được phê duyệt.")
    expect(page.locator(".report-head")).to_contain_text("đã phê duyệt")
    expect(page.locator(".report-head")).to_contain_text("Trần Thị Lan")
    expect(page.get_by_role("button", name="Phê duyệt báo cáo")).to_have_count(0)
    leader.snap("2-approved", "đã phê duyệt", "Trần Thị Lan")
    menu(page, "Báo cáo")
    expect(page.get_by_role("row").filter(has_text=label)).to_contain_text("đã phê duyệt")


# --- The city officer --------------------------------------------------------------------------------


def test_city_officer_reads_the_rollup_and_downloads_its_pdf(journeys, make_user, live_app):  # noqa: F811
    police_id = make_user("commune_police", CAT_HAI)
    seed_dossiers(live_app, police_id)
    submitted_report(live_app, police_id, approved_by=make_user("commune_leader", CAT_HAI))
    _quarter, label = last_quarter(live_app)
    make_user("city_police", None, username="tuan.city", full_name="Hoàng Minh Tuấn")
    city = journeys("city")
    page = city.page

    city.sign_in("tuan.city")
    expect(page.get_by_role("heading", name="Thành phố Hải Phòng")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Tổng hợp báo cáo toàn thành phố").click()
    page.get_by_role("link", name=f"Quý vừa kết thúc: {label}").click()
    expect(page.get_by_role("heading", name=f"Tổng hợp báo cáo {label}")).to_be_visible()

    # The completeness board: Cát Hải approved, the 113 other units not submitted.
    board = page.get_by_role("region", name="Tình hình gửi báo cáo")
    expect(board.locator(".state-approved .num")).to_have_text("1")
    expect(board.locator(".state-missing .num")).to_have_text("113")
    expect(page.locator("#unit-11914")).to_contain_text("đã phê duyệt")
    city.snap("1-board", "Đặc khu Cát Hải", "Tình hình gửi báo cáo")

    page.get_by_role("button", name="Tạo tệp XLSX và PDF").click()
    if BACKEND == "postgresql":  # built by a real rq worker process
        expect(page.get_by_role("status")).to_have_text("Đang tạo các tệp; tệp sẽ hiện ở đây khi xong.")
        expect(page.get_by_text("Chưa có tệp nào được tạo.")).to_be_visible()
        servers.run_worker(live_app, "reports")
        page.reload()
    else:  # built in the request, in-process
        expect(page.get_by_role("status")).to_have_text("Đã tạo xong các tệp.")
    pdf_row = page.get_by_role("row").filter(has_text="PDF")
    # Built a moment ago, shown in Hải Phòng time (the database keeps UTC).
    built = datetime.strptime(pdf_row.get_by_role("cell").nth(2).inner_text(), "%d/%m/%Y %H:%M")
    assert abs(datetime.now(HAI_PHONG).replace(tzinfo=None) - built) < timedelta(minutes=5)
    with page.expect_response(re.compile(r"/rollups/files/download/")) as response, page.expect_download() as download:
        pdf_row.get_by_role("button", name="Tải xuống").click()
    assert response.value.status == 200
    assert response.value.headers["content-type"] == "application/pdf"
    data = download.value.path().read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 5000
    assert download.value.suggested_filename.endswith(".pdf")
    city.snap("2-files", "Tệp", "Tải xuống")


# --- In the field, on a phone ---------------------------------------------------------------------


def test_contact_log_on_a_phone(journeys, make_user, live_app, today):  # noqa: F811
    police_id = make_user("commune_police", CAT_HAI, username="cuong.police", full_name="Đào Văn Cường")
    seed_dossiers(live_app, police_id)
    phone = journeys("phone", **PHONE)
    page = phone.page

    phone.sign_in("cuong.police")
    assert_fits_the_screen(page)
    menu(page, "Người chấp hành xong án phạt tù")
    fill(page, {"Tên": "nguyen van hung"})  # typed without diacritics, as on a phone keyboard
    page.get_by_role("button", name="Lọc").tap()
    expect(page.get_by_role("row").filter(has_text="Nguyễn Văn Hùng")).to_contain_text("Đang quản lý")
    assert_fits_the_screen(page)
    phone.snap("1-list", "Người chấp hành xong án phạt tù", "Nguyễn Văn Hùng")
    page.get_by_role("link", name="Nguyễn Văn Hùng").tap()
    expect(page.get_by_role("heading", name="Nguyễn Văn Hùng")).to_be_visible()
    assert_fits_the_screen(page)
    page.get_by_role("link", name="Toàn bộ sổ theo dõi").tap()
    expect(page.get_by_role("heading", name="Sổ tay theo dõi")).to_be_visible()
    page.get_by_text("Ghi lần tiếp xúc", exact=True).tap()
    form = page.locator("form").filter(has=page.get_by_role("button", name="Ghi vào sổ"))
    for control in form.locator("input:visible, select:visible, textarea:visible").all():
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, "a field runs off the screen"
    fill(page, {
        "Hoặc người khác": "Đào Văn Cường", "Hình thức": "Gọi điện thoại",
        "Nội dung trao đổi": "Anh Hùng báo tuần này đi biển, về sẽ đến trụ sở.",
        "Dấu hiệu nguy cơ": "Không",
    })
    assert_fits_the_screen(page)
    phone.snap("2-form", "Ghi lần tiếp xúc", "Nội dung trao đổi")
    page.get_by_role("button", name="Ghi vào sổ").tap()
    expect(page.get_by_role("status")).to_have_text("Đã ghi vào sổ theo dõi.")
    entry = page.get_by_role("row").filter(has_text="tuần này đi biển")
    expect(entry).to_contain_text(today.strftime("%d/%m/%Y"))
    expect(entry).to_contain_text("Gọi điện thoại")
    assert_fits_the_screen(page)
    phone.snap("3-logged", "Sổ tay theo dõi", "tuần này đi biển")


def test_the_console_check_sees_what_the_csp_refuses(journeys):  # noqa: F811
    """The journeys' "no console error" is not blind: a script injected into a page is refused by the
    CSP, and the refusal is what the check records."""
    intruder = journeys("csp")
    page = intruder.page
    page.goto("/login")
    with page.expect_console_message(lambda m: m.type == "error") as message:
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'document.title = \"x\"';"
                      " document.head.append(s); }")
    assert "Content Security Policy" in message.value.text
    expect(page).to_have_title("Đăng nhập · Hải Phòng")  # the script never ran
    assert [p for p in intruder.problems if "Content Security Policy" in p]
    intruder.problems.clear()
