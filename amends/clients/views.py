"""Client pages: the list, a client's page, its details, contacts, engagements, timeline.

Contacts and engagements are edited inline with htmx: each is a section partial
(`clients/_contacts.html`, `clients/_engagements.html`) that a plain request gets inside a
full page and an htmx request gets alone, re-rendered after every add or edit.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from amends.accounts.models import User
from amends.accounts.queries import list_team, list_users
from amends.cases.queries import list_cases
from amends.clients import actions
from amends.clients.forms import ClientForm, ContactForm, EngagementForm
from amends.clients.models import Client, Contact, Engagement
from amends.clients.queries import (
    get_client_for,
    get_contact_for,
    get_engagement_for,
    list_clients,
    list_contacts,
    list_engagements,
    list_timeline,
)
from amends.comms.views import section_context as comms_section_context
from amends.core.errors import StaleEdit, ValidationError
from amends.core.forms import add_action_error, model_changes
from amends.core.htmx import is_htmx, redirect, render_page_or_partial
from amends.core.views import found, render_invalid

TIMELINE_PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _team_people(user: User, client: Client) -> QuerySet[User]:
    """Active people on the client's team: the only choices for owner and backup."""
    return list_users(user).filter(is_active=True, memberships__client_id=client.pk).distinct()


def _detail_url(client: Client, anchor: str = "") -> str:
    url = reverse("clients:detail", args=[client.pk])
    return f"{url}#{anchor}" if anchor else url


# ---- list -----------------------------------------------------------------------------


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = request.GET.get("q", "").strip()[:100]
    add_form = None
    if user.is_admin:
        people = list_users(user).filter(is_active=True)
        data = request.POST if request.method == "POST" else None
        add_form = ClientForm(data, instance=Client(), people=people, prefix="new")
    if request.method == "POST":
        if add_form is None:
            raise PermissionDenied("Only an admin can add a client.")
        if add_form.is_valid():
            try:
                client = actions.create_client(user, **model_changes(add_form))
            except ValidationError as exc:
                add_action_error(add_form, exc)
            else:
                messages.success(request, f"Client {client.name} added.")
                return redirect(request, _detail_url(client))
    context = {"clients": list_clients(user, search=query), "q": query, "add_form": add_form}
    if add_form is not None and add_form.errors:
        return render(request, "clients/list.html", context, status=422)
    return render_page_or_partial(request, "clients/list.html", "clients/_list.html", context)


# ---- a client's page --------------------------------------------------------------------


@login_required
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = found(get_client_for, user, client_id)
    context: dict[str, Any] = {
        "client": client,
        "team": list_team(client.pk),
        "cases": list_cases(user, client=client),
        "timeline": _timeline_page(request, client),
    }
    context.update(_contacts_context(user, client))
    context.update(_engagements_context(user, client))
    context.update(comms_section_context(user, client))
    return render(request, "clients/detail.html", context)


@login_required
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = found(get_client_for, user, client_id)
    data = request.POST if request.method == "POST" else None
    # The form writes what was typed onto its own copy; the action compares with the saved
    # row (an owner change goes on the timeline).
    form = ClientForm(data, instance=copy(client), people=_team_people(user, client))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_client(
                user, client, version=form.cleaned_data["version"], **model_changes(form)
            )
        except StaleEdit as exc:
            client = found(get_client_for, user, client.pk)
            form.note_conflict(exc, client)
        except ValidationError as exc:
            client = found(get_client_for, user, client.pk)
            add_action_error(form, exc)
        else:
            messages.success(request, "Client details saved.")
            return redirect(request, _detail_url(client))
    context = {"client": client, "form": form}
    if form.errors:
        return render_invalid(request, "clients/edit.html", "clients/_client_form.html", context)
    return render_page_or_partial(
        request, "clients/edit.html", "clients/_client_form.html", context
    )


# ---- contacts ---------------------------------------------------------------------------


def _contacts_context(
    user: User,
    client: Client,
    *,
    add_form: ContactForm | None = None,
    editing: Contact | None = None,
    edit_form: ContactForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    return {
        "client": client,
        "contacts": list_contacts(user, client=client),
        "contact_form": add_form or ContactForm(instance=Contact(client=client), prefix="contact"),
        "editing_contact": editing,
        "contact_edit_form": edit_form,
        "contacts_notice": notice,
    }


def _contacts_response(
    request: HttpRequest, context: dict[str, Any], *, invalid: bool = False
) -> HttpResponse:
    page, partial = "clients/contacts.html", "clients/_contacts.html"
    if invalid:
        return render_invalid(request, page, partial, context)
    return render_page_or_partial(request, page, partial, context)


@login_required
def contacts(request: HttpRequest, client_id: int) -> HttpResponse:
    """GET: the client's contacts. POST: add one."""
    user = _user(request)
    client = found(get_client_for, user, client_id)
    if request.method != "POST":
        return _contacts_response(request, _contacts_context(user, client))
    form = ContactForm(request.POST, instance=Contact(client=client), prefix="contact")
    if form.is_valid():
        try:
            contact = actions.add_contact(user, client, **model_changes(form))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            if not is_htmx(request):
                messages.success(request, f"Contact {contact.name} added.")
                return redirect(request, _detail_url(client, "contacts"))
            notice = f"Contact {contact.name} added."
            return _contacts_response(request, _contacts_context(user, client, notice=notice))
    return _contacts_response(request, _contacts_context(user, client, add_form=form), invalid=True)


@login_required
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = _user(request)
    contact = found(get_contact_for, user, contact_id)
    client = contact.client
    data = request.POST if request.method == "POST" else None
    form = ContactForm(data, instance=copy(contact), prefix=f"contact-{contact.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_contact(
                user, contact, version=form.cleaned_data["version"], **model_changes(form)
            )
        except StaleEdit as exc:
            form.note_conflict(exc, found(get_contact_for, user, contact.pk))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            if not is_htmx(request):
                messages.success(request, f"Contact {contact.name} saved.")
                return redirect(request, _detail_url(client, "contacts"))
            notice = f"Contact {contact.name} saved."
            return _contacts_response(request, _contacts_context(user, client, notice=notice))
    context = _contacts_context(user, client, editing=contact, edit_form=form)
    return _contacts_response(request, context, invalid=bool(form.errors))


# ---- engagements ------------------------------------------------------------------------


def _engagements_context(
    user: User,
    client: Client,
    *,
    add_form: EngagementForm | None = None,
    editing: Engagement | None = None,
    edit_form: EngagementForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    return {
        "client": client,
        "engagements": list_engagements(user, client=client),
        "engagement_form": add_form
        or EngagementForm(instance=Engagement(client=client), prefix="engagement"),
        "editing_engagement": editing,
        "engagement_edit_form": edit_form,
        "engagements_notice": notice,
    }


def _engagements_response(
    request: HttpRequest, context: dict[str, Any], *, invalid: bool = False
) -> HttpResponse:
    page, partial = "clients/engagements.html", "clients/_engagements.html"
    if invalid:
        return render_invalid(request, page, partial, context)
    return render_page_or_partial(request, page, partial, context)


@login_required
def engagements(request: HttpRequest, client_id: int) -> HttpResponse:
    """GET: the client's engagements. POST: add one."""
    user = _user(request)
    client = found(get_client_for, user, client_id)
    if request.method != "POST":
        return _engagements_response(request, _engagements_context(user, client))
    form = EngagementForm(request.POST, instance=Engagement(client=client), prefix="engagement")
    if form.is_valid():
        try:
            engagement = actions.add_engagement(user, client, **model_changes(form))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            if not is_htmx(request):
                messages.success(request, f"Engagement {engagement.name} added.")
                return redirect(request, _detail_url(client, "engagements"))
            notice = f"Engagement {engagement.name} added."
            return _engagements_response(request, _engagements_context(user, client, notice=notice))
    return _engagements_response(
        request, _engagements_context(user, client, add_form=form), invalid=True
    )


@login_required
def engagement_edit(request: HttpRequest, engagement_id: int) -> HttpResponse:
    user = _user(request)
    engagement = found(get_engagement_for, user, engagement_id)
    client = engagement.client
    data = request.POST if request.method == "POST" else None
    form = EngagementForm(data, instance=copy(engagement), prefix=f"engagement-{engagement.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_engagement(
                user, engagement, version=form.cleaned_data["version"], **model_changes(form)
            )
        except StaleEdit as exc:
            form.note_conflict(exc, found(get_engagement_for, user, engagement.pk))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            if not is_htmx(request):
                messages.success(request, f"Engagement {engagement.name} saved.")
                return redirect(request, _detail_url(client, "engagements"))
            notice = f"Engagement {engagement.name} saved."
            return _engagements_response(request, _engagements_context(user, client, notice=notice))
    context = _engagements_context(user, client, editing=engagement, edit_form=form)
    return _engagements_response(request, context, invalid=bool(form.errors))


# ---- timeline ---------------------------------------------------------------------------


def _timeline_page(request: HttpRequest, client: Client) -> Page:
    entries = list_timeline(_user(request), client=client)
    return Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def timeline(request: HttpRequest, client_id: int) -> HttpResponse:
    client = found(get_client_for, _user(request), client_id)
    context = {"client": client, "timeline": _timeline_page(request, client)}
    return render_page_or_partial(
        request, "clients/timeline.html", "clients/_timeline.html", context
    )
