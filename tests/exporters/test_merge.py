"""``--merge``: a ptmlock ML-BOM added to a real cyclonedx-py BOM keeps all of it and validates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import make_schemabased_validator
from lxml import etree

from ptmlock.errors import ConfigError
from ptmlock.exporters import get_exporter
from ptmlock.exporters.interface import ExportOptions
from ptmlock.models import Lock

from .locks import FINETUNED, LEGACY, full_lock

DATA = Path(__file__).parent / "data"
NS = {"c": "http://cyclonedx.org/schema/bom/1.6"}


def _valid(data: bytes, fmt: OutputFormat) -> None:
    _valid_version(data, fmt, "1.6")


def _valid_version(data: bytes, fmt: OutputFormat, version: str) -> None:
    schema = SchemaVersion.from_version(version)
    error = make_schemabased_validator(fmt, schema).validate_str(data.decode())
    assert error is None, str(error)


def _merge_json(existing: bytes, lock: Lock, *, check: bool = True, **kw: Any) -> dict[str, Any]:
    options = ExportOptions(project_name="ignored", merge=existing, reproducible=True, **kw)
    data = get_exporter("cyclonedx-json").export(lock, options)
    if check:  # independently of the exporter's own validation
        _valid(data, OutputFormat.JSON)
    merged: dict[str, Any] = json.loads(data)
    return merged


def _without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


def test_merge_json_keeps_every_original_component_and_metadata() -> None:
    existing = (DATA / "python-env.cdx.json").read_bytes()
    original = json.loads(existing)
    merged = _merge_json(existing, full_lock())
    # the project stays the root; what else the other tool wrote is kept
    assert _without(merged["metadata"], "timestamp", "tools") == _without(
        original["metadata"], "timestamp", "tools"
    )
    for c in original["components"]:
        assert c in merged["components"]
    models = [c for c in merged["components"] if c["type"] == "machine-learning-model"]
    assert len(models) == 7  # six locked models + one unlocked base model
    assert merged["version"] == original.get("version", 1) + 1
    rest = ("components", "dependencies", "version", "metadata", "serialNumber")
    assert _without(merged, *rest) == _without(original, *rest)


def test_merge_json_records_who_changed_the_bom_and_when() -> None:
    existing = (DATA / "python-env.cdx.json").read_bytes()
    original = json.loads(existing)
    merged = _merge_json(existing, Lock(models=(LEGACY,)), source_date_epoch=1_800_000_000)
    metadata = merged["metadata"]
    assert metadata["timestamp"] == "2027-01-15T08:00:00+00:00"  # the merge's, not the input's
    tools = metadata["tools"]["components"]
    assert tools[:-1] == original["metadata"]["tools"]["components"]
    assert (tools[-1]["type"], tools[-1]["name"]) == ("application", "ptmlock")
    assert merged["version"] == original.get("version", 1) + 1
    assert merged["serialNumber"].startswith("urn:uuid:")  # the input had none: one is added
    again = _merge_json(json.dumps(merged).encode(), Lock(models=(LEGACY,)))
    assert [t["name"] for t in again["metadata"]["tools"]["components"]].count("ptmlock") == 1
    assert again["serialNumber"] == merged["serialNumber"]  # a new version of the same BOM
    assert again["version"] == merged["version"] + 1


def test_merge_json_converts_legacy_tools_to_components() -> None:
    legacy = {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 2,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "metadata": {"tools": [{"vendor": "Acme", "name": "scanner", "version": "9"}]},
        "components": [{"type": "library", "name": "left-pad", "version": "1.3.0"}],
    }  # fmt: skip
    merged = _merge_json(json.dumps(legacy).encode(), Lock(models=(LEGACY,)), check=False)
    assert merged["serialNumber"] == legacy["serialNumber"]
    tools = merged["metadata"]["tools"]["components"]
    assert tools[0] == {"type": "application", "group": "Acme", "name": "scanner", "version": "9"}
    assert tools[1]["name"] == "ptmlock"
    _valid_version(json.dumps(merged).encode(), OutputFormat.JSON, "1.5")


def test_merge_json_gives_leaf_dependencies_an_empty_depends_on() -> None:
    existing = (DATA / "python-env.cdx.json").read_bytes()
    assert any("dependsOn" not in d for d in json.loads(existing)["dependencies"])
    merged = _merge_json(existing, full_lock())
    assert all(isinstance(d["dependsOn"], list) for d in merged["dependencies"])


def test_merge_json_root_depends_on_packages_and_models() -> None:
    existing = (DATA / "python-env.cdx.json").read_bytes()
    original = json.loads(existing)
    merged = _merge_json(existing, Lock(models=(FINETUNED, LEGACY)))
    root = original["metadata"]["component"]["bom-ref"]
    edges = {d["ref"]: set(d.get("dependsOn", [])) for d in merged["dependencies"]}
    before = {d["ref"]: set(d.get("dependsOn", [])) for d in original["dependencies"]}
    assert edges[root] == before[root] | {
        f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}",
        f"pkg:huggingface/gpt2@{LEGACY.revision}",
    }
    for ref, deps in before.items():
        if ref != root:
            assert edges[ref] == deps
    finetuned = f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}"
    assert edges[finetuned] == {"pkg:huggingface/distilbert/distilbert-base-uncased"}


def test_merge_json_twice_does_not_duplicate_models() -> None:
    existing = (DATA / "python-env.cdx.json").read_bytes()
    once = json.dumps(_merge_json(existing, full_lock(), check=False))
    twice = _merge_json(once.encode(), full_lock())
    refs = [c["bom-ref"] for c in twice["components"]]
    assert len(refs) == len(set(refs))


def test_merge_xml_keeps_every_original_component() -> None:
    existing = (DATA / "python-env.cdx.xml").read_bytes()
    options = ExportOptions(merge=existing, reproducible=True)
    data = get_exporter("cyclonedx-xml").export(full_lock(), options)
    _valid(data, OutputFormat.XML)
    original, merged = etree.fromstring(existing), etree.fromstring(data)
    before = original.xpath("/c:bom/c:components/c:component/@bom-ref", namespaces=NS)
    after = merged.xpath("/c:bom/c:components/c:component/@bom-ref", namespaces=NS)
    assert set(before) <= set(after)
    assert len(after) == len(before) + 7
    root = original.xpath("string(/c:bom/c:metadata/c:component/@bom-ref)", namespaces=NS)
    assert merged.xpath("string(/c:bom/c:metadata/c:component/@bom-ref)", namespaces=NS) == root
    deps = merged.xpath(
        f"/c:bom/c:dependencies/c:dependency[@ref='{root}']/c:dependency/@ref", namespaces=NS
    )
    assert f"pkg:huggingface/gpt2@{LEGACY.revision}" in deps
    assert merged.xpath("count(//c:modelCard)", namespaces=NS) == 3  # models with card facts


def test_merge_rejects_a_spec_version_mismatch() -> None:
    existing = (DATA / "python-env.cdx.json").read_bytes()
    with pytest.raises(ConfigError, match=r"is CycloneDX 1\.6, but 1\.5 was requested"):
        _merge_json(existing, full_lock(), spec_version="1.5")


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"bomFormat": "SPDX"}', "not a CycloneDX JSON BOM"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.4"}', "spec version '1.4'"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": 3}', "not a list"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": 3}', "not valid"),
    ],
)
def test_merge_rejects_bad_input(existing: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _merge_json(existing, full_lock())


@pytest.mark.parametrize(
    ("fmt", "version"),
    # a JSON merge validates slowly (jsonschema's IRI check, ~60 ms per URL): two are enough
    [("JSON", "1.6"), ("JSON", "1.7"), ("XML", "1.5"), ("XML", "1.6"), ("XML", "1.7")],
)
def test_merge_with_a_bom_cyclonedx_py_makes_now(tmp_path: Path, version: str, fmt: str) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.32.3\nurllib3==2.8.0\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n')
    made = subprocess.run(
        [sys.executable, "-m", "cyclonedx_py", "requirements", "--pyproject", "pyproject.toml",
         "--sv", version, "--of", fmt, "--output-reproducible", "requirements.txt"],
        cwd=tmp_path, capture_output=True, check=True,
    ).stdout  # fmt: skip
    exporter = get_exporter(f"cyclonedx-{fmt.lower()}")
    data = exporter.export(Lock(models=(LEGACY,)), ExportOptions(merge=made, reproducible=True))
    output = OutputFormat[fmt]
    error = make_schemabased_validator(output, SchemaVersion.from_version(version)).validate_str(
        data.decode()
    )
    assert error is None, str(error)
    if output is OutputFormat.JSON:
        doc = json.loads(data)
        assert doc["specVersion"] == version
        names = {c["name"] for c in doc["components"]}
    else:
        root = etree.fromstring(data)
        assert root.tag == f"{{http://cyclonedx.org/schema/bom/{version}}}bom"
        names = {e.text for e in root.iter(f"{{http://cyclonedx.org/schema/bom/{version}}}name")}
    assert {"requests", "urllib3", "gpt2"} <= names


def _merge_into_xml(metadata: bytes, version: int) -> etree._Element:
    """LEGACY merged into a 1.6 XML BOM of ``version`` holding only ``metadata``, checked valid."""
    bare = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="%d">'
        b"<metadata>%s</metadata></bom>" % (version, metadata)
    )
    data = get_exporter("cyclonedx-xml").export(Lock(models=(LEGACY,)), ExportOptions(merge=bare))
    _valid(data, OutputFormat.XML)
    return etree.fromstring(data)


def test_merge_xml_without_metadata_component_adds_the_project() -> None:
    merged = _merge_into_xml(
        b"<timestamp>2023-11-14T22:13:20Z</timestamp>"
        b'<properties><property name="x">y</property></properties>',
        version=3,
    )
    assert merged.get("version") == "4"
    metadata = merged.find("c:metadata", NS)
    assert metadata is not None
    names = [etree.QName(e).localname for e in metadata]
    assert names == ["timestamp", "tools", "component", "properties"]
    assert merged.xpath("string(c:metadata/c:tools//c:name)", namespaces=NS) == "ptmlock"


def test_merge_xml_records_who_changed_the_bom_and_when() -> None:
    existing = (DATA / "python-env.cdx.xml").read_bytes()
    options = ExportOptions(merge=existing, source_date_epoch=1_800_000_000)
    merged = etree.fromstring(get_exporter("cyclonedx-xml").export(Lock(models=(LEGACY,)), options))
    original = etree.fromstring(existing)
    assert merged.xpath("string(c:metadata/c:timestamp)", namespaces=NS) == (
        "2027-01-15T08:00:00+00:00"
    )
    tools = "c:metadata/c:tools/c:components/c:component/c:name/text()"
    assert merged.xpath(tools, namespaces=NS) == [*original.xpath(tools, namespaces=NS), "ptmlock"]
    assert int(merged.get("version", "0")) == int(original.get("version", "1")) + 1
    assert merged.get("serialNumber", "").startswith("urn:uuid:")


def test_merge_xml_converts_legacy_tools() -> None:
    merged = _merge_into_xml(
        b"<tools><tool><vendor>Acme</vendor><name>scanner</name><version>9</version></tool></tools>",
        version=1,
    )
    (scanner,) = merged.xpath("c:metadata/c:tools/c:components/c:component[1]", namespaces=NS)
    assert scanner.get("type") == "application"
    assert [(etree.QName(e).localname, e.text) for e in scanner] == [
        ("group", "Acme"), ("name", "scanner"), ("version", "9"),
    ]  # fmt: skip
    assert not merged.xpath("//c:tool", namespaces=NS)
