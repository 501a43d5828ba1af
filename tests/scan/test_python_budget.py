"""The Python analysis stays bounded on large real modules (a scan must always finish).

Counted in resolver steps, not seconds: deterministic on any machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ptmlock.scan.python import walk
from ptmlock.scan.python.values import MAX_STEPS
from tests.scan.helpers import scan_text

YAML = Path(yaml.__file__).parent


@pytest.mark.parametrize("module", ["constructor", "representer", "resolver"])
def test_real_parser_module_costs_a_bounded_number_of_steps(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyYAML's constructor once took minutes: calls met inside a walk reset its budget."""
    steps = 0
    tick = walk.Walker.tick

    def counting(self: walk.Walker) -> None:
        nonlocal steps
        steps += 1
        tick(self)

    monkeypatch.setattr(walk.Walker, "tick", counting)
    path = YAML / f"{module}.py"
    assert scan_text(path.name, path.read_text(), dedent=False) == []
    assert steps <= 2 * MAX_STEPS
