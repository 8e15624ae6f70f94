from django.urls import include, path

from amends.api import api
from amends.core import views as core_views
from amends.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("accounts/", include("amends.accounts.urls")),
    path("clients/", include("amends.clients.urls")),
    path("cases/", include("amends.cases.urls")),
    path("comms/", include("amends.comms.urls")),
    path("jobs/", include("amends.watch.urls")),
    path("search/", include("amends.search.urls")),
    path("", core_views.home, name="home"),
]
