"""SPDX 3.0.1 JSON-LD export (``spdx-json``) with the AI and Dataset profiles.

Which and why: SPDX 3.0.1, because its AI profile says what a model is (``ai_AIPackage``) and how
models relate (``ancestorOf`` from a base model, ``trainedOn`` a dataset), which SPDX 2.3 can only
approximate with plain packages. It is checked with ``spdx-python-model``, the SPDX project's own
Python bindings generated from the 3.0.1 SHACL model: the tests read every document back through
them (types, enumerations, IRIs) and write it out again (required properties, cardinalities), and
compare, so nothing is dropped as unknown. spdx-tools 0.8 was not chosen: it validates 2.2/2.3
only and its SPDX 3 module is an unmaintained prototype; no official SPDX 3 JSON schema ships in a
PyPI package for offline validation. The exporter itself writes plain JSON, so the bindings are a
test dependency only.

Layout: an ``SpdxDocument`` whose root is a ``software_Sbom`` of the project (a
``software_Package``, purpose ``application``) that ``dependsOn`` each model. Each locked model is
an ``ai_AIPackage`` (purl, commit as version, download location, model page) that ``contains`` its
files (``software_File``, each with its SHA-256, download URL and size), ``hasDeclaredLicense`` a
``simplelicensing_LicenseExpression`` (a Hub-only licence name becomes ``LicenseRef-<name>``), is
``trainedOn`` its datasets (``dataset_DatasetPackage``, type ``noAssertion``), and has a base model
that is its ``ancestorOf`` (relation in the relationship's comment). Where the project uses a model
and ptmlock's facts are one ``Annotation`` per model. Same reproducibility rules as CycloneDX, and
the same endpoints (the lock's, see _common). ``--spec-version`` is 3.0.1 or nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from ptmlock.errors import ConfigError
from ptmlock.exporters._common import (
    base_model_purl,
    card_url,
    download_url,
    file_url,
    lock_digest,
    model_name,
    model_purl,
    page_url,
    vcs_url,
    with_endpoints,
)
from ptmlock.exporters.interface import Exporter, ExportOptions
from ptmlock.models import Lock, LockedFile, LockedModel

__all__ = ["SPEC_VERSION", "SpdxJsonExporter"]

SPEC_VERSION = "3.0.1"
CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
_CI = "_:CreationInfo0"  # the name spdx-python-model gives it, so round trips compare equal
_PROFILES = ["core", "software", "ai", "dataset", "simpleLicensing", "extension"]
_SUPPLIERS = {"huggingface": "Hugging Face", "pytorch_hub": "GitHub"}


class _Graph:
    """Collects the @graph elements with stable, readable spdxIds under one document IRI."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.elements: list[dict[str, Any]] = []
        self._ids: dict[tuple[str, str], str] = {}

    def add(self, kind: str, key: str, element: dict[str, Any]) -> str:
        """Add ``element`` once per (kind, key) and return its spdxId."""
        if (kind, key) in self._ids:
            return self._ids[(kind, key)]
        spdx_id = f"{self.base}#{kind}-{len(self._ids) + 1}"
        self._ids[(kind, key)] = spdx_id
        self.elements.append({"spdxId": spdx_id, "creationInfo": _CI, **element})
        return spdx_id

    def relate(
        self, source: str, relation: str, targets: list[str], comment: str | None = None
    ) -> None:
        if not targets:
            return
        element: dict[str, Any] = {
            "type": "Relationship",
            "from": source,
            "relationshipType": relation,
            "to": targets,
        }
        if comment:
            element["comment"] = comment
        self.add("Relationship", f"{source} {relation} {' '.join(targets)}", element)


def _identity(lock: Lock, options: ExportOptions) -> tuple[str, datetime]:
    if options.reproducible or options.source_date_epoch is not None:
        digest = lock_digest(lock, options.project_name, options.project_version or "", "spdx")
        doc_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ptmlock:spdx:{digest}")
        return str(doc_id), datetime.fromtimestamp(options.source_date_epoch or 0, tz=UTC)
    return str(uuid.uuid4()), datetime.now(tz=UTC)


def license_expression(value: str) -> str:
    """An SPDX expression for a lock's licence: SPDX ids pass, Hub names become LicenseRefs."""
    from cyclonedx.spdx import fixup_id, is_expression

    spdx_id = fixup_id(value)
    if spdx_id:
        return spdx_id
    if " " in value and is_expression(value):
        return value
    return "LicenseRef-" + (re.sub(r"[^A-Za-z0-9.-]+", "-", value).strip("-") or "unknown")


def build_graph(lock: Lock, options: ExportOptions) -> dict[str, Any]:
    """The JSON-LD document for ``lock`` as a dict (see the module docstring for the layout)."""
    doc_uuid, created = _identity(lock, options)
    graph = _Graph(f"urn:ptmlock:spdx:{doc_uuid}")
    agent = graph.add("SoftwareAgent", "ptmlock", {"type": "SoftwareAgent", "name": "ptmlock"})
    tool = graph.add("Tool", "ptmlock", {"type": "Tool", "name": "ptmlock"})
    project = graph.add("Package", "project", _project(options))
    models = [_add_model(graph, m) for m in lock.models]
    graph.relate(project, "dependsOn", models)
    pinned = {m.id: i for m, i in zip(lock.models, models, strict=True) if m.hub == "huggingface"}
    for model, model_id in zip(lock.models, models, strict=True):
        _add_bases(graph, model, model_id, pinned)
    elements = [e["spdxId"] for e in graph.elements]
    sbom = graph.add(
        "Sbom", "sbom", {"type": "software_Sbom", "rootElement": [project], "element": elements}
    )
    graph.add(  # the document: the graph's root, which nothing refers to
        "SpdxDocument",
        "document",
        {
            "type": "SpdxDocument",
            "name": f"{options.project_name} models",
            "profileConformance": _PROFILES,
            "rootElement": [sbom],
            "element": [*elements, sbom],
        },
    )
    creation = {
        "type": "CreationInfo",
        "@id": _CI,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdBy": [agent],
        "createdUsing": [tool],
        "specVersion": SPEC_VERSION,
    }
    return {"@context": CONTEXT, "@graph": [creation, *graph.elements]}


def _project(options: ExportOptions) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "software_Package",
        "name": options.project_name,
        "software_primaryPurpose": "application",
    }
    if options.project_version:
        element["software_packageVersion"] = options.project_version
    return element


def _add_model(graph: _Graph, model: LockedModel) -> str:
    purl = str(model_purl(model))
    element: dict[str, Any] = {
        "type": "ai_AIPackage",
        "name": model_name(model),
        "software_packageVersion": model.revision,
        "software_packageUrl": purl,
        "software_downloadLocation": download_url(model),
        "software_homePage": page_url(model),
        "software_primaryPurpose": "model",
        "externalIdentifier": [
            {
                "type": "ExternalIdentifier",
                "externalIdentifierType": "packageUrl",
                "identifier": purl,
            }
        ],
    }
    element.update(_model_details(graph, model))
    model_id = graph.add("AIPackage", f"{model.hub} {model.id}", element)
    graph.relate(model_id, "contains", [_file(graph, model, purl, f) for f in model.files])
    if model.license:
        graph.relate(model_id, "hasDeclaredLicense", [_license(graph, model.license)])
    graph.relate(model_id, "trainedOn", [_dataset(graph, d) for d in model.datasets])
    graph.add("Annotation", model_id, _annotation(model, model_id))
    return model_id


def _file(graph: _Graph, model: LockedModel, purl: str, file: LockedFile) -> str:
    """One installed file: SHA-256, where it is downloaded from, and its size.

    SPDX 3.0.1 gives a ``software_File`` neither a download location nor a size: the URL is an
    ``altDownloadLocation`` external reference, the size a ``ptmlock:size`` entry of the Extension
    profile's ``CdxPropertiesExtension`` (made to carry CycloneDX properties, which is where
    the CycloneDX export has it).
    """
    element: dict[str, Any] = {
        "type": "software_File",
        "name": file.path,
        "verifiedUsing": [_sha256(file.sha256)],
    }
    url = file_url(model, file.path)
    if url:
        element["externalRef"] = [_external_ref("altDownloadLocation", url)]
    element["extension"] = [_cdx_properties([("ptmlock:size", str(file.size))])]
    return graph.add("File", f"{purl}#{file.path}", element)


def _external_ref(kind: str, url: str) -> dict[str, Any]:
    return {"type": "ExternalRef", "externalRefType": kind, "locator": [url]}


def _cdx_properties(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    entries = [
        {"type": "extension_CdxPropertyEntry", "extension_cdxPropName": name,
         "extension_cdxPropValue": value}
        for name, value in pairs
    ]  # fmt: skip
    return {"type": "extension_CdxPropertiesExtension", "extension_cdxProperty": entries}


def _license(graph: _Graph, value: str) -> str:
    expression = license_expression(value)
    element = {
        "type": "simplelicensing_LicenseExpression",
        "simplelicensing_licenseExpression": expression,
    }
    return graph.add("License", expression, element)


def _dataset(graph: _Graph, name: str) -> str:
    element = {
        "type": "dataset_DatasetPackage",
        "name": name,
        "dataset_datasetType": ["noAssertion"],
    }
    return graph.add("Dataset", name, element)


def _model_details(graph: _Graph, model: LockedModel) -> dict[str, Any]:
    details: dict[str, Any] = {}
    supplier = _SUPPLIERS.get(model.hub)
    if supplier:
        details["suppliedBy"] = graph.add(
            "Organization", supplier, {"type": "Organization", "name": supplier}
        )
    refs = [("vcs", vcs_url(model)), ("documentation", card_url(model))]
    external = [_external_ref(t, u) for t, u in refs if u]
    if external:
        details["externalRef"] = external
    kinds = [k for k in (model.architecture, model.family) if k]
    if kinds:
        details["ai_typeOfModel"] = kinds
    if model.task:
        details["ai_informationAboutApplication"] = f"Hugging Face task: {model.task}"
    if model.last_modified:
        details["releaseTime"] = _datetime(model.last_modified)
    if model.hub == "url":
        details["verifiedUsing"] = [_sha256(model.revision)]
    return details


def _add_bases(graph: _Graph, model: LockedModel, model_id: str, pinned: dict[str, str]) -> None:
    """``base ancestorOf model`` for each base; an unlocked base gets a minimal AIPackage.

    ``pinned`` maps the ids of locked Hub models to their spdxIds.
    """
    for base in model.base_models:
        purl = str(base_model_purl(base.id, model))
        base_id = pinned.get(base.id) or graph.add(
            "AIPackage",
            purl,
            {
                "type": "ai_AIPackage",
                "name": base.id,
                "software_primaryPurpose": "model",
                "software_packageUrl": purl,
            },
        )
        graph.relate(base_id, "ancestorOf", [model_id], comment=f"relation: {base.relation}")


def _annotation(model: LockedModel, model_id: str) -> dict[str, Any]:
    lines = [f"used at {where}" for where in model.used_by]
    facts: list[tuple[str, object]] = [
        ("hub", model.hub),
        ("id", model.id),
        ("requested", model.requested),
        ("group", model.group),
        ("gated", str(model.gated).lower()),
        ("total_size", model.total_size),
        ("parameters", model.parameters),
        ("library_name", model.library_name),
        ("card_sha256", model.card_sha256),
    ]
    lines += [f"ptmlock:{k}={v}" for k, v in facts if v is not None]
    lines += [f"ptmlock:loader={loader}" for loader in model.loaders]
    return {
        "type": "Annotation",
        "annotationType": "other",
        "subject": model_id,
        "statement": "\n".join(lines),
    }


def _sha256(value: str) -> dict[str, str]:
    return {"type": "Hash", "algorithm": "sha256", "hashValue": value}


def _datetime(value: str) -> str:
    """An SPDX dateTime (``YYYY-MM-DDThh:mm:ssZ``) from the lock's ISO date or timestamp."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_options(options: ExportOptions) -> None:
    if options.spec_version not in (None, SPEC_VERSION):
        raise ConfigError(
            f"spdx-json writes SPDX {SPEC_VERSION} only, not --spec-version {options.spec_version}",
            hint=f"drop --spec-version or give {SPEC_VERSION} (1.5, 1.6 and 1.7 are CycloneDX "
            "versions: --format cyclonedx-json)",
        )
    if options.merge is not None:
        raise ConfigError("spdx-json can't --merge", hint="merge into a CycloneDX BOM instead")


class SpdxJsonExporter(Exporter):
    """SPDX 3.0.1 JSON-LD with the AI profile."""

    name = "spdx-json"
    media_type = "application/spdx+json"
    default_suffix = ".spdx.json"

    def export(self, lock: Lock, options: ExportOptions) -> bytes:
        _check_options(options)
        document = build_graph(with_endpoints(lock, options.endpoint), options)
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
