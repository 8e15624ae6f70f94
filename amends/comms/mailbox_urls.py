"""URLs for mailbox pages (wired into `comms.urls`)."""

from django.urls import URLPattern, path

from amends.comms import mailbox_views

urlpatterns: list[URLPattern] = [
    path("mailboxes/", mailbox_views.mailboxes, name="mailboxes"),
    path("mailboxes/connect/", mailbox_views.mailbox_connect, name="mailbox_connect"),
    path("mailboxes/<int:mailbox_id>/edit/", mailbox_views.mailbox_edit, name="mailbox_edit"),
    path(
        "mailboxes/<int:mailbox_id>/enabled/",
        mailbox_views.mailbox_enabled,
        name="mailbox_enabled",
    ),
    path("mailboxes/<int:mailbox_id>/remove/", mailbox_views.mailbox_remove, name="mailbox_remove"),
    path("mailboxes/<int:mailbox_id>/poll/", mailbox_views.mailbox_poll, name="mailbox_poll"),
]
