"""The JSON API root: /api/v1/. Each app contributes a router from its api.py.

Authentication is a bearer token on every operation (no session cookies, so no CSRF);
errors share one body (`amends.core.api_support`). The OpenAPI description is at
`/api/v1/openapi.json` and the interactive docs at `/api/v1/docs`, served from our own
static files.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.operation import Operation

from amends.accounts.api import router as accounts_router
from amends.cases.api import router as cases_router
from amends.clients.api import router as clients_router
from amends.comms.api import router as comms_router
from amends.comms.clock_api import router as clock_router
from amends.comms.mailbox_api import router as mailbox_router
from amends.comms.message_api import router as message_router
from amends.compose.api import router as compose_router
from amends.core.api_support import (
    ApiRenderer,
    BearerAuth,
    error_body,
    install_error_handlers,
)
from amends.outbox.api import router as outbox_router
from amends.playbook.api import router as playbook_router
from amends.search.api import router as search_router
from amends.sharing.api import router as sharing_router
from amends.watch.api import router as watch_router

DESCRIPTION = """
The Amends API: clients, cases and everything inside them, communications and the
timeline, with the same permission rules and the same write functions as the pages.

**Authentication.** Every operation needs an API token sent as
`Authorization: Bearer amd_…`. Create one on your account page, with the command
line, or with `POST /tokens`. On this page, use **Authorize** to try the operations.

**Who sees what.** You see a client, and everything under it, only if you are on its
team (admins see all). Anything else answers 404, exactly as if it did not exist.

**Errors** always look like
`{"error": {"code": "...", "message": "...", "fields": {...}, "missing": [...]}}`:
401 `unauthorized`, 403 `forbidden` (admin-only operations), 404 `not_found`,
409 `stale_edit` (someone changed the record since you read it: re-read and retry) or
`preconditions_unmet` (a lifecycle move was refused; `missing` lists what is needed),
413 `too_large` (bodies are limited to 2 MB), 422 `invalid` (`fields` says what is
wrong with each field).

**Edits** (`PATCH`) change only the fields you send, and need the `version` you read.

**Lists** take `?limit=` (1–200, default 50) and `?offset=`, and answer
`{"count": N, "items": [...]}`.

**Times** are ISO 8601 with an offset. Send any offset, e.g. `2025-03-01T09:30:00+01:00`
or `...Z`; times without one are refused with 422. In a query string, write `+` as `%2B`
(or use `Z`). Answers give UTC with an explicit offset, to the microsecond, e.g.
`2025-03-01T08:30:00.123456+00:00`. Working hours (`work_start`, `work_end`) are times of
day in the client's own time zone, without an offset.

**Money and budgets** are decimal strings, e.g. `"1250.00"` (numbers are accepted too).
"""


def _json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Give ninja's bare 405 responses the standard error body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 405 and not is_json:
            allowed = response.get("Allow", "")
            body = error_body(
                "method_not_allowed", f"{request.method} is not allowed here; use {allowed}."
            )
            replacement = JsonResponse(body, status=405)
            replacement["Allow"] = allowed
            return replacement
        return response

    return wrapper


@csrf_exempt
def _unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/ answers a JSON 404, never an HTML page."""
    return JsonResponse(error_body("not_found", "There is no such API endpoint."), status=404)


def _index(request: HttpRequest) -> HttpResponse:
    """/api/v1/ itself: where the description and the docs are. No token needed."""
    return JsonResponse(
        {
            "name": "Amends API",
            "version": "1",
            "openapi": request.build_absolute_uri("openapi.json"),
            "docs": request.build_absolute_uri("docs"),
        }
    )


class AmendsAPI(NinjaAPI):
    """NinjaAPI whose URL list answers every path and method with JSON."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped: list[URLResolver | URLPattern] = []
        for p in patterns:
            if isinstance(p, URLPattern):
                view = _index if p.name == "api-root" else _json_method_not_allowed(p.callback)
                p = URLPattern(p.pattern, view, p.default_args, p.name)
            wrapped.append(p)
        wrapped.append(re_path(r"^(?P<rest>.*)$", _unknown_path, name="unknown"))
        return wrapped, app_name, namespace

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short operation ids: the view's name (a test keeps them unique)."""
        return operation.view_func.__name__


api = AmendsAPI(
    title="Amends API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=BearerAuth(),
    renderer=ApiRenderer(),
    # Swagger UI from ninja's bundled static files; no online validator (no third party).
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_error_handlers(api)

api.add_router("", accounts_router)
api.add_router("", clients_router)
api.add_router("", cases_router)
api.add_router("", comms_router)
api.add_router("", message_router)
api.add_router("", mailbox_router)
api.add_router("", clock_router)
api.add_router("", watch_router)
api.add_router("", search_router)
api.add_router("", playbook_router)
api.add_router("", compose_router)
api.add_router("", outbox_router)
api.add_router("", sharing_router)
