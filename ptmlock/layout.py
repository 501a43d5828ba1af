"""Where each locked file lives on disk, per hub, so loaders find it with no code change.

- ``huggingface``: the Hugging Face cache (cache.py): bytes in ``blobs/<sha256>``, the path the
  application opens is ``snapshots/<commit>/<path>``, a relative link to the blob.
- ``url``: torch's checkpoint folder, ``$TORCH_HOME/hub/checkpoints/<file name>``, where
  ``torch.hub.load_state_dict_from_url`` (and torchvision) looks before downloading; weights a
  library names go where that library looks: whisper ``$XDG_CACHE_HOME/whisper`` (default
  ``~/.cache/whisper``), CLIP and open_clip ``~/.cache/clip``, facexlib, and the URLs GFPGAN's and
  Real-ESRGAN's restorers download, the folders those libraries save in (``facexlib_dir``,
  ``gfpgan_dir``, ``realesrgan_dir``), ultralytics the folder the
  application runs in (``YOLO("yolov8n.pt")`` opens ``./yolov8n.pt`` first), as do Google Drive
  files (``gdown.download`` saves there, under the name the server gives).
- ``pytorch_hub``: the repo's files in ``$TORCH_HOME/hub/<owner>_<repo>_<ref>/``, where
  ``torch.hub.load`` looks for the ref, and its weights in ``$TORCH_HOME/hub/checkpoints``.

Install and verify ask a Layout; they never build these paths themselves. Every folder a
placement writes into is made through its ``within`` (confine.py): it must resolve inside its root.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ptmlock import gdrive
from ptmlock.cache import ModelCache, VerifiedRecord
from ptmlock.confine import Confinement
from ptmlock.env import hf_cache_dir
from ptmlock.errors import UnsafePathError
from ptmlock.lockfile import safe_relpath
from ptmlock.models import LockedFile, LockedModel
from ptmlock.named import named_download

__all__ = [
    "Layout",
    "Placement",
    "clip_dir",
    "facexlib_dir",
    "gfpgan_dir",
    "realesrgan_dir",
    "repo_folder",
    "torch_checkpoints_dir",
    "whisper_dir",
]


def _xdg_cache() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg).expanduser() if xdg else Path.home() / ".cache"


def whisper_dir() -> Path:
    """openai-whisper's ``download_root`` default."""
    return _xdg_cache() / "whisper"


def _package_parent(package: str) -> Path:
    """The folder that holds the installed ``package`` (found without importing it), else the
    working folder (a copy vendored at the application's root, as applications ship them)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).parent
    return Path.cwd()


def facexlib_dir() -> Path:
    """Where facexlib's ``load_file_from_url`` saves: ``<root>/facexlib/weights``, its root the
    folder that holds the facexlib package."""
    return _package_parent("facexlib") / "facexlib" / "weights"


def gfpgan_dir() -> Path:
    """Where ``GFPGANer(model_path=URL)`` saves: ``<root>/gfpgan/weights``."""
    return _package_parent("gfpgan") / "gfpgan" / "weights"


def realesrgan_dir() -> Path:
    """Where ``RealESRGANer(model_path=URL)`` saves: ``<root>/weights`` (its root, as for the
    others, the folder that holds the package: in an installed one, site-packages itself)."""
    return _package_parent("realesrgan") / "weights"


def clip_dir() -> Path:
    """CLIP's and open_clip's download folder (both ignore XDG_CACHE_HOME)."""
    return Path.home() / ".cache" / "clip"


def repo_folder(model: LockedModel) -> str:
    """The folder under ``$TORCH_HOME/hub`` torch.hub keeps a repo's ref in: ``owner_repo_ref``
    (a ``/`` in the ref becomes ``_``, as torch.hub does)."""
    owner, _, repo = model.id.partition("/")
    ref = model.requested or model.branch or "main"
    return "_".join([owner, repo, ref.replace("/", "_")])


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

    def __init__(
        self,
        hf_cache: Path | None = None,
        torch_dir: Path | None = None,
        library_dirs: Mapping[str, Path] | None = None,
    ) -> None:
        self.hf_cache = hf_cache or hf_cache_dir()
        self.torch_dir = torch_dir or torch_checkpoints_dir()
        # where each library that names its own weights keeps them (ptmlock.named tables)
        self.library_dirs = {
            "whisper": whisper_dir(),
            "clip": clip_dir(),
            "open_clip": clip_dir(),
            "ultralytics": Path.cwd(),
            "facexlib": facexlib_dir(),
            "gfpgan": gfpgan_dir(),
            "realesrgan": realesrgan_dir(),
            "gdown": Path.cwd(),  # gdown.download saves in the working folder
        } | dict(library_dirs or {})
        self.app_dir = Path.cwd()  # where the application runs: ``folder`` is relative to it
        self._records: dict[Path, VerifiedRecord] = {}
        self._lock = threading.Lock()
        self._roots: dict[Path, Confinement] = {}
        self.hf_within = self._within(self.hf_cache)

    @property
    def torch_hub(self) -> Path:
        """``$TORCH_HOME/hub``: the parent of the checkpoints folder."""
        return self.torch_dir.parent

    def place(self, model: LockedModel, file: LockedFile) -> Placement:
        if model.hub == "url":
            return self._place_url(file, self._url_folder(model))
        if model.hub == "pytorch_hub":
            return self._place_torch_hub(model, file)
        cache = ModelCache(self.hf_cache, model.id)
        return Placement(
            final=cache.blob(file.sha256),
            lock=cache.lock_file(file.sha256),
            record=self._record(cache.repo),
            opened=cache.snapshot(model.revision, file.path),
            link_target=cache.link_target(model.revision, file.path, file.sha256),
            within=self.hf_within,
        )

    def _url_folder(self, model: LockedModel) -> Path:
        """The folder the download call names (under the working folder: where the application
        runs), else the folder of the library that names or downloads the file, else torch's."""
        if model.folder is not None:
            if not safe_relpath(model.folder):
                raise UnsafePathError(f"{model.id}: unsafe folder {model.folder!r}")
            return self.app_dir / model.folder
        named = named_download(model.id)
        if named is not None:
            return self.library_dirs.get(named.library) or self.torch_dir
        if gdrive.file_id(model.id):
            return self.library_dirs["gdown"]
        folders = [self.library_dirs[lib] for lib in model.libraries if lib in self.library_dirs]
        return folders[0] if folders else self.torch_dir

    def _place_url(self, file: LockedFile, folder: Path) -> Placement:
        if not safe_relpath(file.path) or "/" in file.path:
            raise UnsafePathError(f"unsafe checkpoint file name {file.path!r}")
        final = folder / file.path
        return Placement(
            final=final,
            lock=folder / ".locks" / f"{file.sha256}.lock",
            record=self._record(folder),
            opened=final,
            link_target=None,
            within=self._within(folder),
        )

    def _place_torch_hub(self, model: LockedModel, file: LockedFile) -> Placement:
        """Weights (files with a URL) in the checkpoints folder, code in the repo's folder."""
        if file.url:
            return self._place_url(replace(file, path=file.path.rsplit("/", 1)[-1]), self.torch_dir)
        folder = repo_folder(model)
        if not safe_relpath(folder) or "/" in folder or not safe_relpath(file.path):
            raise UnsafePathError(f"{model.id}: unsafe torch.hub path {folder}/{file.path!r}")
        final = self.torch_hub / folder / file.path
        return Placement(
            final=final,
            lock=self.torch_hub / ".locks" / f"{file.sha256}.lock",
            # beside the repo's folder, not in it: torch.hub puts that folder on sys.path
            record=self._record(self.torch_hub, f".ptmlock-verified.{folder}.json"),
            opened=final,
            link_target=None,
            within=self._within(self.torch_hub),
        )

    def _record(self, folder: Path, name: str = ".ptmlock-verified.json") -> VerifiedRecord:
        path = folder / name
        with self._lock:
            if path not in self._records:
                self._records[path] = VerifiedRecord(path)
            return self._records[path]

    def _within(self, root: Path) -> Confinement:
        """The one Confinement of ``root`` (its checks are remembered across placements)."""
        with self._lock:
            if root not in self._roots:
                self._roots[root] = Confinement(root)
            return self._roots[root]

    def save(self) -> None:
        for path, record in list(self._records.items()):
            if record.dirty:  # its folder checked against the deepest root that holds it
                folder = path.parent
                roots = [r for r in self._roots if r == folder or r in folder.parents]
                root = max(roots, key=lambda r: len(r.parts)) if roots else folder
                self._within(root).folder(folder)
            record.save()
