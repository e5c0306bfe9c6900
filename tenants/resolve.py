"""Tenant resolution from the URL (`/t/<tenant_slug>/…`), once per request, cached on `g`."""

from flask import abort, current_app, g
from sqlalchemy import or_, select

from portal.extensions import db
from tenants.context import set_tenant
from tenants.models import Tenant


def find_tenant(key: str) -> Tenant | None:
    """An active unit by slug, or by its 5-digit code (the API accepts both)."""
    return db.session.scalar(
        select(Tenant).where(or_(Tenant.slug == key, Tenant.code == key), Tenant.active.is_(True))
    )


def init_app(app) -> None:
    @app.url_value_preprocessor
    def pull_tenant(endpoint, values):
        if not values or "tenant_slug" not in values:
            return
        tenant = find_tenant(values.pop("tenant_slug"))
        if tenant is None:
            abort(404)
        set_tenant(tenant)

    @app.url_defaults
    def add_tenant(endpoint, values):
        tenant = g.get("tenant")
        if tenant is None or "tenant_slug" in values:
            return
        if current_app.url_map.is_endpoint_expecting(endpoint, "tenant_slug"):
            values["tenant_slug"] = tenant.slug
