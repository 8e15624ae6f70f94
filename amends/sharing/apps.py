"""The living resolution document shared with the client (R20, R24)."""

from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amends.sharing"
    label = "sharing"
