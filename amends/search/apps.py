"""Full-text search across everything a user may see."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The search app: one index table per database engine, one query interface."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "amends.search"
    label = "search"
