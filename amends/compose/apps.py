"""Writing to the client: drafts and message templates (R13, R35)."""

from django.apps import AppConfig


class ComposeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amends.compose"
    label = "compose"
