"""``--merge``: add ptmlock's model components to an existing CycloneDX BOM, keeping all of it.

The merge works on the documents, not on cyclonedx-python-lib objects: reading a BOM into the
library drops what it doesn't model (``modelCard``, formulation, extensions), and the brief is to
keep every byte of meaning the other tool wrote. Components and dependency entries with a bom-ref
ptmlock also writes are replaced (so merging twice doesn't duplicate models); everything else is
left as it was. The existing metadata component becomes the root that depends on the models.
_cdx_meta then records the modification in the metadata (tools, timestamp, version).
"""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.schema import OutputFormat, SchemaVersion
from lxml import etree

from ptmlock.errors import ConfigError
from ptmlock.exporters._cdx_bom import PROJECT_REF
from ptmlock.exporters._cdx_doc import validate, xml_namespace

__all__ = ["check_input", "load_json", "load_xml", "merge_json", "merge_xml"]

_SUPPORTED = ("1.5", "1.6", "1.7")
# Top-level elements of a 1.5-1.7 XML BOM in schema order, to insert missing ones in place
# (1.7 added citations; a 1.5 BOM has neither declarations nor definitions: no harm).
_BOM_ORDER = (
    "metadata", "components", "services", "externalReferences", "dependencies", "compositions",
    "properties", "vulnerabilities", "annotations", "formulation", "declarations", "definitions",
    "citations",
)  # fmt: skip


def _version(found: str | None, requested: str | None) -> SchemaVersion:
    if found not in _SUPPORTED:
        raise ConfigError(
            f"the BOM to merge into has spec version {found!r}",
            hint="merge into a CycloneDX 1.5, 1.6 or 1.7 BOM (cyclonedx-py --spec-version 1.6)",
        )
    if requested is not None and requested != found:
        raise ConfigError(
            f"the BOM to merge into is CycloneDX {found}, but {requested} was requested",
            hint="drop --spec-version or make the BOM with the same version",
        )
    return SchemaVersion.from_version(found)


def check_input(data: bytes, fmt: OutputFormat, version: SchemaVersion) -> None:
    """Raise ConfigError when the BOM to merge into is itself invalid (it is user input)."""
    error = validate(data.decode(), fmt, version, strict=False)
    if error is not None:
        raise ConfigError(
            f"the BOM to merge into is not valid CycloneDX {version.to_version()}: {error}"
        )


def _check_shape(doc: dict[str, Any]) -> None:
    """The few types merge_json relies on, so bad input fails as input, not as a crash."""
    for key, kind in (("components", list), ("dependencies", list), ("metadata", dict)):
        if not isinstance(doc.get(key, kind()), kind):
            raise ConfigError(f"the BOM to merge into is not valid CycloneDX: {key!r} is not a "
                              f"{'list' if kind is list else 'object'}")  # fmt: skip
    if not isinstance(doc.get("metadata", {}).get("component", {}), dict):
        raise ConfigError("the BOM to merge into is not valid CycloneDX: bad metadata.component")


def load_json(data: bytes, requested: str | None) -> tuple[dict[str, Any], SchemaVersion]:
    """The existing JSON BOM and its spec version, after checking it is one we can extend."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"the BOM to merge into is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise ConfigError("the document to merge into is not a CycloneDX JSON BOM")
    version = _version(doc.get("specVersion"), requested)
    _check_shape(doc)
    return doc, version


def _replace_or_append(items: list[dict[str, Any]], new: dict[str, Any], key: str) -> None:
    for i, item in enumerate(items):
        if item.get(key) == new.get(key):
            items[i] = new
            return
    items.append(new)


def merge_json(doc: dict[str, Any], own: dict[str, Any]) -> None:
    """Add ``own``'s components and dependencies (a ptmlock BOM) to ``doc`` in place."""
    metadata = doc.setdefault("metadata", {})
    root = metadata.setdefault("component", own["metadata"]["component"])
    root_ref = root.setdefault("bom-ref", PROJECT_REF)
    components = doc.setdefault("components", [])
    for component in own.get("components", []):
        _replace_or_append(components, component, "bom-ref")
    dependencies = doc.setdefault("dependencies", [])
    for dependency in own.get("dependencies", []):
        if dependency["ref"] == PROJECT_REF:
            entry = next((d for d in dependencies if d["ref"] == root_ref), None)
            if entry is None:
                entry = {"ref": root_ref}
                dependencies.append(entry)
            merged = set(entry.get("dependsOn", [])) | set(dependency.get("dependsOn", []))
            entry["dependsOn"] = sorted(merged)
        else:
            _replace_or_append(dependencies, dependency, "ref")


def load_xml(
    data: bytes, requested: str | None, parser: etree.XMLParser
) -> tuple[etree._Element, SchemaVersion]:
    """The existing XML BOM's root element and its spec version."""
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"the BOM to merge into is not XML: {exc}") from exc
    qname = etree.QName(root)
    prefix = "http://cyclonedx.org/schema/bom/"
    if qname.localname != "bom" or not (qname.namespace or "").startswith(prefix):
        raise ConfigError("the document to merge into is not a CycloneDX XML BOM")
    version = _version((qname.namespace or "")[len(prefix) :], requested)
    return root, version


def _child(root: etree._Element, ns: str, name: str) -> etree._Element:
    """``root``'s child ``name``, created at its schema position when missing."""
    found = root.find(f"{{{ns}}}{name}")
    if found is not None:
        return found
    element = etree.Element(f"{{{ns}}}{name}")
    later = _BOM_ORDER[_BOM_ORDER.index(name) + 1 :]
    follower = next((c for c in root if etree.QName(c).localname in later), None)
    if follower is None:
        root.append(element)
    else:
        follower.addprevious(element)
    return element


def _replace_or_append_xml(parent: etree._Element, new: etree._Element, attr: str) -> None:
    for old in parent:
        if old.get(attr) == new.get(attr):
            parent.replace(old, new)
            return
    parent.append(new)


def merge_xml(root: etree._Element, own: etree._Element, version: SchemaVersion) -> None:
    """Add ``own``'s components and dependencies (a ptmlock BOM) to ``root`` in place."""
    ns = xml_namespace(version)
    metadata = _child(root, ns, "metadata")
    component = metadata.find(f"{{{ns}}}component")
    if component is None:
        own_root = own.find(f"{{{ns}}}metadata/{{{ns}}}component")
        assert own_root is not None  # build_bom always sets one
        later = ("manufacture", "manufacturer", "supplier", "licenses", "properties")
        follower = next((c for c in metadata if etree.QName(c).localname in later), None)
        if follower is None:
            metadata.append(own_root)
        else:
            follower.addprevious(own_root)  # the schema's sequence puts component before them
        component = own_root
    root_ref = component.get("bom-ref") or PROJECT_REF
    component.set("bom-ref", root_ref)
    components = _child(root, ns, "components")
    for c in own.iterfind(f"{{{ns}}}components/{{{ns}}}component"):
        _replace_or_append_xml(components, c, "bom-ref")
    dependencies = _child(root, ns, "dependencies")
    for d in own.iterfind(f"{{{ns}}}dependencies/{{{ns}}}dependency"):
        if d.get("ref") == PROJECT_REF:
            _merge_root_edges(dependencies, d, root_ref, ns)
        else:
            _replace_or_append_xml(dependencies, d, "ref")


def _merge_root_edges(
    dependencies: etree._Element, own: etree._Element, root_ref: str, ns: str
) -> None:
    entry = next((d for d in dependencies if d.get("ref") == root_ref), None)
    if entry is None:
        entry = etree.SubElement(dependencies, f"{{{ns}}}dependency", ref=root_ref)
    present = {d.get("ref") for d in entry}
    for edge in own:
        if edge.get("ref") not in present:
            etree.SubElement(entry, f"{{{ns}}}dependency", ref=edge.get("ref") or "")
