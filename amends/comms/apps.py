from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "amends.comms"
    label = "comms"
