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
    path("timeline/", include("amends.clients.timeline_urls")),
    path("comms/", include("amends.comms.urls")),
    path("jobs/", include("amends.watch.urls")),
    path("search/", include("amends.search.urls")),
    path("playbook/", include("amends.playbook.urls")),
    path("compose/", include("amends.compose.urls")),
    path("outbox/", include("amends.outbox.urls")),
    path("share/", include("amends.sharing.urls")),
    path("", core_views.home, name="home"),
]
