"""Mailbox pages: your connected mailboxes (admins: all), connect one (with a real test
of the connection), change, disable, remove, and poll now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from amends.accounts.models import User
from amends.comms import mailbox_actions
from amends.comms.mailbox_actions import clean_fields
from amends.comms.mailbox_forms import MailboxForm
from amends.comms.mailbox_queries import active_polls, get_mailbox_for, list_mailboxes
from amends.comms.mailboxes import MailboxError, ServerSettings, check_connection, decrypt_secret
from amends.comms.models import MailboxAccount
from amends.core.errors import NotFound, StaleEdit, ValidationError
from amends.core.forms import add_action_error
from amends.core.htmx import redirect
from amends.core.views import found


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def mailboxes(request: HttpRequest) -> HttpResponse:
    """Your mailboxes (admins: everyone's) and how their polling goes."""
    user = _user(request)
    accounts = list(list_mailboxes(user))
    active = active_polls(accounts)
    rows = [(account, active.get(account.pk)) for account in accounts]
    return render(request, "comms/mailboxes.html", {"rows": rows, "now": timezone.now()})


def _try_connection(form: MailboxForm, account: MailboxAccount | None) -> str | None:
    """'Test connection': really log in with what the form says (the saved password when
    the field is empty). Returns the success message, or puts the error on the form."""
    try:
        data = {**form.cleaned_data, **clean_fields(form.changes(), creating=False)}
        password = data.get("password") or (decrypt_secret(account.secret) if account else "")
        server = ServerSettings(
            host=data["host"],
            port=data["port"],
            username=data["username"],
            password=password,
            folder=data["folder"],
            verify_tls=data.get("verify_tls", account.verify_tls if account else True),
        )
        return check_connection(
            server,
            read_sent=bool(data.get("read_sent")),
            sent_folder=str(data.get("sent_folder") or ""),
        )
    except ValidationError as exc:
        add_action_error(form, exc)
        return None
    except MailboxError as exc:
        form.add_error(None, f"The connection test failed: {exc}")
        return None


def _form_page(
    request: HttpRequest, form: MailboxForm, account: MailboxAccount | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "comms/mailbox_form.html", {"form": form, "account": account}, status=status
    )


@login_required
def mailbox_connect(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: test the connection (button `test`) or connect the mailbox."""
    user = _user(request)
    if request.method != "POST":
        return _form_page(request, MailboxForm(user=user), None)
    form = MailboxForm(request.POST, user=user)
    if form.is_valid():
        if "test" in request.POST:
            ok = _try_connection(form, None)
            if ok:
                messages.success(request, ok)
                return _form_page(request, form, None)
        else:
            try:
                account = mailbox_actions.connect_mailbox(user, **form.changes())
            except ValidationError as exc:
                add_action_error(form, exc)
            except NotFound:
                form.add_error("client", "Choose one of your clients.")
            else:
                messages.success(
                    request, f"Mailbox “{account}” connected; the first poll is due now."
                )
                return redirect(request, reverse("comms:mailboxes"))
    return _form_page(request, form, None, status=422)


@login_required
def mailbox_edit(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """GET: the form, filled in (never the password). POST: test, or save the changes."""
    user = _user(request)
    account = found(get_mailbox_for, user, mailbox_id)
    if request.method != "POST":
        return _form_page(request, MailboxForm(user=user, instance=account), account)
    form = MailboxForm(request.POST, user=user, instance=account)
    if form.is_valid():
        if "test" in request.POST:
            ok = _try_connection(form, account)
            if ok:
                messages.success(request, ok)
                return _form_page(request, form, account)
        else:
            try:
                mailbox_actions.update_mailbox(
                    user, account, version=form.cleaned_data["version"], **form.changes()
                )
            except StaleEdit as exc:
                form.note_conflict(exc, get_mailbox_for(user, account.pk))
            except ValidationError as exc:
                add_action_error(form, exc)
            except NotFound:
                form.add_error("client", "Choose one of your clients.")
            else:
                messages.success(request, f"Mailbox “{account}” saved.")
                return redirect(request, reverse("comms:mailboxes"))
    return _form_page(request, form, account, status=422)


def _act(request: HttpRequest, mailbox_id: int, act: Any, done: str) -> HttpResponse:
    user = _user(request)
    account = found(get_mailbox_for, user, mailbox_id)
    try:
        act(user, account)
    except (ValidationError, StaleEdit) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, done.format(account=account))
    return redirect(request, reverse("comms:mailboxes"))


@login_required
@require_POST
def mailbox_enabled(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Switch polling off (`enabled=0`) or back on (`enabled=1`)."""
    on = request.POST.get("enabled") == "1"

    def act(user: User, account: MailboxAccount) -> None:
        mailbox_actions.update_mailbox(user, account, version=None, enabled=on)

    done = "Mailbox “{account}” " + ("enabled." if on else "disabled: it is no longer polled.")
    return _act(request, mailbox_id, act, done)


@login_required
@require_POST
def mailbox_remove(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Forget the mailbox and its password; what it imported stays."""
    return _act(
        request,
        mailbox_id,
        mailbox_actions.remove_mailbox,
        "Mailbox “{account}” removed. The mail imported from it stays.",
    )


@login_required
@require_POST
def mailbox_poll(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Queue a poll now (or keep the one already queued)."""
    return _act(
        request,
        mailbox_id,
        mailbox_actions.enqueue_poll,
        "A poll of “{account}” is queued; see its progress on the Jobs page.",
    )
