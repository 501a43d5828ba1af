"""The metadata of a merged BOM: who changed it, when, which version of it this is.

A merge modifies another tool's BOM, so, as the CycloneDX spec asks of a modification:

* ``metadata.tools`` names ptmlock beside the tools already there, in the form 1.5+ uses
  (``tools.components``; a legacy ``tools`` array is converted to it, ``vendor`` becoming
  ``group`` as cyclonedx-python-lib maps them). Merging twice leaves one ptmlock entry;
* ``metadata.timestamp`` is the merge's time (now, or SOURCE_DATE_EPOCH when reproducible);
* ``version`` goes up by one and ``serialNumber`` is kept: the result is a new version of the
  same BOM. A BOM without a serial number gets ptmlock's (random, or in reproducible mode
  derived from the lock and the input), so later versions can refer to it.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

__all__ = ["stamp_json", "stamp_xml"]

_LEGACY_TO_COMPONENT = {"vendor": "group"}  # legacy tool key -> component key


def stamp_json(doc: dict[str, Any], own: dict[str, Any]) -> None:
    """Update ``doc``'s metadata after merging ``own`` (ptmlock's BOM of the lock) into it."""
    metadata = doc.setdefault("metadata", {})
    metadata["timestamp"] = own["metadata"]["timestamp"]
    tools = _tools_json(metadata.get("tools"))
    mine = own["metadata"]["tools"]["components"]
    names = {c["name"] for c in mine}
    kept = [c for c in tools.get("components", []) if c.get("name") not in names]
    tools["components"] = kept + mine
    metadata["tools"] = tools
    doc.setdefault("serialNumber", own["serialNumber"])
    doc["version"] = int(doc.get("version", 1)) + 1


def _tools_json(tools: Any) -> dict[str, Any]:
    """``metadata.tools`` in the 1.5+ object form, converting a legacy array."""
    if isinstance(tools, dict):
        return tools
    converted = []
    for tool in tools or []:
        component = {"type": "application"}
        component |= {_LEGACY_TO_COMPONENT.get(k, k): v for k, v in tool.items()}
        component.setdefault("name", tool.get("vendor") or "unknown")
        converted.append(component)
    return {"components": converted}


def stamp_xml(root: etree._Element, own: etree._Element, ns: str) -> None:
    """The XML form of ``stamp_json``: ``root`` is the merged BOM, ``own`` ptmlock's."""
    metadata = root.find(f"{{{ns}}}metadata")
    assert metadata is not None  # merge_xml created it
    own_meta = own.find(f"{{{ns}}}metadata")
    assert own_meta is not None  # build_bom always writes one
    stamp = _metadata_child(metadata, ns, "timestamp", after=())
    stamp.text = own_meta.findtext(f"{{{ns}}}timestamp")
    tools = _metadata_child(metadata, ns, "tools", after=("timestamp", "lifecycles"))
    components = _tool_components(tools, ns)
    for mine in own_meta.iterfind(f"{{{ns}}}tools/{{{ns}}}components/{{{ns}}}component"):
        name = mine.findtext(f"{{{ns}}}name")
        for old in components.iterfind(f"{{{ns}}}component"):
            if old.findtext(f"{{{ns}}}name") == name:
                components.remove(old)
        components.append(copy.deepcopy(mine))
    if root.get("serialNumber") is None:
        root.set("serialNumber", own.get("serialNumber") or "")
    root.set("version", str(int(root.get("version", "1")) + 1))


def _metadata_child(
    metadata: etree._Element, ns: str, name: str, *, after: tuple[str, ...]
) -> etree._Element:
    """``metadata``'s child ``name``, created after the elements the schema puts before it."""
    found = metadata.find(f"{{{ns}}}{name}")
    if found is not None:
        return found
    element = etree.Element(f"{{{ns}}}{name}")
    follower = next((c for c in metadata if etree.QName(c).localname not in after), None)
    if follower is None:
        metadata.append(element)
    else:
        follower.addprevious(element)
    return element


def _tool_components(tools: etree._Element, ns: str) -> etree._Element:
    """``tools/components``, converting legacy ``tool`` children into components first."""
    components = tools.find(f"{{{ns}}}components")
    if components is None:
        components = etree.Element(f"{{{ns}}}components")
        tools.insert(0, components)
    for legacy in tools.findall(f"{{{ns}}}tool"):
        tools.remove(legacy)
        component = etree.SubElement(components, f"{{{ns}}}component", type="application")
        for child in list(legacy):
            local = etree.QName(child).localname
            child.tag = f"{{{ns}}}{_LEGACY_TO_COMPONENT.get(local, local)}"
            component.append(child)
        if component.find(f"{{{ns}}}name") is None:
            name = etree.Element(f"{{{ns}}}name")
            name.text = component.findtext(f"{{{ns}}}group") or "unknown"
            group = component.find(f"{{{ns}}}group")
            if group is not None:
                group.addnext(name)
            else:
                component.insert(0, name)
    return components
