"""Permission-scoped reads of call sheets and agendas (an outsider sees nothing)."""

from __future__ import annotations

from django.db.models import QuerySet

from amends.accounts.models import User
from amends.accounts.queries import scope_to_user
from amends.cases.models import Case
from amends.core.errors import NotFound
from amends.outbox.models import Agenda, CallPrep


def list_calls(user: User, *, case: Case | None = None) -> QuerySet[CallPrep]:
    qs = scope_to_user(
        CallPrep.objects.select_related("case", "case__client", "communication"),
        user,
        "case__client",
    )
    return qs.filter(case=case) if case is not None else qs


def get_call_for(user: User, call_id: object) -> CallPrep:
    try:
        return list_calls(user).get(pk=int(str(call_id)))
    except (CallPrep.DoesNotExist, ValueError, TypeError):
        raise NotFound("call") from None


def list_agendas(user: User, *, case: Case | None = None) -> QuerySet[Agenda]:
    qs = scope_to_user(
        Agenda.objects.select_related("case", "case__client", "checkin"), user, "case__client"
    )
    return qs.filter(case=case) if case is not None else qs


def get_agenda_for(user: User, agenda_id: object) -> Agenda:
    try:
        return list_agendas(user).get(pk=int(str(agenda_id)))
    except (Agenda.DoesNotExist, ValueError, TypeError):
        raise NotFound("agenda") from None
