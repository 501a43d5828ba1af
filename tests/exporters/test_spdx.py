"""SPDX 3.0.1 JSON-LD export, checked through the SPDX project's own Python bindings."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from spdx_python_model.bindings.v3_0_1 import model

from ptmlock.errors import ConfigError
from ptmlock.exporters import get_exporter
from ptmlock.exporters.interface import ExportOptions
from ptmlock.exporters.spdx import license_expression
from ptmlock.models import Lock, LockedModel

from .locks import FINETUNED, GATED, LEGACY, URL_MODEL, full_lock

OPTIONS = ExportOptions(
    project_name="sentiment-service", project_version="2.1.0", reproducible=True
)


def _key(element: dict[str, Any]) -> str:
    return str(element.get("spdxId") or element.get("@id"))


def round_trip(data: bytes) -> dict[str, Any]:
    """Read through spdx-python-model (types, enums, IRIs) and write back (required properties).

    The rewritten graph must equal ours: nothing was unknown to the 3.0.1 model or dropped.
    """
    objects = model.SHACLObjectSet()
    model.JSONLDDeserializer().read(io.BytesIO(data), objects)
    out = io.BytesIO()
    model.JSONLDSerializer().write(objects, out)
    ours, theirs = json.loads(data), json.loads(out.getvalue())
    assert theirs["@context"] == ours["@context"]
    assert {_key(e): e for e in theirs["@graph"]} == {_key(e): e for e in ours["@graph"]}
    document: dict[str, Any] = ours
    return document


def export(lock: Lock, options: ExportOptions = OPTIONS) -> dict[str, Any]:
    return round_trip(get_exporter("spdx-json").export(lock, options))


def of_type(doc: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    return (e for e in doc["@graph"] if e["type"] == kind)


def by_name(doc: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next(e for e in of_type(doc, kind) if e.get("name") == name)


def related(doc: dict[str, Any], source: str, relation: str) -> list[str]:
    return [
        t
        for r in of_type(doc, "Relationship")
        if r["from"] == source and r["relationshipType"] == relation
        for t in r["to"]
    ]


def test_spdx_full_lock_round_trips_through_the_official_bindings() -> None:
    doc = export(full_lock())
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    (document,) = of_type(doc, "SpdxDocument")
    assert set(document["profileConformance"]) >= {"core", "software", "ai"}
    assert len(list(of_type(doc, "ai_AIPackage"))) == 7  # six locked + one unlocked base


def test_spdx_model_package_fields() -> None:
    doc = export(Lock(models=(FINETUNED,)))
    pkg = by_name(doc, "ai_AIPackage", FINETUNED.id)
    purl = f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}"
    assert pkg["software_packageVersion"] == FINETUNED.revision
    assert pkg["software_packageUrl"] == purl
    assert pkg["software_primaryPurpose"] == "model"
    assert pkg["externalIdentifier"] == [
        {"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl", "identifier": purl}
    ]
    assert pkg["ai_typeOfModel"] == ["DistilBertForSequenceClassification", "bert"]
    assert pkg["releaseTime"] == "2023-12-19T10:15:00Z"
    files = related(doc, pkg["spdxId"], "contains")
    hashes = {
        e["name"]: e["verifiedUsing"][0]["hashValue"]
        for e in of_type(doc, "software_File")
        if e["spdxId"] in files
    }
    assert hashes == {f.path: f.sha256 for f in FINETUNED.files}
    (lic,) = related(doc, pkg["spdxId"], "hasDeclaredLicense")
    (expression,) = (e for e in doc["@graph"] if e.get("spdxId") == lic)
    assert expression["simplelicensing_licenseExpression"] == "Apache-2.0"


def test_spdx_base_model_is_ancestor_and_dataset_trained_on() -> None:
    doc = export(Lock(models=(FINETUNED,)))
    pkg = by_name(doc, "ai_AIPackage", FINETUNED.id)
    base = by_name(doc, "ai_AIPackage", "distilbert/distilbert-base-uncased")
    assert base["software_packageUrl"] == "pkg:huggingface/distilbert/distilbert-base-uncased"
    assert related(doc, base["spdxId"], "ancestorOf") == [pkg["spdxId"]]
    (dataset_id,) = related(doc, pkg["spdxId"], "trainedOn")
    dataset = by_name(doc, "dataset_DatasetPackage", "stanfordnlp/sst2")
    assert dataset["spdxId"] == dataset_id


def test_spdx_project_depends_on_every_model() -> None:
    doc = export(full_lock())
    project = by_name(doc, "software_Package", "sentiment-service")
    assert project["software_packageVersion"] == "2.1.0"
    models = {e["spdxId"] for e in of_type(doc, "ai_AIPackage") if "software_packageVersion" in e}
    assert set(related(doc, project["spdxId"], "dependsOn")) == models


def test_spdx_annotation_carries_usage_and_facts() -> None:
    doc = export(Lock(models=(GATED,)))
    (note,) = of_type(doc, "Annotation")
    assert "used at src/chat.py:8" in note["statement"].splitlines()
    assert "ptmlock:gated=true" in note["statement"].splitlines()


def test_spdx_url_model_hash_on_package() -> None:
    doc = export(Lock(models=(URL_MODEL,)))
    pkg = by_name(doc, "ai_AIPackage", "yolov8n.pt")
    assert pkg["verifiedUsing"] == [
        {"type": "Hash", "algorithm": "sha256", "hashValue": URL_MODEL.revision}
    ]
    assert pkg["software_downloadLocation"] == URL_MODEL.files[0].url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Apache-2.0", "Apache-2.0"),
        ("apache-2.0", "Apache-2.0"),
        ("MIT AND CC-BY-4.0", "MIT AND CC-BY-4.0"),
        ("llama3.2", "LicenseRef-llama3.2"),
        ("deepseek license", "LicenseRef-deepseek-license"),
    ],
)
def test_spdx_license_expression(value: str, expected: str) -> None:
    assert license_expression(value) == expected


def test_spdx_reproducible_bytes() -> None:
    options = ExportOptions(project_name="p", source_date_epoch=1_700_000_000)
    first = get_exporter("spdx-json").export(Lock(models=(LEGACY,)), options)
    assert get_exporter("spdx-json").export(Lock(models=(LEGACY,)), options) == first
    assert b'"created": "2023-11-14T22:13:20Z"' in first


def test_spdx_rejects_merge() -> None:
    with pytest.raises(ConfigError, match="merge"):
        get_exporter("spdx-json").export(Lock(), ExportOptions(merge=b"{}"))


@pytest.mark.parametrize("version", ["2.3", "3.0", "3", "1.6", "3.0.1 "])
def test_spdx_rejects_every_spec_version_but_3_0_1(version: str) -> None:
    with pytest.raises(ConfigError, match=rf"SPDX 3\.0\.1 only, not --spec-version {version}"):
        get_exporter("spdx-json").export(Lock(), ExportOptions(spec_version=version))


def test_spdx_accepts_spec_version_3_0_1() -> None:
    options = ExportOptions(spec_version="3.0.1", reproducible=True)
    assert get_exporter("spdx-json").export(Lock(models=(LEGACY,)), options) == get_exporter(
        "spdx-json"
    ).export(Lock(models=(LEGACY,)), ExportOptions(reproducible=True))


def _cdx_property(element: dict[str, Any], name: str) -> str:
    (extension,) = element["extension"]
    assert extension["type"] == "extension_CdxPropertiesExtension"
    values = [
        p["extension_cdxPropValue"]
        for p in extension["extension_cdxProperty"]
        if p["extension_cdxPropName"] == name
    ]
    assert len(values) == 1, values
    return str(values[0])


@pytest.mark.parametrize("locked", [FINETUNED, URL_MODEL], ids=lambda m: m.hub)
def test_spdx_files_carry_download_location_and_size(locked: LockedModel) -> None:
    doc = export(Lock(models=(locked,)))
    (document,) = of_type(doc, "SpdxDocument")
    assert "extension" in document["profileConformance"]
    files = {e["name"]: e for e in of_type(doc, "software_File")}
    assert set(files) == {f.path for f in locked.files}
    for f in locked.files:
        url = f.url or f"https://huggingface.co/{locked.id}/resolve/{locked.revision}/{f.path}"
        assert files[f.path]["externalRef"] == [
            {"type": "ExternalRef", "externalRefType": "altDownloadLocation", "locator": [url]}
        ]
        assert _cdx_property(files[f.path], "ptmlock:size") == str(f.size)
