"""Client pages: the list, a client's page, its details, contacts, engagements, timeline.

Contacts and engagements are edited inline with htmx: each is a section partial
(`clients/_contacts.html`, `clients/_engagements.html`) that a plain request gets inside a
full page and an htmx request gets alone, re-rendered after every add or edit.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from amends.accounts.models import User
from amends.accounts.queries import list_team, list_users
from amends.cases.queries import list_cases
from amends.clients import actions
from amends.clients.forms import (
    TIMELINE_FILTERS,
    ClientForm,
    ContactForm,
    EngagementForm,
    TimelineFilterForm,
)
from amends.clients.models import Client, Contact, Engagement, TimelineEntry
from amends.clients.queries import (
    day_range,
    get_client_for,
    get_contact_for,
    get_engagement_for,
    list_clients,
    list_contacts,
    list_engagements,
    list_timeline,
    with_links,
)
from amends.comms.clocks import client_responsiveness
from amends.comms.queries import coming_up
from amends.comms.views import section_context as comms_section_context
from amends.core.errors import NotFound, StaleEdit, ValidationError
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


QUIET_AFTER = timedelta(days=14)


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
    context.update(CONTACTS.context(user, client))
    context.update(ENGAGEMENTS.context(user, client))
    context.update(comms_section_context(user, client))
    now = timezone.now()
    context["clocks"] = client_responsiveness(user, client, now)
    context["coming_up"] = coming_up(user, client, now)
    # R22: in rough times, meet more often. Nothing planned for a fortnight while a case
    # is open is worth a word.
    context["quiet_while_open"] = any(not case.is_closed for case in context["cases"]) and not any(
        item.at <= now + QUIET_AFTER for item in context["coming_up"]
    )
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


# ---- contacts and engagements -----------------------------------------------------------
# Two lists on the client page that work the same way: list, add inline, edit inline.


@dataclass(frozen=True)
class _ClientList:
    noun: str  # "contact"; context keys and form prefixes derive from it
    model: type[Contact] | type[Engagement]
    form: type[ContactForm] | type[EngagementForm]
    rows: Callable[..., QuerySet[Any]]
    get_for: Callable[[User, object], Any]
    add: Callable[..., Any]
    update: Callable[..., Any]

    @property
    def plural(self) -> str:
        return f"{self.noun}s"

    def context(
        self,
        user: User,
        client: Client,
        *,
        add_form: Any = None,
        editing: Any = None,
        edit_form: Any = None,
        notice: str = "",
    ) -> dict[str, Any]:
        blank = self.form(instance=self.model(client=client), prefix=self.noun)
        return {
            "client": client,
            self.plural: self.rows(user, client=client),
            f"{self.noun}_form": add_form or blank,
            f"editing_{self.noun}": editing,
            f"{self.noun}_edit_form": edit_form,
            f"{self.plural}_notice": notice,
        }

    def respond(
        self, request: HttpRequest, context: dict[str, Any], *, invalid: bool = False
    ) -> HttpResponse:
        page, partial = f"clients/{self.plural}.html", f"clients/_{self.plural}.html"
        if invalid:
            return render_invalid(request, page, partial, context)
        return render_page_or_partial(request, page, partial, context)

    def saved(self, request: HttpRequest, user: User, client: Client, text: str) -> HttpResponse:
        if not is_htmx(request):
            messages.success(request, text)
            return redirect(request, _detail_url(client, self.plural))
        return self.respond(request, self.context(user, client, notice=text))


CONTACTS = _ClientList(
    "contact",
    Contact,
    ContactForm,
    list_contacts,
    get_contact_for,
    actions.add_contact,
    actions.update_contact,
)
ENGAGEMENTS = _ClientList(
    "engagement",
    Engagement,
    EngagementForm,
    list_engagements,
    get_engagement_for,
    actions.add_engagement,
    actions.update_engagement,
)


def _list_or_add(request: HttpRequest, kind: _ClientList, client_id: int) -> HttpResponse:
    """GET: the client's list. POST: add one to it."""
    user = _user(request)
    client = found(get_client_for, user, client_id)
    if request.method != "POST":
        return kind.respond(request, kind.context(user, client))
    form = kind.form(request.POST, instance=kind.model(client=client), prefix=kind.noun)
    if form.is_valid():
        try:
            obj = kind.add(user, client, **model_changes(form))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            return kind.saved(request, user, client, f"{kind.noun.title()} {obj.name} added.")
    return kind.respond(request, kind.context(user, client, add_form=form), invalid=True)


def _edit(request: HttpRequest, kind: _ClientList, obj_id: int) -> HttpResponse:
    """GET: the inline edit form. POST: save it, refusing a stale edit."""
    user = _user(request)
    obj = found(kind.get_for, user, obj_id)
    client = obj.client
    data = request.POST if request.method == "POST" else None
    form = kind.form(data, instance=copy(obj), prefix=f"{kind.noun}-{obj.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            kind.update(user, obj, version=form.cleaned_data["version"], **model_changes(form))
        except StaleEdit as exc:
            form.note_conflict(exc, found(kind.get_for, user, obj.pk))
        except ValidationError as exc:
            add_action_error(form, exc)
        else:
            return kind.saved(request, user, client, f"{kind.noun.title()} {obj.name} saved.")
    context = kind.context(user, client, editing=obj, edit_form=form)
    return kind.respond(request, context, invalid=bool(form.errors))


@login_required
def contacts(request: HttpRequest, client_id: int) -> HttpResponse:
    return _list_or_add(request, CONTACTS, client_id)


@login_required
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _edit(request, CONTACTS, contact_id)


@login_required
def engagements(request: HttpRequest, client_id: int) -> HttpResponse:
    return _list_or_add(request, ENGAGEMENTS, client_id)


@login_required
def engagement_edit(request: HttpRequest, engagement_id: int) -> HttpResponse:
    return _edit(request, ENGAGEMENTS, engagement_id)


# ---- timeline ---------------------------------------------------------------------------
# One partial serves the client's, the case's and the cross-client timeline:
# `clients/_timeline_area.html` (the filter form and the entries) inside a full page, or
# alone for htmx; the client page includes only the entries (`clients/_timeline.html`).


def thread_url(email_id: int | None) -> str:
    """The thread page of an email, or "" while no thread page is installed."""
    if email_id is None:
        return ""
    try:
        return reverse("comms:thread", args=[email_id])
    except NoReverseMatch:
        return ""


def _timeline_page(request: HttpRequest, client: Client, **filters: Any) -> Page:
    """One page of the timeline (`?page=`), each entry with its links (no N+1)."""
    entries = list_timeline(_user(request), client=client, **filters)
    return _paged(request, entries)


def _paged(request: HttpRequest, entries: QuerySet[TimelineEntry]) -> Page:
    page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_links(page.object_list)
    for entry in page.object_list:
        links = entry.links  # type: ignore[attr-defined]
        entry.thread_url = thread_url(links.thread_id) if links else ""  # type: ignore[attr-defined]
    return page


def filtered_timeline(
    request: HttpRequest,
    *,
    client: Client | None = None,
    case: Any = None,
    url: str,
) -> tuple[dict[str, Any], int]:
    """The context of a filtered timeline, and its status (422 when a filter is not
    valid: the form says which and no entries are shown). Without `client` and `case`
    it is the cross-client timeline, with a client choice."""
    user = _user(request)
    chosen = client or (case.client if case is not None else None)
    pick_client = client is None and case is None
    if pick_client and request.GET.get("client"):
        try:
            chosen = get_client_for(user, request.GET["client"][:30])
        except NotFound:
            chosen = None  # the form refuses it below
    form = TimelineFilterForm(
        request.GET if any(n in request.GET for n in TIMELINE_FILTERS) else None,
        clients=list_clients(user) if pick_client else None,
        cases=None if case is not None else list_cases(user, client=chosen),
        contacts=list_contacts(user, client=chosen),
    )
    tzname = chosen.timezone if chosen is not None else settings.TIME_ZONE
    context: dict[str, Any] = {
        "form": form,
        "client": client,
        "case": case,
        "chosen": chosen,
        "tzname": tzname,
        "timeline_url": url,
        "cross_client": pick_client,
        "filtered": form.is_bound,
    }
    if form.is_bound and not form.is_valid():
        context["timeline"] = None
        return context, 422
    data = form.cleaned_data if form.is_bound else {}
    since, before = day_range(data.get("since"), data.get("until"), tzname)
    entries = list_timeline(
        user,
        client=chosen,
        case=case if case is not None else data.get("case"),
        contact=data.get("contact"),
        channel=data.get("channel") or None,
        direction=data.get("direction") or None,
        since=since,
        before=before,
    )
    context["timeline"] = _paged(request, entries)
    return context, 200


def render_timeline(
    request: HttpRequest, page: str, context: dict[str, Any], status: int
) -> HttpResponse:
    return render_page_or_partial(
        request, page, "clients/_timeline_area.html", context, status=status
    )


@login_required
def timeline(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's timeline, filtered by case, contact, channel, direction and dates."""
    client = found(get_client_for, _user(request), client_id)
    url = reverse("clients:timeline", args=[client.pk])
    context, status = filtered_timeline(request, client=client, url=url)
    return render_timeline(request, "clients/timeline.html", context, status)


@login_required
def timeline_everywhere(request: HttpRequest) -> HttpResponse:
    """Everything that happened with every client the user may see, filterable."""
    context, status = filtered_timeline(request, url=reverse("timeline:all"))
    return render_timeline(request, "clients/timeline_all.html", context, status)
