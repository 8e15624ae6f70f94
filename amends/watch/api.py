"""API: background jobs, their progress, and retrying a failed one."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from amends.core.api_support import READ_ERRORS, WRITE_ERRORS, Id, Page, actor
from amends.watch import actions, queries
from amends.watch.models import Job
from amends.watch.schemas import JobFilter, JobOut

router = Router(tags=["Jobs"])


@router.get("/jobs", response={200: list[JobOut], **READ_ERRORS}, summary="List jobs")
@paginate(Page)
def list_jobs(request: HttpRequest, filters: Query[JobFilter]) -> QuerySet[Job]:
    """Background jobs of your clients, and your own jobs without a client (admins: all),
    newest first, with their progress."""
    return queries.list_jobs(actor(request), status=filters.status, kind=filters.kind)


@router.get("/jobs/{job_id}", response={200: JobOut, **READ_ERRORS}, summary="Get a job")
def get_job(request: HttpRequest, job_id: Id) -> Job:
    """One job, with its progress and, if it failed, its error."""
    return queries.get_job_for(actor(request), job_id)


@router.post(
    "/jobs/{job_id}/retry", response={200: JobOut, **WRITE_ERRORS}, summary="Retry a failed job"
)
def retry_job(request: HttpRequest, job_id: Id) -> Job:
    """Queue a failed job to run again now, with a fresh set of attempts. A job that has
    not failed answers 422."""
    user = actor(request)
    job = queries.get_job_for(user, job_id)
    actions.retry_job(user, job)
    return queries.get_job_for(user, job.pk)
