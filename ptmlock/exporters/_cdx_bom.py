"""A lock as a cyclonedx-python-lib ``Bom``: everything the library can model.

Layout (documented in the README):

* the project is ``metadata.component`` (type ``application``) and depends on every locked model;
* each locked model is a ``machine-learning-model`` component whose bom-ref is its purl, whose
  version is the full commit, and whose installed files are nested components of type ``file``
  (name = path in the repo, version = the model's commit, one SHA-256 each). Nested files keep
  each hash tied to the path an auditor can check on disk; a hash list on the model would lose
  which file it belongs to. The version makes ``config.json`` of one model another package than
  ``config.json`` of another for tools that key components by name and version (lib4sbom merges
  them otherwise). A ``url`` model *is* one file, so its SHA-256 is on the model as well, and its
  file has no version: with the model's name and version (the file's name and sha256) the two
  would be one package to those tools;
* a base model named by the card becomes a ``dependencies`` edge and a ``pedigree.ancestors``
  entry. When the base model is not locked itself it gets a minimal top-level component
  (``machine-learning-model``, name, versionless purl) so the edge has a target;
* where the project uses a model (``used_by``) are ``evidence.occurrences``: ``location`` the
  file and ``line`` the line; CycloneDX 1.5 has no ``line``, so there the location is
  ``file#L<line>`` (the form cdxgen writes) and the line is kept;
* ptmlock's own facts are ``properties`` named ``ptmlock:*``.

``modelCard`` is not modelled by the library; _cdx_doc adds it to the serialized document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from uuid import UUID

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import License
from cyclonedx.model.tool import ToolRepository
from cyclonedx.schema import SchemaVersion

from ptmlock.exporters._common import (
    base_model_purl,
    card_url,
    download_url,
    file_url,
    model_name,
    model_purl,
    page_url,
    split_location,
    vcs_url,
)
from ptmlock.exporters.interface import ExportOptions
from ptmlock.models import Lock, LockedFile, LockedModel
from ptmlock.sources.oci_names import parse_location, reference

__all__ = ["PROJECT_REF", "build_bom", "model_ref", "tool_component"]

logger = logging.getLogger(__name__)

PROJECT_REF = "ptmlock:project"
MIRROR_COMMENT = "OCI registry mirror (ptmlock push)"
_HUB_SUPPLIERS = {"huggingface": "Hugging Face", "pytorch_hub": "GitHub"}


def model_ref(model: LockedModel) -> str:
    """The bom-ref of a locked model: its purl, unique and meaningful to a reader."""
    return str(model_purl(model))


def build_bom(
    lock: Lock,
    options: ExportOptions,
    version: SchemaVersion,
    *,
    serial: UUID | None,
    timestamp: datetime | None,
) -> Bom:
    """The Bom of ``lock`` for spec ``version``; ``serial``/``timestamp`` None: random, now."""
    project = Component(
        type=ComponentType.APPLICATION,
        name=options.project_name,
        version=options.project_version,
        bom_ref=PROJECT_REF,
    )
    bom = Bom(
        serial_number=serial,
        metadata=BomMetaData(
            component=project,
            timestamp=timestamp or datetime.now(tz=UTC),
            tools=ToolRepository(components=[tool_component()]),
        ),
    )
    add_models(bom, lock, root=project, line_in_location=version is SchemaVersion.V1_5)
    _add_distributions(bom, lock, options)
    return bom


def _add_distributions(bom: Bom, lock: Lock, options: ExportOptions) -> None:
    """Each registry the models were pushed to, as a distribution reference of each model."""
    locations = [parse_location(url) for url in options.distributions]
    by_ref = {str(c.bom_ref): c for c in bom.components}
    for model in lock.models:
        component = by_ref[model_ref(model)]
        for location in locations:
            url = XsUri(reference(location, model))
            component.external_references.add(
                ExternalReference(
                    type=ExternalReferenceType.DISTRIBUTION, url=url, comment=MIRROR_COMMENT
                )
            )


def add_models(bom: Bom, lock: Lock, *, root: Component, line_in_location: bool) -> None:
    """Add every locked model, its unlocked base models and their edges to ``bom``."""
    locked = {m.id: m for m in lock.models if m.hub == "huggingface"}
    components = [_model_component(m, locked, line_in_location) for m in lock.models]
    bom.components.update(components)
    bom.register_dependency(root, components)
    extra: dict[str, Component] = {}
    for model, component in zip(lock.models, components, strict=True):
        bases = [_base_target(b.id, model, locked, extra) for b in model.base_models]
        bom.register_dependency(component, bases)
    bom.components.update(extra.values())
    for base in extra.values():
        bom.register_dependency(base)


def tool_component() -> Component:
    """ptmlock itself, as ``metadata.tools.components`` names it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_version: str | None = version("ptmlock")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        tool_version = None
    return Component(type=ComponentType.APPLICATION, name="ptmlock", version=tool_version)


def _base_target(
    base_id: str, derived: LockedModel, locked: dict[str, LockedModel], extra: dict[str, Component]
) -> Component:
    """The component a base-model edge points to: the locked one, or a minimal new one."""
    if base_id in locked:
        return _ref_only(model_ref(locked[base_id]))
    purl = base_model_purl(base_id, derived)
    if str(purl) not in extra:
        extra[str(purl)] = Component(
            type=ComponentType.MACHINE_LEARNING_MODEL,
            name=base_id,
            purl=purl,
            bom_ref=str(purl),
            properties=[Property(name="ptmlock:locked", value="false")],
        )
    return extra[str(purl)]


def _ref_only(ref: str) -> Component:
    """A stand-in carrying only a bom-ref, for dependency edges to components already added."""
    return Component(name=ref, bom_ref=ref)


def _model_component(
    model: LockedModel, locked: dict[str, LockedModel], line_in_location: bool
) -> Component:
    purl = model_purl(model)
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=str(purl),
        name=model_name(model),
        version=model.revision,
        purl=purl,
        supplier=_supplier(model),
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=model.revision)]
        if model.hub == "url"
        else [],
        licenses=_licenses(model.license),
        external_references=_external_references(model),
        properties=_properties(model),
        components=[_file_component(model, str(purl), f) for f in model.files],
        pedigree=_pedigree(model, locked),
        evidence=_evidence(str(purl), model.used_by, line_in_location),
    )


def _supplier(model: LockedModel) -> OrganizationalEntity | None:
    name = _HUB_SUPPLIERS.get(model.hub)
    return OrganizationalEntity(name=name) if name else None


def _file_component(model: LockedModel, parent_ref: str, file: LockedFile) -> Component:
    """One installed file: its path in the repo, its SHA-256 and where it is downloaded from."""
    url = file_url(model, file.path)
    return Component(
        type=ComponentType.FILE,
        name=file.path,
        version=None if model.hub == "url" else model.revision,
        bom_ref=f"{parent_ref}#{file.path}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=file.sha256)],
        external_references=[
            ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(url))
        ]
        if url
        else [],
        properties=[Property(name="ptmlock:size", value=str(file.size))],
    )


def _licenses(value: str | None) -> list[License]:
    """An SPDX id or expression when the value is one, a named licence otherwise."""
    if not value:
        return []
    return [LicenseFactory().make_from_string(value)]


def _external_references(model: LockedModel) -> list[ExternalReference]:
    """Model page, git repository and model card; the distribution when it is one URL."""
    links = [
        (ExternalReferenceType.WEBSITE, page_url(model)),
        (ExternalReferenceType.VCS, vcs_url(model)),
        (ExternalReferenceType.MODEL_CARD, card_url(model)),
    ]
    if model.hub != "huggingface":  # a Hub repo is downloaded file by file (see the files)
        links.append((ExternalReferenceType.DISTRIBUTION, download_url(model)))
    return [ExternalReference(type=t, url=XsUri(url)) for t, url in links if url]


def _properties(model: LockedModel) -> list[Property]:
    facts: list[tuple[str, str | None]] = [
        ("ptmlock:hub", model.hub),
        ("ptmlock:id", model.id),
        ("ptmlock:requested", model.requested),
        ("ptmlock:group", model.group),
        ("ptmlock:gated", "true" if model.gated else "false"),
        ("ptmlock:total_size", str(model.total_size)),
        ("ptmlock:file_count", str(len(model.files))),
        ("ptmlock:parameters", None if model.parameters is None else str(model.parameters)),
    ]
    facts += [("ptmlock:loader", loader) for loader in model.loaders]
    facts += [("ptmlock:pattern", pattern) for pattern in model.patterns]
    return [Property(name=name, value=value) for name, value in facts if value is not None]


def _pedigree(model: LockedModel, locked: dict[str, LockedModel]) -> Pedigree | None:
    """Base models as ancestors: copies without bom-refs (those belong to the top-level ones)."""
    if not model.base_models:
        return None
    return Pedigree(ancestors=list(_ancestors(model, locked)))


def _ancestors(model: LockedModel, locked: dict[str, LockedModel]) -> Iterator[Component]:
    for base in model.base_models:
        pinned = locked.get(base.id)
        purl = model_purl(pinned) if pinned else base_model_purl(base.id, model)
        yield Component(
            type=ComponentType.MACHINE_LEARNING_MODEL,
            name=base.id,
            version=pinned.revision if pinned else None,
            purl=purl,
            properties=[Property(name="ptmlock:relation", value=base.relation)],
        )


def _evidence(
    model_ref: str, used_by: Iterable[str], line_in_location: bool
) -> ComponentEvidence | None:
    """Where the project loads the model, as occurrences.

    Each occurrence gets a bom-ref derived from its location: without one the library assigns
    random temporary refs while serializing, which makes the occurrences' order vary between runs.
    ``line_in_location`` (CycloneDX 1.5, which has no ``line``) writes ``file#L<line>``.
    """
    occurrences = []
    for location in used_by:
        file, line = split_location(location)
        ref = f"{model_ref}#used-at:{location}"
        if line_in_location and line is not None:
            file, line = f"{file}#L{line}", None
        occurrences.append(Occurrence(bom_ref=ref, location=file, line=line))
    return ComponentEvidence(occurrences=occurrences) if occurrences else None
