"""Fetch the real-world files some tests read and that are not ours to keep in the
repository, as other projects publish them for their own tests in their packages:

- Outlook data files (.pst, .ost) and messages (.msg) written by Outlook (npm);
- real mail (PyPI): mail-parser's messages, malformed and spam ones included, as they
  reached real mailboxes; talon's replies written by a dozen mail programs (Gmail,
  Outlook, Apple Mail, Thunderbird, Yahoo, AOL, an iPhone, an Android phone…), as text
  and as HTML; msg-parser's Outlook messages (one with five Outlook messages attached,
  one attached to another); HyperKitty's mailing-list messages that broke archivers
  (wrong and unknown charsets, bad folding, dates in impossible zones or none);
  flufl.bounce's delivery failures, as a hundred mail servers wrote them (Exim, Postfix,
  qmail, Exchange, GroupWise, Yahoo, AOL…); Mailman's messages that broke it;
- real calendars (PyPI): the .ics files icalendar, recurring-ical-events, vobject,
  ics-py and khal test with, most of them exports their users sent with a bug report
  (Google, Outlook, Apple, Thunderbird, Nextcloud, a university's timetable…), broken
  ones included.

    python scripts/fetch_test_data.py          # into .cache/test-data/

Each package is pinned by version and by the checksum the registry publishes for it
(npm: `npm view NAME@VERSION dist.integrity`; PyPI: the sdist's SHA-256); only the files
named are unpacked (a folder's files by their own names, never a path the archive
gives). Already fetched files are kept. Without a network, it says so and exits 0: the
tests that need these files skip, saying how to fetch them. `make test` runs it first.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / ".cache" / "test-data"
REGISTRY = "https://registry.npmjs.org"

# (package, version, integrity, {member in the package: file name here}, licence)
PACKAGES = (
    (
        "pst-extractor",
        "1.12.0",
        "sha512-mO87iT2FGXc3MZVQ8YVIHn8GghM3WI8Dvqn872JEYXo0Bi5EFewS6hlmdPTasfFzrAJgJgnuA8EXSYSxIrCcyQ==",
        {
            "package/example/testdata/enron.pst": "enron.pst",
            "package/example/testdata/pstextractortest@outlook.com.ost": "outlook.com.ost",
        },
        "MIT",
    ),
    (
        "msg-parser",
        "1.0.10",
        "sha512-Vs5MY42y0EHZNf6qehdMZzRo2n6QQ5n5JA2k9CpujaiwT+IgBM1i03oQYllqjig6D/6w8uUh9v/mh8oSPB7gfw==",
        {"package/test/Top level email.msg": "top-level-email.msg"},
        "ISC",
    ),
    (
        "msgreader",
        "1.0.1",
        "sha512-JchHZDMcVa8oZ3rdo9aTO0oGi3lzMUA+kr5PSG2655nXExmNd3qrC9ANaGGRpwbFNjiswbkME42YJ1F4/r8lXw==",
        {"package/data/test.msg": "outlook-2016.msg"},
        "ISC",
    ),
)


PYPI = "https://files.pythonhosted.org/packages"

# (package, version, sdist path under PYPI, its SHA-256, {folder in the sdist: folder
# here}, licence): every file directly in each folder.
CORPORA = (
    (
        "mail-parser",
        "4.8.0",
        "43/30/8e3a2559bb78ecbe4e3a9f0a9c50d332e0631ff0f0478f1205979c3f40fa/mail_parser-4.8.0.tar.gz",
        "602e659b159652d378b0f9cce2d682bee692bedae72687786e2b2e52eaeb9afc",
        {"mail_parser-4.8.0/tests/mails/": "mail/mail-parser"},
        "Apache-2.0",
    ),
    (
        "talon",
        "1.4.4",
        "eb/f7/3348324b489f74500054a1a1ea18b86cc40d19994f789311228c12a6bcc7/talon-1.4.4.tar.gz",
        "263d122609747691e9f75726ea565f5da8a40146a7a81eb5883e51b8224b0e5c",
        {
            "talon-1.4.4/tests/fixtures/standard_replies/": "mail/talon-replies",
            "talon-1.4.4/tests/fixtures/html_replies/": "mail/talon-html-replies",
        },
        "Apache-2.0",
    ),
    (
        "msg-parser",
        "1.2.0",
        "41/29/07909e648a72a6cd054a1ad5acf55caac0e9d4c9c3a06498af18f30a1602/msg_parser-1.2.0.tar.gz",
        "0de858d4fcebb6c8f6f028da83a17a20fe01cdce67c490779cf43b3b0162aa66",
        {"msg_parser-1.2.0/tests/files/": "mail/msg-parser"},
        "BSD",
    ),
    (
        "HyperKitty",
        "1.3.12",
        "b0/d6/bccc8587332772cd4d2086f683c6525a0422d8650547fa44dd84580f132f/hyperkitty-1.3.12.tar.gz",
        "deb582937ec5bc9ea9c1d5d86bfb76a4da429b60e1fea6fd6964e7c667cf161d",
        {"hyperkitty-1.3.12/hyperkitty/tests/testdata/": "mail/hyperkitty"},
        "GPL-3.0-or-later",
    ),
    (
        "flufl.bounce",
        "6.0.0",
        "36/df/ef02be153e34314595ccc4d8d903dfa4ab2f23c94481e6e8bbe2e1bf368b/flufl_bounce-6.0.0.tar.gz",
        "a1df16b9d1877ae4536f7d76c00d8421fcefbe694f80f5285d05c45a2547b1bc",
        {"flufl_bounce-6.0.0/tests/data/": "mail/flufl-bounce"},
        "Apache-2.0",
    ),
    (
        "mailman",
        "3.3.10",
        "c3/52/4beb0fdf0d19741d22b4f4dd78ecce5059d25829010f62c4a8ab5dd8e011/mailman-3.3.10.tar.gz",
        "0de478fcf326f25d931938c3744e61c5cd67596b46e5b1e3bb2abf99d5445632",
        {
            "mailman-3.3.10/src/mailman/email/tests/data/": "mail/mailman-email",
            "mailman-3.3.10/src/mailman/handlers/tests/data/": "mail/mailman-handlers",
        },
        "GPL-3.0-or-later",
    ),
    (
        "icalendar",
        "7.3.2",
        "9d/2d/db155eaa6ffe65b370b9899a69ac67cd439a33a9e9610327cef1ffaac86e/icalendar-7.3.2.tar.gz",
        "f15380927aed4318860e001c03b543c48578c73aec46e2d384c5d0802082b808",
        {
            "icalendar-7.3.2/src/icalendar/tests/calendars/": "calendars/icalendar",
            "icalendar-7.3.2/src/icalendar/tests/events/": "calendars/icalendar-events",
        },
        "BSD-2-Clause",
    ),
    (
        "vobject",
        "0.9.9",
        "d0/8a/15c34b3d27c43fc81a467d0f66577afc5542326804c42f30557e31c3259e/vobject-0.9.9.tar.gz",
        "ac44e5d7e2079d84c1d52c50a615b9bec4b1ba958608c4c7fe40cbf33247b38e",
        {"vobject-0.9.9/test_files/": "calendars/vobject"},
        "Apache-2.0",
    ),
    (
        "ics",
        "0.7.3",
        "45/9d/f1fa704c153351f679245c0f1dc0099df2d5e3ddb94a06810403a8931bef/ics-0.7.3.tar.gz",
        "2dcd6876e8c913d40db76f1f1ca47bccd1c162178c73f69fbbedca1b844eface",
        {
            "ics-0.7.3/tests/fixtures/": "calendars/ics-py",
            "ics-0.7.3/tests/gehol/": "calendars/ics-py-gehol",
        },
        "Apache-2.0",
    ),
    (
        "khal",
        "0.14.1",
        "7f/e3/982937a23abdba94e6f858cc4be5bf7bf032b96db4ce14c520a7d1868f61/khal-0.14.1.tar.gz",
        "2b51679d80662b2d65e757c509813bd72b496043d789839bfd970f0026da687d",
        {"khal-0.14.1/tests/ics/": "calendars/khal"},
        "MIT",
    ),
    (
        "recurring-ical-events",
        "3.8.2",
        "b9/f5/898abd8fbb25766ec6cb17b244730ebf192f47963c71eeacd61aadd903a1/recurring_ical_events-3.8.2.tar.gz",
        "e731af31d0b7dec5cd47a1defacd8549e2f36fab1c1995e8b9f042822a0acf8e",
        {
            "recurring_ical_events-3.8.2/recurring_ical_events/test/calendars/": (
                "calendars/recurring-ical-events"
            )
        },
        "LGPL-3.0-or-later",
    ),
)


def fetch_corpus(name: str, version: str, path: str, sha256: str, folders: dict[str, str]) -> None:
    if all((TARGET / here).is_dir() for here in folders.values()):
        return
    with urllib.request.urlopen(f"{PYPI}/{path}", timeout=60) as response:  # noqa: S310
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"fetch_test_data: {name}@{version} does not match its checksum")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = archive.getmembers()
        for folder, here in folders.items():
            if (TARGET / here).is_dir():
                continue
            partial = TARGET / f"{here}.part"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            for member in members:
                inside = member.name[len(folder) :] if member.name.startswith(folder) else ""
                if not member.isfile() or not inside or "/" in inside or inside.startswith("."):
                    continue
                source = archive.extractfile(member)
                if source is not None:
                    (partial / inside).write_bytes(source.read())
            if not any(partial.iterdir()):
                raise SystemExit(f"fetch_test_data: {name}@{version} has nothing in {folder}")
            partial.replace(TARGET / here)


def fetch(name: str, version: str, integrity: str, members: dict[str, str]) -> None:
    if all((TARGET / here).is_file() for here in members.values()):
        return
    url = f"{REGISTRY}/{name}/-/{name}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https URL)
        data = response.read()
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"fetch_test_data: {name}@{version} does not match its checksum")
    TARGET.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, here in members.items():
            source = archive.extractfile(member)
            if source is None:
                raise SystemExit(f"fetch_test_data: {name}@{version} has no {member}")
            partial = TARGET / f".{here}.part"
            partial.write_bytes(source.read())
            partial.replace(TARGET / here)


def main() -> int:
    for name, version, integrity, members, _licence in PACKAGES:
        try:
            fetch(name, version, integrity, members)
        except OSError as exc:
            print(f"fetch_test_data: {name}@{version} not fetched ({exc}); its tests skip")
    for name, version, path, sha256, folders, _licence in CORPORA:
        try:
            fetch_corpus(name, version, path, sha256, folders)
        except OSError as exc:
            print(f"fetch_test_data: {name}@{version} not fetched ({exc}); its tests skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
