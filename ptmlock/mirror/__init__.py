"""A read-only Hugging Face Hub-compatible server over a directory of model repos."""

from ptmlock.mirror.build import import_folders, import_hf_cache
from ptmlock.mirror.faults import HOSTILE_NAMES, Fault, Faults
from ptmlock.mirror.server import LoggedRequest, MirrorServer, RequestLog, serve
from ptmlock.mirror.store import Commit, FileEntry, RepoStore, UnknownRepo, UnknownRevision

__all__ = [
    "HOSTILE_NAMES",
    "Commit",
    "Fault",
    "Faults",
    "FileEntry",
    "LoggedRequest",
    "MirrorServer",
    "RepoStore",
    "RequestLog",
    "UnknownRepo",
    "UnknownRevision",
    "import_folders",
    "import_hf_cache",
    "serve",
]
