"""The case pages. Every path below `<case_id>/` is scoped to a case the user may see."""

from django.urls import path

from amends.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/edit/", views.case_edit, name="edit"),
    path("<int:case_id>/timeline/", views.case_timeline, name="timeline"),
    path("<int:case_id>/transition/", views.case_transition, name="transition"),
    path(
        "<int:case_id>/communications/add/",
        views.communication_add,
        name="communication_add",
    ),
    path(
        "<int:case_id>/commitment/<int:part_id>/kept/",
        views.commitment_mark,
        {"outcome": "kept"},
        name="commitment_kept",
    ),
    path(
        "<int:case_id>/commitment/<int:part_id>/missed/",
        views.commitment_mark,
        {"outcome": "missed"},
        name="commitment_missed",
    ),
    path("<int:case_id>/<slug:kind>/", views.section, name="section"),
    path("<int:case_id>/<slug:kind>/add/", views.part_add, name="part_add"),
    path("<int:case_id>/<slug:kind>/<int:part_id>/edit/", views.part_edit, name="part_edit"),
]
