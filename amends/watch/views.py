"""The Jobs page: background work the user may see, refreshed by htmx while any runs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from amends.accounts.models import User
from amends.core.errors import ValidationError
from amends.core.htmx import redirect, render_page_or_partial
from amends.core.views import found
from amends.watch import actions
from amends.watch.models import Job
from amends.watch.queries import get_job_for, has_active_jobs, list_jobs

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _context(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "")
    if status not in Job.Status.values:
        status = ""
    jobs = list_jobs(_user(request), status=status or None)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "jobs": page,
        "status": status,
        "statuses": Job.Status.choices,
        "active": has_active_jobs(jobs),
        "refresh_url": request.path + "?" + request.GET.urlencode(),
        "now": timezone.now(),
    }


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    """GET: the jobs the user may see; htmx polls get just the list."""
    return render_page_or_partial(request, "watch/list.html", "watch/_jobs.html", _context(request))


@login_required
@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    """POST: run a failed job again."""
    user = _user(request)
    job = found(get_job_for, user, job_id)
    try:
        actions.retry_job(user, job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Job #{job.pk} will run again shortly.")
    return redirect(request, reverse("watch:list"))
