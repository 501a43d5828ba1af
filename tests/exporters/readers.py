"""The independent SBOM readers the interop tests drive: real tools, installed by ``.ci/setup``.

* ``@cyclonedx/cyclonedx-library`` (JavaScript, from the npm registry) validates each CycloneDX
  document with its own schemas and validators, and ``interop/read-cyclonedx.cjs`` reports what
  it read, in one shape for JSON and XML;
* cdxgen's ``cdx-validate``, the validator release pipelines run on CycloneDX JSON.

A missing install fails the test (it never skips): run ``.ci/setup``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

__all__ = ["NODE_MODULES", "cdx_validate", "read_cyclonedx"]

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"
READER = Path(__file__).parent / "interop" / "read-cyclonedx.cjs"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "@cyclonedx" / "cyclonedx-library").is_dir():
        pytest.fail(f"node or {NODE_MODULES} is missing: run .ci/setup")
    return node


def read_cyclonedx(documents: list[tuple[Path, str, str]]) -> list[dict[str, Any]]:
    """What the JS cyclonedx-library made of each (file, "json" | "xml", spec version)."""
    specs = [f"{fmt}:{version}:{path}" for path, fmt, version in documents]
    done = subprocess.run(
        [_node(), str(READER), str(NODE_MODULES), *specs],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def cdx_validate(path: Path, report: Path) -> tuple[int, dict[str, Any]]:
    """cdxgen's ``cdx-validate --strict`` on a JSON BOM: its exit code and its JSON report.

    Exit 2 is a schema or deep-validation failure; 3 means compliance findings (SCVS, CRA: a BOM
    not signed, no supplier contact...) at high severity, which are about the project's release
    process, not about the document being readable.
    """
    _node()
    done = subprocess.run(
        [str(NODE_MODULES / ".bin" / "cdx-validate"), "-i", str(path), "--strict",
         "--no-include-manual", "-r", "json", "-o", str(report)],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr  # a crash writes no report
    found: dict[str, Any] = json.loads(report.read_text())
    return done.returncode, found
