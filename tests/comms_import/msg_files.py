"""Outlook .msg files for the tests, written as Outlook lays them out ([MS-OXMSG]) with
extract-msg's OLE writer: an item's properties (tag, type, raw value), its recipients'
and a name-to-id map. `saved_items` takes them from the calendar items of a real data
file, as Outlook itself does when an appointment is dragged out of its calendar."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from extract_msg.ole_writer import OleWriter

Prop = tuple[int, int, bytes]  # (property id, type, the value's bytes)
FIXED = (0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x000A, 0x000B, 0x0014, 0x0040)
STRING_TYPES = (0x001E, 0x001F)


def build_msg(
    props: list[Prop],
    recipients: list[list[Prop]] = (),  # type: ignore[assignment]
    nameid: tuple[bytes, bytes, bytes] | None = None,  # GUID, entry and string streams
) -> bytes:
    writer = OleWriter()
    count = len(recipients)
    header = b"\0" * 8 + struct.pack("<IIII", count, 0, count, 0) + b"\0" * 8
    _properties(writer, [], header, props)
    for number, person in enumerate(recipients):
        storage = f"__recip_version1.0_#{number:08X}"
        writer.addEntry(storage, storage=True)
        _properties(writer, [storage], b"\0" * 8, person)
    if nameid is not None:
        writer.addEntry("__nameid_version1.0", storage=True)
        for name, data in zip(("00020102", "00030102", "00040102"), nameid, strict=True):
            writer.addEntry(f"__nameid_version1.0/__substg1.0_{name}", data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _properties(writer: OleWriter, storage: list[str], header: bytes, props: list[Prop]) -> None:
    stream = bytearray(header)
    for number, kind, value in props:
        tag = number << 16 | kind
        if kind in FIXED:
            stream += struct.pack("<II", tag, 6) + value.ljust(8, b"\0")[:8]
            continue
        size = len(value) + (2 if kind == 0x001F else 1 if kind == 0x001E else 0)
        stream += struct.pack("<III", tag, 6, size) + b"\0" * 4
        writer.addEntry("/".join([*storage, f"__substg1.0_{tag:08X}"]), value)
    writer.addEntry("/".join([*storage, "__properties_version1.0"]), bytes(stream))


def text(number: int, value: str) -> Prop:
    return (number, 0x001F, value.encode("utf-16-le"))


def saved_items(
    path: Path,
    folders: str = "ipf.appointment",
    edit: Callable[[list[Prop]], list[Prop]] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """(subject, .msg bytes) for each item of an Outlook data file's calendar folders (or
    of the folders whose class starts with `folders`: "ipf.note" for mail), saved as
    Outlook saves one: its properties, its recipients, the file's name-to-id map. `edit`
    may change the properties first."""
    import pypff

    data_file = pypff.file()
    data_file.open(str(path))
    try:
        streams = {
            int(e.entry_type): e.data or b""
            for e in data_file.get_name_to_id_map().get_record_set(0).entries
        }
        nameid = (streams.get(2, b""), streams.get(3, b""), streams.get(4, b""))
        for folder in _folders(data_file.get_root_folder(), folders):
            for number in range(folder.number_of_sub_messages):
                message = folder.get_sub_message(number)
                props = _raw(message.get_record_set(0))
                table = message.recipients
                count = int(table.number_of_record_sets) if table is not None else 0
                people = [_raw(table.get_record_set(n)) for n in range(count)]
                subject = next(
                    (v.decode("utf-16-le") for n, k, v in props if n == 0x0037 and k == 0x001F), ""
                )
                yield subject, build_msg(edit(props) if edit else props, people, nameid)
    finally:
        data_file.close()


def _folders(folder: Any, holding: str) -> Iterator[Any]:
    for number in range(folder.number_of_sub_folders):
        sub = folder.get_sub_folder(number)
        kind = next(
            (
                e.data_as_string
                for e in sub.get_record_set(0).entries
                if int(e.entry_type) == 0x3613 and int(e.value_type) in STRING_TYPES
            ),
            "",
        )
        if (kind or "").lower().startswith(holding):
            yield sub
        yield from _folders(sub, holding)


def _raw(record_set: Any) -> list[Prop]:
    found = []
    for entry in record_set.entries:
        number, kind, value = int(entry.entry_type), int(entry.value_type), entry.data or b""
        if number == 0x0037 and kind == 0x001F and value[:2] == b"\x01\x00":
            value = value[4:]  # a data file's subject starts with its prefix's length
        if kind in FIXED or kind in (*STRING_TYPES, 0x0048, 0x0102):
            found.append((number, kind, bytes(value)))
    return found
