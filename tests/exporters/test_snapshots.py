"""Golden files: one realistic lock in every format, byte for byte.

Regenerate after an intended change with ``PTMLOCK_UPDATE_SNAPSHOTS=1 pytest tests/exporters``
and review the diff. Volatile values are masked before comparing: the serial number / document id
(a hash of the lock's whole content, which changes whenever LockedModel gains a field) and
ptmlock's own version.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ptmlock.exporters import EXPORTERS, get_exporter
from ptmlock.exporters.interface import ExportOptions

from .locks import full_lock

SNAPSHOTS = Path(__file__).parent / "snapshots"
OPTIONS = ExportOptions(
    project_name="sentiment-service", project_version="2.1.0", source_date_epoch=1_700_000_000
)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _mask(text: str) -> str:
    text = re.sub(rf"urn:uuid:{_UUID}", "urn:uuid:SERIAL", text)
    text = re.sub(rf"urn:ptmlock:spdx:{_UUID}", "urn:ptmlock:spdx:DOCUMENT", text)
    text = re.sub(r'("name": "ptmlock",\s+"type": "application",\s+"version": ")[^"]+"',
                  r'\1VERSION"', text)  # fmt: skip
    return re.sub(r"(<name>ptmlock</name>\s+<version>)[^<]+<", r"\1VERSION<", text)


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_snapshot(name: str) -> None:
    exporter = get_exporter(name)
    actual = _mask(exporter.export(full_lock(), OPTIONS).decode())
    path = SNAPSHOTS / f"full-lock{exporter.default_suffix}"
    if os.environ.get("PTMLOCK_UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with PTMLOCK_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(encoding="utf-8")
