"""The scan package's modules import each other without a cycle (TYPE_CHECKING imports aside)."""

from __future__ import annotations

import ast
from pathlib import Path

import ptmlock.scan

PACKAGE = Path(ptmlock.scan.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node):
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith(
                "ptmlock.scan"
            ):
                found.add(str(child.module))
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        ".".join(("ptmlock", *p.relative_to(PACKAGE.parent).with_suffix("").parts)).removesuffix(
            ".__init__"
        ): p
        for p in PACKAGE.rglob("*.py")
    }
    return {m: {d for d in _imports(p) if d in modules and d != m} for m, p in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep] if dep in path else [module, dep]
            if dep not in state and (found := visit(dep, [*path, dep])):
                return found
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module, [module])):
            return found
    return None


def test_the_scan_package_has_no_import_cycle() -> None:
    graph = _graph()
    assert graph.get("ptmlock.scan.python.walk")
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
