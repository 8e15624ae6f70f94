"""Reads of connected mailboxes that depend on who is asking: your own; admins: all."""

from __future__ import annotations

from django.db.models import QuerySet

from amends.accounts.models import User
from amends.comms.mailboxes import POLL_JOB_KIND
from amends.comms.models import MailboxAccount
from amends.core.errors import NotFound
from amends.watch.models import Job


def _visible_mailboxes(user: User) -> QuerySet[MailboxAccount]:
    if not user.is_authenticated or not user.is_active:
        return MailboxAccount.objects.none()
    qs = MailboxAccount.objects.select_related("owner", "client")
    return qs if user.is_admin else qs.filter(owner=user)


def list_mailboxes(user: User) -> QuerySet[MailboxAccount]:
    """The user's own mailboxes (admins: everyone's), by label."""
    return _visible_mailboxes(user).order_by("label", "username", "id")


def get_mailbox_for(user: User, mailbox_id: int | str) -> MailboxAccount:
    """One mailbox the user may see; NotFound for anything else."""
    try:
        return _visible_mailboxes(user).get(pk=mailbox_id)
    except (MailboxAccount.DoesNotExist, ValueError, TypeError):
        raise NotFound("mailbox") from None


def active_polls(accounts: list[MailboxAccount]) -> dict[int, Job]:
    """The queued or running poll of each of these mailboxes that has one, by mailbox id
    (one query). The caller fetched `accounts` through `list_mailboxes`."""
    ids = [account.pk for account in accounts]
    if not ids:
        return {}
    jobs = Job.objects.filter(
        kind=POLL_JOB_KIND,
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        payload__mailbox__in=ids,
    ).order_by("-id")
    return {job.payload["mailbox"]: job for job in jobs}
