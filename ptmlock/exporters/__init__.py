"""Export formats: one module per format behind ptmlock.exporters.interface.Exporter.

``EXPORTERS`` is the literal registry the CLI's ``--format`` choices come from.
"""

from __future__ import annotations

from ptmlock.errors import ConfigError
from ptmlock.exporters.cyclonedx import CycloneDxJsonExporter, CycloneDxXmlExporter
from ptmlock.exporters.interface import Exporter, ExportOptions
from ptmlock.exporters.markdown import MarkdownExporter
from ptmlock.exporters.spdx import SpdxJsonExporter

__all__ = ["EXPORTERS", "ExportOptions", "Exporter", "get_exporter"]

EXPORTERS: dict[str, Exporter] = {
    "cyclonedx-json": CycloneDxJsonExporter(),
    "cyclonedx-xml": CycloneDxXmlExporter(),
    "spdx-json": SpdxJsonExporter(),
    "markdown": MarkdownExporter(),
}


def get_exporter(name: str) -> Exporter:
    """The exporter for a ``--format`` value; ConfigError naming the known ones otherwise."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown export format {name!r}", hint=f"use one of {', '.join(EXPORTERS)}"
        ) from None
