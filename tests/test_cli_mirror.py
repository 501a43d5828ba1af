"""`ptmlock serve` and `ptmlock mirror`: building a mirror and installing from it (air gap)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download

from ptmlock.cli import main
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import install
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import Lock, ModelRequest
from ptmlock.verify import verify
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, transformers_files


def test_mirror_add_commits_a_folder_with_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    for name, data in transformers_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    code = main(["mirror", "add", str(tmp_path / "mirror"), "org/m", str(folder), "--tag", "v1"])
    assert code == 0
    store = RepoStore(tmp_path / "mirror")
    commit = capsys.readouterr().out.split("@")[1].split()[0]
    assert store.resolve("org/m", "v1") == store.resolve("org/m", "main") == commit
    assert set(store.tree("org/m", commit)) == set(transformers_files())


def test_serve_answers_the_real_client_and_stops_on_ctrl_c(
    store: RepoStore, tmp_path: Path
) -> None:
    make_transformers_repo(store, "org/m")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_TOKEN")}
    with subprocess.Popen(
        [sys.executable, "-m", "ptmlock", "serve", str(store.root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as proc:
        code = _serve_once(proc, tmp_path)
    assert code == 0


def _serve_once(proc: subprocess.Popen[str], tmp_path: Path) -> int:
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        path = hf_hub_download("org/m", "config.json", endpoint=url, cache_dir=tmp_path / "c")
        assert Path(path).read_bytes() == transformers_files()["config.json"]
    finally:
        proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=20)


def test_air_gap_a_cache_becomes_a_mirror_the_same_lock_installs_from(
    store: RepoStore, hf_env: HfEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_transformers_repo(store, "org/m")
    lock = Lock(models=(HuggingFaceHub().resolve(ModelRequest(hub="huggingface", id="org/m")),))
    install(lock, hubs=lambda _: HuggingFaceHub())
    # the online machine's cache becomes the air-gapped fleet's hub
    assert main(["mirror", "import", str(tmp_path / "gap"), "--from-cache", str(hf_env.cache)]) == 0
    assert "org/m: 1 snapshot(s)" in capsys.readouterr().out
    with MirrorServer(tmp_path / "gap") as gap:
        other_cache = tmp_path / "fleet-cache"
        hub = HuggingFaceHub(endpoint=gap.url)
        install(lock, hubs=lambda _: hub, cache_dir=other_cache)
    assert verify(lock, cache_dir=other_cache, full=True).ok
