"""Automatic tenant scoping for every TenantOwned model.

Three layers, each failing closed:
- every ORM SELECT/UPDATE/DELETE gets `tenant_id = <current unit>` (no unit set: matches nothing),
  and every loaded or refreshed object is checked against the current unit;
- a flush stamps new rows with the current unit and refuses a row of another unit;
- on PostgreSQL the current unit is set per transaction with `set_config(..., true)`, which the
  row-level security policies of `tenants.rls` read, so even raw SQL stays inside the unit.

There is deliberately no switch to lift the filter: cross-unit work loops over units with
`use_tenant`, and city figures come from the reviewed roll-up path.
"""

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, with_loader_criteria

from tenants.context import current_tenant_id
from tenants.models import TenantOwned

NO_TENANT = -1  # matches no row: ids start at 1
_APPLIED = "portal_rls_tenant"


class TenantScopeError(RuntimeError):
    """A write would cross units, or touch a unit's data with no unit set."""


def _add_criteria(state) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = current_tenant_id()
    wanted = tenant_id if tenant_id is not None else NO_TENANT
    state.statement = state.statement.options(
        with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == wanted, include_aliases=True)
    )


def _check_flush(session, flush_context, instances) -> None:
    tenant_id = current_tenant_id()
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if tenant_id is None:
            raise TenantScopeError(f"{type(obj).__name__}: no unit is set")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantScopeError(f"{type(obj).__name__}: belongs to another unit")
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        moved = inspect(obj).attrs.tenant_id.history.has_changes()
        if moved or obj.tenant_id != tenant_id:
            raise TenantScopeError(f"{type(obj).__name__}: change outside the current unit")


def _check_loaded(target, context, attrs=None) -> None:
    # Criteria do not reach the reload of an expired object already in the session (an object
    # read for one unit, touched while acting for another): refuse it here.
    if target.tenant_id != current_tenant_id():
        raise TenantScopeError(f"{type(target).__name__}: loaded outside its unit")


def _forget_applied(conn, *args) -> None:
    conn.info.pop(_APPLIED, None)


def _apply_rls_setting(conn, cursor, statement, parameters, context, executemany) -> None:
    # set_config(..., true) lasts until the transaction ends; "begin" and savepoint rollbacks clear
    # our record of it, so the first statement of each transaction sets it again.
    if conn.dialect.name != "postgresql":
        return
    tenant_id = current_tenant_id()
    if conn.info.get(_APPLIED, "unset") == tenant_id:
        return
    cursor.execute(
        "SELECT set_config('app.tenant_id', %s, true)", ("" if tenant_id is None else str(tenant_id),)
    )
    conn.info[_APPLIED] = tenant_id


def install() -> None:
    """Register the hooks once per process (they are class-level, for every session and engine)."""
    if event.contains(Session, "do_orm_execute", _add_criteria):
        return
    event.listen(Session, "do_orm_execute", _add_criteria)
    event.listen(Session, "before_flush", _check_flush)
    event.listen(TenantOwned, "load", _check_loaded, propagate=True)
    event.listen(TenantOwned, "refresh", _check_loaded, propagate=True)
    event.listen(Engine, "begin", _forget_applied)
    event.listen(Engine, "rollback_savepoint", _forget_applied)
    event.listen(Engine, "before_cursor_execute", _apply_rls_setting)
