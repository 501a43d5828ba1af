"""CycloneDX export: field by field, schema-valid for every format and version, reproducible."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import SchemabasedValidator, make_schemabased_validator
from cyclonedx.validation.json import JsonStrictValidator
from lxml import etree

from ptmlock.errors import ConfigError
from ptmlock.exporters import EXPORTERS, get_exporter
from ptmlock.exporters.interface import ExportOptions
from ptmlock.models import Lock

from .locks import FINETUNED, GATED, LEGACY, NO_LICENSE, TORCH_HUB, URL_MODEL, full_lock

VERSIONS = ("1.5", "1.6", "1.7")
FORMATS = ("cyclonedx-json", "cyclonedx-xml")
OPTIONS = ExportOptions(
    project_name="sentiment-service", project_version="2.1.0", reproducible=True
)


def export_json(lock: Lock, **changes: Any) -> dict[str, Any]:
    options = ExportOptions(**{**_as_kwargs(OPTIONS), **changes})
    # Schema validation with the library's strict validator lives in the format x version tests
    # below and in test_from_server.py (it is slow: jsonschema checks every URL's syntax).
    data = get_exporter("cyclonedx-json").export(lock, options)
    doc: dict[str, Any] = json.loads(data)
    return doc


def _as_kwargs(options: ExportOptions) -> dict[str, Any]:
    return {f: getattr(options, f) for f in ExportOptions.__dataclass_fields__}


def assert_valid(data: bytes, fmt: OutputFormat, version: str) -> None:
    """Validate with the library's validators, independently of the exporter's own check."""
    schema = SchemaVersion.from_version(version)
    validator: SchemabasedValidator = (
        JsonStrictValidator(schema)
        if fmt is OutputFormat.JSON
        else make_schemabased_validator(fmt, schema)
    )
    error = validator.validate_str(data.decode())
    assert error is None, str(error)


def component(doc: dict[str, Any], purl: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in doc["components"] if c.get("purl") == purl)
    return found


def props(obj: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in obj.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def test_registry_names_match_exporters() -> None:
    assert {"cyclonedx-json", "cyclonedx-xml"} <= set(EXPORTERS)
    for name, exporter in EXPORTERS.items():
        assert exporter.name == name
        assert exporter.default_suffix.startswith(".")
        assert "/" in exporter.media_type


def test_get_exporter_unknown_name_is_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown export format 'cdx'"):
        get_exporter("cdx")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_cyclonedx_every_format_and_version_is_schema_valid(fmt: str, version: str) -> None:
    options = ExportOptions(project_name="p", spec_version=version)
    data = get_exporter(fmt).export(full_lock(), options)
    output = OutputFormat.JSON if fmt.endswith("json") else OutputFormat.XML
    assert_valid(data, output, version)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cyclonedx_empty_lock_is_valid(fmt: str) -> None:
    data = get_exporter(fmt).export(Lock(), OPTIONS)
    output = OutputFormat.JSON if fmt.endswith("json") else OutputFormat.XML
    assert_valid(data, output, "1.6")


def test_cyclonedx_unsupported_spec_version_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'1\.4' is not supported"):
        get_exporter("cyclonedx-json").export(full_lock(), ExportOptions(spec_version="1.4"))


def test_cyclonedx_project_is_the_root_component_depending_on_every_model() -> None:
    doc = export_json(full_lock())
    root = doc["metadata"]["component"]
    assert (root["type"], root["name"], root["version"]) == (
        "application",
        "sentiment-service",
        "2.1.0",
    )
    edges = {d["ref"]: set(d.get("dependsOn", [])) for d in doc["dependencies"]}
    model_refs = {c["bom-ref"] for c in doc["components"] if props(c).get("ptmlock:hub")}
    assert edges[root["bom-ref"]] == model_refs
    assert len(model_refs) == 6
    assert doc["metadata"]["tools"]["components"][0]["name"] == "ptmlock"


def test_cyclonedx_finetuned_model_fields() -> None:
    doc = export_json(Lock(models=(FINETUNED,)))
    commit = FINETUNED.revision
    purl = f"pkg:huggingface/distilbert/distilbert-base-uncased-finetuned-sst-2-english@{commit}"
    c = component(doc, purl)
    assert c["type"] == "machine-learning-model"
    assert c["bom-ref"] == purl
    assert c["name"] == FINETUNED.id
    assert c["version"] == commit
    assert c["supplier"] == {"name": "Hugging Face"}
    assert c["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    page = f"https://huggingface.co/{FINETUNED.id}"
    assert {(r["type"], r["url"]) for r in c["externalReferences"]} == {
        ("website", f"{page}/tree/{commit}"),
        ("vcs", page),
        ("model-card", f"{page}/blob/{commit}/README.md"),
    }
    p = props(c)
    assert p["ptmlock:requested"] == ["main"]
    assert p["ptmlock:gated"] == ["false"]
    assert p["ptmlock:total_size"] == [str(FINETUNED.total_size)]
    assert p["ptmlock:parameters"] == ["66955010"]
    assert sorted(p["ptmlock:loader"]) == sorted(FINETUNED.loaders)
    assert sorted(p["ptmlock:pattern"]) == ["*.json", "*.safetensors"]
    assert "ptmlock:group" not in p


def test_cyclonedx_files_are_nested_components_with_sha256() -> None:
    c = component(
        export_json(Lock(models=(FINETUNED,))),
        f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}",
    )
    files = {f["name"]: f for f in c["components"]}
    assert set(files) == {f.path for f in FINETUNED.files}
    for locked in FINETUNED.files:
        f = files[locked.path]
        assert f["type"] == "file"
        assert f["version"] == FINETUNED.revision  # one package per model and path to lib4sbom
        assert f["hashes"] == [{"alg": "SHA-256", "content": locked.sha256}]
        assert f["externalReferences"] == [
            {
                "type": "distribution",
                "url": f"https://huggingface.co/{FINETUNED.id}/resolve/{FINETUNED.revision}/{locked.path}",
            }
        ]
        assert props(f)["ptmlock:size"] == [str(locked.size)]
    assert "hashes" not in c  # hashes live on the files, each tied to its path


def test_cyclonedx_model_card_is_added() -> None:
    c = component(
        export_json(Lock(models=(FINETUNED,))),
        f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}",
    )
    card = c["modelCard"]
    assert card["modelParameters"] == {
        "task": "text-classification",
        "architectureFamily": "bert",
        "modelArchitecture": "DistilBertForSequenceClassification",
        "datasets": [
            {
                "type": "dataset",
                "name": "stanfordnlp/sst2",
                "contents": {"url": "https://huggingface.co/datasets/stanfordnlp/sst2"},
                "classification": "unknown",  # lib4sbom drops the document without one
            }
        ],
    }
    assert props(card) == {
        "ptmlock:library_name": ["transformers"],
        "ptmlock:card_sha256": [FINETUNED.card_sha256],
        "ptmlock:last_modified": ["2023-12-19T10:15:00Z"],
        "ptmlock:base_model:distilbert/distilbert-base-uncased": ["finetune"],
    }


def test_cyclonedx_unlocked_base_model_is_minimal_component_and_edge() -> None:
    doc = export_json(Lock(models=(FINETUNED,)))
    base_purl = "pkg:huggingface/distilbert/distilbert-base-uncased"
    base = component(doc, base_purl)
    assert base == {
        "bom-ref": base_purl,
        "name": "distilbert/distilbert-base-uncased",
        "purl": base_purl,
        "type": "machine-learning-model",
        "properties": [{"name": "ptmlock:locked", "value": "false"}],
    }
    me = f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}"
    edges = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert edges[me] == [base_purl]
    assert edges[base_purl] == []
    (ancestor,) = component(doc, me)["pedigree"]["ancestors"]
    assert ancestor["purl"] == base_purl
    assert "bom-ref" not in ancestor  # bom-refs stay unique: the top-level component holds it
    assert props(ancestor) == {"ptmlock:relation": ["finetune"]}


def test_cyclonedx_locked_base_model_edge_points_to_pinned_component() -> None:
    from dataclasses import replace

    from ptmlock.models import BaseModelRef

    child = replace(NO_LICENSE, base_models=(BaseModelRef(id="gpt2", relation="quantized"),))
    doc = export_json(Lock(models=(LEGACY, child)))
    legacy_ref = f"pkg:huggingface/gpt2@{LEGACY.revision}"
    edges = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert edges[f"pkg:huggingface/{child.id}@{child.revision}"] == [legacy_ref]
    assert len(doc["components"]) == 2  # no stand-in component for a locked base
    (ancestor,) = component(doc, f"pkg:huggingface/{child.id}@{child.revision}")["pedigree"][
        "ancestors"
    ]
    assert (ancestor["purl"], ancestor["version"]) == (legacy_ref, LEGACY.revision)


def test_cyclonedx_evidence_occurrences_from_used_by() -> None:
    c = component(
        export_json(Lock(models=(FINETUNED,))),
        f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}",
    )
    me = f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}"
    assert c["evidence"]["occurrences"] == [  # sorted, with stable refs: same bytes every run
        {
            "bom-ref": f"{me}#used-at:notebooks/explore.ipynb:3",
            "location": "notebooks/explore.ipynb",
            "line": 3,
        },
        {
            "bom-ref": f"{me}#used-at:src/sentiment/app.py:14",
            "location": "src/sentiment/app.py",
            "line": 14,
        },
    ]


def test_cyclonedx_1_5_occurrences_carry_the_line_in_the_location() -> None:
    doc = export_json(Lock(models=(FINETUNED,)), spec_version="1.5")
    c = component(doc, f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}")
    occurrences = c["evidence"]["occurrences"]
    assert {o["location"] for o in occurrences} == {
        "notebooks/explore.ipynb#L3",
        "src/sentiment/app.py#L14",
    }
    assert all("line" not in o for o in occurrences)  # 1.5 has no line


def test_cyclonedx_1_6_occurrences_have_file_and_line() -> None:
    doc = export_json(Lock(models=(FINETUNED,)), spec_version="1.6")
    c = component(doc, f"pkg:huggingface/{FINETUNED.id}@{FINETUNED.revision}")
    found = {(o["location"], o["line"]) for o in c["evidence"]["occurrences"]}
    assert found == {("notebooks/explore.ipynb", 3), ("src/sentiment/app.py", 14)}


def test_cyclonedx_gated_model_named_licence_and_group() -> None:
    c = component(
        export_json(Lock(models=(GATED,))),
        f"pkg:huggingface/meta-llama/Llama-3.2-1B@{GATED.revision}",
    )
    assert c["licenses"] == [{"license": {"name": "llama3.2"}}]
    p = props(c)
    assert p["ptmlock:gated"] == ["true"]
    assert p["ptmlock:group"] == ["chat-llm"]
    assert c["modelCard"]["modelParameters"] == {
        "task": "text-generation",
        "modelArchitecture": "LlamaForCausalLM",
    }


def test_cyclonedx_model_without_licence_or_card_facts() -> None:
    c = component(
        export_json(Lock(models=(NO_LICENSE,))),
        f"pkg:huggingface/someuser/tiny-random-bert@{NO_LICENSE.revision}",
    )
    assert "licenses" not in c
    assert "modelCard" not in c
    assert "pedigree" not in c


def test_cyclonedx_legacy_id_purl_has_no_namespace() -> None:
    c = component(export_json(Lock(models=(LEGACY,))), f"pkg:huggingface/gpt2@{LEGACY.revision}")
    assert c["name"] == "gpt2"
    assert c["licenses"] == [{"license": {"id": "MIT"}}]


def test_cyclonedx_names_the_endpoint_the_lock_recorded_not_the_exporting_machines() -> None:
    mirrored = replace(LEGACY, endpoint="http://127.0.0.1:9000/hf")
    doc = export_json(Lock(models=(mirrored,)), endpoint="https://elsewhere.example")
    (c,) = doc["components"]
    assert c["purl"] == (
        f"pkg:huggingface/gpt2@{LEGACY.revision}?repository_url=http://127.0.0.1:9000/hf"
    )
    (f,) = c["components"]
    assert f["externalReferences"][0]["url"].startswith("http://127.0.0.1:9000/hf/gpt2/resolve/")
    assert "elsewhere" not in json.dumps(doc)


def test_cyclonedx_fallback_endpoint_loses_its_credentials() -> None:
    doc = export_json(
        Lock(models=(LEGACY,)), endpoint="https://ci:hf_secret@hub.example:8443/?token=hf_secret"
    )
    assert doc["components"][0]["purl"].endswith("?repository_url=https://hub.example:8443")
    assert "hf_secret" not in json.dumps(doc)


def test_cyclonedx_url_model_file_has_no_version() -> None:
    (c,) = export_json(Lock(models=(URL_MODEL,)))["components"]
    (f,) = c["components"]
    assert (f["name"], c["name"]) == ("yolov8n.pt", "yolov8n.pt")
    assert "version" not in f  # else name and version would equal the model's


def test_cyclonedx_lock_without_endpoint_uses_the_fallback() -> None:
    """A lock written before ptmlock recorded endpoints exports as it always did."""
    doc = export_json(Lock(models=(LEGACY,)), endpoint="http://127.0.0.1:8080/")
    (c,) = doc["components"]
    assert (
        c["purl"] == f"pkg:huggingface/gpt2@{LEGACY.revision}?repository_url=http://127.0.0.1:8080"
    )
    assert {r["url"] for r in c["externalReferences"]} >= {
        f"http://127.0.0.1:8080/gpt2/tree/{LEGACY.revision}"
    }


def test_cyclonedx_pytorch_hub_model_is_github_purl() -> None:
    purl = f"pkg:github/pytorch/vision@{TORCH_HUB.revision}"
    c = component(export_json(Lock(models=(TORCH_HUB,))), purl)
    assert c["supplier"] == {"name": "GitHub"}
    assert c["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    (f,) = c["components"]
    assert f["externalReferences"][0]["url"] == TORCH_HUB.files[0].url
    refs = {r["type"]: r["url"] for r in c["externalReferences"]}
    assert refs["vcs"] == "https://github.com/pytorch/vision"
    assert (
        refs["distribution"]
        == f"https://github.com/pytorch/vision/archive/{TORCH_HUB.revision}.zip"
    )


def test_cyclonedx_url_model_is_generic_purl_with_checksum() -> None:
    (c,) = export_json(Lock(models=(URL_MODEL,)))["components"]
    sha = URL_MODEL.revision
    assert c["purl"] == (
        f"pkg:generic/yolov8n.pt@{sha}?checksum=sha256:{sha}"
        "&download_url=https://github.com/ultralytics/assets/releases/download/v8.2.0/yolov8n.pt"
    )
    assert c["name"] == "yolov8n.pt"
    assert c["hashes"] == [{"alg": "SHA-256", "content": sha}]
    assert c["licenses"] == [{"expression": "AGPL-3.0-only"}] or c["licenses"] == [
        {"license": {"id": "AGPL-3.0-only"}}
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_cyclonedx_reproducible_with_source_date_epoch(fmt: str) -> None:
    options = ExportOptions(project_name="p", source_date_epoch=1_700_000_000)
    first = get_exporter(fmt).export(full_lock(), options)
    assert get_exporter(fmt).export(full_lock(), options) == first
    assert b"2023-11-14T22:13:20" in first


def test_cyclonedx_reproducible_serial_follows_lock_content() -> None:
    a = export_json(Lock(models=(LEGACY,)))
    b = export_json(Lock(models=(LEGACY,)))
    c = export_json(Lock(models=(GATED,)))
    assert a["serialNumber"] == b["serialNumber"] != c["serialNumber"]
    assert a["metadata"]["timestamp"].startswith("1970-01-01T00:00:00")


def test_cyclonedx_not_reproducible_by_default() -> None:
    exporter = get_exporter("cyclonedx-json")
    options = ExportOptions(project_name="p")
    first = json.loads(exporter.export(full_lock(), options))
    second = json.loads(exporter.export(full_lock(), options))
    assert first["serialNumber"] != second["serialNumber"]
    assert not first["metadata"]["timestamp"].startswith("1970")


def test_cyclonedx_xml_model_card_in_schema_position() -> None:
    data = get_exporter("cyclonedx-xml").export(Lock(models=(FINETUNED,)), OPTIONS)
    ns = {"c": "http://cyclonedx.org/schema/bom/1.6"}
    root = etree.fromstring(data)
    (model,) = root.xpath(
        "/c:bom/c:components/c:component[@type='machine-learning-model'][c:modelCard]",
        namespaces=ns,
    )
    assert (
        model.xpath("string(c:modelCard/c:modelParameters/c:task)", namespaces=ns)
        == "text-classification"
    )
    assert (
        model.xpath(
            "string(c:modelCard/c:modelParameters/c:datasets/c:dataset/c:name)", namespaces=ns
        )
        == "stanfordnlp/sst2"
    )
    names = [etree.QName(e).localname for e in model]
    assert names.index("modelCard") > names.index("evidence")
