"""Sign in and out, team administration (admins only) and personal API tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from amends.accounts import actions
from amends.accounts.forms import (
    CreateUserForm,
    LoginForm,
    MembershipForm,
    RemoveMembershipForm,
    SetAdminForm,
    TokenForm,
)
from amends.accounts.models import TeamMembership, User
from amends.accounts.queries import get_token_for, list_tokens, list_users
from amends.clients.queries import list_clients
from amends.core.errors import ValidationError
from amends.core.forms import add_action_error
from amends.core.htmx import redirect
from amends.core.views import found

View = Callable[..., HttpResponse]


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


# Django's LogoutView answers POST only: a link or an image cannot sign anyone out.
logout = auth_views.LogoutView.as_view(next_page="login")


def admin_required(view: View) -> View:
    """Admins only; everyone else is told the page does not exist."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_admin:  # type: ignore[union-attr]
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def _errors_text(form: Any) -> str:
    return " ".join(str(m) for errors in form.errors.values() for m in errors)


def _team_admin_url(client_id: int | None = None) -> str:
    url = reverse("accounts:team_admin")
    return f"{url}#client-{client_id}" if client_id else url


def _team_admin_page(
    request: HttpRequest, *, user_form: CreateUserForm | None = None, status: int = 200
) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    people = list_users(actor)
    active = people.filter(is_active=True)
    clients = list_clients(actor).prefetch_related(
        Prefetch(
            "memberships",
            queryset=TeamMembership.objects.select_related("user").order_by(
                "-role", "user__username"
            ),
        )
    )
    teams = []
    for client in clients:
        form = MembershipForm(
            clients=clients,
            people=active,
            auto_id=f"id_c{client.pk}_%s",
            initial={"client": client.pk, "role": TeamMembership.Role.MEMBER},
        )
        teams.append({"client": client, "members": list(client.memberships.all()), "form": form})
    context = {
        "teams": teams,
        "people": people,
        "user_form": user_form or CreateUserForm(),
        "roles": TeamMembership.Role.choices,
    }
    return render(request, "accounts/team_admin.html", context, status=status)


@admin_required
def team_admin(request: HttpRequest) -> HttpResponse:
    return _team_admin_page(request)


@admin_required
@require_POST
def set_membership(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    form = MembershipForm(
        request.POST, clients=list_clients(actor), people=list_users(actor).filter(is_active=True)
    )
    if not form.is_valid():
        messages.error(request, f"The team was not changed: {_errors_text(form)}")
        return redirect(request, _team_admin_url())
    client, person = form.cleaned_data["client"], form.cleaned_data["user"]
    try:
        actions.set_team_membership(
            actor, client_id=client.pk, user=person, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        role = TeamMembership.Role(form.cleaned_data["role"]).label.lower()
        messages.success(request, f"{person} is on {client}'s team as {role}.")
    return redirect(request, _team_admin_url(client.pk))


@admin_required
@require_POST
def remove_membership(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    form = RemoveMembershipForm(request.POST, clients=list_clients(actor), people=list_users(actor))
    if not form.is_valid():
        messages.error(request, "Nobody was removed: that person or client does not exist.")
        return redirect(request, _team_admin_url())
    client, person = form.cleaned_data["client"], form.cleaned_data["user"]
    try:
        actions.remove_team_membership(actor, client_id=client.pk, user=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{person} is no longer on {client}'s team.")
    return redirect(request, _team_admin_url(client.pk))


@admin_required
@require_POST
def create_user(request: HttpRequest) -> HttpResponse:
    form = CreateUserForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            person = actions.create_user(
                request.user,  # type: ignore[arg-type]
                username=data["username"],
                password=data["password"] or None,
                email=data["email"],
                display_name=data["display_name"],
                is_admin=data["is_admin"],
            )
        except ValidationError as exc:
            # Only the password validators raise without naming a field.
            if hasattr(exc, "error_dict"):
                add_action_error(form, exc)
            else:
                form.add_error("password", exc)
        else:
            how = "" if data["password"] else " without a password (they cannot sign in yet)"
            messages.success(request, f"Account {person.username} created{how}.")
            return redirect(request, _team_admin_url() + "#people")
    return _team_admin_page(request, user_form=form, status=422)


@admin_required
@require_POST
def set_admin(request: HttpRequest, user_id: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    person = list_users(actor).filter(pk=user_id).first()
    if person is None:
        raise Http404("Not found")
    form = SetAdminForm(request.POST)
    form.is_valid()
    is_admin = bool(form.cleaned_data.get("is_admin"))
    try:
        actions.set_admin(actor, user=person, is_admin=is_admin)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "is now an admin" if is_admin else "is no longer an admin"
        messages.success(request, f"{person} {state}.")
    return redirect(request, _team_admin_url() + "#people")


def _tokens_page(
    request: HttpRequest,
    *,
    form: TokenForm | None = None,
    raw_token: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "tokens": list_tokens(request.user),  # type: ignore[arg-type]
        "form": form or TokenForm(),
        "raw_token": raw_token,
        "api_base": request.build_absolute_uri("/api/v1/"),
    }
    response = render(request, "accounts/tokens.html", context, status=status)
    if raw_token:
        add_never_cache_headers(response)  # the only time the secret is on the wire
    return response


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form=form, status=422)
    token, raw = actions.issue_token(request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” created. Copy it now: it is shown only once.")
    return _tokens_page(request, raw_token=raw, status=201)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = found(get_token_for, request.user, token_id)
    actions.revoke_token(request.user, token=token)  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect(request, reverse("accounts:tokens"))
