"""`amends createuser`: people, admins and API tokens from the command line."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from amends.accounts.actions import authenticate_token
from amends.accounts.models import ApiToken, User

GOOD = "plum-orchard-lantern-47"


class _Terminal(io.StringIO):
    """Standard input that says it is a terminal (getpass itself is replaced)."""

    def isatty(self) -> bool:
        return True


def _create(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


def test_it_creates_an_admin_with_a_password_from_stdin(db, monkeypatch):
    out = _create(
        "maya",
        "--admin",
        "--email",
        "maya@firm.example",
        "--name",
        "Maya Okafor",
        "--password-stdin",
        stdin=GOOD + "\n",
        monkeypatch=monkeypatch,
    )
    user = User.objects.get(username="maya")
    assert user.is_admin and user.check_password(GOOD)
    assert user.email == "maya@firm.example" and user.display_name == "Maya Okafor"
    assert "an admin" in out


def test_without_admin_it_creates_a_team_member(db):
    out = _create("tom", "--no-password")
    user = User.objects.get(username="tom")
    assert not user.is_admin and not user.has_usable_password()
    assert "cannot log in" in out


def test_a_token_is_printed_once_and_works(db):
    out = _create("ci-bot", "--no-password", "--token", "deploy pipeline")
    raw = re.search(r"amd_\S+", out).group(0)
    assert authenticate_token(raw) == User.objects.get(username="ci-bot")
    assert ApiToken.objects.get().name == "deploy pipeline"
    assert raw not in ApiToken.objects.values_list("digest", flat=True)
    assert "shown only this once" in out


def test_a_weak_password_is_refused_and_nothing_created(db, monkeypatch):
    with pytest.raises(CommandError, match="too short"):
        _create("weak", "--password-stdin", "--token", "t", stdin="abc\n", monkeypatch=monkeypatch)
    assert not User.objects.exists() and not ApiToken.objects.exists()


def test_a_duplicate_username_is_refused(db):
    _create("alice", "--no-password")
    with pytest.raises(CommandError, match="taken"):
        _create("ALICE", "--no-password")
    assert User.objects.count() == 1


def test_without_a_password_source_or_terminal_it_explains(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="--password-stdin"):
        _create("nobody")
    assert not User.objects.exists()


def test_empty_stdin_is_an_error(db, monkeypatch):
    with pytest.raises(CommandError, match="empty"):
        _create("nobody", "--password-stdin", stdin="", monkeypatch=monkeypatch)


def test_on_a_terminal_it_asks_twice(db, monkeypatch):
    answers = iter([GOOD, GOOD])
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    _create("terminal-user")
    assert User.objects.get(username="terminal-user").check_password(GOOD)


def test_on_a_terminal_two_different_answers_create_nothing(db, monkeypatch):
    answers = iter([GOOD, GOOD + "x"])
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="do not match"):
        _create("typo")
    assert not User.objects.exists()


def test_the_password_options_exclude_each_other(db):
    with pytest.raises(CommandError):
        _create("x", "--password-stdin", "--no-password")
