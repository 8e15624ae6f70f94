"""Email out through SMTP, calls and agendas (R14, R19, R22)."""

from django.urls import URLPattern, path

from amends.outbox import views

app_name = "outbox"
urlpatterns: list[URLPattern] = [
    path("case/<int:case_id>/email/", views.email_new, name="email"),
    path("case/<int:case_id>/call/new/", views.call_new, name="call_new"),
    path("call/<int:call_id>/", views.call_detail, name="call"),
    path("call/<int:call_id>/edit/", views.call_edit, name="call_edit"),
    path("call/<int:call_id>/outcome/", views.call_outcome, name="call_outcome"),
    path("case/<int:case_id>/agenda/new/", views.agenda_new, name="agenda_new"),
    path("agenda/<int:agenda_id>/", views.agenda_detail, name="agenda"),
    path("agenda/<int:agenda_id>/send/", views.agenda_send, name="agenda_send"),
]
