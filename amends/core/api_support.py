"""What every API router shares: bearer auth, the one error body, input types, paging.

Every error the API returns has the same shape::

    {"error": {"code": "not_found", "message": "...",
               "fields": {"title": "..."},        # only for `invalid`
               "missing": ["...", "..."]}}        # only for `preconditions_unmet`

The handlers below translate the domain's exceptions (`amends.core.errors`) into that
body, so views never build an error by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Annotated, Any, cast

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer
from pydantic import AfterValidator, ConfigDict

from amends.accounts.actions import authenticate_token
from amends.accounts.models import User
from amends.core.errors import NotFound, PreconditionsUnmet, StaleEdit

logger = logging.getLogger("amends.api")

# ---------------------------------------------------------------------------- auth


class BearerAuth(HttpBearer):
    """`Authorization: Bearer amd_…`: the active user behind an unrevoked API token."""

    openapi_description = (
        "An API token, created on your account page, with the command line or with "
        "`POST /api/v1/tokens`. Send it as `Authorization: Bearer amd_…`."
    )
    openapi_bearerFormat = "amd_…"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """The user behind `token`, or None (the API then answers 401)."""
        return authenticate_token(token.strip())


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by `BearerAuth`)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


# --------------------------------------------------------------------- input types

# Ids and versions are bounded so that a hostile number cannot overflow a database
# integer (SQLite and PostgreSQL both refuse values past 64 bits, with a 500).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[
    int,
    Field(
        ge=1,
        le=2**31 - 1,
        description="The `version` you last read. If someone changed the record since, "
        "the API answers 409 `stale_edit` and changes nothing.",
    ),
]


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it everywhere, on every engine.
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    return value


Str = Annotated[str, AfterValidator(_no_nul)]
"""A string from outside: any text except NUL. Give it a `max_length` at each use."""

_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _aware_and_sane(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "Give a time zone: an offset such as 2025-03-01T09:30:00+01:00, or Z for UTC. "
            "Times without one are ambiguous and are refused."
        )
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError("Give a date between the years 1900 and 2999.")
    return value


Moment = Annotated[datetime, AfterValidator(_aware_and_sane)]
"""An ISO 8601 timestamp with an offset (or Z); naive timestamps are refused with 422."""


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError(
            "Give a time of day without an offset, like 09:00: working hours are "
            "read in the client's own time zone."
        )
    return value


WallTime = Annotated[time, AfterValidator(_wall_clock)]
"""A time of day such as 09:00 or 17:30:00, in the client's zone (no offset)."""


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**constraints: Any) -> Any:
    """A PATCH field that may be left out (unchanged) but not sent as `null`.

    Use it for fields the model cannot leave empty; fields that may be cleared are typed
    `X | None = None` instead, so `null` clears them.
    """
    return Field(None, json_schema_extra=_drop_default, **constraints)


class InSchema(Schema):
    """Base of every request body: unknown fields are refused (422), never ignored, so a
    typo or a field that cannot be set this way does not fail silently."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------- output


class OutSchema(Schema):
    """Base of every response schema.

    Fields that read a model attribute under another name (`client` from `client_id`)
    use `validation_alias`; accepting the field name too lets a view assemble a response
    from dicts it dumped earlier.
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)


class ApiEncoder(NinjaJSONEncoder):
    """Timestamps as full ISO 8601 with an explicit offset (`+00:00`), to the microsecond.

    (Django's encoder writes `Z` and cuts to milliseconds, so a value read and sent
    back would not be the value stored.)
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


class ApiRenderer(JSONRenderer):
    encoder_class = ApiEncoder


# ------------------------------------------------------------------------- paging


class Page(LimitOffsetPagination):
    """`?limit=&offset=`: at most 200 items per page; the answer is `{count, items}`."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="How many items (1–200).")
        offset: int = Field(0, ge=0, le=MAX_ID, description="How many items to skip.")


# ------------------------------------------------------------------------- errors


class ErrorDetail(Schema):
    code: str = Field(
        description="Stable, machine-readable: unauthorized, forbidden, not_found, invalid, "
        "stale_edit, preconditions_unmet, bad_request, too_large, method_not_allowed, "
        "server_error."
    )
    message: str = Field(description="What went wrong, in words a person can act on.")
    fields: dict[str, str] | None = Field(
        None, description="For `invalid`: what is wrong with each field, by field name."
    )
    missing: list[str] | None = Field(
        None, description="For `preconditions_unmet`: exactly what must be done first."
    )


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorDetail


def _responses(*codes: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(codes, ErrorOut)


# The error responses to document on each kind of operation.
READ_ERRORS = _responses(401, 404, 422)
WRITE_ERRORS = _responses(400, 401, 404, 409, 413, 422)
ADMIN_WRITE_ERRORS = _responses(400, 401, 403, 404, 409, 413, 422)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}


def error_body(
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    missing: list[str] | None = None,
) -> dict[str, Any]:
    """The standard error body; `fields` and `missing` only when they say something."""
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = fields
    if missing is not None:
        detail["missing"] = missing
    return {"error": detail}


def _django_validation(exc: DjangoValidationError) -> tuple[str, dict[str, str]]:
    if hasattr(exc, "error_dict"):
        by_field = exc.message_dict
        general = by_field.get(NON_FIELD_ERRORS, [])
        fields = {k: " ".join(v) for k, v in by_field.items() if k != NON_FIELD_ERRORS}
    else:
        general, fields = exc.messages, {}
    if general:
        return " ".join(general), fields
    return "Some fields are not valid: " + ", ".join(sorted(fields)) + ".", fields


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    source, *rest = [str(p) for p in loc] or ["body"]
    # Every body parameter of this API is called `payload`; the client never sees it.
    if source == "body" and rest and rest[0] == "payload":
        rest = rest[1:]
    return ".".join(rest) or source


def _pydantic_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Not valid."))
    return message.removeprefix("Value error, ")


def _ninja_validation(exc: NinjaValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors:
        name = _field_name(error.get("loc", ()))
        message = _pydantic_message(error)
        fields[name] = f"{fields[name]} {message}" if name in fields else message
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every failure of `api` answer with the standard error body."""

    def respond(
        request: HttpRequest, status: int, code: str, message: str, **extra: Any
    ) -> HttpResponse:
        return api.create_response(request, error_body(code, message, **extra), status=status)

    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        what = str(exc).strip() or "object"
        # Deliberately the same answer whether the object is missing or merely invisible.
        return respond(request, 404, "not_found", f"No {what} with that id.")

    def http_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "not_found", "Not found.")

    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        message, fields = _django_validation(exc)
        return respond(request, 422, "invalid", message, fields=fields)

    def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = _ninja_validation(exc)
        message = "Some fields are not valid: " + ", ".join(sorted(fields)) + "."
        return respond(request, 422, "invalid", message, fields=fields)

    def stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
        return respond(request, 409, "stale_edit", str(exc))

    def unmet(request: HttpRequest, exc: PreconditionsUnmet) -> HttpResponse:
        message = f"The case cannot move to {exc.move} yet: see `missing` for what is needed."
        return respond(request, 409, "preconditions_unmet", message, missing=list(exc.missing))

    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, "forbidden", str(exc) or "You may not do that.")

    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request,
            401,
            "unauthorized",
            "Send a valid API token: `Authorization: Bearer amd_…`. "
            "The token may be missing, mistyped or revoked.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="amends"'
        return response

    def too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 413, "too_large", "The request body is too large (limit 2 MB).")

    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return respond(request, 400, "bad_request", "The request was malformed.")

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, RequestDataTooBig):
            return too_large(request, exc)
        bad_body = exc.status_code == 400 and str(exc).startswith("Cannot parse request body")
        message = "The request body is not valid JSON." if bad_body else str(exc)
        code = _CODES_BY_STATUS.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, message)

    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return respond(
            request, 500, "server_error", "Something went wrong on our side; it has been logged."
        )

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (NotFound, not_found),
        (Http404, http_404),
        (DjangoValidationError, invalid),
        (NinjaValidationError, invalid_input),
        (StaleEdit, stale),
        (PreconditionsUnmet, unmet),
        (PermissionDenied, forbidden),
        (AuthenticationError, unauthorized),
        (RequestDataTooBig, too_large),
        (SuspiciousOperation, suspicious),
        (HttpError, http_error),
        (Exception, server_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
