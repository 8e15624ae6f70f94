"""The timeline across every client the user may see: /timeline/."""

from django.urls import path

from amends.clients import views

app_name = "timeline"
urlpatterns = [path("", views.timeline_everywhere, name="all")]
