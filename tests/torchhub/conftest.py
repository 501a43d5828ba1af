"""Fixtures for torch.hub repos, named weights and plain URLs, all served by the mirror.

``torch_env`` points every setting the resolvers read at the mirror: ``PTMLOCK_GITHUB_ENDPOINT``
at its GitHub part, ``PTMLOCK_URL_MIRRORS`` from the real hosts (download.pytorch.org,
openaipublic, github.com, raw.githubusercontent.com, example.com) to its plain files, release
downloads and raw repo files; and every cache
a library reads (``TORCH_HOME``, ``XDG_CACHE_HOME``, ``HOME``, the working folder) at fresh
folders. ``tables`` edits a copy of the shipped name tables, so a test can point an entry at
weights it built (the real entries name files of hundreds of MB).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import ptmlock.named
from ptmlock.mirror import MirrorServer, RepoStore
from tests.conftest import HfEnv

HOSTS = ("download.pytorch.org", "openaipublic.azureedge.net", "example.com")


@dataclass
class Tables:
    folder: Path

    def set(self, library: str, key: str, entry: dict[str, Any]) -> None:
        path = self.folder / f"{library}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["entries"][key] = entry
        data.get("aliases", {}).pop(key, None)
        path.write_text(json.dumps(data), encoding="utf-8")
        ptmlock.named._table.cache_clear()

    def alias(self, library: str, key: str, target: str) -> None:
        path = self.folder / f"{library}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data.setdefault("aliases", {})[key] = target
        path.write_text(json.dumps(data), encoding="utf-8")
        ptmlock.named._table.cache_clear()


@dataclass
class TorchEnv:
    mirror: MirrorServer
    store: RepoStore
    project: Path  # the application's folder (and the working folder)
    torch_home: Path
    xdg_cache: Path
    home: Path
    hf: HfEnv
    tables: Tables
    scan_requests: list[str] = field(default_factory=list)  # paths the last scan asked for

    @property
    def checkpoints(self) -> Path:
        return self.torch_home / "hub" / "checkpoints"

    def serve(self, url: str, data: bytes) -> None:
        """Serve ``data`` at the real ``url`` (through the URL mirror to ``/files``)."""
        host, _, path = url.removeprefix("https://").partition("/")
        target = self.store.root / "files" / host / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def redirect(self, url: str, to: str) -> None:
        """Answer the real ``url`` with a 302 to the real URL ``to``."""
        path = self.store.root / "redirects.json"
        table = json.loads(path.read_text()) if path.exists() else {}
        table["/files/" + url.removeprefix("https://")] = "/files/" + to.removeprefix("https://")
        path.write_text(json.dumps(table))


@pytest.fixture
def torch_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hf_env: HfEnv) -> Iterator[TorchEnv]:
    mirror = hf_env.mirror
    tables = tmp_path / "tables"
    shutil.copytree(Path(ptmlock.named.__file__).with_name("data"), tables)
    monkeypatch.setattr(ptmlock.named, "_DATA", tables)
    ptmlock.named._table.cache_clear()
    project, home = tmp_path / "app", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    mirrors = [f"https://{host}/={mirror.url}/files/{host}/" for host in HOSTS]
    mirrors.append(f"https://github.com/={mirror.url}/")
    mirrors.append(f"https://raw.githubusercontent.com/={mirror.url}/github-raw/")
    monkeypatch.setenv("PTMLOCK_URL_MIRRORS", " ".join(mirrors))
    monkeypatch.setenv("PTMLOCK_GITHUB_ENDPOINT", f"{mirror.url}/github")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.chdir(project)
    yield TorchEnv(
        mirror=mirror,
        store=mirror.store,
        project=project,
        torch_home=tmp_path / "torch",
        xdg_cache=tmp_path / "xdg",
        home=home,
        hf=hf_env,
        tables=Tables(tables),
    )
    ptmlock.named._table.cache_clear()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
