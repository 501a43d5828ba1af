"""Cache and filesystem: nothing is written outside the cache through a planted symlink."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import install
from ptmlock.models import Lock
from ptmlock.retry import RetryPolicy
from tests.hostile.hubs import SHA, hub_script, locked_readme
from tests.hostile.servers import ScriptedServer

ONCE = RetryPolicy(attempts=1)


def _plant(repo: Path, where: str, outside: Path) -> Path:
    """A symlink at ``where`` in the model's cache folder, to something under ``outside``."""
    sha256 = locked_readme().files[0].sha256
    link = repo / where.format(sha256=sha256, commit=SHA)
    link.parent.mkdir(parents=True, exist_ok=True)
    if where.endswith(".incomplete"):
        target = outside / "victim.txt"
        target.write_bytes(b"he")  # shorter than the file: a resume would append to it
    else:
        target = outside / "folder"
        target.mkdir()
    link.symlink_to(target)
    return target


@pytest.mark.parametrize(
    "where", ["blobs/{sha256}.incomplete", "snapshots/{commit}", "blobs", "refs"]
)
def test_install_never_writes_through_a_planted_symlink(tmp_path: Path, where: str) -> None:
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    outside.mkdir()
    target = _plant(cache / "models--org--m", where, outside)
    before = {p: p.read_bytes() if p.is_file() else None for p in outside.rglob("*")}
    model = locked_readme()
    with ScriptedServer(hub_script()) as server, pytest.raises(errors.UnsafePathError) as info:
        hub = HuggingFaceHub(endpoint=server.url, policy=ONCE)
        install(Lock(models=(model,)), hubs={"huggingface": hub}, cache_dir=cache, policy=ONCE)
    assert str(target) in str(info.value) or "symlink" in str(info.value)
    assert "\n" not in str(info.value)
    after = {p: p.read_bytes() if p.is_file() else None for p in outside.rglob("*")}
    assert after == before  # the victim kept its bytes; the outside folder got nothing
