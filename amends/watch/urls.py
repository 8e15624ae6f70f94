from django.urls import path

from amends.watch import views

app_name = "watch"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/retry/", views.job_retry, name="retry"),
]
