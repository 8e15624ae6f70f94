"""The firm's playbook, editable by admins (R35): coach rule settings."""

from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amends.playbook"
    label = "playbook"
