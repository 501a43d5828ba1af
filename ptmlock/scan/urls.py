"""Which URLs name a model: the one place every detector asks (DATA: extensions and hosts).

- A Hugging Face file URL (``huggingface.co/<id>/resolve/<rev>/<file>``, also ``blob``/``raw``)
  pins repo, revision and file; a repo page names the repo.
- A URL of a checkpoint file (``.pth .pt .ckpt .safetensors .bin .onnx .gguf ...``) is a model
  on its face when it is on a release or model host; a download call that receives it makes any
  host enough. Images, video, audio, documents, datasets and configs never are; an archive is a
  model only when its name carries a checkpoint hash (``2DFAN4-cd938726ad.zip``), the torch hub
  convention, or a download call fetches it.
- A Google Drive file link (``ptmlock.gdrive``) is a model when a download call (gdown) fetches
  it, named by its canonical download URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ptmlock import gdrive
from ptmlock.scan.families import is_legacy_canonical

__all__ = ["HF_HOSTS", "HF_RESERVED", "UrlModel", "model_url", "names_data", "prefixed_id"]

HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
# first path segments of huggingface.co pages that are not models
HF_RESERVED = frozenset(
    {
        "docs", "blog", "spaces", "datasets", "papers", "settings", "join", "login", "pricing",
        "models", "organizations", "tasks", "learn", "enterprise", "new", "new-space",
        "new-dataset", "collections", "posts", "chat", "api", "privacy", "terms-of-service",
        "changelog", "inference-endpoints", "inference-api", "support", "transformers", "course",
        "welcome", "brand", "autotrain", "competitions", "storage", "jobs", "notifications",
        "search", "sitemap", "oauth", "billing", "pro", "contact", "huggingchat", "front",
        "static", "avatars", "mcp", "hub", "security", "status", "code-of-conduct",
    }
)  # fmt: skip
_REPO_ACTIONS = frozenset({"resolve", "blob", "tree", "raw", "discussions", "commit", "commits"})
CHECKPOINT_SUFFIXES = (
    ".pth", ".pt", ".ckpt", ".safetensors", ".bin", ".onnx", ".gguf", ".ggml", ".pkl", ".h5",
    ".hdf5", ".tflite", ".th", ".msgpack", ".pb", ".engine", ".mlmodel", ".caffemodel", ".npz",
    ".keras", ".joblib", ".model", ".tar.pth", ".pth.tar",
)  # fmt: skip
NOT_MODEL_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".ico", ".tif", ".tiff", ".mp4",
    ".avi", ".mov", ".mkv", ".webm", ".gif", ".wav", ".mp3", ".flac", ".ogg", ".m4a", ".txt",
    ".md", ".rst", ".html", ".htm", ".pdf", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".csv",
    ".tsv", ".parquet", ".arrow", ".py", ".ipynb", ".js", ".css", ".xml", ".whl", ".exe",
    ".dmg", ".deb", ".rpm", ".apk", ".sh", ".ps1", ".bat", ".msi", ".ttf", ".otf", ".woff",
)  # fmt: skip
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".7z", ".gz")
# words of a file name that say it holds data for training or evaluation, saved in a checkpoint
# format (``latent_gt_code1024.pth``: precomputed ground-truth codes), not weights
DATA_WORDS = frozenset({"gt", "groundtruth"})
_NAME_WORDS = re.compile(r"[^a-z0-9]+")
_HASHED_NAME = re.compile(r"[-_][0-9a-f]{6,64}(?:\.[a-z0-9]+)+$")
# hosts (or path markers) where a checkpoint file is a published model
_MODEL_HOSTS = (
    "download.pytorch.org", "dl.fbaipublicfiles.com", "openaipublic.azureedge.net",
    "openaipublic.blob.core.windows.net", "storage.googleapis.com", "s3.amazonaws.com",
    "dl.suno-models.io", "zenodo.org", "modelscope.cn", "www.modelscope.cn", "civitai.com",
    "objects.githubusercontent.com", "release-assets.githubusercontent.com",
)  # fmt: skip
_RELEASE_PATH = re.compile(r"/releases/download/|/-/releases/|/resolve/")
_HF_FILE = re.compile(
    r"/(?P<repo>[\w.-]+/[\w.-]+)/(?:resolve|blob|raw)/(?P<rev>[^/]+)/(?P<path>.+)"
)
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}(?:/[A-Za-z0-9][\w.-]{0,95})?")


@dataclass(frozen=True, slots=True)
class UrlModel:
    """What a model URL names: a Hub repo (maybe one file at a revision), or a URL checkpoint."""

    hub: str  # "huggingface" or "url"
    model: str
    revision: str | None = None
    files: tuple[str, ...] = ()


def model_url(url: str, *, downloaded: bool = False) -> UrlModel | None:
    """The model ``url`` names, or None. ``downloaded``: a download call receives it."""
    url = url.strip().rstrip(".,;:!?*_'\")]}>")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.hostname in HF_HOSTS:
        return _hub_url(parts.path)
    drive = gdrive.file_id(url)
    if drive is not None:  # a Drive link is a model when a download call (gdown) fetches it
        return UrlModel("url", gdrive.canonical_url(drive)) if downloaded else None
    path = parts.path.lower()
    if path.endswith(NOT_MODEL_SUFFIXES):
        return None
    clean = url.split("#", 1)[0]
    if path.endswith(CHECKPOINT_SUFFIXES):
        published = parts.hostname in _MODEL_HOSTS or bool(_RELEASE_PATH.search(parts.path))
        return UrlModel("url", clean) if published or downloaded else None
    name = path.rsplit("/", 1)[-1]
    if name.endswith(_ARCHIVES):  # tools and datasets ship as archives too
        return UrlModel("url", clean) if _HASHED_NAME.search(name) else None
    return UrlModel("url", clean) if downloaded and "." in name else None


def names_data(url: str) -> bool:
    """Whether the file ``url`` names says it is ground-truth data (``DATA_WORDS``)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    return not DATA_WORDS.isdisjoint(_NAME_WORDS.split(name))


def _hub_url(path: str) -> UrlModel | None:
    file = _HF_FILE.match(path)
    if file:
        repo = file["repo"]
        if repo.split("/", 1)[0] in HF_RESERVED or not _HUB_ID.fullmatch(repo):
            return None
        return UrlModel("huggingface", repo, file["rev"], (file["path"].split("?", 1)[0],))
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] in HF_RESERVED:
        return None
    if len(segments) >= 2 and segments[1] not in _REPO_ACTIONS:
        model = f"{segments[0]}/{segments[1]}"
    else:
        model = segments[0]
    model = model.removesuffix(".git")
    if not _HUB_ID.fullmatch(model) or "--" in model or ".." in model:
        return None
    if "/" not in model and not is_legacy_canonical(model):
        return None  # an organisation's or a user's page
    return UrlModel("huggingface", model)


# ``hf://org/name``, ``hf-hub:org/name``, ``//pretrained/org/name``: a Hub id behind a prefix
_PREFIXED = re.compile(r"(?:[a-z][\w+.-]*:(?://)?|//[\w.-]+/)([\w.-]+/[\w.-]+)")


def prefixed_id(text: str) -> str | None:
    """The ``org/name`` a prefixed string names (``hf-hub:org/name`` -> ``org/name``), if it
    has such a prefix; web and file URLs are not prefixes."""
    found = _PREFIXED.fullmatch(text)
    if found is None or text.startswith(("http:", "https:", "file:")):
        return None
    return found[1]
