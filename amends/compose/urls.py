"""Writing to the client: drafts and message templates (R13, R35)."""

from django.urls import URLPattern, path

from amends.compose import views

app_name = "compose"
urlpatterns: list[URLPattern] = [
    path("case/<int:case_id>/", views.case_drafts, name="case"),
    path("case/<int:case_id>/new/", views.new_draft, name="new"),
    path("case/<int:case_id>/coach/", views.coach_fragment, name="coach"),
    path("draft/<int:draft_id>/", views.draft_detail, name="draft"),
    path("draft/<int:draft_id>/versions/<int:number>/", views.draft_version, name="version"),
    path("draft/<int:draft_id>/send/", views.send_draft, name="send"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<str:kind>/", views.template_edit, name="template"),
]
