"""URL checkpoints: pinned by sha256, installed where torch looks, verified on every byte."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.hubs.url import UrlHub, file_name
from ptmlock.install import install
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import Lock, ModelRequest
from ptmlock.retry import RetryPolicy
from ptmlock.verify import verify
from tests.conftest import HfEnv

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
WEIGHTS = os.urandom(2 * 1024 * 1024 + 3)


def _url(store: RepoStore, mirror: MirrorServer) -> str:
    store.commit("vision/resnet", {"resnet50-0676ba61.pth": WEIGHTS})
    return f"{mirror.url}/vision/resnet/resolve/main/resnet50-0676ba61.pth"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://download.pytorch.org/models/resnet50-0676ba61.pth", "resnet50-0676ba61.pth"),
        ("https://example.com/a%20b.ckpt?x=1", "a b.ckpt"),
        ("https://example.com/", None),
        ("torchvision/resnet50:DEFAULT", None),
        ("file:///etc/passwd", None),
        ("https://example.com/..", None),
    ],
)
def test_file_name_of_a_url(url: str, name: str | None) -> None:
    assert file_name(url) == name


def test_url_resolve_pins_the_bytes(store: RepoStore, mirror: MirrorServer, hf_env: HfEnv) -> None:
    url = _url(store, mirror)
    locked = UrlHub(policy=FAST).resolve(ModelRequest(hub="url", id=url, libraries=("url",)))
    sha = hashlib.sha256(WEIGHTS).hexdigest()
    assert (locked.revision, locked.files[0].sha256, locked.files[0].size) == (
        sha,
        sha,
        len(WEIGHTS),
    )
    assert locked.files[0].path == "resnet50-0676ba61.pth" and locked.files[0].url == url


def test_url_install_goes_to_torch_checkpoints_and_resumes(
    store: RepoStore, mirror: MirrorServer, hf_env: HfEnv, tmp_path: Path
) -> None:
    hub = UrlHub(policy=FAST)
    lock = Lock(models=(hub.resolve(ModelRequest(hub="url", id=_url(store, mirror))),))
    fault = mirror.faults.add(kind="truncate", match="resnet50", after_bytes=700_000, times=1)
    torch_dir = tmp_path / "torch" / "hub" / "checkpoints"
    install(lock, hubs={"url": hub}, torch_dir=torch_dir, policy=FAST)
    assert fault.fired == 1
    assert (torch_dir / "resnet50-0676ba61.pth").read_bytes() == WEIGHTS
    assert next(r.range for r in mirror.requests if r.range) != "bytes=0-"
    assert verify(lock, torch_dir=torch_dir, full=True).ok


def test_url_install_refuses_changed_bytes_at_the_same_url(
    store: RepoStore, mirror: MirrorServer, hf_env: HfEnv, tmp_path: Path
) -> None:
    hub = UrlHub(policy=FAST)
    url = _url(store, mirror)
    lock = Lock(models=(hub.resolve(ModelRequest(hub="url", id=url)),))
    store.commit("vision/resnet", {"resnet50-0676ba61.pth": WEIGHTS[::-1]})  # same URL, new bytes
    torch_dir = tmp_path / "torch"
    with pytest.raises(errors.IntegrityError, match="sha256 mismatch"):
        install(lock, hubs={"url": hub}, torch_dir=torch_dir, policy=FAST)
    assert not (torch_dir / "resnet50-0676ba61.pth").exists()


def test_url_errors(store: RepoStore, mirror: MirrorServer, hf_env: HfEnv) -> None:
    hub = UrlHub(policy=FAST)
    with pytest.raises(errors.EntryNotFoundError, match="404"):
        hub.resolve(ModelRequest(hub="url", id=_url(store, mirror).replace("resnet50", "vgg")))
    with pytest.raises(errors.HubUnreachableError, match=r"127\.0\.0\.1:9"):
        hub.resolve(ModelRequest(hub="url", id="http://127.0.0.1:9/x.pt"))
    assert hub.accepts("torchvision/resnet50:DEFAULT")  # a name in the shipped table
    assert not hub.accepts("torchvision/no_such_arch:DEFAULT")
