"""Building stores from folders and from a Hugging Face cache (the air-gapped mirror)."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi, hf_hub_download, snapshot_download

from ptmlock.mirror import MirrorServer, RepoStore, import_folders, import_hf_cache
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, transformers_files


def test_build_import_folders_namespaced_and_legacy(store: RepoStore, tmp_path: Path) -> None:
    source = tmp_path / "models"
    for folder in (source / "org" / "bert", source / "gpt2"):
        (folder / "onnx").mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "onnx" / "model.onnx").write_bytes(b"\0" * 10)
    commits = import_folders(store, source)
    assert sorted(commits) == ["gpt2", "org/bert"]
    assert store.resolve("org/bert", "main") == commits["org/bert"]
    assert sorted(store.tree("gpt2", commits["gpt2"])) == ["config.json", "onnx/model.onnx"]


def test_build_import_hf_cache_keeps_commit_ids(
    hf_env: HfEnv, store: RepoStore, tmp_path: Path
) -> None:
    first = make_transformers_repo(store, "org/tiny")
    second = store.commit("org/tiny", {**transformers_files(), "extra.txt": b"x"}, message="More")
    snapshot_download("org/tiny", endpoint=hf_env.endpoint, cache_dir=hf_env.cache)
    hf_hub_download(
        "org/tiny", "config.json", revision=first, endpoint=hf_env.endpoint, cache_dir=hf_env.cache
    )

    offline = RepoStore(tmp_path / "air-gapped")
    assert import_hf_cache(offline, hf_env.cache) == {"org/tiny": sorted([first, second])}
    assert offline.resolve("org/tiny", "main") == second
    with MirrorServer(offline) as mirror:
        info = HfApi(endpoint=mirror.url).model_info("org/tiny", files_metadata=True)
        original = HfApi(endpoint=hf_env.endpoint).model_info("org/tiny", files_metadata=True)
    assert info.sha == second
    digests = {s.rfilename: (s.size, s.blob_id, s.lfs) for s in info.siblings or []}
    assert digests == {s.rfilename: (s.size, s.blob_id, s.lfs) for s in original.siblings or []}
    assert sorted(offline.tree("org/tiny", first)) == ["config.json"]  # only what was downloaded
