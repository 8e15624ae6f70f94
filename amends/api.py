"""The JSON API root: /api/v1/. Each app contributes a router from its api.py."""

from ninja import NinjaAPI

api = NinjaAPI(title="Amends API", version="1", urls_namespace="api")
