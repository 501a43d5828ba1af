"""The Python analysis stays bounded on large real modules (a scan must always finish).

Counted in resolver steps, not seconds: deterministic on any machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ptmlock.scan.python import walk
from ptmlock.scan.python.values import MAX_STEPS
from tests.helpers import record_calls
from tests.scan.helpers import scan_text

YAML = Path(yaml.__file__).parent


@pytest.mark.parametrize("module", ["constructor", "representer", "resolver"])
def test_real_parser_module_costs_a_bounded_number_of_steps(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyYAML's constructor once took minutes: calls met inside a walk reset its budget."""
    steps = record_calls(monkeypatch, walk.Walker, "tick")
    path = YAML / f"{module}.py"
    assert scan_text(path.name, path.read_text(), dedent=False) == []
    assert len(steps) <= 2 * MAX_STEPS
