"""Per-loader transforms: a loader's own spelling of a model -> where it lives on a hub.

Each row of ``signatures.SIGNATURES`` names one of these. A transform turns the value the call
receives into a ``Target`` (hub, model id, and sometimes revision, files and library), or
rejects it: a local path, a checkpoint the library builds from scratch. Ids for things that are
not Hub repos are described in ``signatures``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from ptmlock.models import ScanHub
from ptmlock.named import hub_repo, named_default, named_download, named_function
from ptmlock.scan.families import is_legacy_canonical
from ptmlock.scan.python.values import Symbol
from ptmlock.scan.urls import model_url

__all__ = [
    "CallFacts",
    "Target",
    "Transform",
    "clip_name",
    "diffusers_single_file",
    "facexlib_default",
    "facexlib_model",
    "faster_whisper",
    "hf_repo",
    "is_bare_name",
    "is_hub_id",
    "lpips_net",
    "ollama_id",
    "ollama_request",
    "ollama_tag",
    "open_clip_model",
    "path_or_url",
    "scoped",
    "shell_command",
    "spacy_pipeline",
    "timm_model",
    "timm_pretrained_cfg",
    "torch_hub_repo",
    "torchvision_arch",
    "torchvision_get_model",
    "ultralytics_asset",
    "url_file",
    "whisper_name",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class CallFacts:
    """What a transform may know about the call besides the model value."""

    qualname: str  # the call's resolved dotted name
    extras: Mapping[str, object] = field(default_factory=dict)  # Signature.extras, resolved
    directories: frozenset[str] = frozenset()  # the project's directories: local paths


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """Where a resolved value points; ``library`` None keeps the row's library."""

    hub: ScanHub
    model: str
    revision: str | None = None
    files: tuple[str, ...] = ()
    library: str | None = None


def is_bare_name(target: Target) -> bool:
    """A Hub id without an organisation that is not one of the Hub's old canonical models
    (``gpt2``, ``t5-base``) is only believable written in the loader call itself."""
    return (
        target.hub == "huggingface"
        and "/" not in target.model
        and not target.files
        and not is_legacy_canonical(target.model)
    )


# --- precision: what a Hub id looks like --------------------------------------------------

_HUB_ID = re.compile(r"(?:\b[\w.-]{1,96}\b/)?\b[\w.-]{1,96}\b")
_FILE_SUFFIXES = (
    ".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".onnx", ".gguf", ".ggml", ".h5", ".hdf5",
    ".keras", ".pb", ".tflite", ".engine", ".pkl", ".pickle", ".joblib", ".msgpack", ".npz",
    ".npy", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".txt", ".csv", ".tsv", ".parquet",
    ".tar", ".gz", ".tgz", ".zip", ".py", ".ipynb", ".md", ".wav", ".mp3", ".png", ".jpg",
    ".jpeg", ".model", ".xml", ".html",
)  # fmt: skip


def is_hub_id(value: object, directories: frozenset[str] = frozenset()) -> bool:
    """Whether ``value`` is shaped like a Hugging Face repo id and not a local path.

    Follows huggingface_hub's ``validate_repo_id`` (``name`` or ``namespace/name``, word
    characters, ``-`` and ``.``, no ``--``/``..``) and rejects what names a file or folder:
    a path prefix, a file extension, or a directory that exists in the project.
    """
    if not isinstance(value, str) or not _HUB_ID.fullmatch(value):
        return False
    if "--" in value or ".." in value or value.endswith(".git") or value.isdigit():
        return False
    if value.lower().endswith(_FILE_SUFFIXES):
        return False
    return value not in directories and value.split("/", 1)[0] not in directories


def _url_target(value: object, *, downloaded: bool = True) -> Target | None:
    """A Hub file URL pins repo, revision and file; a checkpoint URL is a ``url`` model."""
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return None
    found = model_url(value, downloaded=downloaded)
    if found is None:
        return None
    if found.hub == "huggingface":
        return Target(
            hub="huggingface",
            model=found.model,
            revision=found.revision,
            files=found.files,
            library="file" if found.files else None,
        )
    return Target(hub="url", model=found.model, library="url")


# --- transforms: the loader's spelling of a model -> a hub id -----------------------------


def hf_repo(value: object, facts: CallFacts) -> Target | None:
    """A plain Hub id, as ``from_pretrained`` and most loaders take it."""
    if is_hub_id(value, facts.directories):
        assert isinstance(value, str)
        return Target(hub="huggingface", model=value)
    return None


def url_file(value: object, facts: CallFacts) -> Target | None:
    """``torch.hub.load_state_dict_from_url`` and friends: an http(s) URL."""
    return _url_target(value)


def diffusers_single_file(value: object, facts: CallFacts) -> Target | None:
    """``from_single_file``: a URL of one checkpoint (a Hub file URL pins repo and file)."""
    return _url_target(value)


_HF_HUB_PREFIXES = ("hf-hub:", "hf_hub:")


def _strip_hf_hub(value: object, facts: CallFacts) -> Target | None:
    if isinstance(value, str) and value.startswith(_HF_HUB_PREFIXES):
        return hf_repo(value.split(":", 1)[1], facts)
    return None


def timm_model(value: object, facts: CallFacts) -> Target | None:
    """``timm.create_model``: ``hf-hub:org/name``, or a name with ``pretrained=True``.

    timm hosts its pretrained weights on the Hub as ``timm/<arch>.<tag>``; an untagged arch
    gets timm's default tag from the shipped table (``ptmlock.named``).
    """
    if isinstance(value, str) and value.startswith(_HF_HUB_PREFIXES):
        return _strip_hf_hub(value, facts)
    if facts.extras.get("pretrained") is True and isinstance(value, str):
        return _timm_repo(value, facts)
    return None


def _timm_repo(name: str, facts: CallFacts) -> Target | None:
    """``timm/<name>`` as the code writes it (``resnet50``, a renamed ``vit_..._in21k``):
    locking pins the Hub repo timm reads it from (``ptmlock.named.locked_id``)."""
    target = hf_repo(f"timm/{name}", facts)
    return replace(target, library="timm-named") if target else None


def facexlib_model(value: object, facts: CallFacts) -> Target | None:
    """facexlib ``init_detection_model("retinaface_resnet50")`` (and its other task
    functions): the checkpoint that function's branch for the name downloads."""
    function = facts.qualname.rsplit(".", 1)[-1]
    if not isinstance(value, str) or named_function("facexlib", value) != function:
        return None
    download = named_download(f"facexlib/{value}")
    files = (download.file,) if download else ()
    return Target(hub="url", model=f"facexlib/{value}", files=files)


def facexlib_default(facts: CallFacts) -> str | None:
    """The name a facexlib task function loads when the call names none."""
    return named_default("facexlib", facts.qualname.rsplit(".", 1)[-1])


def timm_pretrained_cfg(value: object, facts: CallFacts) -> Target | None:
    """``load_custom_pretrained(model, default_cfgs["vit_base_patch16_224"])``: an entry of a
    timm model module's own ``default_cfgs`` table, named by its key."""
    if not isinstance(value, Symbol) or value.key is None:
        return None
    if not value.qualname.startswith("timm.") or not value.qualname.endswith("_cfgs"):
        return None
    return _timm_repo(value.key, facts)


def open_clip_model(value: object, facts: CallFacts) -> Target | None:
    """open_clip: ``hf-hub:org/name``, or an architecture with a ``pretrained`` tag."""
    if isinstance(value, str) and value.startswith(_HF_HUB_PREFIXES):
        return _strip_hf_hub(value, facts)
    tag = facts.extras.get("pretrained")
    if isinstance(value, str) and isinstance(tag, str) and tag and "/" not in tag:
        known = hub_repo("open_clip", f"{value}:{tag}")  # open_clip prefers the Hub copy
        if known:
            return Target(hub="huggingface", model=known[0], files=known[1])
        return Target(hub="url", model=f"open_clip/{value}:{tag}")
    return None


_GITHUB_REPO = re.compile(r"[\w.-]+/[\w.-]+")


def torch_hub_repo(value: object, facts: CallFacts) -> Target | None:
    """``torch.hub.load("owner/repo[:ref]", entry)``: a GitHub repo, the ref its revision; the
    entry point, when known, is the "file" the call reads (its weights are locked with it)."""
    if not isinstance(value, str):
        return None
    repo, _, ref = value.partition(":")
    if not _GITHUB_REPO.fullmatch(repo) or repo.split("/", 1)[0] in facts.directories:
        return None
    entry = facts.extras.get("model")
    entries = (entry,) if isinstance(entry, str) and entry.isidentifier() else ()
    return Target(hub="pytorch_hub", model=repo, revision=ref or None, files=entries)


def _weights_tag(value: object) -> str | None:
    """``ResNet50_Weights.IMAGENET1K_V2`` (enum or string) -> ``IMAGENET1K_V2``."""
    if value is True:
        return "legacy"
    if isinstance(value, Symbol):
        value = value.qualname
    if isinstance(value, str) and value:
        return value.rsplit(".", 1)[-1]
    return None


def torchvision_arch(value: object, facts: CallFacts) -> Target | None:
    """``torchvision.models.resnet50(weights=...)`` -> ``torchvision/resnet50:<WEIGHTS>``."""
    arch = facts.qualname.rsplit(".", 1)[-1]
    tag = _weights_tag(value)
    if tag is None or not arch[:1].islower() or arch.startswith(("get_", "list_")):
        return None
    return Target(hub="url", model=f"torchvision/{arch}:{tag}")


def torchvision_get_model(value: object, facts: CallFacts) -> Target | None:
    """``torchvision.models.get_model("resnet50", weights=...)``."""
    tag = _weights_tag(facts.extras.get("weights"))
    if not isinstance(value, str) or tag is None or tag == "legacy":
        return None
    return Target(hub="url", model=f"torchvision/{value.lower()}:{tag}")


_WHISPER = re.compile(r"(?:tiny|base|small|medium)(?:\.en)?|large(?:-v[123])?|large-v3-turbo|turbo")


def whisper_name(value: object, facts: CallFacts) -> Target | None:
    """openai-whisper ``load_model("base")``; a checkpoint path is local."""
    if isinstance(value, str) and _WHISPER.fullmatch(value):
        return Target(hub="url", model=f"whisper/{value}")
    return None


_FASTER_WHISPER = {
    "large": "Systran/faster-whisper-large-v3",
    "turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    "large-v3-turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    "distil-large-v2": "Systran/faster-distil-whisper-large-v2",
    "distil-medium.en": "Systran/faster-distil-whisper-medium.en",
    "distil-small.en": "Systran/faster-distil-whisper-small.en",
    "distil-large-v3": "Systran/faster-distil-whisper-large-v3",
}


def faster_whisper(value: object, facts: CallFacts) -> Target | None:
    """faster-whisper ``WhisperModel("small")`` -> ``Systran/faster-whisper-small``."""
    if isinstance(value, str) and value in _FASTER_WHISPER:
        return Target(hub="huggingface", model=_FASTER_WHISPER[value])
    if isinstance(value, str) and _WHISPER.fullmatch(value):
        return Target(hub="huggingface", model=f"Systran/faster-whisper-{value}")
    return hf_repo(value, facts) if isinstance(value, str) and "/" in value else None


_CLIP = re.compile(r"RN50(?:x4|x16|x64)?|RN101|ViT-[BL]/(?:14|16|32)(?:@336px)?")


def clip_name(value: object, facts: CallFacts) -> Target | None:
    """OpenAI CLIP ``clip.load("ViT-B/32")``."""
    if isinstance(value, str) and _CLIP.fullmatch(value):
        return Target(hub="url", model=f"clip/{value}")
    return None


_SPACY = re.compile(r"[a-z]{2}_[a-z]+_[a-z]+_(?:sm|md|lg|trf)")


def spacy_pipeline(value: object, facts: CallFacts) -> Target | None:
    """``spacy.load("en_core_web_sm")`` -> ``spacy/en_core_web_sm`` on the Hub."""
    if isinstance(value, str) and _SPACY.fullmatch(value):
        return Target(hub="huggingface", model=f"spacy/{value}")
    return None


_ULTRALYTICS_ASSETS = ("yolo", "rtdetr", "sam", "mobile_sam", "fastsam")


def ultralytics_asset(value: object, facts: CallFacts) -> Target | None:
    """``YOLO("yolov8n.pt")``: a released asset; ``best.pt`` or ``*.yaml`` are not."""
    if not isinstance(value, str) or "/" in value or not value.endswith(".pt"):
        return None
    if not value.lower().startswith(_ULTRALYTICS_ASSETS):
        return None
    return Target(hub="url", model=f"ultralytics/{value}")


Transform = Callable[[object, CallFacts], Target | None]


# --- ecosystems no hub here can lock yet: inventoried as ``<ecosystem>/<name>`` -------------

_OLLAMA_TAG = re.compile(
    r"[a-z][\w.-]*(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?|[\w.-]+/[\w.-]+(?::[\w.-]+)?"
)


def ollama_tag(value: object, facts: CallFacts) -> Target | None:
    """``ollama.chat(model="qwen3:8b")``: an Ollama tag (listed, not locked). Ollama names are
    lower case; an ``org/Name`` there is a Hub id the code also sends elsewhere."""
    if not isinstance(value, str) or value != value.lower() or value.startswith("http"):
        return None
    if "/" in value and not value.startswith(("hf.co/", "huggingface.co/")):
        return None
    if _OLLAMA_TAG.fullmatch(value):
        return Target(hub="other", model=ollama_id(value), library="ollama")
    return None


def ollama_id(tag: str) -> str:
    """``qwen3`` is ``qwen3:latest`` to Ollama: the id says so."""
    return f"ollama/{tag if ':' in tag.split('/')[-1] else tag + ':latest'}"


_OLLAMA_API = re.compile(r"/api/(?:generate|chat|pull|embed|embeddings|show|create)\b")


def ollama_request(value: object, facts: CallFacts) -> Target | None:
    """``requests.post(f"{host}/api/generate", json={"model": ...})``: Ollama's REST API."""
    url = facts.extras.get("url")
    if not isinstance(url, str) or not _OLLAMA_API.search(url):
        return None
    return ollama_tag(value, facts)


def scoped(ecosystem: str, pattern: str = r"[\w.-]+") -> Transform:
    """A model a library names itself (``demucs/htdemucs``, ``rembg/u2net``), not lockable."""
    compiled = re.compile(pattern)

    def transform(value: object, facts: CallFacts) -> Target | None:
        if isinstance(value, str) and compiled.fullmatch(value):
            return Target(hub="other", model=f"{ecosystem}/{value}", library=ecosystem)
        return None

    return transform


# --- libraries that fix the download themselves (DATA: their own names -> what they fetch) ---

_LPIPS_NETS = {"alex": "alexnet", "vgg": "vgg16", "vgg16": "vgg16", "squeeze": "squeezenet1_1"}


def lpips_net(value: object, facts: CallFacts) -> Target | None:
    """``lpips.LPIPS(net="vgg")``: the torchvision backbone it builds with ImageNet weights
    (its own linear layers ship inside the pip package)."""
    if isinstance(value, str) and value in _LPIPS_NETS:
        return Target(hub="url", model=f"torchvision/{_LPIPS_NETS[value]}:legacy")
    return None


def path_or_url(value: object, facts: CallFacts) -> Target | None:
    """``GFPGANer(model_path=...)``: a URL is downloaded, anything else is a local file. A
    checkpoint URL keeps the row's library: the restorer saves it in its own folder."""
    target = _url_target(value)
    return replace(target, library=None) if target and target.hub == "url" else target


_SHELL_FETCH = re.compile(r"\b(?:wget|curl)\b[^|;&]*?(https?://\S+)")
_SHELL_HF = re.compile(r"\b(?:hf|huggingface-cli)\s+download\s+([\w.-]+/[\w.-]+)")


def shell_command(value: object, facts: CallFacts) -> Target | None:
    """``os.system("wget URL -P weights")``: what the command downloads."""
    if not isinstance(value, str):
        return None
    fetched = _SHELL_FETCH.search(value)
    if fetched:
        return _url_target(fetched.group(1).strip("'\""))
    hub = _SHELL_HF.search(value)
    if hub and is_hub_id(hub.group(1)):
        return Target(hub="huggingface", model=hub.group(1), library="snapshot")
    return None
