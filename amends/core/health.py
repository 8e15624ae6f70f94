"""`/healthz`: is the app up and can it reach its database? For load balancers and
monitors, so it needs no login and says nothing secret (no paths, hosts or errors)."""

from __future__ import annotations

import logging
import time

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

import amends

logger = logging.getLogger("amends.health")


def app_version() -> str:
    return amends.__version__


def check_database() -> tuple[bool, float]:
    """Run `SELECT 1`: whether it worked, and how long it took in milliseconds."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            ok = cursor.fetchone() == (1,)
    except Exception:
        # Logged for the operator; the response itself never carries the error.
        logger.exception("Health check: the database did not answer")
        ok = False
    return ok, round((time.perf_counter() - started) * 1000, 3)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 with `status: ok` when the database answers, 503 with `status: error` if not."""
    ok, latency_ms = check_database()
    body = {
        "status": "ok" if ok else "error",
        "app": "amends",
        "version": app_version(),
        "database": {
            "engine": connection.vendor,  # "sqlite" or "postgresql"
            "ok": ok,
            "latency_ms": latency_ms,
        },
    }
    response = JsonResponse(body, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response
