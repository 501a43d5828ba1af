"""Where each locked file lives on disk, per hub, so loaders find it with no code change.

- ``huggingface``: the Hugging Face cache (cache.py): bytes in ``blobs/<sha256>``, the path the
  application opens is ``snapshots/<commit>/<path>``, a relative link to the blob.
- ``url``: torch's checkpoint folder, ``$TORCH_HOME/hub/checkpoints/<file name>``, where
  ``torch.hub.load_state_dict_from_url`` looks before downloading.

Install and verify ask a Layout; they never build these paths themselves. Every folder a
placement writes into is made through its ``within`` (confine.py): it must resolve inside its root.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ptmlock.cache import ModelCache, VerifiedRecord
from ptmlock.confine import Confinement
from ptmlock.env import hf_cache_dir
from ptmlock.errors import UnsafePathError
from ptmlock.lockfile import safe_relpath
from ptmlock.models import LockedFile, LockedModel

__all__ = ["Layout", "Placement", "torch_checkpoints_dir"]


def torch_checkpoints_dir() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``)."""
    if os.environ.get("TORCH_HOME"):
        home = Path(os.environ["TORCH_HOME"]).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        home = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "torch"
    return home / "hub" / "checkpoints"


@dataclass(frozen=True, slots=True)
class Placement:
    final: Path  # verified bytes are renamed to here from ``final + ".incomplete"``
    lock: Path  # held while ``final`` is written (shared with huggingface_hub for the HF cache)
    record: VerifiedRecord
    opened: Path  # the path the application opens (a link to ``final``, or ``final`` itself)
    link_target: str | None  # when ``opened`` is a link: its relative target
    within: Confinement  # the root every folder above must resolve inside

    @property
    def partial(self) -> Path:
        """Where the bytes of ``final`` arrive until they are verified (kept for resuming)."""
        return self.final.with_name(self.final.name + ".incomplete")


class Layout:
    """Placements for every hub; one VerifiedRecord per folder, saved with ``save()``."""

    def __init__(self, hf_cache: Path | None = None, torch_dir: Path | None = None) -> None:
        self.hf_cache = hf_cache or hf_cache_dir()
        self.torch_dir = torch_dir or torch_checkpoints_dir()
        self.hf_within = Confinement(self.hf_cache)
        self.torch_within = Confinement(self.torch_dir)
        self._records: dict[Path, VerifiedRecord] = {}
        self._lock = threading.Lock()

    def place(self, model: LockedModel, file: LockedFile) -> Placement:
        if model.hub == "url":
            return self._place_url(file)
        cache = ModelCache(self.hf_cache, model.id)
        return Placement(
            final=cache.blob(file.sha256),
            lock=cache.lock_file(file.sha256),
            record=self._record(cache.repo),
            opened=cache.snapshot(model.revision, file.path),
            link_target=cache.link_target(model.revision, file.path, file.sha256),
            within=self.hf_within,
        )

    def _place_url(self, file: LockedFile) -> Placement:
        if not safe_relpath(file.path) or "/" in file.path:
            raise UnsafePathError(f"unsafe checkpoint file name {file.path!r}")
        final = self.torch_dir / file.path
        return Placement(
            final=final,
            lock=self.torch_dir / ".locks" / f"{file.sha256}.lock",
            record=self._record(self.torch_dir),
            opened=final,
            link_target=None,
            within=self.torch_within,
        )

    def _record(self, folder: Path) -> VerifiedRecord:
        with self._lock:
            if folder not in self._records:
                self._records[folder] = VerifiedRecord(folder / ".ptmlock-verified.json")
            return self._records[folder]

    def save(self) -> None:
        for folder, record in list(self._records.items()):
            if record.dirty:
                within = self.torch_within if folder == self.torch_dir else self.hf_within
                within.folder(folder)
            record.save()
