from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "amends.clients"
    label = "clients"
