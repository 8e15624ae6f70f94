"""API input and output for background jobs."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from amends.core.api_support import OutSchema, Str
from amends.watch.models import Job


class JobFilter(Schema):
    status: Job.Status | None = Field(None, description="Only jobs in this status.")
    kind: Str | None = Field(None, max_length=80, description="Only jobs of this kind.")


class JobProgress(OutSchema):
    done: int = Field(description="Steps done so far.")
    total: int = Field(description="Steps in all; 0 when the job has not said.")
    percent: int | None = Field(description="done / total as a percentage, if total is known.")
    message: str = Field(description="What the job is doing, in its own words.")


class JobOut(OutSchema):
    id: int
    kind: str = Field(description="What the job does, e.g. `comms.import`.")
    status: Job.Status = Field(
        description="queued (waiting for `due_at`), running, done, or failed (no "
        "attempts left; see `last_error`, and retry with `POST /jobs/{id}/retry`)."
    )
    client: int | None = Field(validation_alias="client_id", description="The client's id.")
    created_by: int | None = Field(validation_alias="created_by_id")
    payload: dict[str, Any]
    due_at: datetime = Field(description="When the job runs next (queued) or last ran.")
    attempts: int = Field(description="Attempts started so far.")
    max_attempts: int
    last_error: str = Field(description="Why the last attempt failed; empty if none did.")
    progress: JobProgress
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_progress(obj: Job) -> dict[str, Any]:
        return {
            "done": obj.progress_done,
            "total": obj.progress_total,
            "percent": obj.percent,
            "message": obj.progress_message,
        }
