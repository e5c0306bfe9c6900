"""Isolation between units, proven at each layer: ORM scoping, the flush guard, PostgreSQL
row-level security, the permission declarations and the routes themselves."""

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import ObjectDeletedError

from portal.accounts import Membership
from portal.app import create_app
from portal.audit import AuditEvent
from portal.extensions import db
from portal.permissions import PUBLIC_ENDPOINTS, Permission, declared_permission
from tenants.context import use_tenant
from tenants.models import TenantOwned, tenant_owned_models
from tenants.scoping import TenantScopeError
from tests.conftest import BACKEND, tenant
from workers.attachments import Attachment
from workers.tasks import Task

# Rows that name a unit but are registry, audit or published-figure data (counts the city reads;
# on PostgreSQL a unit may write only its own), or the administrators' breach records (which units
# a breach touched), read through reviewed paths only.
REVIEWED_UNSCOPED = {"memberships", "audit_events", "unit_figures", "campaign_progress", "breach_record_units"}
CAT_HAI, AN_KHANH = "dac_khu_cat_hai", "xa_an_khanh"


def _seed_tasks():
    """Two tasks in Cát Hải, one in An Khánh; returns their ids by unit."""
    ids = {}
    for slug, n in ((CAT_HAI, 2), (AN_KHANH, 1)):
        with use_tenant(tenant(slug)):
            rows = [Task(kind="files.store", params={}, state="finished") for _ in range(n)]
            db.session.add_all(rows)
            db.session.commit()
            ids[slug] = [r.id for r in rows]
    db.session.expunge_all()
    return ids


def test_queries_see_only_the_current_unit(ctx):
    ids = _seed_tasks()
    with use_tenant(tenant(CAT_HAI)):
        assert sorted(db.session.scalars(select(Task.id))) == sorted(ids[CAT_HAI])
        assert db.session.scalar(select(func.count()).select_from(Task)) == 2
        assert db.session.get(Task, ids[AN_KHANH][0]) is None
        subquery = select(Task.id).scalar_subquery()
        assert db.session.scalar(select(func.count()).select_from(Task).where(Task.id.in_(subquery))) == 2
    with use_tenant(tenant(AN_KHANH)):
        assert list(db.session.scalars(select(Task.id))) == ids[AN_KHANH]


def test_no_unit_set_means_no_rows(ctx):
    _seed_tasks()
    assert db.session.scalars(select(Task)).all() == []
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_bulk_update_and_delete_stay_inside_the_unit(ctx):
    ids = _seed_tasks()
    with use_tenant(tenant(CAT_HAI)):
        db.session.execute(update(Task).values(state="failed"))
        db.session.execute(db.delete(Task).where(Task.id == ids[AN_KHANH][0]))
        db.session.commit()
    with use_tenant(tenant(AN_KHANH)):
        survivor = db.session.scalar(select(Task))
        assert survivor is not None and survivor.state == "finished"


def test_new_rows_are_stamped_and_cross_unit_writes_refused(ctx):
    cat_hai, an_khanh = tenant(CAT_HAI), tenant(AN_KHANH)
    with use_tenant(cat_hai):
        task = Task(kind="files.store", params={})
        db.session.add(task)
        db.session.commit()
        assert task.tenant_id == cat_hai.id

        db.session.add(Task(kind="files.store", params={}, tenant_id=an_khanh.id))
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()

        task = db.session.scalar(select(Task))
        task.tenant_id = an_khanh.id
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()

    db.session.add(Task(kind="files.store", params={}))
    with pytest.raises(TenantScopeError):
        db.session.flush()
    db.session.rollback()


def test_an_object_of_one_unit_cannot_be_changed_while_acting_for_another(ctx):
    with use_tenant(tenant(CAT_HAI)):
        task = Task(kind="files.store", params={})
        db.session.add(task)
        db.session.commit()
    with use_tenant(tenant(AN_KHANH)):
        # The object expired at commit: reading it again for another unit is refused.
        with pytest.raises((TenantScopeError, ObjectDeletedError)):
            task.state = task.state + "x"
        db.session.rollback()
    with use_tenant(tenant(CAT_HAI)):
        fresh = db.session.scalar(select(Task))
    with use_tenant(tenant(AN_KHANH)):
        fresh.state = "failed"
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_every_model_naming_a_unit_is_scoped_or_reviewed(app):
    scoped = {cls.__tablename__ for cls in tenant_owned_models()}
    assert {"tasks", "attachments"} <= scoped
    for table in db.metadata.sorted_tables:
        if "tenant_id" in table.c and table.name not in scoped:
            assert table.name in REVIEWED_UNSCOPED, f"{table.name} has tenant_id but is not TenantOwned"
    for cls in tenant_owned_models():
        assert not cls.__table__.c.tenant_id.nullable, cls


@pytest.mark.postgres
def test_row_level_security_is_forced_on_every_tenant_owned_table(ctx):
    rows = db.session.execute(
        text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
            "FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
        )
    ).all()
    state = {name: (enabled, forced, policies) for name, enabled, forced, policies in rows}
    for cls in tenant_owned_models():
        assert state[cls.__tablename__] == (True, True, 1), cls.__tablename__


@pytest.mark.postgres
def test_raw_sql_in_one_units_transaction_cannot_read_or_write_another(ctx):
    ids = _seed_tasks()
    cat_hai, an_khanh = tenant(CAT_HAI), tenant(AN_KHANH)
    with use_tenant(cat_hai):
        seen = set(db.session.scalars(text("SELECT id FROM tasks")))
        assert seen == set(ids[CAT_HAI])
        with pytest.raises(DBAPIError, match="row-level security"):
            db.session.execute(
                text("INSERT INTO tasks (id, tenant_id, kind, params, locale, state, progress, attempts) "
                     "VALUES ('x1', :t, 'files.store', '{}', 'vi', 'pending', 0, 0)"),
                {"t": an_khanh.id},
            )
        db.session.rollback()
        result = db.session.execute(text("DELETE FROM tasks WHERE tenant_id = :t"), {"t": an_khanh.id})
        assert result.rowcount == 0
        db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM tasks")) == 0  # no unit: nothing
    with use_tenant(an_khanh):
        assert db.session.scalar(text("SELECT count(*) FROM tasks")) == 1


@pytest.mark.postgres
def test_the_app_role_owns_nothing_and_cannot_bypass_security(ctx):
    me = db.session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert tuple(me) == (False, False)
    owned = db.session.scalar(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
    )
    assert owned == 0


@pytest.mark.postgres
def test_the_audit_log_is_append_only_for_the_app(ctx):
    db.session.add(AuditEvent(action="test.event"))
    db.session.commit()
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="permission denied"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_every_endpoint_declares_a_permission(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        declared = declared_permission(app.view_functions[rule.endpoint])
        assert declared is not None, f"{rule.rule} ({rule.endpoint}) declares no permission"
        if "tenant_slug" in rule.arguments:
            assert isinstance(declared, Permission), f"{rule.rule} must need a unit permission"


def test_an_undeclared_endpoint_is_refused(app):
    fresh = create_app(dict(app.config))
    fresh.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    response = fresh.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


def _with_token(app, client):
    """The client's user also gets a bearer token, so /api/v1/t/ routes are walked as that user."""
    from portal.accounts import ApiToken, User

    with app.app_context():
        row, token = ApiToken.issue(db.session.get(User, client.user_id))
        db.session.add(row)
        db.session.commit()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _tenant_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/t/", "/api/v1/t/")):
            yield rule


def _build(rule, slug):
    values = {}
    for arg in rule.arguments:
        if arg == "tenant_slug":
            values[arg] = slug
        else:
            converter = rule._converters[arg]
            values[arg] = 1 if type(converter).__name__ == "IntegerConverter" else "x1"
    with_defaults = rule.build(values, append_unknown=False)
    return with_defaults[1]


@pytest.mark.parametrize(
    ("role", "unit"),
    [("commune_police", AN_KHANH), ("commune_leader", AN_KHANH), ("mttq_member", AN_KHANH),
     ("city_police", None), ("system_admin", None)],
)
def test_every_unit_route_answers_404_to_outsiders(app, login, role, unit):
    client = _with_token(app, login(role, unit))
    with app.app_context():
        name = tenant(CAT_HAI).name
    rules = list(_tenant_rules(app))
    assert rules
    for rule in rules:
        url = _build(rule, CAT_HAI)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 404, f"{method} {url} → {response.status_code}"
            assert name.encode() not in response.data


def test_membership_in_another_unit_does_not_open_this_one(app, login):
    client = login("commune_police", AN_KHANH)
    assert client.get("/t/xa_an_khanh/").status_code == 200
    assert client.get("/t/dac_khu_cat_hai/").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 1


def test_a_deactivated_unit_is_not_found(app, login):
    client = login("commune_police", CAT_HAI)
    with app.app_context():
        tenant(CAT_HAI).active = False
        db.session.commit()
    assert client.get("/t/dac_khu_cat_hai/").status_code == 404


def test_tenant_owned_models_helper_lists_only_mapped_subclasses(app):
    assert all(issubclass(cls, TenantOwned) for cls in tenant_owned_models())
    assert Attachment in tenant_owned_models()
    assert BACKEND in {"sqlite", "postgresql"}


@pytest.mark.parametrize("role", ["mttq_member", "commune_leader"])
def test_readers_of_a_unit_cannot_change_anything_in_it(app, login, role):
    """Every unit route that changes data needs a permission the Front member (and, for dossier
    work, the leader) does not hold."""
    from portal.permissions import ROLE_PERMISSIONS

    client = _with_token(app, login(role, CAT_HAI))
    writes = [r for r in _tenant_rules(app) if r.methods - {"GET", "HEAD", "OPTIONS"}]
    assert writes
    for rule in writes:
        needed = declared_permission(app.view_functions[rule.endpoint])
        if needed in ROLE_PERMISSIONS[role]:
            continue  # e.g. asking for a download link is reading, and readers may
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            response = client.open(_build(rule, CAT_HAI), method=method)
            assert response.status_code == 403, f"{role}: {method} {rule.rule} → {response.status_code}"
    if role == "mttq_member":
        granted = {declared_permission(app.view_functions[r.endpoint]) for r in writes}
        assert granted & ROLE_PERMISSIONS[role] <= {Permission.FILE_READ, Permission.COMMENT}
