"""ML-BOMs of locks resolved from the project's own Hub server: field by field, and schema-valid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ptmlock.exporters import get_exporter
from ptmlock.exporters.interface import ExportOptions
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.mirror import RepoStore
from ptmlock.models import Lock, ModelRequest
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo


@pytest.fixture
def lock(store: RepoStore, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch) -> Lock:
    make_transformers_repo(store, "org/base", license="apache-2.0")
    make_transformers_repo(
        store, "org/tuned", license="mit", base_model="org/base", datasets=["imdb"],
        pipeline_tag="text-classification",
    )  # fmt: skip
    make_transformers_repo(store, "org/gated", license="llama2")
    store.set_gated("org/gated", "manual", tokens=["hf_ok"])
    store.commit("org/unlicensed", {"config.json": b"{}", "model.safetensors": b"\0" * 64})
    monkeypatch.setenv("HF_TOKEN", "hf_ok")
    hub = HuggingFaceHub()
    ids = ("org/base", "org/tuned", "org/gated", "org/unlicensed")
    return Lock(models=tuple(hub.resolve(ModelRequest(hub="huggingface", id=i)) for i in ids))


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in doc["components"] if c["type"] == "machine-learning-model"}


def _props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def test_cyclonedx_of_a_served_lock(lock: Lock, hf_env: HfEnv) -> None:
    options = ExportOptions(project_name="svc", endpoint=hf_env.endpoint, reproducible=True)
    data = get_exporter("cyclonedx-json").export(lock, options)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None
    doc = json.loads(data)
    models = _by_name(doc)
    tuned = models["org/tuned"]
    locked = lock.find("huggingface", "org/tuned")
    assert locked is not None
    assert tuned["version"] == locked.revision
    assert tuned["purl"].startswith(f"pkg:huggingface/org/tuned@{locked.revision}?repository_url=")
    assert [lic["license"]["id"] for lic in tuned["licenses"]] == ["MIT"]
    files = {f["name"]: f["hashes"][0]["content"] for f in tuned["components"]}
    assert files == {f.path: f.sha256 for f in locked.files}
    card = tuned["modelCard"]["modelParameters"]
    assert card["task"] == "text-classification"
    assert card["modelArchitecture"] == "BertForMaskedLM"
    assert [a["name"] for a in tuned["pedigree"]["ancestors"]] == ["org/base"]
    edges = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert models["org/base"]["bom-ref"] in edges[tuned["bom-ref"]]
    assert _props(models["org/gated"]).get("ptmlock:gated") == "true"
    assert "licenses" not in models["org/unlicensed"]
    assert "hf_ok" not in data.decode()


def test_spdx_and_markdown_of_a_served_lock(lock: Lock, hf_env: HfEnv) -> None:
    options = ExportOptions(project_name="svc", endpoint=hf_env.endpoint, reproducible=True)
    spdx = json.loads(get_exporter("spdx-json").export(lock, options))
    names = {e.get("name") for e in spdx["@graph"] if e.get("type") == "ai_AIPackage"}
    assert names == {"org/base", "org/tuned", "org/gated", "org/unlicensed"}
    table = get_exporter("markdown").export(lock, options).decode()
    for model in lock.models:
        assert model.id in table and model.revision[:12] in table
