"""URLs for message pages (wired into `comms.urls`)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
