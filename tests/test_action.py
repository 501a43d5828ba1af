"""action.yml: every ptmlock command it runs parses with this ptmlock's own CLI, in order.

GitHub runs the action; here its ``run`` lines are checked against the parser (with the
inputs' defaults substituted), so a renamed option breaks this test, not users' pipelines.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from ptmlock.cli import build_parser

ACTION = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text())


def _defaults() -> dict[str, str]:
    return {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}


def _commands() -> list[list[str]]:
    inputs = _defaults()
    found = []
    for step in ACTION["runs"]["steps"]:
        script = step.get("run", "")
        script = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], script)
        for line in script.splitlines():
            words = shlex.split(line)
            if words[:1] == ["ptmlock"]:
                found.append(words[1:])
    return found


def test_action_runs_check_install_verify_audit_export_in_order() -> None:
    assert [c[0] for c in _commands()] == ["check", "install", "verify", "audit", "audit", "export"]
    steps: list[dict[str, Any]] = ACTION["runs"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/setup-python", "actions/cache", "github/codeql-action/upload-sarif"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert "hashFiles(inputs.lock)" in cache["with"]["key"]


def test_every_ptmlock_command_in_the_action_parses() -> None:
    parser = build_parser()
    for argv in _commands():
        args = parser.parse_args(argv)
        assert args.command == argv[0]
    audit = parser.parse_args(_commands()[3])
    assert (audit.output_format, audit.fail_on, audit.output) == ("sarif", "high", "ptmlock.sarif")
