"""What a hub's model-info answer must look like before anything in it reaches a lock.

A hub (or a mirror or proxy in front of it) is not trusted to be well-formed: a commit of
``../../x``, an LFS sha256 of ``../../x``, a negative size, a JSON array where an object belongs
would otherwise be written into ``ptm.lock`` (which ptmlock then refuses) or crash deep inside.
``check_model_info`` names the server and the first bad field in one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ptmlock import errors
from ptmlock.lockfile import safe_relpath

__all__ = ["check_model_info"]

_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class _Bad(Exception):
    def __init__(
        self, field: str, problem: str, error: type[errors.PtmlockError] = errors.HubError
    ) -> None:
        super().__init__(field, problem)
        self.field, self.problem, self.error = field, problem, error


def check_model_info(data: Any, what: str) -> dict[str, Any]:
    """``data`` when it is a model-info object with a valid commit and file list; else a
    HubError naming ``what`` (the model and server) and the bad field."""
    try:
        if not isinstance(data, dict):
            raise _Bad("(the answer)", f"a JSON {type(data).__name__}, not an object")
        _commit(data)
        siblings = data.get("siblings")
        if siblings is not None and not isinstance(siblings, list):
            raise _Bad("siblings", "not a list")
        for i, sibling in enumerate(siblings or []):
            _sibling(sibling, f"siblings[{i}]")
    except _Bad as bad:
        raise bad.error(
            f"{what}: invalid field '{bad.field}' in the model info: {bad.problem}",
            hint="the hub's answer is refused whole; report it to the hub's operators",
        ) from None
    return data


def _commit(data: Mapping[str, Any]) -> None:
    sha = data.get("sha")
    if not isinstance(sha, str) or not _COMMIT.fullmatch(sha):
        raise _Bad("sha", f"not a 40-hex commit: {_shown(sha)}")


def _sibling(sibling: Any, field: str) -> None:
    if not isinstance(sibling, dict):
        raise _Bad(field, "not an object")
    name = sibling.get("rfilename")
    if not isinstance(name, str) or not safe_relpath(name):
        raise _Bad(f"{field}.rfilename", f"unsafe file name {_shown(name)}", errors.UnsafePathError)
    if "size" in sibling and sibling["size"] is not None:
        _size(sibling["size"], f"{field}.size")
    lfs = sibling.get("lfs")
    if lfs is None:
        return
    if not isinstance(lfs, dict):
        raise _Bad(f"{field}.lfs", "not an object")
    sha256 = lfs.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise _Bad(f"{field}.lfs.sha256", f"not a 64-hex sha256: {_shown(sha256)}")
    _size(lfs.get("size"), f"{field}.lfs.size")


def _size(value: Any, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Bad(field, f"not a non-negative integer: {_shown(value)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
