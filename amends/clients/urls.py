from django.urls import path

from amends.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("<int:client_id>/", views.client_detail, name="detail"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/contacts/", views.contacts, name="contacts"),
    path("<int:client_id>/engagements/", views.engagements, name="engagements"),
    path("<int:client_id>/timeline/", views.timeline, name="timeline"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("engagements/<int:engagement_id>/edit/", views.engagement_edit, name="engagement_edit"),
]
