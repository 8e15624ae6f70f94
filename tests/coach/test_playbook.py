"""The playbook pages, the API and the CLI of the coach."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from amends.playbook.coaching import coach_case_draft
from amends.playbook.models import CoachRule
from amends.playbook.queries import coach_settings

BUSY = "We were very busy. Mistakes were made.\n"


def test_admin_sees_and_tunes_rules(as_ada, world):
    page = as_ada.get("/playbook/coach/")
    assert page.status_code == 200
    assert b"excuse" in page.content and b"Coach rules" in page.content
    resp = as_ada.post(
        "/playbook/coach/excuse/",
        {"version": 1, "severity": "info", "extra_phrases": "bad luck\n\nbad luck", "note": "n"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 200
    row = CoachRule.objects.get(code="excuse")
    assert not row.enabled and row.severity == "info" and row.extra_phrases == ["bad luck"]
    assert row.updated_by == world.ada and row.version == 2
    assert "excuse" not in {f.rule for f in coach_case_draft(world.alice, BUSY).findings}
    stale = as_ada.post(
        "/playbook/coach/excuse/", {"version": 1, "enabled": "on"}, HTTP_HX_REQUEST="true"
    )
    assert stale.status_code == 422 and b"Someone changed this rule" in stale.content
    assert b'name="version" value="2"' in stale.content
    assert not CoachRule.objects.get(code="excuse").enabled  # nothing overwritten
    again = as_ada.post("/playbook/coach/excuse/", {"version": 2, "enabled": "on"})
    assert again.status_code == 303 and CoachRule.objects.get(code="excuse").enabled


def test_non_admins_and_outsiders_get_404(as_alice, as_carol):
    for c in (as_alice, as_carol):
        assert c.get("/playbook/coach/").status_code == 404
        assert c.post("/playbook/coach/excuse/", {"version": 1}).status_code == 404


def test_unknown_rule_and_bad_input(as_ada):
    assert as_ada.post("/playbook/coach/nope/", {"version": 1}).status_code == 404
    many = "\n".join(f"p{i}" for i in range(60))
    assert (
        as_ada.post("/playbook/coach/excuse/", {"version": 1, "extra_phrases": many}).status_code
        == 422
    )
    assert not CoachRule.objects.exists()


def test_coach_case_draft_uses_open_concerns_and_scope(world):
    report = coach_case_draft(world.alice, "I'm sorry.")
    assert report.coverage == []
    report = coach_case_draft(world.alice, "I'm sorry.", world.case.pk)
    assert [c.concern.text for c in report.coverage] == [
        "We were never told the launch would slip."
    ]
    from amends.core.errors import NotFound

    with pytest.raises(NotFound):
        coach_case_draft(world.carol, "I'm sorry.", world.case.pk)


def test_api_coach_and_rules(client, world, api_alice, api_carol, api_ada):
    url = "/api/v1/coach"
    body = {"text": BUSY, "case": world.case.pk}
    r = client.post(url, body, content_type="application/json", **api_alice)
    assert r.status_code == 200 and r.json()["blocking"] is True
    assert r.json()["coverage"][0]["covered"] is False
    r = client.post(url, body, content_type="application/json", **api_carol)
    assert r.status_code == 404
    r = client.post(url, {"text": "x" * 50_001}, content_type="application/json", **api_alice)
    assert r.status_code == 422
    assert client.get("/api/v1/coach/rules", **api_alice).status_code == 403
    rules = client.get("/api/v1/coach/rules", **api_ada).json()
    assert {r["code"] for r in rules} >= {"excuse", "jargon", "uncovered_concern"}
    patch = {"version": 1, "enabled": False}
    r = client.patch(
        "/api/v1/coach/rules/excuse", patch, content_type="application/json", **api_alice
    )
    assert r.status_code == 403
    r = client.patch(
        "/api/v1/coach/rules/excuse", patch, content_type="application/json", **api_ada
    )
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["version"] == 2
    r = client.patch(
        "/api/v1/coach/rules/excuse", patch, content_type="application/json", **api_ada
    )
    assert r.status_code == 409
    assert coach_settings()["excuse"].enabled is False


def _run(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command("coach", *args, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue()


GOOD = (
    "I'm sorry: we missed the date.\n\nI'll call you tomorrow at 10.\n"
    "Call me on 020 7946 0123.\n\nMaria\n"
)


def test_cli_exit_codes_and_json(tmp_path, world):
    good = tmp_path / "good.txt"
    good.write_text(GOOD)
    bad = tmp_path / "bad.txt"
    bad.write_text(BUSY)
    assert _run(str(good))[0] == 0
    code, out = _run(str(bad))
    assert code == 1 and "excuse 1:1" in out and "why:" in out
    code, out = _run(str(bad), "--json", "--case", str(world.case.pk))
    data = json.loads(out)
    assert code == 1 and data["coverage"][0]["covered"] is False
    with pytest.raises(CommandError, match="No such file"):
        _run(str(tmp_path / "missing.txt"))
    with pytest.raises(CommandError, match="no case"):
        _run(str(good), "--case", "999999")
    big = tmp_path / "big.txt"
    big.write_text("a" * 50_001)
    with pytest.raises(CommandError, match="longer"):
        _run(str(big))


def test_cli_reads_stdin(monkeypatch, world):
    class FakeStdin:
        buffer = io.BytesIO(GOOD.encode())

    monkeypatch.setattr("sys.stdin", FakeStdin)
    assert _run("-")[0] == 0
