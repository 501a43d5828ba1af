"""What ``ptmlock push`` writes is a standard OCI artifact: read back with the ``oras`` SDK, an
independent client, its manifest validated against oras's own OCI manifest schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import oras.client
import oras.schemas

from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.mirror import RepoStore
from ptmlock.sources.oci_names import parse_location
from ptmlock.sources.oci_push import push
from tests.conftest import HfEnv
from tests.sources.helpers import FAST, lock_of, locked_model

MP = "application/vnd.cncf.model"


def test_oras_reads_the_pushed_artifact_its_media_types_digests_and_files(
    store: RepoStore, hf_env: HfEnv, oci_url: str, tmp_path: Path
) -> None:
    model = locked_model(store, requested="v1.0", license="mit")
    location = parse_location(oci_url)
    hub = HuggingFaceHub(policy=FAST)
    report = push(lock_of(model), location, hubs={"huggingface": hub}, insecure=True, policy=FAST)
    client = oras.client.OrasClient(hostname=location.host, insecure=True)
    target = f"{location.host}/{location.namespace}/org/tiny:{model.revision}"

    manifest = client.get_manifest(target, validation_schema=oras.schemas.manifest)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["artifactType"] == f"{MP}.manifest.v1+json"
    assert manifest["config"]["mediaType"] == f"{MP}.config.v1+json"
    assert manifest["annotations"]["org.opencontainers.image.revision"] == model.revision
    assert manifest["annotations"]["org.opencontainers.image.licenses"] == "MIT"
    layers = {
        layer["annotations"]["org.cncf.model.filepath"]: layer for layer in manifest["layers"]
    }
    assert {p: (la["digest"], la["size"]) for p, la in layers.items()} == {
        f.path: (f"sha256:{f.sha256}", f.size) for f in model.files
    }
    kinds = {p: la["mediaType"] for p, la in layers.items()}
    assert kinds["model.safetensors"] == f"{MP}.weight.v1.raw"
    assert kinds["config.json"] == kinds["vocab.txt"] == f"{MP}.weight.config.v1.raw"

    # the registry's digest of the manifest is the one push reported, under both tags
    head = client.do_request(
        f"http://{location.host}/v2/{location.namespace}/org/tiny/manifests/v1.0",
        "HEAD",
        headers={"Accept": manifest["mediaType"]},
    )
    assert head.headers["Docker-Content-Digest"] == report.models[0].digest
    tags = client.get_tags(f"{location.host}/{location.namespace}/org/tiny")
    assert sorted(tags) == sorted([model.revision, "v1.0"])

    config_blob = client.get_blob(target, manifest["config"]["digest"])
    config = json.loads(config_blob.content)
    assert config["descriptor"]["name"] == "org/tiny"
    assert config["descriptor"]["revision"] == model.revision
    assert config["modelfs"] == {
        "type": "layers",
        "diffIds": [f"sha256:{f.sha256}" for f in model.files],
    }
    assert hashlib.sha256(config_blob.content).hexdigest() == manifest["config"]["digest"][7:]

    # oras pulls every file by its title; the bytes are the locked ones
    pulled = client.pull(target=target, outdir=str(tmp_path / "pulled"))
    assert len(pulled) == len(model.files)
    for file in model.files:
        data = (tmp_path / "pulled" / file.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file.sha256
