"""Reminders of reports due: due soon and late for the periods that ended last, none for a report
submitted or approved, idempotent across runs, shown only on the unit's own home, and e-mail through
a real SMTP server on loopback (a failed mail keeps the reminder).

On 08/10/2026 the last periods ended are September (due 05/10: late), Quarter III (due 10/10: due
soon), the first half of 2026 (due 15/07: late) and the year 2025 (due 20/01/2026: late).
"""

from datetime import date, datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from blueprints.reports import reminders, services
from blueprints.reports.cli import reports_cli
from blueprints.reports.models import ReportDeadline, ReportReminder
from blueprints.reports.periods import parse
from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from tests.servers import closed_port, free_port

CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"
UNITS = 114
DAY = date(2026, 10, 8)
ON_DAY = {("2026-09", "late"), ("2026-Q3", "due_soon"), ("2026-H1", "late"), ("2025", "late")}


@pytest.fixture(autouse=True)
def deadlines(app):
    """The deadlines the migration seeds (the per-test cleanup empties the table)."""
    with app.app_context():
        for kind, days in {"month": 5, "quarter": 10, "half": 15, "year": 20, "adhoc": 7}.items():
            db.session.merge(ReportDeadline(period_kind=kind, days_after_end=days))
        db.session.commit()


def rows(app, slug: str) -> set[tuple[str, str]]:
    with app.app_context(), use_tenant(tenant(slug)):
        return set(db.session.execute(select(ReportReminder.period, ReportReminder.kind)).all())


def remind(app, on: date = DAY, **kwargs) -> int:
    with app.app_context():
        return reminders.remind(on, **kwargs)


def report(app, slug: str, key: str, then: str = "submit") -> None:
    with app.app_context(), use_tenant(tenant(slug)):
        row = services.open_report(parse(key), None)
        services.submit(row, None, now=datetime(2026, 10, 1))
        if then in ("approve", "return"):
            services.approve(row, None) if then == "approve" else services.send_back(row, None, "Thiếu số liệu")
        db.session.commit()


def test_due_soon_and_late_for_the_periods_that_ended_last(app):
    assert remind(app) == UNITS * len(ON_DAY)
    assert rows(app, CAT_HAI) == rows(app, AN_KHANH) == ON_DAY
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        quarter = db.session.scalar(select(ReportReminder).where(ReportReminder.period == "2026-Q3"))
        assert quarter.due_on == date(2026, 10, 10) and quarter.emailed == 0


@pytest.mark.parametrize("on, expected", [
    (date(2026, 10, 6), set()),  # four days before: not yet
    (date(2026, 10, 7), {"due_soon"}),  # three days before
    (date(2026, 10, 10), {"due_soon"}),  # the due date itself is still on time
    (date(2026, 10, 11), {"late"}),
])
def test_the_quarter_is_reminded_from_three_days_before(app, on, expected):
    remind(app, on)
    assert {kind for period, kind in rows(app, CAT_HAI) if period == "2026-Q3"} == expected


def test_no_reminder_for_a_submitted_or_approved_report(app):
    report(app, CAT_HAI, "2026-Q3")
    report(app, CAT_HAI, "2026-H1", "approve")
    report(app, CAT_HAI, "2026-09", "return")  # returned for correction: still owed
    remind(app)
    assert rows(app, CAT_HAI) == {("2026-09", "late"), ("2025", "late")}
    assert rows(app, AN_KHANH) == ON_DAY


def test_running_again_reminds_no_one_twice(app):
    assert remind(app) == UNITS * 4
    assert remind(app) == 0
    # Three days later the quarter is late: one new reminder per unit, the due-soon one stays.
    assert remind(app, date(2026, 10, 11)) == UNITS
    assert rows(app, CAT_HAI) == ON_DAY | {("2026-Q3", "late")}


def test_the_command_prints_the_count(app):
    runner = app.test_cli_runner()
    result = runner.invoke(reports_cli, ["remind", "--today", "2026-10-08"])
    assert result.exit_code == 0, result.output
    assert f"{UNITS * 4} reminder(s) on 2026-10-08" in result.output
    again = runner.invoke(reports_cli, ["remind", "--today", "2026-10-08"])
    assert again.exit_code == 0 and "0 reminder(s)" in again.output


def test_the_home_shows_the_units_own_open_reminders(app, login):
    remind(app)
    report(app, CAT_HAI, "2026-Q3")  # submitted after the reminder: no longer shown
    with app.app_context(), use_tenant(tenant(AN_KHANH)):
        db.session.add(ReportReminder(period="2026-08", kind="late", due_on=date(2026, 9, 5)))
        db.session.commit()
    ours = login("commune_police", CAT_HAI, locale="en").get(f"/t/{CAT_HAI}/").get_data(as_text=True)
    theirs = login("mttq_member", AN_KHANH, locale="en").get(f"/t/{AN_KHANH}/").get_data(as_text=True)
    assert f'<a href="/t/{CAT_HAI}/reports/">Year 2025 report overdue since 20/01/2026</a>' in ours
    assert "Year 2025 report overdue since 20/01/2026" in ours
    assert "First half of 2026 report overdue since 15/07/2026" in ours
    assert "Quarter III/2026" not in ours and "Month 08/2026" not in ours
    assert "Quarter III/2026 report due on 10/10/2026" in theirs
    assert "Month 08/2026 report overdue since 05/09/2026" in theirs


def test_city_roles_have_no_unit_home_to_see_them_on(app, login):
    remind(app)
    assert login("city_police").get(f"/t/{CAT_HAI}/").status_code == 404


# --- E-mail ----------------------------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def _mail_to(app, monkeypatch, port: int):
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_FROM": "portal@congan.example",
                       "MAIL_USE_TLS": False, "MAIL_USERNAME": "", "MAIL_PASSWORD": ""}.items():
        monkeypatch.setitem(app.config, key, value)


def _unit_reminders(slug: str) -> list[ReportReminder]:
    return db.session.scalars(select(ReportReminder).order_by(ReportReminder.period)).all()


def test_a_reminder_mail_reaches_the_smtp_server(app, monkeypatch, smtp):
    port, inbox = smtp
    _mail_to(app, monkeypatch, port)
    remind(app)
    to = ["cand.cathai@congan.example", "chutich.cathai@congan.example"]
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        unit, name = tenant(CAT_HAI), tenant(CAT_HAI).name
        assert reminders.notify(unit, _unit_reminders(CAT_HAI), to) == 2
        assert {r.emailed for r in _unit_reminders(CAT_HAI)} == {2}
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert sorted(envelope.rcpt_tos) == to and envelope.mail_from == "portal@congan.example"
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["To"] == "cand.cathai@congan.example, chutich.cathai@congan.example"
    assert name in message["Subject"]
    assert "10/10/2026" in message.get_content() and "2026-Q3" not in message.get_content()


def test_a_failed_mail_keeps_the_reminder(app, monkeypatch):
    _mail_to(app, monkeypatch, closed_port())
    remind(app)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert reminders.notify(tenant(CAT_HAI), _unit_reminders(CAT_HAI), ["cand@congan.example"]) == 0
        assert len(_unit_reminders(CAT_HAI)) == 4 and {r.emailed for r in _unit_reminders(CAT_HAI)} == {0}


def test_without_a_mail_server_nothing_is_sent(app, monkeypatch, smtp):
    port, inbox = smtp
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    remind(app)
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert reminders.notify(tenant(CAT_HAI), _unit_reminders(CAT_HAI), ["cand@congan.example"]) == 0
    assert inbox.envelopes == []


def test_the_sweep_mails_the_units_police_and_leaders(app, monkeypatch, smtp, make_user):
    port, inbox = smtp
    _mail_to(app, monkeypatch, port)
    make_user("commune_police", CAT_HAI, email="cand@cathai.example")
    make_user("commune_leader", CAT_HAI, email="chutich@cathai.example")
    make_user("commune_police", CAT_HAI, email="nghi@cathai.example", active=False)
    make_user("mttq_member", CAT_HAI, email="mttq@cathai.example")
    make_user("commune_police", AN_KHANH, email="cand@ankhanh.example")
    remind(app)
    by_unit = {tuple(sorted(e.rcpt_tos)) for e in inbox.envelopes}
    assert by_unit == {("cand@cathai.example", "chutich@cathai.example"), ("cand@ankhanh.example",)}
    with app.app_context(), use_tenant(tenant(CAT_HAI)):
        assert {r.emailed for r in _unit_reminders(CAT_HAI)} == {2}
