"""URLs for message pages (wired into `comms.urls`)."""

from django.urls import URLPattern, path

from amends.comms import message_views

urlpatterns: list[URLPattern] = [
    path("thread/<int:email_id>/", message_views.thread, name="thread"),
    path(
        "email/<int:email_id>/attachment/<int:index>/",
        message_views.attachment,
        name="attachment",
    ),
    path("email/<int:email_id>/original/", message_views.raw, name="raw"),
    path("email/<int:email_id>/in-thread/", message_views.thread_message, name="thread_message"),
    path("email/<int:email_id>/link/", message_views.link, name="link"),
    path("email/<int:email_id>/concern/", message_views.concern, name="concern"),
]
