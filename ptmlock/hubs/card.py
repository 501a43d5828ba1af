"""Facts about a model captured at lock time, from the Hub's model info and its model card.

Pure functions over the raw JSON the Hub answers for ``/api/models/<id>/revision/<commit>``
(``cardData``, ``pipeline_tag``, ``library_name``, ``tags``, ``gated``, ``safetensors``,
``lastModified``, ``config``) and the README.md bytes, so they can be tested on plain dicts and the
lock records the same facts whichever client fetched them. ``family`` is left to the scanner.

Licences become SPDX ids where the card's value is one ("apache-2.0" -> "Apache-2.0"); Hub-only
names ("llama3.2", "openrail") are kept as names, and ``license: other`` gives ``license_name``.
Base models come from the card's ``base_model`` with ``base_model_relation``, or the relation is
inferred from the library and tags; the Hub's own ``base_model:<relation>:<id>`` tags are the
fallback when the card names none.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cyclonedx.spdx import fixup_id, is_expression

from ptmlock.models import BaseModelRef

__all__ = [
    "RELATIONS",
    "CardFacts",
    "base_models",
    "card_facts",
    "normalize_license",
]

RELATIONS = ("finetune", "adapter", "quantized", "merge")
# Hub licence ids that are SPDX licences under another spelling (fixup_id misses them).
_HUB_TO_SPDX = {
    "pddl": "PDDL-1.0",
    "odc-by": "ODC-By-1.0",
    "odbl": "ODbL-1.0",
    "c-uda": "C-UDA-1.0",
}
_NO_LICENSE = {"", "unknown", "none"}
_ADAPTER_TAGS = {"peft", "adapter", "adapters", "lora"}
_QUANTIZED_TAGS = {"gguf", "gptq", "awq", "exl2", "quantized", "4-bit", "8-bit", "bitsandbytes"}
_MERGE_TAGS = {"merge", "mergekit"}


@dataclass(frozen=True, kw_only=True, slots=True)
class CardFacts:
    """The LockedModel fields the Hub and the card provide; ``fields()`` feeds LockedModel."""

    license: str | None = None
    base_models: tuple[BaseModelRef, ...] = ()
    datasets: tuple[str, ...] = ()
    task: str | None = None
    library_name: str | None = None
    gated: bool = False
    card_sha256: str | None = None
    parameters: int | None = None
    last_modified: str | None = None
    architecture: str | None = None

    def fields(self) -> dict[str, Any]:
        """The facts as keyword arguments for ``LockedModel`` or ``dataclasses.replace``."""
        values = {name: getattr(self, name) for name in asdict(self)}
        values["base_models"] = self.base_models  # asdict would turn them into dicts
        return values


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def card_facts(info: Mapping[str, Any], readme: bytes | None = None) -> CardFacts:
    """Everything the lock records from a model-info answer and (optionally) the README bytes."""
    card = _mapping(info.get("cardData"))
    tags = _strings(info.get("tags"))
    library = _str(info.get("library_name")) or _str(card.get("library_name"))
    return CardFacts(
        license=_license(card, tags),
        base_models=base_models(card, tags, library),
        datasets=_datasets(card, tags),
        task=_str(info.get("pipeline_tag")) or _str(card.get("pipeline_tag")),
        library_name=library,
        gated=_gated(info.get("gated")),
        card_sha256=hashlib.sha256(readme).hexdigest() if readme is not None else None,
        parameters=_parameters(info.get("safetensors")),
        last_modified=_date(info.get("lastModified")),
        architecture=_architecture(info.get("config")),
    )


def normalize_license(value: str | None, name: str | None = None) -> str | None:
    """An SPDX id or expression when ``value`` is one, else the Hub's name for it.

    ``other`` means the card names its licence in ``license_name``; ``unknown`` means none.
    """
    if value is None or value.strip().lower() in _NO_LICENSE:
        return None
    value = value.strip()
    if value.lower() == "other":
        return name.strip() if name and name.strip() else "other"
    spdx = _HUB_TO_SPDX.get(value.lower()) or fixup_id(value)
    if spdx:
        return spdx
    if any(op in value for op in (" AND ", " OR ", " WITH ")) and is_expression(value):
        return value
    return value.lower()


def base_models(
    card: Mapping[str, Any], tags: Iterable[str] = (), library: str | None = None
) -> tuple[BaseModelRef, ...]:
    """The models this one derives from, each with its relation (see module docstring)."""
    tags = tuple(tags)
    ids = _strings(card.get("base_model"))
    if not ids:
        return _bases_from_tags(tags)
    relation = _str(card.get("base_model_relation"))
    if relation not in RELATIONS:
        relation = _infer_relation(len(ids), tags, library)
    return tuple(BaseModelRef(id=i, relation=relation) for i in ids)


def _infer_relation(count: int, tags: Iterable[str], library: str | None) -> str:
    words = {t.lower() for t in tags} | {(library or "").lower()}
    if words & _ADAPTER_TAGS:
        return "adapter"
    if words & _QUANTIZED_TAGS:
        return "quantized"
    if count > 1 and words & _MERGE_TAGS:
        return "merge"
    return "finetune"


def _bases_from_tags(tags: Iterable[str]) -> tuple[BaseModelRef, ...]:
    """The Hub's ``base_model:<relation>:<id>`` tags (plain ``base_model:<id>`` repeats them)."""
    found: dict[str, str] = {}
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation, sep, model_id = rest.partition(":")
        if sep and relation in RELATIONS:
            found[model_id] = relation
        elif not sep:
            found.setdefault(rest, "unknown")
    return tuple(BaseModelRef(id=i, relation=r) for i, r in found.items())


def _license(card: Mapping[str, Any], tags: Iterable[str]) -> str | None:
    values = _strings(card.get("license"))
    name = _str(card.get("license_name"))
    if not values:
        values = tuple(t.removeprefix("license:") for t in tags if t.startswith("license:"))
    licences = [lic for v in values if (lic := normalize_license(v, name))]
    if len(licences) <= 1:
        return licences[0] if licences else None
    # Several licences on one card: all of them apply until someone reads the terms.
    return " AND ".join(licences)


def _datasets(card: Mapping[str, Any], tags: Iterable[str]) -> tuple[str, ...]:
    found = _strings(card.get("datasets"))
    if not found:
        found = tuple(t.removeprefix("dataset:") for t in tags if t.startswith("dataset:"))
    return tuple(dict.fromkeys(found))


def _gated(value: Any) -> bool:
    """``gated`` is false, or the kind of gate (``"auto"``, ``"manual"``)."""
    if isinstance(value, str):
        return value.lower() not in {"", "false", "0"}
    return bool(value)


def _parameters(value: Any) -> int | None:
    total = _mapping(value).get("total")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _date(value: Any) -> str | None:
    """The date part of an ISO 8601 timestamp (``2024-03-11T18:39:47.000Z`` -> ``2024-03-11``)."""
    text = _str(value)
    return text[:10] if text and len(text) >= 10 else text


def _architecture(config: Any) -> str | None:
    architectures = _strings(_mapping(config).get("architectures"))
    return architectures[0] if architectures else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    """A one-line string fact; control characters (a NUL no XML document can hold) dropped."""
    return (_CONTROL.sub("", value).strip() or None) if isinstance(value, str) else None


def _strings(value: Any) -> tuple[str, ...]:
    """A str or a list of str as a tuple of non-empty strings (cards use both shapes)."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(text for text in map(_str, items) if text)


# LICENSE files a repo may carry, in the order they are looked for when the card names none.
LICENSE_FILES: tuple[str, ...] = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING")
# (pattern over the first lines of a licence text, SPDX id): the texts models commonly ship.
_LICENSE_TEXTS: tuple[tuple[str, str], ...] = (
    (r"Apache License\s+Version 2\.0", "Apache-2.0"),
    (r"^\s*MIT License|Permission is hereby granted, free of charge", "MIT"),
    (r"BSD 3-Clause|Neither the name of", "BSD-3-Clause"),
    (r"BSD 2-Clause", "BSD-2-Clause"),
    (r"GNU GENERAL PUBLIC LICENSE\s+Version 3", "GPL-3.0-only"),
    (r"Creative Commons Attribution 4\.0", "CC-BY-4.0"),
    (r"Creative Commons Attribution-NonCommercial 4\.0", "CC-BY-NC-4.0"),
    (r"LLAMA 2 COMMUNITY LICENSE", "llama2"),
    (r"LLAMA 3 COMMUNITY LICENSE", "llama3"),
)


def license_from_text(text: str) -> str:
    """The SPDX id of a LICENSE file's text, or ``LicenseRef-file`` when it isn't recognised."""
    head = text[:4000]
    for pattern, spdx in _LICENSE_TEXTS:
        if re.search(pattern, head, re.IGNORECASE | re.MULTILINE):
            return spdx
    return "LicenseRef-file"
