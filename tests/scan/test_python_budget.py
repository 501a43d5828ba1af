"""The Python analysis stays bounded on large real modules (a scan must always finish).

Counted in resolver steps, not seconds: deterministic on any machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ptmlock.scan.python.values as values
from ptmlock.scan.detectors.interface import ProjectContext
from ptmlock.scan.detectors.python import analyze_source

YAML = Path(yaml.__file__).parent


@pytest.mark.parametrize("module", ["constructor", "representer", "resolver"])
def test_real_parser_module_costs_a_bounded_number_of_steps(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyYAML's constructor once took minutes: calls met inside a walk reset its budget."""
    steps = 0
    tick = values.Resolver.tick

    def counting(self: values.Resolver) -> None:
        nonlocal steps
        steps += 1
        tick(self)

    monkeypatch.setattr(values.Resolver, "tick", counting)
    path = YAML / f"{module}.py"
    assert analyze_source(path.name, path.read_text(), ProjectContext(root=path.parent)) == []
    assert steps <= 2 * values.MAX_STEPS
