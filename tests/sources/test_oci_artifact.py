"""The ModelPack artifact of a locked model, and the check of a manifest against the lock."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ptmlock.models import LockedFile, LockedModel
from ptmlock.sources.interface import SourceError
from ptmlock.sources.oci_artifact import (
    ARTIFACT_TYPE,
    CONFIG_MEDIA_TYPE,
    build_artifact,
    check_manifest,
    layer_type,
    param_size,
)

MODEL = LockedModel(
    hub="huggingface",
    id="Org/Name",
    revision="c" * 40,
    requested="v1.0",
    license="apache-2.0",
    parameters=6_700_000_000,
    architecture="LlamaForCausalLM",
    files=(
        LockedFile(path="config.json", size=10, sha256="1" * 64),
        LockedFile(path="model-00001-of-00002.safetensors", size=100, sha256="2" * 64),
        LockedFile(path="model-00002-of-00002.safetensors", size=50, sha256="3" * 64),
    ),
)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("model.safetensors", "weight"),
        ("unet/diffusion_pytorch_model.bin", "weight"),
        ("resnet50.pth", "weight"),
        ("config.json", "weight.config"),
        ("tokenizer.model", "weight.config"),
        ("vocab.txt", "weight.config"),
        ("README.md", "doc"),
        ("LICENSE", "doc"),
        ("modeling_custom.py", "code"),
    ],
)
def test_layer_types_follow_the_file_name(path: str, kind: str) -> None:
    assert layer_type(path) == f"application/vnd.cncf.model.{kind}.v1.raw"


def test_the_artifact_is_deterministic_and_modelpack_shaped() -> None:
    one, two = build_artifact(MODEL), build_artifact(MODEL)
    assert one == two and one.digest == two.digest
    manifest = json.loads(one.manifest)
    assert manifest["artifactType"] == ARTIFACT_TYPE
    assert manifest["config"] == {
        "mediaType": CONFIG_MEDIA_TYPE,
        "digest": one.config_digest,
        "size": len(one.config),
    }
    assert [layer["digest"] for layer in manifest["layers"]] == [
        f"sha256:{f.sha256}" for f in MODEL.files
    ]
    notes = manifest["layers"][1]["annotations"]
    assert notes["org.cncf.model.filepath"] == "model-00001-of-00002.safetensors"
    assert json.loads(notes["org.cncf.model.file.metadata+json"])["size"] == 100
    assert manifest["annotations"]["org.ptmlock.hub"] == "huggingface"
    config = json.loads(one.config)
    assert config["descriptor"] == {
        "name": "Org/Name",
        "revision": "c" * 40,
        "version": "v1.0",
        "licenses": ["apache-2.0"],
    }
    assert config["config"] == {
        "format": "safetensors",
        "architecture": "LlamaForCausalLM",
        "paramSize": "6.7B",
    }
    assert b"created" not in one.manifest + one.config  # no time: same lock, same bytes


def test_param_size_is_modelpack_notation() -> None:
    assert [param_size(n) for n in (52, 1_500, 110_000_000, 1_000_000_000_000)] == [
        "52",
        "1.5K",
        "110.0M",
        "1.0T",
    ]


def test_check_manifest_accepts_the_artifact_of_the_lock() -> None:
    check_manifest(build_artifact(MODEL).manifest, MODEL, "reg/org/name:c")


def test_check_manifest_names_the_file_that_differs_or_is_missing() -> None:
    other = replace(MODEL, files=(replace(MODEL.files[0], sha256="9" * 64), *MODEL.files[1:]))
    with pytest.raises(SourceError, match=r"config\.json: the manifest has sha256:9{64}"):
        check_manifest(build_artifact(other).manifest, MODEL, "reg/org/name:c")
    fewer = replace(MODEL, files=MODEL.files[1:])
    with pytest.raises(SourceError, match=r"config\.json: no layer for this file"):
        check_manifest(build_artifact(fewer).manifest, MODEL, "reg/org/name:c")
    with pytest.raises(SourceError, match="not a ModelPack manifest"):
        check_manifest(b'{"layers": 3}', MODEL, "reg/org/name:c")
