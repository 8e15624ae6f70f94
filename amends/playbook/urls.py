"""The firm's playbook, editable by admins (R35): coach rule settings."""

from django.urls import URLPattern, path

from amends.playbook import views

app_name = "playbook"
urlpatterns: list[URLPattern] = [
    path("coach/", views.coach_rules, name="coach"),
    path("coach/<slug:code>/", views.tune_rule, name="tune_rule"),
]
