"""Helpers for the command-line tests: a canonical dump of the database, and tools to
take a backup archive apart and put it back together (to damage it on purpose)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission

from amends.core.backup import MANIFEST, backed_up_models


def canonical_dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every backed-up model, every concrete field, straight from the
    database (independent of the backup's own serialiser), plus many-to-many links.

    Permissions are named by natural key: `migrate`/`flush` may renumber them.
    """
    dump: dict[str, list[tuple[Any, ...]]] = {}
    for model in backed_up_models():
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = list(model._base_manager.order_by("pk").values_list(*fields))
        dump[model._meta.label_lower] = rows
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            src = m2m.m2m_field_name()
            dst = m2m.m2m_reverse_field_name()
            links = through._default_manager.values_list(f"{src}_id", f"{dst}_id")
            if m2m.remote_field.model is Permission:
                names = {
                    p.pk: p.natural_key() for p in Permission.objects.select_related("content_type")
                }
                pairs = sorted((a, names[b]) for a, b in links)
            else:
                pairs = sorted(links)
            dump[f"{model._meta.label_lower}.{m2m.name}"] = pairs  # type: ignore[assignment]
    return dump


def read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_members(path: Path, members: dict[str, bytes], *, fix_manifest: bool = True) -> None:
    """Write an archive; with fix_manifest, sizes/checksums/counts match the data."""
    members = dict(members)
    if fix_manifest and MANIFEST in members:
        manifest = json.loads(members[MANIFEST])
        for entry in manifest["models"]:
            data = members.get(entry["file"], b"")
            entry["bytes"] = len(data)
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["count"] = sum(1 for line in data.splitlines() if line.strip())
        members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def manifest_of(path: Path) -> dict[str, Any]:
    return json.loads(read_members(path)[MANIFEST])
