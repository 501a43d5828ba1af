"""lib4sbom (a consumer used by SBOM pipelines) loads every package of every CycloneDX BOM.

lib4sbom drops a whole document, silently, when something it expects is missing (a dataset
without ``classification`` cost a merged BOM all its Python packages too), and it keys packages by
name and version, so two nested ``config.json`` without a version become one. So: the number of
packages it loads is the number of components in the document, at every level.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lib4sbom.parser import SBOMParser
from lxml import etree

from ptmlock.exporters import get_exporter
from ptmlock.exporters.interface import ExportOptions

from .locks import full_lock

# lib4sbom opens its licence data files without closing them: its leak, not ours
pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
DATA = Path(__file__).parent / "data"
OPTIONS = ExportOptions(
    project_name="sentiment-service", project_version="2.1.0", reproducible=True
)


def _components(path: Path) -> list[tuple[str, str | None]]:
    """(name, version) of every component in the document, nested ones included."""
    if path.suffix == ".json":

        def walk(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
            return [
                x
                for c in items
                for x in [(c["name"], c.get("version")), *walk(c.get("components", []))]
            ]

        return walk(json.loads(path.read_text()).get("components", []))
    root = etree.parse(path).getroot()
    ns = {"c": etree.QName(root).namespace or ""}

    def walk_xml(parent: etree._Element) -> list[tuple[str, str | None]]:
        found = []
        for c in parent.iterfind("c:components/c:component", ns):
            found.append(
                (c.findtext("c:name", namespaces=ns) or "", c.findtext("c:version", namespaces=ns))
            )
            found += walk_xml(c)
        return found

    return walk_xml(root)


def _loaded(path: Path) -> list[dict[str, Any]]:
    parser = SBOMParser()
    parser.parse_file(str(path))
    packages: list[dict[str, Any]] = parser.get_packages()
    return packages


@pytest.mark.parametrize("version", ["1.5", "1.6", "1.7"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_lib4sbom_loads_every_package(tmp_path: Path, fmt: str, version: str) -> None:
    path = tmp_path / f"bom.cdx.{fmt}"
    options = replace(OPTIONS, spec_version=version)
    path.write_bytes(get_exporter(f"cyclonedx-{fmt}").export(full_lock(), options))
    components = _components(path)
    assert len(components) == 15  # 7 models (one an unlocked base) and their 8 files
    packages = _loaded(path)
    assert len(packages) == len(components)
    assert {(p["name"], p.get("version")) for p in packages} >= {
        (m.id, m.revision) for m in full_lock().models if m.hub == "huggingface"
    }


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_lib4sbom_keeps_the_python_packages_of_a_merged_bom(tmp_path: Path, fmt: str) -> None:
    existing = DATA / f"python-env.cdx.{fmt}"
    path = tmp_path / f"merged.cdx.{fmt}"
    options = replace(OPTIONS, merge=existing.read_bytes())
    path.write_bytes(get_exporter(f"cyclonedx-{fmt}").export(full_lock(), options))
    before = {(p["name"], p.get("version")) for p in _loaded(existing)}
    assert len(before) == len(_components(existing)) > 0
    packages = _loaded(path)
    assert len(packages) == len(_components(path)) == len(before) + 15
    assert before <= {(p["name"], p.get("version")) for p in packages}
