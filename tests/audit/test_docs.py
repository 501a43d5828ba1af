"""The README's exit codes, output schemas and rule table say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from ptmlock.audit.rules import RULES
from ptmlock.cli import _common, build_parser

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start:end]


def test_readme_rule_table_is_the_rules_table() -> None:
    rows = re.findall(r"^\| (PTM\d{3}) \| `([\w-]+)` \| (\w+) \| (.+) \|$", README, re.M)
    assert rows == [(r.id, r.name, r.severity, r.summary) for r in RULES]


def test_readme_exit_codes_are_the_cli_codes() -> None:
    table = _section("### Exit codes and JSON output")
    codes = [int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)]
    expected = [_common.EXIT_OK, _common.EXIT_PROBLEMS, _common.EXIT_USAGE, _common.EXIT_HUB]
    assert codes == [*expected, 70, 130]
    assert "70 a bug in ptmlock, 130 interrupted" in (build_parser().epilog or "")


def test_readme_names_every_output_schema_and_each_exists() -> None:
    table = _section("### Exit codes and JSON output")
    named = re.findall(r"`(schemas/[\w.-]+\.json)`", table)
    assert set(named) == {str(p.relative_to(ROOT)) for p in (ROOT / "schemas").glob("*.json")}
    for name in named:
        assert (ROOT / name).is_file()
