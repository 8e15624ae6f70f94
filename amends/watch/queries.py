"""Reads of the job table that depend on who is asking."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from amends.accounts.models import User
from amends.accounts.queries import visible_client_ids
from amends.core.errors import NotFound
from amends.watch.models import Job


def _visible_jobs(user: User) -> QuerySet[Job]:
    if not user.is_authenticated or not user.is_active:
        return Job.objects.none()
    ids = visible_client_ids(user)
    if ids is None:
        return Job.objects.all()
    return Job.objects.filter(Q(client_id__in=ids) | Q(client__isnull=True, created_by=user))


def list_jobs(user: User, *, status: str | None = None, kind: str | None = None) -> QuerySet[Job]:
    """Jobs of the clients whose team the user is on, and the user's own jobs without a
    client (admins: every job), newest first."""
    qs = _visible_jobs(user).select_related("client", "created_by")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def get_job_for(user: User, job_id: int | str) -> Job:
    """One job the user may see; NotFound for anything else."""
    try:
        return _visible_jobs(user).select_related("client", "created_by").get(pk=job_id)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise NotFound("job") from None


def has_active_jobs(jobs: QuerySet[Job]) -> bool:
    """Whether any of these jobs is queued or running (the page keeps polling if so)."""
    return jobs.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists()
