from django.urls import path

from amends.comms import clock_urls, mailbox_urls, message_urls, views

app_name = "comms"
urlpatterns = [
    path("client/<int:client_id>/", views.client_comms, name="for_client"),
    path("<int:comm_id>/", views.comm_detail, name="detail"),
    path("<int:comm_id>/edit/", views.comm_edit, name="edit"),
    path("import/", views.import_page, name="import"),
    path("import/jobs/", views.import_jobs, name="import_jobs"),
    path("import/csv/<str:token>/", views.import_csv, name="import_csv"),
    path("triage/", views.triage, name="triage"),
    path("triage/selected/", views.triage_selected, name="triage_selected"),
    path("triage/<int:email_id>/assign/", views.triage_assign, name="triage_assign"),
    path("triage/<int:email_id>/dismiss/", views.triage_dismiss, name="triage_dismiss"),
    path("triage/<int:email_id>/restore/", views.triage_restore, name="triage_restore"),
    path("triage/domain/", views.triage_domain, name="triage_domain"),
    path("triage/domain/dismiss/", views.triage_domain_dismiss, name="triage_domain_dismiss"),
    path("upcoming/<int:meeting_id>/remove/", views.upcoming_remove, name="upcoming_remove"),
]
urlpatterns += message_urls.urlpatterns + mailbox_urls.urlpatterns
urlpatterns += clock_urls.urlpatterns
