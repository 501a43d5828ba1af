"""The weight URLs a torch.hub entry point downloads, found statically in the repo's code.

torch.hub imports ``hubconf.py`` and calls the entry function; its weights usually come from
a ``load_state_dict_from_url`` of a URL literal, of a module constant, or of a ``model_urls``
table indexed by the entry's name, in hubconf.py or in a module it imports from the repo. Those
three shapes are followed, one import deep; a URL built at run time is not found (the entry is
still locked with the repo's code, and ``[[tool.ptmlock.models]]`` can declare the URL).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from ptmlock.scan.urls import model_url

__all__ = ["entry_weights"]


def _is_weight_url(value: object) -> bool:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return False
    found = model_url(value, downloaded=True)
    return found is not None and found.hub == "url"


class _Module:
    """What one module defines: functions, URL constants, and str-keyed URL tables."""

    def __init__(self, source: str) -> None:
        self.functions: dict[str, ast.FunctionDef] = {}
        self.constants: dict[str, str] = {}
        self.tables: dict[str, dict[str, str]] = {}
        self.imports: dict[str, str] = {}  # local name -> "module.attr"
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                self._assignment(node)

    def _assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        value = node.value
        if not names or value is None:
            return
        if isinstance(value, ast.Constant) and _is_weight_url(value.value):
            self.constants.update(dict.fromkeys(names, str(value.value)))
        elif isinstance(value, ast.Dict):
            table = {
                str(k.value): str(v.value)
                for k, v in zip(value.keys, value.values, strict=True)
                if isinstance(k, ast.Constant)
                and isinstance(k.value, str)
                and isinstance(v, ast.Constant)
                and _is_weight_url(v.value)
            }
            if table:
                self.tables.update(dict.fromkeys(names, table))

    def urls_of(self, function: ast.FunctionDef, entry: str) -> set[str]:
        urls: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Constant) and _is_weight_url(node.value):
                urls.add(str(node.value))
            elif isinstance(node, ast.Name) and node.id in self.constants:
                urls.add(self.constants[node.id])
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                table = self.tables.get(node.value.id, {})
                key = node.slice
                if isinstance(key, ast.Constant) and key.value in table:
                    urls.add(table[key.value])
                elif entry in table:  # model_urls[arch] inside a shared builder
                    urls.add(table[entry])
        return urls


def _module_path(dotted: str, files: Mapping[str, str]) -> str | None:
    base = dotted.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


def entry_weights(files: Mapping[str, str], entries: tuple[str, ...]) -> list[str]:
    """The weight URLs the ``entries`` of ``hubconf.py`` download, sorted. ``files`` maps the
    repo's Python paths to their source."""
    if "hubconf.py" not in files:
        return []
    hubconf = _Module(files["hubconf.py"])
    urls: set[str] = set()
    for entry in entries:
        module, function = hubconf, hubconf.functions.get(entry)
        if function is None and entry in hubconf.imports:
            dotted, _, name = hubconf.imports[entry].rpartition(".")
            path = _module_path(dotted, files)
            if path is not None:
                module = _Module(files[path])
                function = module.functions.get(name)
        if function is not None:
            urls |= module.urls_of(function, entry)
            for called in _called_local(function, module):
                urls |= module.urls_of(called, entry)
    return sorted(urls)


def _called_local(function: ast.FunctionDef, module: _Module) -> list[ast.FunctionDef]:
    """Functions of the same module the entry calls (``resnet18`` -> ``_resnet``), one deep."""
    called = []
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            target = module.functions.get(node.func.id)
            if target is not None and target is not function:
                called.append(target)
    return called
