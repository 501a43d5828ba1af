"""The one interface every export format implements: a lock in, a document's bytes out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from ptmlock.models import Lock

__all__ = ["ExportOptions", "Exporter"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportOptions:
    project_name: str = "project"
    project_version: str | None = None
    spec_version: str | None = None  # format-specific; None = the exporter's default
    merge: bytes | None = None  # an existing document of the same format to add the models to
    reproducible: bool = False  # fixed serial number and timestamp
    source_date_epoch: int | None = None  # SOURCE_DATE_EPOCH, when set
    # the Hub endpoint for models whose lock entry records none (locks made before ptmlock
    # recorded it): the CLI passes HF_ENDPOINT; a recorded ``LockedModel.endpoint`` always wins
    endpoint: str = "https://huggingface.co"
    # OCI registries the models were pushed to (``oci://HOST/NAMESPACE``): named in the BOM as
    # distribution references (``oci://HOST/<repository>:<revision>``)
    distributions: tuple[str, ...] = ()
    # schema-validate the JSON output at run time too (the tests always do); off by default
    # because jsonschema's IRI format check costs ~60 ms per URL, seconds for a real lock
    validate: bool = False


class Exporter(ABC):
    name: str  # the --format value, e.g. "cyclonedx-json"
    media_type: str
    default_suffix: str  # e.g. ".cdx.json"

    @abstractmethod
    def export(self, lock: Lock, options: ExportOptions) -> bytes:
        """The document for ``lock``. Raises ConfigError for options it can't honour."""
