"""URLs for the responsiveness clocks (wired into `comms.urls`)."""

from django.urls import path

from amends.comms import clock_views

urlpatterns = [
    path("client/<int:client_id>/tone.svg", clock_views.client_tone_chart, name="client_tone"),
    path("case/<int:case_id>/tone.svg", clock_views.case_tone_chart, name="case_tone"),
]
