"""The SBOM names the registries a lock was pushed to; where the bytes came from changes
nothing else in it (export reads only the lock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from ptmlock.cli import main
from ptmlock.lockfile import write_lock
from ptmlock.models import Lock, LockedFile, LockedModel

MODEL = LockedModel(
    hub="huggingface",
    id="Org/Tiny",
    revision="a" * 40,
    files=(LockedFile(path="model.safetensors", size=3, sha256="b" * 64),),
)


def _export(tmp_path: Path, *extra: str) -> Path:
    lock = tmp_path / "ptm.lock"
    write_lock(Lock(models=(MODEL,)), lock)
    out = tmp_path / f"bom{len(extra)}"
    args = ["export", "--lock", str(lock), "--reproducible", "-o", str(out), *extra]
    assert main([*args, "--validate"]) == 0
    return out


def test_a_pushed_registry_is_each_models_distribution_reference(tmp_path: Path) -> None:
    registry = ["--distribution", "oci://reg.internal:5000/ml"]
    bom = json.loads(_export(tmp_path, "--format", "cyclonedx-json", *registry).read_text())
    refs = bom["components"][0]["externalReferences"]
    assert {
        "type": "distribution",
        "url": f"oci://reg.internal:5000/ml/org/tiny:{'a' * 40}",
        "comment": "OCI registry mirror (ptmlock push)",
    } in refs
    plain = json.loads(_export(tmp_path, "--format", "cyclonedx-json").read_text())
    assert [r for r in refs if r["url"].startswith("oci://")] and not [
        r for r in plain["components"][0]["externalReferences"] if r["url"].startswith("oci://")
    ]


def test_the_xml_form_carries_it_too_and_stays_valid(tmp_path: Path) -> None:
    out = _export(tmp_path, "--format", "cyclonedx-xml", "--distribution", "oci://r/m")
    urls = etree.parse(str(out)).xpath("//*[local-name()='reference']/*[local-name()='url']/text()")
    assert f"oci://r/m/org/tiny:{'a' * 40}" in urls


def test_a_bad_distribution_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "ptm.lock"
    write_lock(Lock(models=(MODEL,)), lock)
    args = ["export", "--lock", str(lock), "--format", "cyclonedx-json", "--distribution", "r/m"]
    assert main(args) == 2
    assert "not an OCI registry location" in capsys.readouterr().err
