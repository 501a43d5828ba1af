"""Vendored copies found by content: a bundled distribution the project carries but never uses.

A folder is a copy of a distribution when it packages itself (its own ``setup.py``,
``pyproject.toml`` or ``setup.cfg``) or, below the top level, is a package whose ``__init__.py``
sets ``__version__``. It is skipped, and reported, when no module outside it imports it: its
models are the library's defaults, not the project's. A copy the project imports (a patched
``basicsr/`` beside the code that calls it) is the project's own code and is scanned.
(Folders named ``vendor/``, ``third_party/`` ... are skipped by name in ``walk``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ptmlock.scan.python.ir import Summary
from ptmlock.scan.python.project import PythonProject

__all__ = ["unused_copies"]

_PACKAGING = {"setup.py": "setup.py", "pyproject.toml": "pyproject.toml", "setup.cfg": "setup.cfg"}


def unused_copies(
    paths: Iterable[str], project: PythonProject, load: Callable[[str], Summary | None]
) -> dict[str, str]:
    """Folder -> why it is a vendored copy, for the copies nothing outside them imports."""
    found: dict[str, str] = {}
    for relpath in sorted(paths):
        folder, _, name = relpath.rpartition("/")
        if not folder:
            continue
        if name in _PACKAGING:
            found.setdefault(folder, f"its own {_PACKAGING[name]}")
        elif name == "__init__.py" and "/" in folder and _sets_version(load(relpath)):
            found.setdefault(folder, "a package with its own __version__")
    outermost = {
        folder: why
        for folder, why in found.items()
        if not any(folder.startswith(other + "/") for other in found)
    }
    imported = _imported_folders(project, outermost)
    return {
        folder: f"vendored copy ({why}) that nothing outside it imports"
        for folder, why in outermost.items()
        if folder not in imported
    }


def _sets_version(summary: Summary | None) -> bool:
    return summary is not None and "__version__" in summary.scopes[0]["bind"]


def _imported_folders(project: PythonProject, folders: Iterable[str]) -> set[str]:
    """The folders some module outside them imports from."""
    wanted = list(folders)
    used: set[str] = set()
    for module in project.modules.values():
        for spec in module.index.imports.values():
            target = project.split(module.absolute(*spec))
            if target is None:
                continue
            path = target[0].relpath
            used.update(
                f for f in wanted
                if path.startswith(f + "/") and not module.relpath.startswith(f + "/")
            )  # fmt: skip
    return used
