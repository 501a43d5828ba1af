"""A crafted Hub for hostile tests: model info and file answers as a test scripts them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ptmlock.models import LockedFile, LockedModel
from tests.hostile.servers import Handler

__all__ = ["BODY", "SHA", "hub_script", "locked_readme", "model_info"]

SHA = "0123456789abcdef0123456789abcdef01234567"
BODY = b"hello"


def model_info(**changes: Any) -> dict[str, Any]:
    """A valid model-info answer for ``org/m`` with one small file, with ``changes`` applied."""
    info: dict[str, Any] = {
        "id": "org/m",
        "sha": SHA,
        "siblings": [{"rfilename": "README.md", "size": len(BODY), "blobId": "0" * 40}],
    }
    return info | changes


def locked_readme() -> LockedModel:
    """The lock entry for that repo's one file."""
    sha256 = hashlib.sha256(BODY).hexdigest()
    file = LockedFile(path="README.md", size=len(BODY), sha256=sha256)
    return LockedModel(hub="huggingface", id="org/m", revision=SHA, files=(file,))


def hub_script(
    info: bytes | None = None, resolve: Callable[[Handler], None] | None = None
) -> Callable[[Handler], None]:
    """Model info answered with ``info`` (default: ``model_info()``), file downloads by
    ``resolve`` (default: the body), anything else with the body."""
    answer = info if info is not None else json.dumps(model_info()).encode()

    def script(handler: Handler) -> None:
        if handler.path.startswith("/api/models/"):
            handler.send(200, answer, Content_Type="application/json")
        elif "/resolve/" in handler.path and resolve is not None:
            resolve(handler)
        else:
            handler.send(200, BODY)

    return script
