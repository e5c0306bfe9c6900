"""The current unit: on `g` in a request, set explicitly by `use_tenant` in a job or command.

`current_tenant_id()` is the one reader; scoping and row-level security both follow it. The id is
kept apart from the Tenant object because reading an expired object's id would itself query.
"""

from contextlib import contextmanager

from flask import g, has_app_context


def current_tenant_id() -> int | None:
    return g.get("tenant_id") if has_app_context() else None


def current_tenant():
    return g.get("tenant") if has_app_context() else None


def set_tenant(tenant) -> None:
    g.tenant = tenant
    g.tenant_id = tenant.id if tenant is not None else None


@contextmanager
def use_tenant(tenant):
    """Act as `tenant` (a Tenant or None) for the block, restoring the previous unit after."""
    previous = g.get("tenant"), g.get("tenant_id")
    set_tenant(tenant)
    try:
        yield tenant
    finally:
        g.tenant, g.tenant_id = previous
