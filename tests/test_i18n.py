"""Languages and formats: Vietnamese first, English on request, one documented order for choosing
(user → unit → browser → Vietnamese), dates as dd/mm/yyyy and VND with dot separators.

The pages here are served with catalogues compiled from the .po files as they are now (into a
temporary folder, as `make` would), so the tests follow the translations without a build step.
"""

import io
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale, gettext
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from blueprints.reports.xlsx import report_workbook
from portal.accounts import User
from portal.app import create_app
from portal.audit import AuditEvent
from portal.extensions import db
from portal.i18n import format_day, format_moment, format_vnd, local_moment
from tests.conftest import app_config, sign_in, tenant

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
UNIT = "xa_an_khanh"


def read_catalogue(path: Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """The .po files compiled as `make translations` does (fuzzy entries left out)."""
    out = tmp_path_factory.mktemp("translations")
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        locale = po.parent.parent.name
        target = out / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as fh:
            write_mo(fh, read_catalogue(po, locale), use_fuzzy=False)
    return out


@pytest.fixture(scope="module")
def app(_migrated, compiled, tmp_path_factory):
    """The suite's app, reading the freshly compiled catalogues (the `login` fixture uses it too)."""
    config = app_config(_migrated, tmp_path_factory.mktemp("i18n"), BABEL_TRANSLATION_DIRECTORIES=str(compiled))
    application = create_app(config)
    yield application
    with application.app_context():
        db.engine.dispose()


def translated(app, msgid: str, locale: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return str(gettext(msgid))


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def set_unit_locale(app, locale: str | None) -> None:
    with app.app_context():
        tenant(UNIT).locale = locale
        db.session.commit()
        db.session.remove()


def user_locale(app, user_id: int) -> str | None:
    with app.app_context():
        value = db.session.scalar(select(User.locale).where(User.id == user_id))
        db.session.remove()
        return value


def unit_home(client, accept_language: str | None = None):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get(f"/t/{UNIT}/", headers=headers)
    assert response.status_code == 200, response.status
    return response


# --- The default and the browser ---------------------------------------------------------------


def test_vietnamese_is_the_default(app):
    response = app.test_client().get("/login")
    assert response.status_code == 200
    assert page_language(response) == "vi"
    body = response.get_data(as_text=True)
    for msgid in ("Sign in", "Username", "Password"):
        assert str(escape(translated(app, msgid, "vi"))) in body


def test_vietnamese_when_the_browser_asks_for_a_language_we_do_not_have(app):
    response = app.test_client().get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,de;q=0.5"})
    assert page_language(response) == "vi"


@pytest.mark.parametrize("header", ["en", "en-US,en;q=0.9", "en-GB,vi;q=0.3"])
def test_english_when_the_browser_prefers_it(app, header):
    response = app.test_client().get("/login", headers={"Accept-Language": header})
    assert page_language(response) == "en"
    body = response.get_data(as_text=True)
    assert "Sign in" in body and "Username" in body


def test_vietnamese_when_the_browser_prefers_it(app):
    response = app.test_client().get("/login", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert page_language(response) == "vi"


# --- The order: user → unit → browser → Vietnamese ------------------------------------------------


def test_the_users_choice_comes_first(app, login):
    set_unit_locale(app, "vi")
    assert page_language(unit_home(login("commune_police", UNIT, locale="en"), "vi")) == "en"
    set_unit_locale(app, "en")
    assert page_language(unit_home(login("commune_police", UNIT, locale="vi"), "en")) == "vi"


def test_then_the_units_default(app, login):
    client = login("commune_police", UNIT)
    set_unit_locale(app, "en")
    assert page_language(unit_home(client, "vi")) == "en"
    set_unit_locale(app, "vi")
    assert page_language(unit_home(client, "en")) == "vi"


def test_then_the_browser(app, login):
    client = login("commune_leader", UNIT)
    assert page_language(unit_home(client, "en")) == "en"
    assert page_language(unit_home(client, "vi")) == "vi"


def test_then_vietnamese(app, login):
    assert page_language(unit_home(login("mttq_member", UNIT))) == "vi"


# --- Choosing a language ---------------------------------------------------------------------------


def test_choosing_english_is_remembered_for_the_visit(app):
    client = app.test_client()
    response = client.post("/locale/en", data={"next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    # The browser asks for Vietnamese, but the visitor chose English.
    assert page_language(client.get("/login", headers={"Accept-Language": "vi"})) == "en"
    client.post("/locale/vi")
    assert page_language(client.get("/login", headers={"Accept-Language": "en"})) == "vi"


def test_a_signed_in_users_choice_is_kept_on_the_account(app, login, make_user):
    set_unit_locale(app, "vi")
    client = login("commune_police", UNIT)
    assert page_language(unit_home(client)) == "vi"
    response = client.post("/locale/en", data={"next": f"/t/{UNIT}/"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{UNIT}/")
    assert page_language(unit_home(client, "vi")) == "en"
    assert user_locale(app, client.user_id) == "en"
    # Another device, another session: the account remembers.
    other = app.test_client()
    sign_in(other, app, client.user_id)
    assert page_language(unit_home(other, "vi")) == "en"


def test_an_unknown_language_changes_nothing(app):
    client = app.test_client()
    client.post("/locale/fr")
    assert page_language(client.get("/login")) == "vi"


def test_choosing_a_language_never_redirects_off_site(app):
    client = app.test_client()
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post("/locale/en", data={"next": target})
        assert response.status_code == 302
        assert "evil.example" not in response.headers["Location"]
        assert not response.headers["Location"].startswith("javascript:")


# --- Formats ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_dates_and_money_look_the_same_in_both_languages(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert format_day(date(2026, 7, 1)) == "01/07/2026"
        assert format_day(datetime(2025, 9, 5, 14, 30)) == "05/09/2025"
        assert format_moment(datetime(2025, 9, 5, 14, 30)) == "05/09/2025 21:30"  # stored UTC, shown UTC+7
        assert format_day(None) == ""
        assert format_moment(None) == ""
        assert format_vnd(1234567) == "1.234.567 ₫"
        assert format_vnd(100_000_000) == "100.000.000 ₫"
        assert format_vnd(0) == "0 ₫"
        assert format_vnd(None) == ""
        rendered = render_template_string("{{ d|day }} · {{ n|vnd }}", d=date(2025, 9, 5), n=4_000_000)
        assert rendered == "05/09/2025 · 4.000.000 ₫"
        assert render_template_string("[{{ m|moment }}]", m=None) == "[]"


def test_stored_moments_are_shown_in_hai_phong_time(app):
    """Naive UTC in, Hải Phòng (UTC+7) out; an aware moment is converted from its own zone."""
    with app.test_request_context():
        assert local_moment(datetime(2026, 11, 25, 18, 30)) == datetime(2026, 11, 26, 1, 30)
        assert local_moment(datetime(2026, 11, 25, 18, 30, tzinfo=UTC)) == datetime(2026, 11, 26, 1, 30)
        already_local = datetime(2026, 11, 26, 1, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
        assert local_moment(already_local) == datetime(2026, 11, 26, 1, 30)
        assert local_moment(None) is None
        assert format_day(datetime(2026, 11, 25, 18, 30)) == "26/11/2026"  # a moment's day is Hải Phòng's
        assert format_moment(datetime(2026, 11, 25, 18, 30)) == "26/11/2026 01:30"


def test_a_report_workbook_gives_the_submission_day_in_hai_phong(app):
    report = SimpleNamespace(submitted_at=datetime(2026, 11, 25, 18, 30), late=False, status="submitted",
                             due_on=date(2026, 11, 30))
    period = SimpleNamespace(label="Q3/2026", start=date(2026, 7, 1), end=date(2026, 9, 30))
    with app.test_request_context(), force_locale("en"):
        data = report_workbook(unit=SimpleNamespace(name="Xã An Khánh", code="11"), report=report, period=period,
                               values={})
    cover = dict(row for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert cover["Submitted on"] == datetime(2026, 11, 26)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_a_page_shows_a_stored_moment_in_hai_phong_time(app, login, locale):
    """18:30 UTC on the 25th is 01:30 on the 26th in Hải Phòng: the date changes too."""
    client = login("system_admin", locale=locale, username="time.admin")
    with app.app_context():
        db.session.add(AuditEvent(action="dossier.read", at=datetime(2026, 11, 25, 18, 30), object_type="dossiers",
                                  object_id="4711", ip="10.0.0.9"))
        db.session.commit()
        db.session.remove()
    html = client.get("/admin/audit").get_data(as_text=True)
    start = html.index("dossiers #4711")
    row = html[html.rindex("<tr>", 0, start):html.index("</tr>", start)]
    assert "26/11/2026 01:30" in row
    assert "25/11/2026" not in row and "18:30" not in row


# --- The catalogues ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every user-facing string in the code and templates, extracted as `make extract-messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = str(Path(sys.executable).parent / "pybabel")
    subprocess.run(
        [pybabel, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )
    messages = [m for m in read_catalogue(pot) if m.id]
    assert len(messages) > 20, "the extraction found almost nothing: check babel.cfg"
    return messages


def where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:2])


def test_every_string_has_a_vietnamese_translation(extracted):
    catalogue = read_catalogue(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "vi")
    problems = []
    for message in extracted:
        entry = catalogue.get(message.id, message.context)
        strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
        if entry is None:
            problems.append(f"missing (run `make extract-messages`): {message.id!r} at {where(message)}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r} at {where(message)}")
    for entry, errors in catalogue.check():
        problems.extend(f"{entry.id!r}: {error}" for error in errors)
    assert not problems, f"{len(problems)} problem(s) in the Vietnamese catalogue:\n" + "\n".join(problems)


def test_the_english_catalogue_knows_every_string(extracted):
    catalogue = read_catalogue(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "en")
    missing = [f"{m.id!r} at {where(m)}" for m in extracted if catalogue.get(m.id, m.context) is None]
    assert not missing, "run `make extract-messages`; missing from the English catalogue:\n" + "\n".join(missing)


# A translation call inside an f-string is invisible to message extraction: the text would stay
# English in every locale while the completeness checks above stay green.
_CALL_IN_FSTRING = re.compile(r"""\bf(["'])[^"'\n]*\{\s*(?:gettext|ngettext|lazy_gettext|_l|_)\(""")


def test_no_translation_call_hides_inside_an_f_string():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("portal", "tenants", "blueprints", "workers")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _CALL_IN_FSTRING.search(line)
    ]
    assert not offenders, "move the gettext call out of the f-string: " + ", ".join(offenders)
