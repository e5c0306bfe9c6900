"""The current unit: on `g` in a request, set explicitly by `use_tenant` in a job or command.

`current_tenant_id()` is the one reader; scoping and row-level security both follow it.
"""

from contextlib import contextmanager

from flask import g, has_app_context


def current_tenant_id() -> int | None:
    if not has_app_context():
        return None
    tenant = g.get("tenant")
    return tenant.id if tenant is not None else None


def current_tenant():
    return g.get("tenant") if has_app_context() else None


@contextmanager
def use_tenant(tenant):
    """Act as `tenant` (a Tenant or None) for the block, restoring the previous unit after."""
    previous = g.get("tenant")
    g.tenant = tenant
    try:
        yield tenant
    finally:
        g.tenant = previous
