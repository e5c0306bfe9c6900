"""Placeholder: filled by its feature."""

from blueprints.returnees.blueprint import bp  # noqa: F401
