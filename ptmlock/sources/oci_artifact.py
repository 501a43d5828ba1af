"""A locked model as a CNCF ModelPack artifact (OCI image manifest v1.1), and the check of one.

Each locked file is one *raw* layer (the file's bytes as they are, no tar), so a layer's digest
is the locked ``sha256:`` and install fetches blobs by the digests in the lock. Media types and
annotations are ModelPack's (model-spec ``docs/spec.md``, ``docs/annotations.md``):

- manifest ``artifactType`` ``application/vnd.cncf.model.manifest.v1+json``; config
  ``application/vnd.cncf.model.config.v1+json`` holding ``descriptor`` (name = model id,
  revision, version = the requested ref, licenses, family), ``config`` (architecture, format,
  paramSize) and ``modelfs`` (``diffIds`` = the layer digests, as raw layers are uncompressed);
- layer types by file name (data: ``LAYER_TYPES``): weights, weight config (configs,
  tokenizers), docs, code; ``org.cncf.model.file.mediatype.untested = "true"`` says the type
  comes from the name; ``org.cncf.model.filepath`` and ``org.opencontainers.image.title`` are the
  path in the repo (oras and other tools name the file by the title), and
  ``org.cncf.model.file.metadata+json`` has fixed mode, owner and time (the spec's
  reproducibility guidance).

Departures: ModelPack has no key for the hub a model came from, nor for the requested ref, so
the manifest carries ``org.ptmlock.hub``, ``org.ptmlock.model`` and ``org.ptmlock.requested``
beside the OCI-standard ``org.opencontainers.image.{title,revision,licenses}``. No creation
time anywhere: the same lock always gives the same manifest bytes and digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import Any

from ptmlock.models import LockedFile, LockedModel
from ptmlock.sources.interface import SourceError
from ptmlock.sources.oci_client import MANIFEST_MEDIA_TYPE

__all__ = ["ARTIFACT_TYPE", "CONFIG_MEDIA_TYPE", "Artifact", "build_artifact", "check_manifest"]

ARTIFACT_TYPE = "application/vnd.cncf.model.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.cncf.model.config.v1+json"
_MP = "application/vnd.cncf.model"
WEIGHT, WEIGHT_CONFIG = f"{_MP}.weight.v1.raw", f"{_MP}.weight.config.v1.raw"
DOC, CODE = f"{_MP}.doc.v1.raw", f"{_MP}.code.v1.raw"
# file name pattern -> ModelPack layer type; the first match wins, anything else is config
LAYER_TYPES: tuple[tuple[str, str], ...] = (
    ("*.safetensors", WEIGHT),
    ("*.bin", WEIGHT),
    ("*.pt", WEIGHT),
    ("*.pth", WEIGHT),
    ("*.ckpt", WEIGHT),
    ("*.gguf", WEIGHT),
    ("*.onnx", WEIGHT),
    ("*.h5", WEIGHT),
    ("*.msgpack", WEIGHT),
    ("*.tflite", WEIGHT),
    ("*.pkl", WEIGHT),
    ("*.npz", WEIGHT),
    ("README*", DOC),
    ("LICENSE*", DOC),
    ("LICENCE*", DOC),
    ("NOTICE*", DOC),
    ("*.md", DOC),
    ("*.py", CODE),
)
# file name suffix -> ModelPack config.format
FORMATS = {".safetensors": "safetensors", ".bin": "pytorch", ".pt": "pytorch", ".pth": "pytorch"}
FORMATS |= {".gguf": "gguf", ".onnx": "onnx", ".h5": "tensorflow", ".msgpack": "flax"}
EPOCH = "1970-01-01T00:00:00Z"


def layer_type(path: str) -> str:
    name = PurePosixPath(path).name
    return next((kind for pattern, kind in LAYER_TYPES if fnmatch(name, pattern)), WEIGHT_CONFIG)


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _layer(file: LockedFile) -> dict[str, Any]:
    metadata = {"name": file.path, "mode": 0o644, "uid": 0, "gid": 0, "size": file.size}
    metadata |= {"mtime": EPOCH, "typeflag": ord("0")}
    return {
        "mediaType": layer_type(file.path),
        "digest": f"sha256:{file.sha256}",
        "size": file.size,
        "annotations": {
            "org.cncf.model.filepath": file.path,
            "org.cncf.model.file.metadata+json": _json(metadata).decode(),
            "org.cncf.model.file.mediatype.untested": "true",
            "org.opencontainers.image.title": file.path,
        },
    }


def param_size(count: int) -> str:
    """ModelPack's ``paramSize``: a count with one decimal and a scale letter (``6.7B``)."""
    for scale, letter in ((10**15, "Q"), (10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= scale:
            return f"{count / scale:.1f}{letter}"
    return str(count)


def _config(model: LockedModel) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": model.id, "revision": model.revision}
    if model.requested:
        descriptor["version"] = model.requested
    if model.license:
        descriptor["licenses"] = [model.license]
    if model.family:
        descriptor["family"] = model.family
    config: dict[str, Any] = {}
    formats = {FORMATS[s] for f in model.files if (s := PurePosixPath(f.path).suffix) in FORMATS}
    if len(formats) == 1:
        config["format"] = formats.pop()
    if model.architecture:
        config["architecture"] = model.architecture
    if model.parameters:
        config["paramSize"] = param_size(model.parameters)
    diff_ids = [f"sha256:{f.sha256}" for f in model.files]
    return {
        "descriptor": descriptor,
        "config": config,
        "modelfs": {"type": "layers", "diffIds": diff_ids},
    }


def digest_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@dataclass(frozen=True, slots=True)
class Artifact:
    """The config blob and manifest of one model, as bytes."""

    config: bytes
    manifest: bytes

    @property
    def config_digest(self) -> str:
        return digest_of(self.config)

    @property
    def digest(self) -> str:
        return digest_of(self.manifest)


def _annotations(model: LockedModel) -> dict[str, str]:
    notes = {
        "org.opencontainers.image.title": model.id,
        "org.opencontainers.image.revision": model.revision,
        "org.ptmlock.hub": model.hub,
        "org.ptmlock.model": model.id,
    }
    if model.license:
        notes["org.opencontainers.image.licenses"] = model.license
    if model.requested:
        notes["org.ptmlock.requested"] = model.requested
    return notes


def build_artifact(model: LockedModel) -> Artifact:
    """The ModelPack artifact of ``model``: deterministic bytes (sorted keys, no times)."""
    config = _json(_config(model))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "digest": digest_of(config),
            "size": len(config),
        },
        "layers": [_layer(f) for f in model.files],
        "annotations": _annotations(model),
    }
    return Artifact(config, _json(manifest))


def check_manifest(raw: bytes, model: LockedModel, where: str) -> None:
    """Fail unless the manifest at ``where`` holds every locked file with the locked digest.

    (Install fetches blobs by the lock's digests either way; this turns a stale or foreign
    artifact into one clear line instead of a hash mismatch later.)
    """
    try:
        manifest = json.loads(raw)
        layers = {
            layer["annotations"]["org.cncf.model.filepath"]: (layer["digest"], layer["size"])
            for layer in manifest["layers"]
            if "org.cncf.model.filepath" in layer.get("annotations", {})
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SourceError(f"{where}: not a ModelPack manifest") from None
    for file in model.files:
        found = layers.get(file.path)
        if found is None:
            raise SourceError(f"{where}: {file.path}: no layer for this file in the manifest")
        if found != (f"sha256:{file.sha256}", file.size):
            raise SourceError(
                f"{where}: {file.path}: the manifest has {found[0]} ({found[1]} bytes), the lock "
                f"pins sha256:{file.sha256} ({file.size} bytes)",
                hint="push this lock again (ptmlock push), or install from the hub",
            )
