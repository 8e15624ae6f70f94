"""The living resolution document shared with the client (R20, R24)."""

from django.urls import path, re_path

from amends.sharing import views

app_name = "sharing"
urlpatterns = [
    path("case/<int:case_id>/", views.manage, name="manage"),
    path("case/<int:case_id>/links/", views.create_link, name="create_link"),
    path("case/<int:case_id>/updates/", views.publish_update, name="publish_update"),
    path("links/<int:link_id>/revoke/", views.revoke_link, name="revoke_link"),
    # The client's pages: the token is the only key (no login).
    re_path(r"^(?P<token>[A-Za-z0-9_-]{1,200})/$", views.public, name="public"),
    re_path(r"^(?P<token>[A-Za-z0-9_-]{1,200})/pdf$", views.public_pdf, name="public_pdf"),
]
