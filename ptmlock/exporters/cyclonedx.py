"""CycloneDX ML-BOM export (``cyclonedx-json``, ``cyclonedx-xml``), spec 1.5, 1.6 (default) or 1.7.

The document is built with cyclonedx-python-lib (see _cdx_bom for the layout), completed with the
``modelCard`` the library doesn't model (_cdx_doc). XML is validated against the XSD of the
requested version before it is returned; JSON only with ``ExportOptions.validate`` (``--validate``),
since jsonschema's IRI check costs ~60 ms per URL. The tests validate every document.

Reproducible output: with ``ExportOptions.reproducible`` or ``source_date_epoch`` the serial number
is a uuid5 of the lock's content (plus project name, version and spec version) and the timestamp is
SOURCE_DATE_EPOCH (or the Unix epoch), so one lock always gives the same bytes. Without either,
the serial is random and the timestamp is now, as the spec intends.

``--merge``: ``ExportOptions.merge`` holds an existing BOM of the same format (e.g. the project's
Python packages from cyclonedx-py). All of its content and its metadata component are kept; the
model components and their dependency edges are added (the metadata component depends on every
model), and the metadata records the modification (_cdx_meta: ptmlock among the tools, the
timestamp, ``version`` + 1, the serial number kept). The BOM to merge into is user input, so it is
always schema-validated first.

Endpoints come from the lock (``LockedModel.endpoint``); ``ExportOptions.endpoint`` only fills in
models of a lock written before ptmlock recorded them (see _common).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from lxml import etree

from ptmlock.errors import ConfigError
from ptmlock.exporters import _cdx_merge
from ptmlock.exporters._cdx_bom import build_bom, model_ref
from ptmlock.exporters._cdx_doc import (
    add_model_cards_json,
    add_model_cards_xml,
    complete_dependencies,
    model_card,
    validate,
    xml_namespace,
)
from ptmlock.exporters._cdx_meta import stamp_json, stamp_xml
from ptmlock.exporters._common import lock_digest, with_endpoints
from ptmlock.exporters.interface import Exporter, ExportOptions
from ptmlock.models import Lock

__all__ = ["DEFAULT_SPEC_VERSION", "SPEC_VERSIONS", "CycloneDxJsonExporter", "CycloneDxXmlExporter"]

SPEC_VERSIONS = ("1.5", "1.6", "1.7")
DEFAULT_SPEC_VERSION = "1.6"


def spec_version(value: str | None) -> SchemaVersion:
    """The SchemaVersion for a ``--spec-version`` value; ConfigError for unsupported ones."""
    value = value or DEFAULT_SPEC_VERSION
    if value not in SPEC_VERSIONS:
        raise ConfigError(
            f"CycloneDX spec version {value!r} is not supported",
            hint=f"use one of {', '.join(SPEC_VERSIONS)} (machine-learning-model needs >= 1.5)",
        )
    return SchemaVersion.from_version(value)


def _identity(
    lock: Lock, options: ExportOptions, version: str
) -> tuple[UUID | None, datetime | None]:
    """Serial number and timestamp: fixed when reproducible, None (random/now) otherwise."""
    if not options.reproducible and options.source_date_epoch is None:
        return None, None
    # a merge's serial (used only when the input has none) depends on the input too
    merged = (hashlib.sha256(options.merge).hexdigest(),) if options.merge is not None else ()
    digest = lock_digest(
        lock, options.project_name, options.project_version or "", version, *merged
    )
    serial = uuid5(NAMESPACE_URL, f"urn:ptmlock:bom:{digest}")
    return serial, datetime.fromtimestamp(options.source_date_epoch or 0, tz=UTC)


def _cards(lock: Lock) -> dict[str, dict[str, Any]]:
    cards = {model_ref(m): model_card(m) for m in lock.models}
    return {ref: card for ref, card in cards.items() if card is not None}


def _serialize(
    lock: Lock, options: ExportOptions, fmt: OutputFormat, version: SchemaVersion
) -> str:
    serial, timestamp = _identity(lock, options, version.to_version())
    bom = build_bom(lock, options, version, serial=serial, timestamp=timestamp)
    return make_outputter(bom, fmt, version).output_as_string(indent=2)


def _check(document: str, fmt: OutputFormat, version: SchemaVersion, merged: bytes | None) -> None:
    """Validate the final document (the input BOM of a merge was checked before merging)."""
    error = validate(document, fmt, version, strict=merged is None)
    if error is None:
        return
    # ptmlock's own output is invalid: a bug, not a user error
    raise RuntimeError(f"ptmlock produced an invalid CycloneDX {version.to_version()} BOM: {error}")


class CycloneDxJsonExporter(Exporter):
    """CycloneDX JSON, the format most SBOM tools ingest."""

    name = "cyclonedx-json"
    media_type = "application/vnd.cyclonedx+json"
    default_suffix = ".cdx.json"

    def export(self, lock: Lock, options: ExportOptions) -> bytes:
        lock = with_endpoints(lock, options.endpoint)
        if options.merge is not None:
            doc, version = _cdx_merge.load_json(options.merge, options.spec_version)
            _cdx_merge.check_input(options.merge, OutputFormat.JSON, version)
            own = json.loads(_serialize(lock, options, OutputFormat.JSON, version))
            _cdx_merge.merge_json(doc, own)
            stamp_json(doc, own)
        else:
            version = spec_version(options.spec_version)
            doc = json.loads(_serialize(lock, options, OutputFormat.JSON, version))
        add_model_cards_json(doc, _cards(lock))
        complete_dependencies(doc)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if options.validate:  # XML is always checked below: the XSD check is fast
            _check(text, OutputFormat.JSON, version, options.merge)
        return text.encode()


class CycloneDxXmlExporter(Exporter):
    """CycloneDX XML, for tools and archives that want the XSD-validated form."""

    name = "cyclonedx-xml"
    media_type = "application/vnd.cyclonedx+xml"
    default_suffix = ".cdx.xml"

    def export(self, lock: Lock, options: ExportOptions) -> bytes:
        lock = with_endpoints(lock, options.endpoint)
        parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
        if options.merge is not None:
            root, version = _cdx_merge.load_xml(options.merge, options.spec_version, parser)
            _cdx_merge.check_input(options.merge, OutputFormat.XML, version)
            own = etree.fromstring(
                _serialize(lock, options, OutputFormat.XML, version).encode(), parser
            )
            _cdx_merge.merge_xml(root, own, version)
            stamp_xml(root, own, xml_namespace(version))
        else:
            version = spec_version(options.spec_version)
            text = _serialize(lock, options, OutputFormat.XML, version)
            root = etree.fromstring(text.encode(), parser)
        add_model_cards_xml(root, _cards(lock), version)
        data: bytes = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
        _check(data.decode(), OutputFormat.XML, version, options.merge)
        return data
