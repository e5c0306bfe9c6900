"""Roles and permissions: the one table the UI, the API and the tests read (DESIGN.md §5).

Every endpoint declares what it needs with `requires`, `signed_in` or `public`; the request
guard (portal.guard) refuses an endpoint that declares nothing.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    COMMUNE_POLICE = "commune_police"
    COMMUNE_LEADER = "commune_leader"
    MTTQ_MEMBER = "mttq_member"
    CITY_POLICE = "city_police"
    SYSTEM_ADMIN = "system_admin"


UNIT_ROLES = frozenset({Role.COMMUNE_POLICE, Role.COMMUNE_LEADER, Role.MTTQ_MEMBER})
CITY_ROLES = frozenset({Role.CITY_POLICE, Role.SYSTEM_ADMIN})

ROLE_LABELS = {
    Role.COMMUNE_POLICE: _l("Commune police"),
    Role.COMMUNE_LEADER: _l("Commune leader"),
    Role.MTTQ_MEMBER: _l("Fatherland Front member"),
    Role.CITY_POLICE: _l("City police"),
    Role.SYSTEM_ADMIN: _l("System administrator"),
}


class Permission(StrEnum):
    UNIT_HOME = "unit.home"
    DOSSIER_READ = "dossier.read"
    DOSSIER_READ_NATIONAL_ID = "dossier.read_national_id"
    DOSSIER_WRITE = "dossier.write"
    # Everything held about one person, for a data-subject request (the police answer those).
    DOSSIER_SUBJECT_EXPORT = "dossier.subject_export"
    COMMENT = "comment.write"
    REPORT_READ = "report.read"
    REPORT_PREPARE = "report.prepare"
    REPORT_APPROVE = "report.approve"
    CAMPAIGN_UNIT_READ = "campaign.unit_read"
    CAMPAIGN_UNIT_WORK = "campaign.unit_work"
    CAMPAIGN_UNIT_APPROVE = "campaign.unit_approve"
    FILE_READ = "file.read"
    JOB_READ = "job.read"
    CITY_HOME = "city.home"
    CAMPAIGN_CITY = "campaign.city"
    CITY_ROLLUP = "city.rollup"
    REPORT_SCHEDULE = "report.schedule"
    ADMIN = "admin.manage"
    AUDIT_READ = "audit.read"


P = Permission
_UNIT_READ = {
    P.UNIT_HOME, P.DOSSIER_READ, P.COMMENT, P.REPORT_READ, P.CAMPAIGN_UNIT_READ, P.FILE_READ, P.JOB_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COMMUNE_POLICE: frozenset(
        _UNIT_READ
        | {P.DOSSIER_READ_NATIONAL_ID, P.DOSSIER_WRITE, P.DOSSIER_SUBJECT_EXPORT, P.REPORT_PREPARE,
           P.CAMPAIGN_UNIT_WORK}
    ),
    Role.COMMUNE_LEADER: frozenset(
        _UNIT_READ | {P.DOSSIER_READ_NATIONAL_ID, P.REPORT_APPROVE, P.CAMPAIGN_UNIT_APPROVE}
    ),
    # Fatherland Front members read and comment, nothing more; ID numbers are masked for them.
    Role.MTTQ_MEMBER: frozenset(_UNIT_READ),
    Role.CITY_POLICE: frozenset({P.CITY_HOME, P.CAMPAIGN_CITY, P.CITY_ROLLUP, P.REPORT_SCHEDULE}),
    # Least privilege: an admin reads no dossier unless also given a unit membership.
    Role.SYSTEM_ADMIN: frozenset({P.CITY_HOME, P.ADMIN, P.AUDIT_READ}),
}

PUBLIC = "public"
SIGNED_IN = "signed_in"
# Flask's own static view cannot carry an attribute.
PUBLIC_ENDPOINTS = frozenset({"static"})


def can(role: Role | str | None, permission: Permission) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS.get(Role(role), frozenset())


def _declare(view, value):
    view.required_permission = value
    return view


def requires(permission: Permission):
    """The endpoint needs `permission` in the scope of the URL (a unit for /t/…, else the city)."""
    return lambda view: _declare(view, permission)


def public(view):
    return _declare(view, PUBLIC)


def signed_in(view):
    """Any signed-in user, whatever the role (their own profile, choosing a unit, signing out)."""
    return _declare(view, SIGNED_IN)


def declared_permission(view_function):
    return getattr(view_function, "required_permission", None)
