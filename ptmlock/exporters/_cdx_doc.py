"""What cyclonedx-python-lib can't do, done on the serialized document: ``modelCard``, leaf
``dependsOn``, and the schema checks.

The library does not model ``modelCard`` (CycloneDX >= 1.5), so it is added to each model
component after serialization: JSON by inserting a key into the component object, XML by inserting
the element where the schema's sequence wants it (after ``releaseNotes``, before ``data``,
``cryptoProperties`` and ``tags``). Every document is then validated against the schema of its
spec version with the library's validators, so an invalid BOM never leaves the exporter.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation import SchemabasedValidator, make_schemabased_validator
from cyclonedx.validation.json import JsonStrictValidator
from lxml import etree

from ptmlock.exporters._common import dataset_url
from ptmlock.models import LockedModel

__all__ = [
    "DATASET_CLASSIFICATION",
    "add_model_cards_json",
    "add_model_cards_xml",
    "complete_dependencies",
    "model_card",
    "validate",
    "xml_namespace",
]

DATASET_CLASSIFICATION = "unknown"  # ptmlock does not assess training data
# Elements that follow modelCard in the 1.5-1.7 component sequence (the ones the library writes).
_AFTER_MODEL_CARD = ("data", "cryptoProperties", "tags")


def model_card(model: LockedModel) -> dict[str, Any] | None:
    """The JSON ``modelCard`` for the facts the lock holds, or None when it holds none."""
    params: dict[str, Any] = {}
    if model.task:
        params["task"] = model.task
    if model.family:
        params["architectureFamily"] = model.family
    if model.architecture:
        params["modelArchitecture"] = model.architecture
    if model.datasets:
        params["datasets"] = [_dataset(model, name) for name in model.datasets]
    properties = [{"name": n, "value": v} for n, v in _card_properties(model)]
    card: dict[str, Any] = {}
    if params:
        card["modelParameters"] = params
    if properties:
        card["properties"] = properties
    return card or None


def _dataset(model: LockedModel, name: str) -> dict[str, Any]:
    """One training dataset in the long form consumers read, not the schema's minimal one.

    lib4sbom drops the whole document (every package, not just the model) when a dataset has no
    ``classification``. ptmlock knows only the name the model card gives, so the classification
    says so: ``unknown``. A Hub dataset id gets its page there as ``contents.url``.
    """
    dataset: dict[str, Any] = {"type": "dataset", "name": name}
    url = dataset_url(model, name)
    if url is not None:
        dataset["contents"] = {"url": url}
    dataset["classification"] = DATASET_CLASSIFICATION
    return dataset


def _card_properties(model: LockedModel) -> list[tuple[str, str]]:
    facts: list[tuple[str, str | None]] = [
        ("ptmlock:library_name", model.library_name),
        ("ptmlock:card_sha256", model.card_sha256),
        ("ptmlock:last_modified", model.last_modified),
    ]
    facts += [(f"ptmlock:base_model:{b.id}", b.relation) for b in model.base_models]
    return [(n, v) for n, v in facts if v is not None]


def add_model_cards_json(doc: dict[str, Any], cards: dict[str, dict[str, Any]]) -> None:
    """Set ``modelCard`` on the top-level components whose bom-ref is a key of ``cards``."""
    for component in doc.get("components", []):
        card = cards.get(component.get("bom-ref", ""))
        if card is not None:
            component["modelCard"] = card


def complete_dependencies(doc: dict[str, Any]) -> None:
    """Give every JSON dependency entry a ``dependsOn``, ``[]`` for a leaf.

    The schema allows leaving it out and cyclonedx-python-lib does, but cdxgen's validator
    (``cdx-validate``) crashes on such an entry and so calls the whole BOM invalid. An empty list
    says the same thing. Applied to merged BOMs too: cyclonedx-py writes leaves the same way.
    """
    if "dependencies" in doc:  # key first, as the library (and cyclonedx-py) sort them
        doc["dependencies"] = [{"dependsOn": [], **entry} for entry in doc["dependencies"]]


def xml_namespace(version: SchemaVersion) -> str:
    return f"http://cyclonedx.org/schema/bom/{version.to_version()}"


def add_model_cards_xml(
    root: etree._Element, cards: dict[str, dict[str, Any]], version: SchemaVersion
) -> None:
    """Insert a ``modelCard`` element into each top-level component named in ``cards``."""
    ns = xml_namespace(version)
    for component in root.iterfind(f"{{{ns}}}components/{{{ns}}}component"):
        card = cards.get(component.get("bom-ref", ""))
        if card is None:
            continue
        element = _card_element(card, ns)
        follower = next(
            (c for c in component if etree.QName(c).localname in _AFTER_MODEL_CARD), None
        )
        if follower is None:
            component.append(element)
        else:
            follower.addprevious(element)


def _card_element(card: dict[str, Any], ns: str) -> etree._Element:
    element = etree.Element(f"{{{ns}}}modelCard")
    params = card.get("modelParameters", {})
    if params:
        p = etree.SubElement(element, f"{{{ns}}}modelParameters")
        for key in ("task", "architectureFamily", "modelArchitecture"):
            if key in params:
                etree.SubElement(p, f"{{{ns}}}{key}").text = params[key]
        if params.get("datasets"):
            datasets = etree.SubElement(p, f"{{{ns}}}datasets")
            for dataset in params["datasets"]:
                d = etree.SubElement(datasets, f"{{{ns}}}dataset")
                etree.SubElement(d, f"{{{ns}}}type").text = dataset["type"]
                etree.SubElement(d, f"{{{ns}}}name").text = dataset["name"]
                if "contents" in dataset:
                    contents = etree.SubElement(d, f"{{{ns}}}contents")
                    etree.SubElement(contents, f"{{{ns}}}url").text = dataset["contents"]["url"]
                etree.SubElement(d, f"{{{ns}}}classification").text = dataset["classification"]
    if card.get("properties"):
        props = etree.SubElement(element, f"{{{ns}}}properties")
        for prop in card["properties"]:
            etree.SubElement(props, f"{{{ns}}}property", name=prop["name"]).text = prop["value"]
    return element


def validate(
    document: str, output_format: OutputFormat, version: SchemaVersion, *, strict: bool = True
) -> str | None:
    """The first schema violation of ``document`` as text, or None when it is valid.

    XML is checked with the XSD. JSON is checked with the strict schema (no unknown keys) for
    ptmlock's own documents, with the plain one for a BOM another tool wrote (``strict=False``),
    which may carry extensions the spec allows.
    """
    error = _validator(output_format, version, strict).validate_str(document)
    return None if error is None else str(error)


@cache
def _validator(
    output_format: OutputFormat, version: SchemaVersion, strict: bool
) -> SchemabasedValidator:
    """One validator per kind: they compile their schema on first use, which is the slow part."""
    if output_format is OutputFormat.JSON and strict:
        return JsonStrictValidator(version)
    return make_schemabased_validator(output_format, version)
