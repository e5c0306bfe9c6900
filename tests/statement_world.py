"""A unit and the city at two sizes, for the statement-count test (tests/test_statement_counts.py).

`build` makes the structure the pages' URLs name, the way the app makes it (a dossier moved through
its lifecycle, an opened campaign with its plan, a loan list, a report); `grow(n)` then adds n rows of
every kind the pages list or count, each kind in one bulk insert (executemany through the ORM's
`insert()`), so that 1,000 rows of each cost a few seconds. Rows of a unit are written while acting for
it (row-level security checks them on PostgreSQL), the city's figures one unit at a time.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from blueprints.admin.models import BreachRecord, breach_record_units
from blueprints.campaigns.models import Campaign, CampaignProgress, LoanList, LoanListEntry, PlanTask, UnitPlan
from blueprints.reports import figures
from blueprints.reports.models import LIVE, REPORTED, Report, UnitFigures
from blueprints.reports.periods import containing
from blueprints.returnees.care import (
    Assignment,
    Contact,
    Incident,
    QuarterlyReview,
    SupportAction,
    SupportTeam,
    TeamMember,
    TeamReturnee,
    Transfer,
)
from blueprints.returnees.community import Commendation, Employer, OutreachActivity
from blueprints.returnees.models import Conviction, Returnee, StatusEvent
from portal.accounts import Membership, User
from portal.audit import AuditEvent
from portal.comments import Comment
from portal.extensions import db
from portal.search import fold
from tenants.context import current_tenant_id, use_tenant
from tenants.models import Tenant, TenantOwned
from tests.conftest import _PASSWORD_HASH, tenant
from tests.helpers_returnees import AN_KHANH, CAT_HAI, add_conviction, issue_token, make_returnee, under_management
from tests.test_campaigns_unit import make_campaign
from workers.attachments import Attachment
from workers.tasks import FINISHED, CityTask, Task

STATUSES = ("under_management", "under_management", "expected", "released_not_reported", "overdue", "received",
            "in_custody", "closed")
MEMBER_KINDS = ("police", "mass_organisation", "village_cadre", "family")
SURNAMES = ("Nguyễn Văn", "Trần Thị", "Lê Văn", "Phạm Thị")
# Kinds a person or a team holds a handful of in life, where a page's work (not its statements) grows
# with the square of them (the expungement chain over convictions) or a form is drawn per row (a
# team's members): 10, then 20 or 30 rather than 1,000.
FEW = 10


def _insert(model, rows: list[dict], returning: bool = False):
    """One executemany of `rows`; the new ids in order when asked."""
    if not rows:
        return []
    if issubclass(model, TenantOwned):  # a bulk insert skips the flush that stamps the unit
        rows = [{"tenant_id": current_tenant_id(), **row} for row in rows]
    if returning:
        return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))
    db.session.execute(insert(model), rows)
    return []


def build(app, login, count_from: date) -> dict:
    """The clients, tokens and the ids the URLs name; `count_from` is today."""
    police, city, admin = login("commune_police", CAT_HAI), login("city_police"), login("system_admin")
    world = {
        "clients": {"police": police, "city": city, "admin": admin},
        "tokens": {"police": issue_token(app, police.user_id), "city": issue_token(app, city.user_id)},
        "slug": CAT_HAI,
        "today": count_from,
    }
    rid = make_returnee(app, CAT_HAI, full_name="Nguyễn Văn An", hamlet="Thôn 1")
    under_management(app, CAT_HAI, rid)
    add_conviction(app, CAT_HAI, rid)
    cid = make_campaign(app)
    person = make_returnee(app, CAT_HAI, full_name="Trần Văn Đặc Xá", national_id="031080009999",
                           release_kind="special_pardon")
    month = count_from.strftime("%Y-%m")
    quarter = containing("quarter", count_from)
    world.update(rid=rid, cid=cid, person=person, month=month, period=quarter.key)
    # The unit's plan is made by its first view; the loan list and the report are opened as the police do.
    assert police.get(f"/t/{CAT_HAI}/campaigns/{cid}").status_code == 200
    response = police.post(f"/t/{CAT_HAI}/campaigns/loans", data={"month": month, "campaign_id": str(cid)})
    assert response.status_code == 303, response.status_code
    response = police.post(f"/t/{CAT_HAI}/reports/open", data={"kind": "quarter", "period": quarter.key})
    assert response.status_code == 303, response.status_code
    world["report"] = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        unit = tenant(CAT_HAI)
        world["code"], world["unit_id"], world["other_unit"] = unit.code, unit.id, tenant(AN_KHANH).id
        with use_tenant(unit):
            world["plan"] = db.session.scalar(select(UnitPlan.id).where(UnitPlan.campaign_id == cid))
            world["loan_list"] = db.session.scalar(select(LoanList.id).where(LoanList.month == month))
            db.session.get(Returnee, person).campaign_id = cid  # an expected pardon recipient of the campaign
            world.update(_firsts(world))
            world["conviction"] = db.session.scalar(select(Conviction.id).where(Conviction.returnee_id == rid))
            db.session.commit()
        world["breach"] = _insert(BreachRecord, [{"title": "Lộ danh sách", "detected_at": datetime(2026, 6, 1)}],
                                  returning=True)[0]
        world["city_task"] = _insert(CityTask, [{"kind": "rollups.build", "state": FINISHED, "params": {}}],
                                     returning=True)[0]
        db.session.commit()
    return world


def _firsts(world) -> dict:
    """One row of each kind a page's URL names (the team, the transfer, the support action, …)."""
    rid, other = world["rid"], world["other_unit"]
    team = _insert(SupportTeam, [{"name": "Tổ giúp đỡ Thôn 1", "hamlet": "Thôn 1"}], returning=True)[0]
    _insert(TeamMember, [{"team_id": team, "full_name": f"Thành viên {k}", "kind": k, "is_leader": k == "police"}
                         for k in MEMBER_KINDS])
    _insert(TeamReturnee, [{"returnee_id": rid, "team_id": team, "since": date(2026, 6, 1)}])
    return {
        "team": team,
        "transfer": _insert(Transfer, [{"returnee_id": rid, "transfer_key": "k0", "direction": "out",
                                        "other_tenant_id": other, "notified_on": date(2026, 6, 1),
                                        "state": "cancelled"}], returning=True)[0],
        "action": _insert(SupportAction, [{"returnee_id": rid, "kind": "counselling", "status": "done",
                                           "started_on": date(2026, 6, 2)}], returning=True)[0],
        "employer": _insert(Employer, [{"name": "Công ty Cát Hải"}], returning=True)[0],
        "outreach": _insert(OutreachActivity, [{"on": date(2026, 6, 3), "form": "meeting", "topic": "Pháp luật",
                                                "participants": 40}], returning=True)[0],
        "commendation": _insert(Commendation, [{"on": date(2026, 6, 4), "target": "person", "name": "Ông A"}],
                                returning=True)[0],
        "task": _insert(Task, [{"kind": "files.store", "state": FINISHED, "params": {}}], returning=True)[0],
    }


def grow(app, world: dict, n: int, start: int) -> None:
    """Add n rows of every kind (numbered from `start`, so names and periods stay unique)."""
    with app.app_context():
        with use_tenant(tenant(CAT_HAI)):
            people = _people(world, n, start)
            _dossier(world, n, start)
            _teams(world, n, people)
            _unit(world, n, start, people)
            db.session.commit()
        _city(world, n, start)
        db.session.commit()


def _people(world, n: int, start: int) -> list[int]:
    """n dossiers in every status, a third of them the campaign's pardon recipients, some minors."""
    rows = []
    for i in range(start, start + n):
        status, name = STATUSES[i % len(STATUSES)], f"{SURNAMES[i % len(SURNAMES)]} Thử {i:04d}"
        managed = status in ("under_management", "in_custody", "closed")
        rows.append({
            "full_name": name, "search_name": fold(name), "sex": ("male", "female")[i % 2],
            "date_of_birth": date(2010, 3, 1) if i % 5 == 0 else date(1980 + i % 20, 1 + i % 12, 1 + i % 28),
            "national_id": f"0311{i:08d}", "hamlet": f"Thôn {i % 5 + 1}", "status": status,
            "release_kind": "special_pardon" if i % 3 == 0 else "completed_sentence",
            "campaign_id": world["cid"] if i % 3 == 0 else None,
            "release_date": date(2026, 1, 5), "reporting_deadline": date(2026, 1, 15),
            "reported_on": date(2026, 1, 10) if managed or status == "received" else None,
            "managed_since": date(2026, 1, 12) if managed else None,
            "group": ("D" if status == "in_custody" else "ABC"[i % 3]) if managed else None,
            "closed_on": date(2026, 9, 1) if status == "closed" else None,
            "closure_ground": "dead" if status == "closed" else None,
            "overdue_state": "verifying" if status == "overdue" else None,
        })
    return _insert(Returnee, rows, returning=True)


def _dossier(world, n: int, start: int) -> None:
    """n rows of each kind around the one dossier the dossier pages show."""
    rid, today, span = world["rid"], world["today"], range(start, start + n)
    child = {"returnee_id": rid}
    _insert(Contact, [{**child, "on": today - timedelta(days=i % 700), "contact_person": "Cán bộ", "method": "visit",
                       "content": f"Gặp lần {i}", "risk_signals": "Bỏ việc" if i % 7 == 0 else None} for i in span])
    _insert(QuarterlyReview, [{**child, "year": 2025 - i // 4, "quarter": i % 4 + 1, "group": "B", "reason": "Ổn định",
                               "report_received_on": date(2025, 1, 5)} for i in span])
    _insert(SupportAction, [{**child, "kind": "job_placement" if i % 2 else "loan", "status": "done",
                             "started_on": date(2026, 2, 1), "employer_id": world["employer"] if i % 2 else None,
                             "loan_purpose": None if i % 2 else "business",
                             "loan_status": None if i % 2 else "disbursed",
                             "amount_vnd": None if i % 2 else 10_000_000} for i in span])
    _insert(Incident, [{**child, "kind": "administrative_violation", "on": date(2026, 3, 1),
                        "description": f"Vi phạm {i}"} for i in span])
    _insert(StatusEvent, [{**child, "on": date(2026, 5, 25), "from_status": "under_management",
                           "to_status": "under_management", "facts": {"group": "B"}} for i in span])
    _insert(Assignment, [{**child, "organisation": "Hội Phụ nữ", "person_name": f"Bà Tư {i}", "active": False,
                          "ended_on": date(2026, 5, 1)} for i in span])
    _insert(Conviction, [{**child, "judgment_date": date(2015, 1, 1), "penalty_kind": "imprisonment",
                          "sentence_months": 12, "main_penalty_served_on": date(2016, 1, 1)} for _ in range(FEW)])
    _insert(Transfer, [{**child, "transfer_key": f"k{i + 1}", "direction": "out", "state": "cancelled",
                        "other_tenant_id": world["other_unit"], "notified_on": date(2026, 6, 1)} for i in span])
    _insert(Comment, [{"target_type": "returnee", "target_id": rid, "body": f"Ý kiến {i}"} for i in span])
    _insert(Attachment, [{"target_type": "returnee", "target_id": rid, "filename": f"giay-to-{i}.pdf",
                          "content_type": "application/pdf", "size": 1000, "state": "stored",
                          "storage_key": f"k/{i}"} for i in span])


def _teams(world, n: int, people: list[int]) -> None:
    """n teams of four, each helping one new person (the first FEW the dossier's person too); the
    dossier's first team helps every new person and gains FEW members."""
    teams = _insert(SupportTeam, [{"name": f"Tổ {i:04d}", "hamlet": "Thôn 2"} for i in range(len(people))],
                    returning=True)
    members = [{"team_id": t, "full_name": f"Thành viên {k}", "kind": k, "is_leader": k == "police"}
               for t in teams for k in MEMBER_KINDS]
    members += [{"team_id": world["team"], "full_name": f"Thành viên thêm {i}", "kind": "other"} for i in range(FEW)]
    _insert(TeamMember, members)
    since = date(2026, 6, 1)
    helped = [{"returnee_id": world["rid"], "team_id": t, "since": since} for t in teams[:FEW]]
    helped += [{"returnee_id": p, "team_id": t, "since": since} for p, t in zip(people, teams, strict=True)]
    helped += [{"returnee_id": p, "team_id": world["team"], "since": since} for p in people]
    _insert(TeamReturnee, helped)


def _unit(world, n: int, start: int, people: list[int]) -> None:
    """The unit's other lists: community, reports, the campaign's plan and loan list, files and jobs."""
    span = range(start, start + n)
    _insert(Employer, [{"name": f"Doanh nghiệp {i}", "sector": "Thủy sản"} for i in span])
    _insert(OutreachActivity, [{"on": date(2026, 4, 1), "form": "meeting", "topic": f"Buổi {i}", "participants": 30}
                               for i in span])
    _insert(Commendation, [{"on": date(2026, 4, 2), "target": "person", "name": f"Cá nhân {i}"} for i in span])
    today = world["today"]
    _insert(Report, [
        {"period": f"{today:%Y-%m-%d}_{today:%Y-%m-%d}", "period_kind": "adhoc", "starts_on": today,
         "ends_on": today, "title": f"Báo cáo đột xuất {i}", "due_on": today, "status": "draft"} for i in span])
    _insert(Comment, [{"target_type": "report", "target_id": world["report"], "body": f"Góp ý {i}"} for i in span])
    _insert(Comment, [{"target_type": "campaign_plan", "target_id": world["plan"], "body": f"Ý kiến {i}"}
                      for i in span])
    # A plan's form holds at most 200 tasks: 180 of them here.
    _insert(PlanTask, [{"plan_id": world["plan"], "agency": "village_heads", "text": f"Việc {i}", "position": 100 + i}
                       for i in span if i < 180])
    _insert(LoanListEntry, [{"list_id": world["loan_list"], "returnee_id": p, "purpose": "business",
                             "amount_vnd": 20_000_000, "term_months": 36} for p in people])
    _insert(Attachment, [{"target_type": "unit", "filename": f"van-ban-{i}.pdf", "content_type": "application/pdf",
                          "size": 1000, "state": "stored", "storage_key": f"u/{i}"} for i in span])
    _insert(Task, [{"kind": "files.store", "state": FINISHED, "params": {}} for _ in span])


def _city(world, n: int, start: int) -> None:
    """Accounts, audit events, campaigns and city jobs; the figures units publish (10 units at first,
    all 114 and four quarters later: about n rows)."""
    span = range(start, start + n)
    users = _insert(User, [{"username": f"canbo{i:04d}", "full_name": f"Cán bộ {i}", "password_hash": _PASSWORD_HASH}
                           for i in span], returning=True)
    _insert(Membership, [{"user_id": u, "tenant_id": world["unit_id"], "role": "commune_police"} for u in users])
    _insert(AuditEvent, [{"action": "returnee.read", "tenant_id": world["unit_id"], "object_type": "returnees",
                          "object_id": str(world["rid"])} for _ in span])
    _insert(Campaign, [
        {"name": f"Đặc xá {2000 + i % 20} đợt {i}", "year": 2000 + i % 20, "round": 1 + i,
         "pardon_decision_number": f"{i}/QĐ-CTN", "pardon_decision_date": date(2020, 1, 1),
         "report_due_on": date(2020, 3, 1), "status": ("draft", "closed")[i % 2], "task_template": []} for i in span])
    _insert(CityTask, [{"kind": "rollups.build", "state": FINISHED, "params": {}} for _ in span])
    breaches = _insert(BreachRecord, [{"title": f"Sự cố {i}", "detected_at": datetime(2026, 5, 1)} for i in span],
                       returning=True)
    db.session.execute(insert(breach_record_units), [{"breach_id": b, "tenant_id": world["unit_id"]} for b in breaches])
    _published(world, first=start == 0)


def _published(world, first: bool) -> None:
    """The city's view of the units: 10 units at first; then every unit, for four quarters."""
    units = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
    progress = set(db.session.scalars(select(CampaignProgress.tenant_id)))
    have = set(db.session.execute(select(UnitFigures.tenant_id, UnitFigures.period, UnitFigures.source)))
    keys = [world["period"]] if first else _quarters(world["today"], 4)
    values = figures.total([])
    submitted = datetime.now(UTC).replace(tzinfo=None)
    for unit in units[:10] if first else units:
        rows = [{"tenant_id": unit.id, "period": key, "source": source, "figures": values, "late": False,
                 "status": "submitted" if source == REPORTED else None, "submitted_at": submitted}
                for key in keys for source in (REPORTED, LIVE) if (unit.id, key, source) not in have]
        with use_tenant(unit):
            _insert(UnitFigures, rows)
            if unit.id not in progress:
                _insert(CampaignProgress, [{"tenant_id": unit.id, "campaign_id": world["cid"], "expected": 3,
                                            "arrived": 1, "plan_status": "draft"}])


def _quarters(day: date, count: int) -> list[str]:
    keys, period = [], containing("quarter", day)
    for _ in range(count):
        keys.append(period.key)
        period = containing("quarter", period.start - timedelta(days=1))
    return keys
