"""CSV call logs (mapping, encodings, delimiters, dates, per-row errors, dry run) and the
upload page and API for calendars and CSV files (issue 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.comms.csv_import import CsvError, MappingError, read_table, suggest_mapping
from amends.comms.meeting_actions import import_csv
from amends.comms.models import Communication
from amends.watch.models import Job
from amends.watch.worker import run_one_step
from tests.comms_calendar.calendars import GOOGLE

API = "/api/v1"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

# Excel on Windows, "CSV (semicolon delimited)": cp1252, day-first dates.
EXCEL = (
    "Datum;Uhrzeit;Art;Kunde;Kontakt E-Mail;Betreff;Notizen;Dauer\r\n"
    "04/03/2026;09:30;Call;Acme Ltd;dana@acme.example;Rückruf wegen Rechnung;"
    "Café besprochen;30\r\n"
    "05/03/2026;14:00;Meeting;Acme Ltd;dana@acme.example;Workshop;Notizen €;1:30\r\n"
).encode("cp1252")

BOM = (
    "\ufeffDate,Time,Type,Client,Contact email,Subject,Notes,Duration (min),Owner,Call ID\r\n"
    "2026-03-04,09:30,call,Acme Ltd,dana@acme.example,Invoice call,Talked it through,30,"
    "alice,C-1\r\n"
    "2026-03-05,15:00,meeting,Acme Ltd,dana@acme.example,Workshop,Went well,90,alice,C-2\r\n"
    "2026-13-45,15:00,call,Acme Ltd,,Broken date,x,10,alice,C-3\r\n"
    "2026-03-06,10:00,fax,Acme Ltd,,Odd channel,x,10,alice,C-4\r\n"
    "2026-03-07,10:00,call,Nobody Inc,,Unknown client,x,10,alice,C-5\r\n"
    "2026-03-08,10:00,call,Acme Ltd,,Who is this,x,10,mallory,C-6\r\n"
    "2030-03-08,10:00,call,Acme Ltd,,Future,x,10,alice,C-7\r\n"
).encode("utf-8")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


def _mapping_excel():
    return {
        "when": "Datum",
        "time": "Uhrzeit",
        "channel": "Art",
        "client": "Kunde",
        "contact_email": "Kontakt E-Mail",
        "subject": "Betreff",
        "summary": "Notizen",
        "duration": "Dauer",
    }


def test_suggested_mapping_from_headers():
    table = read_table(BOM)
    assert table.encoding == "utf-8-sig" and table.headers[0] == "Date"
    assert suggest_mapping(table.headers) == {
        "when": "Date",
        "time": "Time",
        "channel": "Type",
        "client": "Client",
        "contact_email": "Contact email",
        "subject": "Subject",
        "summary": "Notes",
        "duration": "Duration (min)",
        "person": "Owner",
        "external_id": "Call ID",
    }


def test_dry_run_reports_every_row_and_writes_nothing(world):
    report = import_csv(None, BOM, dry_run=True)
    assert Communication.objects.count() == 0
    by_line = {r.line: (r.status, r.message) for r in report.rows}
    assert by_line[2][0] == "create" and by_line[3][0] == "create"
    assert by_line[4][0] == "error" and "not a real date" in by_line[4][1]
    assert by_line[5][0] == "error" and "fax" in by_line[5][1]
    assert by_line[6][0] == "error" and "Nobody Inc" in by_line[6][1]
    assert by_line[7][0] == "error" and "mallory" in by_line[7][1]
    assert by_line[8][0] == "error" and "future" in by_line[8][1]
    assert report.imported == 2 and report.rejected_count == 5


def test_import_with_bom_then_reimport_is_idempotent(world):
    summary = import_csv(None, BOM)
    assert summary.imported == 2
    call = Communication.objects.get(external_id="csv:C-1")
    assert call.channel == "call" and call.direction == "out" and call.client == world.acme
    assert call.contact == world.contact and call.person == world.alice
    # 09:30 in London in March (GMT) is 09:30 UTC; the duration gives the end.
    assert call.occurred_at == datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    assert call.ends_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert import_csv(None, BOM).imported == 0
    assert Communication.objects.filter(external_id__startswith="csv:").count() == 2


def test_semicolon_cp1252_day_first(world):
    summary = import_csv(None, EXCEL, _mapping_excel(), day_first=True)
    assert summary.imported == 2, summary.rejected
    first = Communication.objects.get(subject="Rückruf wegen Rechnung")
    assert first.summary == "Café besprochen"
    assert first.occurred_at == datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    workshop = Communication.objects.get(subject="Workshop")
    assert workshop.channel == "meeting"
    assert workshop.ends_at - workshop.occurred_at == (
        datetime(2026, 1, 1, 1, 30) - datetime(2026, 1, 1)
    )
    # Without an id column the row's content is its key: re-import creates nothing.
    assert import_csv(None, EXCEL, _mapping_excel(), day_first=True).imported == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=600), st.booleans())
def test_arbitrary_csv_bytes_never_raise_unexpectedly(world, data, day_first):
    try:
        import_csv(None, b"Date,Subject,Duration,End\r\n" + data, dry_run=True, day_first=day_first)
        import_csv(None, data, {"when": "x"}, dry_run=True)
    except (CsvError, MappingError):
        pass
    assert Communication.objects.count() == 0


def test_cli_csv_map_and_dry_run(world, tmp_path, capsys):
    path = tmp_path / "calls.csv"
    path.write_bytes(EXCEL)
    args = ["--day-first", *[f"--map={k}={v}" for k, v in _mapping_excel().items()]]
    call_command("import", str(path), "--dry-run", *args)
    out = capsys.readouterr().out
    assert "Dry run" in out and "2 would be imported" in out
    assert Communication.objects.count() == 0
    call_command("import", str(path), *args)
    assert "2 imported" in capsys.readouterr().out
    assert Communication.objects.count() == 2


def test_cli_imports_a_compressed_csv(world, tmp_path, settings, capsys):
    """On the command line a `calls.csv.gz` is decompressed and read as the CSV it holds
    (the upload page asks for the .csv itself, to map its columns)."""
    import gzip

    settings.DATA_DIR = tmp_path / "data"
    path = tmp_path / "calls.csv.gz"
    path.write_bytes(gzip.compress(EXCEL))
    args = ["--day-first", *[f"--map={k}={v}" for k, v in _mapping_excel().items()]]
    call_command("import", str(path), *args)
    out = capsys.readouterr().out
    assert "Calls and notes from calls.csv (CSV)" in out and "2 imported" in out
    assert Communication.objects.count() == 2
    assert not any((tmp_path / "data" / "uploads").iterdir())


def _browser(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def _run_all() -> None:
    while run_one_step() is not None:
        pass


def test_page_csv_mapping_step_preview_and_import(world):
    alice = _browser(world.alice)
    response = alice.post(
        reverse("comms:import"),
        {"file": SimpleUploadedFile("calls.csv", BOM), "client": world.acme.pk},
    )
    assert response.status_code == 303
    url = response["Location"]
    assert "/import/csv/" in url
    page = alice.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Dry run" in body and "not a real date" in body and "Nobody Inc" in body
    assert "<script>" not in body and "style=" not in body
    assert Communication.objects.count() == 0
    # An outsider (and anyone but the uploader) gets a plain 404.
    assert _browser(world.carol).get(url).status_code == 404
    assert _browser(world.bob).get(url).status_code == 404
    token = url.split("/import/csv/")[1].split("/")[0].split("?")[0]
    form = {
        "map_when": "Date",
        "map_time": "Time",
        "map_channel": "Type",
        "map_client": "Client",
        "map_contact_email": "Contact email",
        "map_subject": "Subject",
        "map_summary": "Notes",
        "map_external_id": "Call ID",
        "client": world.acme.pk,
    }
    assert (
        _browser(world.carol).post(url.split("?")[0], {**form, "action": "import"}).status_code
        == 404
    )
    preview = alice.post(reverse("comms:import_csv", args=[token]), {**form, "action": "preview"})
    assert preview.status_code == 200 and Communication.objects.count() == 0
    done = alice.post(reverse("comms:import_csv", args=[token]), {**form, "action": "import"})
    assert done.status_code == 303
    job = Job.objects.get(kind="comms.import")
    assert job.payload["format"] == "csv" and job.payload["mapping"]["when"] == "Date"
    _run_all()
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["imported"] == 3  # no person column: "mallory" is fine
    assert Communication.objects.filter(external_id="csv:C-1").exists()


def test_page_csv_bad_mapping_and_escaping(world):
    alice = _browser(world.alice)
    hostile = b"Date,Subject\r\n2026-03-04,<script>alert(1)</script>\r\n"
    url = alice.post(
        reverse("comms:import"),
        {"file": SimpleUploadedFile("x.csv", hostile), "client": world.acme.pk},
    )["Location"]
    body = alice.get(url).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    token = url.split("/import/csv/")[1].split("/")[0]
    bad = alice.post(
        reverse("comms:import_csv", args=[token]), {"map_when": "", "action": "import"}
    )
    assert bad.status_code == 422 and not Job.objects.exists()
    assert (
        _browser(world.alice).get(reverse("comms:import_csv", args=["0" * 32])).status_code == 404
    )
    assert _browser(world.alice).get("/comms/import/csv/..%2Fetc/").status_code == 404


def test_page_calendar_upload_runs_as_a_job(world):
    alice = _browser(world.alice)
    response = alice.post(
        reverse("comms:import"),
        {"file": SimpleUploadedFile("cal.ics", GOOGLE), "client": world.acme.pk},
    )
    assert response.status_code == 303
    job = Job.objects.get(kind="comms.import")
    assert job.payload["format"] == "ics"
    _run_all()
    job.refresh_from_db()
    assert job.status == "done", job.last_error
    assert job.payload["summary"]["imported"] == 7 and job.payload["summary"]["upcoming"] == 1
    listing = alice.get(reverse("comms:import_jobs")).content.decode()
    assert "still to come" in listing


def test_api_csv_dry_run_is_synchronous_and_import_queues(client, world, api_alice, api_carol):
    mapping = json.dumps({"when": "Date", "client": "Client", "subject": "Subject"})
    dry = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("c.csv", BOM), "mapping": mapping, "dry_run": "true"},
        **api_alice,
    )
    assert dry.status_code == 200, dry.content
    body = dry.json()
    assert body["create"] == 2 and body["errors"] == 5 and body["mapping"]["when"] == "Date"
    assert {r["line"] for r in body["rows"] if r["status"] == "error"} == {4, 5, 6, 7, 8}
    assert Communication.objects.count() == 0 and not Job.objects.exists()
    queued = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("c.csv", BOM), "mapping": mapping},
        **api_alice,
    )
    assert queued.status_code == 202, queued.content
    _run_all()
    assert (
        client.get(f"{API}/imports/{queued.json()['id']}", **api_alice).json()["summary"][
            "imported"
        ]
        == 2
    )
    bad = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("c.csv", BOM), "mapping": "{not json"},
        **api_alice,
    )
    assert bad.status_code == 422
    # Carol names Acme: as if it did not exist. Without a client her rows match nothing
    # she can see.
    outsider = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("c.csv", BOM), "client": world.acme.pk, "dry_run": "true"},
        **api_carol,
    )
    assert outsider.status_code == 404
    blind = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("c.csv", BOM), "mapping": mapping, "dry_run": "true"},
        **api_carol,
    )
    assert blind.status_code == 200 and blind.json()["create"] == 0
    # Neither a client nor a client column: only an admin may import for everyone.
    unnamed = client.post(
        f"{API}/imports", {"file": SimpleUploadedFile("c.csv", b"Date,Subject\r\n")}, **api_carol
    )
    assert unnamed.status_code in (403, 422)


def test_api_calendar_upload(client, world, api_alice, api_carol):
    response = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("cal.ics", GOOGLE), "client": world.acme.pk},
        **api_alice,
    )
    assert response.status_code == 202, response.content
    _run_all()
    job = client.get(f"{API}/imports/{response.json()['id']}", **api_alice).json()
    assert job["status"] == "done" and job["summary"]["imported"] == 7
    assert client.get(f"{API}/imports/{response.json()['id']}", **api_carol).status_code == 404
    no_client = client.post(
        f"{API}/imports", {"file": SimpleUploadedFile("cal.ics", GOOGLE)}, **api_alice
    )
    assert no_client.status_code == 422
