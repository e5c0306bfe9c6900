"""Each page issues a fixed number of SQL statements, whatever the number of rows (no N+1)."""

from portal.extensions import db
from tenants.context import use_tenant
from tests.conftest import tenant
from workers.tasks import Task


def _add_tasks(app, slug, n):
    with app.app_context(), use_tenant(tenant(slug)):
        db.session.add_all(Task(kind="files.store", params={}, state="queued") for _ in range(n))
        db.session.commit()


def _statements(client, count_queries, url, headers=None):
    with count_queries() as queries:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return len(queries)


def test_unit_home_query_count_does_not_grow(app, login, count_queries):
    client = login("commune_police", "dac_khu_cat_hai")
    _add_tasks(app, "dac_khu_cat_hai", 2)
    few = _statements(client, count_queries, "/t/dac_khu_cat_hai/")
    _add_tasks(app, "dac_khu_cat_hai", 40)
    many = _statements(client, count_queries, "/t/dac_khu_cat_hai/")
    assert few == many <= 10  # the due items: people, overdue contacts, reviews, convictions, audit


def test_city_home_and_registry_query_counts_are_small(app, login, count_queries):
    client = login("city_police")
    assert _statements(client, count_queries, "/city/") <= 4
