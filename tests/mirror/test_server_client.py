"""The mirror answers the real huggingface_hub 2.4.0 client, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.hf_api import RepoFile, RepoFolder

from ptmlock.mirror import MirrorServer, RepoStore
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, transformers_files

REPO = "org/tiny"


@pytest.fixture
def sha(store: RepoStore) -> str:
    return make_transformers_repo(store, REPO, tags=["tiny"], datasets=["wikipedia"])


@pytest.fixture
def api(mirror: MirrorServer) -> HfApi:
    return HfApi(endpoint=mirror.url)


def test_model_info_files_metadata(api: HfApi, sha: str) -> None:
    files = transformers_files(tags=["tiny"], datasets=["wikipedia"])
    info = api.model_info(REPO, files_metadata=True)
    assert (info.id, info.sha, info.author, info.gated) == (REPO, sha, "org", False)
    assert info.library_name == "transformers"
    assert info.pipeline_tag == "fill-mask"
    assert info.card_data is not None and info.card_data.license == "apache-2.0"
    tags = set(info.tags or [])
    assert {"tiny", "license:apache-2.0", "dataset:wikipedia", "safetensors"} <= tags
    assert info.safetensors is not None and info.safetensors.total == 52
    assert info.config == {"architectures": ["BertForMaskedLM"], "model_type": "bert"}
    siblings = {s.rfilename: s for s in info.siblings or []}
    assert set(siblings) == set(files)
    for name, content in files.items():
        assert siblings[name].size == len(content)
    weights = siblings["model.safetensors"].lfs
    assert weights is not None
    assert weights.sha256 == hashlib.sha256(files["model.safetensors"]).hexdigest()
    assert siblings["config.json"].lfs is None


def test_model_info_by_tag_branch_pr_and_moved_main(api: HfApi, store: RepoStore, sha: str) -> None:
    newer = store.commit(REPO, {"config.json": b"{}"}, message="Shrink")
    store.tag(REPO, "v1", sha)
    store.set_branch(REPO, "refs/pr/1", newer)
    assert api.model_info(REPO).sha == newer
    assert api.model_info(REPO, revision="v1").sha == sha
    assert api.model_info(REPO, revision="refs/pr/1").sha == newer
    assert api.model_info(REPO, revision=sha).sha == sha
    store.set_branch(REPO, "main", sha)  # a force-push back
    assert api.model_info(REPO, revision="main").sha == sha


def test_model_info_legacy_repo_id(api: HfApi, store: RepoStore) -> None:
    sha = make_transformers_repo(store, "gpt2")
    info = api.model_info("gpt2", files_metadata=True)
    assert (info.id, info.sha, info.author) == ("gpt2", sha, None)


def test_list_repo_tree_root_folder_and_recursive(api: HfApi, sha: str) -> None:
    root = list(api.list_repo_tree(REPO))
    assert [e.path for e in root if isinstance(e, RepoFolder)] == ["onnx"]
    assert "onnx/model.onnx" not in [e.path for e in root]
    every = {e.path: e for e in api.list_repo_tree(REPO, recursive=True, revision=sha)}
    onnx = every["onnx/model.onnx"]
    assert isinstance(onnx, RepoFile) and onnx.lfs is not None
    content = transformers_files()["onnx/model.onnx"]
    assert onnx.lfs.sha256 == hashlib.sha256(content).hexdigest()
    folder = list(api.list_repo_tree(REPO, path_in_repo="onnx", expand=True))
    assert [e.path for e in folder] == ["onnx/model.onnx"]
    assert isinstance(folder[0], RepoFile) and folder[0].last_commit is not None
    assert folder[0].last_commit.oid == sha


def test_list_repo_tree_follows_link_pagination(store: RepoStore) -> None:
    make_transformers_repo(store, REPO)
    with MirrorServer(store, page_size=3, small_page_size=2) as small:
        api = HfApi(endpoint=small.url)
        assert len(list(api.list_repo_tree(REPO, recursive=True))) == 10  # 9 files + 1 folder
        assert len(list(api.list_repo_tree(REPO, recursive=True, expand=True))) == 10
        pages = small.requests.matching("/tree/")
    assert len(pages) == 4 + 5
    assert "cursor=3" in pages[1].path and "recursive=true" in pages[1].path


def test_list_repo_refs_and_commits(api: HfApi, store: RepoStore, sha: str) -> None:
    newer = store.commit(REPO, {"a.txt": b"a"}, message="Second\n\nwith a body")
    store.tag(REPO, "v1", sha)
    refs = api.list_repo_refs(REPO)
    assert [(b.name, b.target_commit) for b in refs.branches] == [("main", newer)]
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [("v1", "refs/tags/v1", sha)]
    commits = api.list_repo_commits(REPO)
    assert [c.commit_id for c in commits] == [newer, sha]
    assert (commits[0].title, commits[0].message) == ("Second", "Second\n\nwith a body")


def test_get_paths_info_omits_missing_paths(api: HfApi, sha: str) -> None:
    found = api.get_paths_info(REPO, ["config.json", "onnx", "missing.bin"], revision=sha)
    assert sorted((type(e).__name__, e.path) for e in found) == [
        ("RepoFile", "config.json"),
        ("RepoFolder", "onnx"),
    ]


@pytest.mark.parametrize("filename", ["config.json", "model.safetensors", "onnx/model.onnx"])
@pytest.mark.parametrize("pinned", [True, False])
def test_hf_hub_download_small_and_lfs_files(
    hf_env: HfEnv, sha: str, filename: str, pinned: bool
) -> None:
    path = hf_hub_download(
        REPO, filename, revision=sha if pinned else "main",
        endpoint=hf_env.endpoint, cache_dir=hf_env.cache,
    )  # fmt: skip
    assert Path(path).read_bytes() == transformers_files()[filename]
    assert f"snapshots/{sha}/" in path
    if not pinned:
        assert (hf_env.cache / "models--org--tiny" / "refs" / "main").read_text() == sha


def test_hf_hub_download_headers_carry_metadata(mirror: MirrorServer, sha: str) -> None:
    with httpx.Client(base_url=mirror.url) as client:
        small = client.head(f"/{REPO}/resolve/main/config.json", follow_redirects=True)
        lfs = client.head(f"/{REPO}/resolve/main/model.safetensors")
    assert small.history[0].status_code == 307
    assert f"/api/resolve-cache/models/{REPO}/{sha}/" in small.history[0].headers["Location"]
    assert small.headers["X-Repo-Commit"] == sha
    config = transformers_files()["config.json"]
    assert small.headers["ETag"] == '"' + hashlib.sha1(b"blob 94\0" + config).hexdigest() + '"'
    assert small.headers["Content-Length"] == str(len(config))
    assert lfs.status_code == 302
    assert (
        lfs.headers["X-Linked-Etag"].strip('"')
        == hashlib.sha256(transformers_files()["model.safetensors"]).hexdigest()
    )
    assert "X-Xet-Hash" not in lfs.headers


def test_snapshot_download_allow_patterns(hf_env: HfEnv, sha: str) -> None:
    folder = snapshot_download(
        REPO, allow_patterns=["*.json", "*.safetensors"],
        endpoint=hf_env.endpoint, cache_dir=hf_env.cache,
    )  # fmt: skip
    got = sorted(p.name for p in Path(folder).iterdir())
    assert got == ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    assert Path(folder).name == sha


def test_hf_hub_download_tens_of_megabytes(hf_env: HfEnv, store: RepoStore) -> None:
    content = random.Random(7).randbytes(24 * 1024 * 1024 + 17)
    sha = store.commit("org/big", {"model.safetensors": content})
    path = hf_hub_download(
        "org/big", "model.safetensors", endpoint=hf_env.endpoint, cache_dir=hf_env.cache
    )
    assert hashlib.sha256(Path(path).read_bytes()).digest() == hashlib.sha256(content).digest()
    assert sha in path


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, 1043),
        ("bytes=-4", 1040, 1043),
        ("bytes=5-5000", 5, 1043),
    ],
)
def test_resolve_range_requests(
    mirror: MirrorServer, sha: str, header: str, start: int, end: int
) -> None:
    content = transformers_files()["pytorch_model.bin"]
    with httpx.Client(base_url=mirror.url, follow_redirects=True) as client:
        response = client.get(f"/{REPO}/resolve/{sha}/pytorch_model.bin", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(content)}"
    assert response.content == content[start : end + 1]


def test_resolve_unsatisfiable_range_is_416(mirror: MirrorServer, sha: str) -> None:
    with httpx.Client(base_url=mirror.url, follow_redirects=True) as client:
        response = client.get(f"/{REPO}/resolve/main/config.json", headers={"Range": "bytes=9999-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */94"
