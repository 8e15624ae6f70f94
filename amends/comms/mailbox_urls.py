"""URLs for mailbox pages (wired into `comms.urls`)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
