"""The data that flows through ptmlock: references found in a project, and the lock.

Everything here is a frozen dataclass with no I/O, so every stage can be tested on plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "HUBS",
    "BaseModelRef",
    "Confidence",
    "Lock",
    "LockedFile",
    "LockedModel",
    "ModelRequest",
    "Reference",
    "Requirement",
    "ScanHub",
    "ScanResult",
    "Skipped",
]

HubName = Literal["huggingface", "pytorch_hub", "url"]
HUBS: tuple[HubName, ...] = ("huggingface", "pytorch_hub", "url")
# what a scan may report: also ``other``, ecosystems no hub here can lock yet (Ollama tags,
# torchaudio bundles, demucs, rembg, Keras applications, ...), named ``<ecosystem>/<name>``
ScanHub = Literal["huggingface", "pytorch_hub", "url", "other"]
Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Reference:
    """One place in a project that loads (or names) a model.

    ``file:line`` is where the model is named: the literal (or the config, shell or doc line),
    which for a literal passed straight to the loader is the loading call itself. ``chain`` says
    how it gets from there to the loading call, one ``file:line what`` hop each. ``model`` is None
    when the site loads a model whose name can't be found statically; ``reason`` then says why.
    ``how`` tells how the value reached the call (``literal``, ``constant``, ``default``,
    ``argparse``, ``env-default``, ``config``, ``collection``, ``doc``, ...).
    """

    file: str  # relative to the scanned root, "/"-separated
    line: int
    hub: ScanHub
    model: str | None
    revision: str | None = None
    api: str  # the loader, e.g. "transformers.AutoModel.from_pretrained"
    how: str = "literal"
    confidence: Confidence = "high"
    library: str = "transformers"  # which file-selection policy applies (see hubs/selection.py)
    files: tuple[str, ...] = ()  # exact files the call reads (hf_hub_download), empty = policy
    group: str | None = None  # interchangeable models offered for one role
    reason: str | None = None  # why ``model`` is None
    family: str | None = None
    modality: str | None = None
    chain: tuple[str, ...] = ()  # hops from where it is named to the loading call
    # url: the folder the download call saves into, relative to where the application runs
    # (``load_file_from_url(url, model_dir="weights/facelib")``); None: the library's own folder
    folder: str | None = None

    @property
    def resolved(self) -> bool:
        return self.model is not None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A path the scan passed over on purpose (vendored code, a virtualenv, ...)."""

    path: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanResult:
    references: tuple[Reference, ...]
    skipped: tuple[Skipped, ...] = ()
    files_scanned: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelRequest:
    """What locking asks a hub to pin: one model, merged over all references to it."""

    hub: HubName
    id: str
    requested: str | None = None  # branch, tag or sha; None = the hub's default
    libraries: tuple[str, ...] = ("transformers",)  # whose file policies apply (hubs/selection.py)
    files: tuple[str, ...] = ()  # exact files the project reads, beside the policies' choice
    patterns: tuple[str, ...] = ()  # user-set allow patterns, override the library policy
    used_by: tuple[str, ...] = ()
    loaders: tuple[str, ...] = ()
    group: str | None = None
    required_by: tuple[str, ...] = ()  # models whose loading reads this repo (``Requirement``)
    folder: str | None = None  # url: where the download call saves it (``Reference.folder``)


@dataclass(frozen=True, kw_only=True, slots=True)
class Requirement:
    """Another repo a model's loader reads from, found in the model's own files at lock time.

    Remote code that ``auto_map`` names in another repo (``org/other--modeling_x.Cls``), the
    tokenizer an open_clip config names (``text_cfg.hf_tokenizer_name``), the base model of a PEFT
    adapter. Locking pins it as a model of its own (``required_by`` the one that needs it).
    """

    id: str
    revision: str | None = None  # what the model's files ask for (None: the default branch)
    library: str = "transformers"  # the file policy for the other repo (hubs/selection.py)
    files: tuple[str, ...] = ()  # exact files read from it (remote code modules)
    why: str = ""  # what in the model's files names it, e.g. "config.json auto_map"


@dataclass(frozen=True, kw_only=True, slots=True)
class LockedFile:
    path: str  # relative to the model root, "/"-separated, never escaping it
    size: int
    sha256: str
    url: str | None = None  # only for hubs that fetch files by URL (url, pytorch_hub weights)
    resolved_url: str | None = None  # where ``url`` redirected to when it was locked


@dataclass(frozen=True, kw_only=True, slots=True)
class BaseModelRef:
    """A model this one derives from, as the model card says."""

    id: str
    relation: str = "finetune"  # finetune | adapter | quantized | merge | unknown


@dataclass(frozen=True, kw_only=True, slots=True)
class LockedModel:
    hub: HubName
    id: str
    revision: str  # full commit sha (or, for url, the sha256 of the single file)
    requested: str | None = None
    # the hub endpoint the pin was resolved against, without credentials (ptmlock.endpoint);
    # None for hubs whose id is already an absolute location, and in locks made before it
    endpoint: str | None = None
    files: tuple[LockedFile, ...] = ()
    # pytorch_hub: the branch torch.hub picks when the project names no ref (main, else master)
    branch: str | None = None
    entries: tuple[str, ...] = ()  # pytorch_hub: the hubconf entry points the project loads
    # where and how the project uses it
    used_by: tuple[str, ...] = ()
    loaders: tuple[str, ...] = ()
    group: str | None = None
    libraries: tuple[str, ...] = ()  # whose file policies chose the files (hubs/selection.py)
    patterns: tuple[str, ...] = ()  # user patterns and exact file names, beside the policies
    # url: the folder, relative to where the application runs, its download call saves into
    folder: str | None = None
    # repo paths the loaders probe that the repo lacks at ``revision``: install writes the
    # negative-cache markers huggingface_hub reads (``.no_exist/<revision>/<path>``); not content
    absent: tuple[str, ...] = ()
    requires: tuple[Requirement, ...] = ()  # other repos the loaders read (locked beside it)
    required_by: tuple[str, ...] = ()  # ids of the locked models whose loading reads this one
    # facts from the hub and the model card, captured at lock time (nothing secret)
    license: str | None = None
    base_models: tuple[BaseModelRef, ...] = ()
    datasets: tuple[str, ...] = ()
    task: str | None = None
    library_name: str | None = None
    gated: bool = False
    card_sha256: str | None = None
    parameters: int | None = None
    last_modified: str | None = None  # ISO 8601 date of the pinned commit
    family: str | None = None
    architecture: str | None = None

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def key(self) -> tuple[str, str]:
        return (self.hub, self.id)


@dataclass(frozen=True, kw_only=True, slots=True)
class Lock:
    version: int = 1
    models: tuple[LockedModel, ...] = field(default_factory=tuple)

    def find(self, hub: str, model_id: str) -> LockedModel | None:
        return next((m for m in self.models if m.key == (hub, model_id)), None)
