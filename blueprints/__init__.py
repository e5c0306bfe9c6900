"""Feature blueprints, registered in one explicit list."""


def register_blueprints(app) -> None:
    from blueprints.admin.routes import bp as admin
    from blueprints.api import bp as api
    from blueprints.campaigns.routes import bp as campaigns
    from blueprints.campaigns.routes import city_bp as city_campaigns
    from blueprints.city.routes import bp as city
    from blueprints.health.routes import bp as health
    from blueprints.reports.routes import bp as reports
    from blueprints.reports.routes import city_bp as rollups
    from blueprints.returnees.routes import bp as returnees
    from blueprints.units.routes import bp as units
    from portal.auth.routes import bp as auth

    for blueprint in (
        auth, health, units, returnees, reports, campaigns, city, rollups, city_campaigns, admin, api,
    ):
        app.register_blueprint(blueprint)
