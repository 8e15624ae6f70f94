"""Importing Outlook's files: `python -m bench.outlook [--repeat 5]`.

Reads the real Outlook files the tests use (`make test-data`: an Enron .pst of 71
messages, an Outlook.com .ost of 13 messages and 169 calendar items, two .msg files) and
times, best of `--repeat`:

- *rebuild*: reading each data file and rebuilding its messages as emails
  (`outlook.pst_items`, in its own process, as an import does), and each .msg
  (`outlook.msg_to_email`);
- *calendars*: reading its calendar folders and writing them as iCalendar
  (`outlook.pst_calendars`, in its own process too);
- *import*: `amends import` of the data file into a fresh SQLite database, end to end:
  its mail, then its calendars.

The baseline, measured in the same run on the same messages, is the same import of the
rebuilt messages and calendars written out as a folder of .eml and .ics files: what
reading Outlook's format costs over reading plain email and calendars. Results go to
stdout; copy them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / ".cache" / "test-data"
FILES = ("enron.pst", "outlook.com.ost")
MESSAGES = ("outlook-2016.msg", "top-level-email.msg")
MAX_BYTES = 25 * 1024 * 1024


def _best(repeat: int, run: Callable[[], object]) -> float:
    """The shortest of `repeat` runs: the time `run` returns (a float), else its own."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        took = run()
        times.append(took if isinstance(took, float) else time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    missing = [name for name in (*FILES, *MESSAGES) if not (DATA / name).is_file()]
    if missing:
        print(f"bench.outlook: {', '.join(missing)} not fetched: run `make test-data`")
        return 0

    from amends.comms import outlook

    print(f"Outlook files, best of {args.repeat}")
    print(
        f"{'file':<22}{'messages':>9}{'MB':>7}{'rebuild':>10}{'msg/s':>8}"
        f"{'events':>8}{'calendars':>11}{'import':>9}{'.eml+.ics':>11}{'ratio':>7}"
    )
    for name in FILES:
        path = DATA / name

        def rebuild(path: Path = path) -> list[bytes]:
            _, items = outlook.pst_items(path, path.name, MAX_BYTES)
            return [item.data for item in items if item.data]

        def calendars(path: Path = path) -> list[bytes]:
            found = outlook.pst_calendars(path, path.name, MAX_BYTES)
            return [item.calendar for item in found if item.calendar]

        messages = rebuild()
        took = _best(args.repeat, rebuild)
        documents = calendars()
        events = sum(document.count(b"BEGIN:VEVENT") for document in documents)
        took_calendars = _best(args.repeat, calendars)
        with tempfile.TemporaryDirectory(prefix="amends-bench-outlook-") as tmp:
            folder = Path(tmp) / "eml"
            folder.mkdir()
            for number, data in enumerate(messages):
                (folder / f"{number:05d}.eml").write_bytes(data)
            for number, data in enumerate(documents):
                (folder / f"{number:05d}.ics").write_bytes(data)
            pst = _best(args.repeat, lambda path=path, tmp=tmp: _import(path, tmp))
            eml = _best(args.repeat, lambda folder=folder, tmp=tmp: _import(folder, tmp))
        print(
            f"{name:<22}{len(messages):>9}{sum(map(len, messages)) / 1e6:>7.1f}"
            f"{took:>9.2f}s{len(messages) / took:>8.0f}"
            f"{events:>8}{took_calendars:>10.2f}s"
            f"{pst:>8.2f}s{eml:>10.2f}s{pst / eml:>6.1f}×"
        )
    for name in MESSAGES:
        data = (DATA / name).read_bytes()
        took = _best(args.repeat, lambda data=data: outlook.msg_to_email(data))
        print(f"{name:<22}{1:>9}{took * 1000:>8.1f}ms")
    return 0


def _import(path: Path, tmp: str) -> float:
    """`amends import PATH` into a fresh SQLite database, as a user runs it."""
    import subprocess

    data = Path(tempfile.mkdtemp(dir=tmp))
    env = {**os.environ, "AMENDS_DATA_DIR": str(data)}
    env.pop("AMENDS_DATABASE_URL", None)
    amends = Path(sys.executable).with_name("amends")
    subprocess.run([str(amends), "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([str(amends), "import", str(path)], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
