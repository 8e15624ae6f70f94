"""Email out through SMTP, calls and agendas (R14, R19, R22)."""

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amends.outbox"
    label = "outbox"
