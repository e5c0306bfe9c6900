"""Support teams of the unit (Tổ giúp đỡ, the Cát Hải model): the list, a team with its members and
the people it helps.

A member or a link is loaded through the team of the URL: one of another team (or unit) is 404.
Changes to a team's members load the team FOR UPDATE, so two officers naming two leaders at once
are serialised and the team keeps exactly one.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from blueprints.returnees import care_queries, care_services, care_team_queries
from blueprints.returnees.blueprint import bp
from blueprints.returnees.care import SupportTeam, TeamMember, TeamReturnee
from blueprints.returnees.care_forms import LinkForm, MemberForm, TeamForm, UnlinkForm
from blueprints.returnees.care_labels import LABELS
from blueprints.returnees.care_rows import TeamView
from blueprints.returnees.care_views import can_write, form_data, load_returnee, refused
from portal import audit
from portal.extensions import db
from portal.permissions import Permission, requires

MEMBER_FIELDS = ("full_name", "kind", "role_title", "phone", "is_leader")


def load_team(team_id: int, for_update: bool = False) -> SupportTeam:
    query = select(SupportTeam).where(SupportTeam.id == team_id)
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query) or abort(404)


def load_member(team: SupportTeam, member_id: int) -> TeamMember:
    query = select(TeamMember).where(TeamMember.id == member_id, TeamMember.team_id == team.id)
    return db.session.scalar(query) or abort(404)


def load_link(team: SupportTeam, link_id: int) -> TeamReturnee:
    query = select(TeamReturnee).where(TeamReturnee.id == link_id, TeamReturnee.team_id == team.id)
    return db.session.scalar(query) or abort(404)


def _teams_page(form=None, status=200):
    page = render_template(
        "returnees/care/teams.html", teams=care_team_queries.team_list(care_queries.today()),
        form=form or TeamForm(formdata=None), labels=LABELS, can_write=can_write(),
    )
    return page, status


def link_form(form=None) -> LinkForm:
    form = form or LinkForm(formdata=None, since=care_queries.today())
    form.returnee.choices = care_team_queries.returnee_choices(_("Choose a person"))
    return form


def _team_page(team: SupportTeam, status=200, edited=None, **forms):
    """The team page; `edited` is (member id, its submitted form) when an edit was refused."""
    on = care_queries.today()
    members = care_team_queries.team_members(team.id)
    edit_forms = {m.id: MemberForm(formdata=None, obj=m, prefix=f"m{m.id}") for m in members if m.active}
    if edited is not None:
        edit_forms[edited[0]] = edited[1]
    forms.setdefault("member_form", MemberForm(formdata=None))
    forms.setdefault("link_form", link_form())
    forms.setdefault("unlink_form", None)
    forms.setdefault("unlink_for", None)
    page = render_template(
        "returnees/care/team.html", team=team, view=TeamView(team, members=members), members=members,
        links=care_team_queries.team_links(team.id, on), labels=LABELS, can_write=can_write(),
        edit_forms=edit_forms, edited_id=edited[0] if edited else None, today=on, **forms,
    )
    return page, status


@bp.route("/teams")
@requires(Permission.DOSSIER_READ)
def teams():
    return _teams_page()


@bp.route("/teams", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def create_team():
    form = TeamForm()
    if not form.validate_on_submit():
        return _teams_page(form, 422)
    team = care_services.create_team(form.name.data, form.hamlet.data)
    db.session.commit()
    flash(_("The team was created: add its members."), "info")
    return redirect(url_for("returnees.team", team_id=team.id), code=303)


@bp.route("/teams/<int:team_id>")
@requires(Permission.DOSSIER_READ)
def team(team_id):
    team = load_team(team_id)
    # The page names the people the team helps: a read of their dossiers' data.
    audit.record("support_team.read", team)
    return _team_page(team)


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def add_member(team_id):
    team = load_team(team_id, for_update=True)
    form = MemberForm()
    if not form.validate_on_submit():
        return _team_page(team, 422, member_form=form)
    care_services.add_member(team, form_data(form, *MEMBER_FIELDS))
    db.session.commit()
    flash(_("The member was added."), "info")
    return redirect(url_for("returnees.team", team_id=team.id), code=303)


@bp.route("/teams/<int:team_id>/members/<int:member_id>", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def update_member(team_id, member_id):
    team = load_team(team_id, for_update=True)
    member = load_member(team, member_id)
    form = MemberForm(prefix=f"m{member.id}")
    if not form.validate_on_submit():
        return _team_page(team, 422, edited=(member.id, form))
    try:
        care_services.update_member(team, member, form_data(form, *MEMBER_FIELDS))
    except care_services.CareError as exc:
        return _team_page(team, refused(form, exc), edited=(member.id, form))
    db.session.commit()
    flash(_("The member was updated."), "info")
    return redirect(url_for("returnees.team", team_id=team.id), code=303)


@bp.route("/teams/<int:team_id>/members/<int:member_id>/deactivate", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def deactivate_member(team_id, member_id):
    team = load_team(team_id, for_update=True)
    member = load_member(team, member_id)
    if member.active:
        try:
            care_services.deactivate_member(member)
        except care_services.CareError as exc:
            flash(str(exc), "error")
            return _team_page(team, exc.status)
        db.session.commit()
        flash(_("The member left the team."), "info")
    return redirect(url_for("returnees.team", team_id=team.id), code=303)


@bp.route("/teams/<int:team_id>/returnees", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def link_returnee(team_id):
    team = load_team(team_id, for_update=True)
    form = link_form(LinkForm())
    if not form.validate_on_submit():
        return _team_page(team, 422, link_form=form)
    returnee = load_returnee(form.returnee.data, for_update=True)
    try:
        care_services.link_returnee(team, returnee, form.since.data)
    except care_services.CareError as exc:
        return _team_page(team, refused(form, exc), link_form=form)
    db.session.commit()
    flash(_("The team now helps this person."), "info")
    return redirect(url_for("returnees.team", team_id=team.id), code=303)


@bp.route("/teams/<int:team_id>/returnees/<int:link_id>/end", methods=["POST"])
@requires(Permission.DOSSIER_WRITE)
def unlink_returnee(team_id, link_id):
    team = load_team(team_id, for_update=True)
    link = load_link(team, link_id)
    returnee = load_returnee(link.returnee_id, for_update=True)
    form = UnlinkForm()
    if not form.validate_on_submit():
        return _team_page(team, 422, unlink_form=form, unlink_for=link.id)
    try:
        care_services.unlink_returnee(link, returnee, form.until.data)
    except care_services.CareError as exc:
        return _team_page(team, refused(form, exc), unlink_form=form, unlink_for=link.id)
    db.session.commit()
    flash(_("The team no longer helps this person."), "info")
    return redirect(url_for("returnees.team", team_id=team.id), code=303)
