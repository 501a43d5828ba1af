"""RepoStore: commits, refs, LFS rule, and the metadata derived at commit time."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from ptmlock.mirror import RepoStore, UnknownRepo, UnknownRevision
from ptmlock.mirror.metadata import card_data, is_lfs, lfs_pointer, safetensors_parameters
from tests.helpers import make_transformers_repo, safetensors_bytes


def _git_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def test_store_commit_is_deterministic(tmp_path: Path) -> None:
    first = make_transformers_repo(RepoStore(tmp_path / "a"), "org/m")
    second = make_transformers_repo(RepoStore(tmp_path / "b"), "org/m")
    assert first == second
    assert len(first) == 40


def test_store_commit_records_sizes_hashes_and_oids(store: RepoStore) -> None:
    sha = store.commit("org/m", {"a.txt": b"hello\n", "w.safetensors": b"x" * 10})
    tree = store.tree("org/m", sha)
    small, weights = tree["a.txt"], tree["w.safetensors"]
    assert (small.size, small.lfs) == (6, False)
    assert small.sha256 == hashlib.sha256(b"hello\n").hexdigest()
    assert small.git_oid == _git_oid(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert weights.lfs
    assert weights.git_oid == _git_oid(lfs_pointer(weights.sha256, 10))  # the Hub's blobId
    assert store.blob_path(small.sha256).read_bytes() == b"hello\n"


@pytest.mark.parametrize(
    ("path", "size", "lfs"),
    [
        ("config.json", 100, False),
        ("model.safetensors", 1, True),
        ("pytorch_model.bin", 1, True),
        ("onnx/model.onnx", 1, True),
        ("tokenizer.model", 1, True),
        ("big.json", 10 * 1024 * 1024, True),
        ("almost.json", 10 * 1024 * 1024 - 1, False),
    ],
)
def test_metadata_is_lfs_follows_hub_rule(path: str, size: int, lfs: bool) -> None:
    assert is_lfs(path, size) is lfs


def test_store_commit_from_folder_streams_and_skips_git(store: RepoStore, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    (folder / "sub").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    big = random.Random(1).randbytes(12 * 1024 * 1024)
    (folder / "sub" / "big.dat").write_bytes(big)
    (folder / "README.md").write_text("no card\n")
    sha = store.commit("org/m", folder)
    tree = store.tree("org/m", sha)
    assert sorted(tree) == ["README.md", "sub/big.dat"]
    assert tree["sub/big.dat"].lfs
    assert tree["sub/big.dat"].sha256 == hashlib.sha256(big).hexdigest()
    assert not list((store.root / "blobs").glob(".incoming-*"))


def test_store_resolve_branch_tag_sha_and_ref_forms(store: RepoStore) -> None:
    first = store.commit("org/m", {"a": b"1"})
    second = store.commit("org/m", {"a": b"2"})
    store.tag("org/m", "v1.0", first)
    store.set_branch("org/m", "refs/pr/1", first)
    assert store.resolve("org/m", "main") == second
    assert store.resolve("org/m", "refs/heads/main") == second
    assert store.resolve("org/m", "v1.0") == store.resolve("org/m", "refs/tags/v1.0") == first
    assert store.resolve("org/m", "refs/pr/1") == first
    assert store.resolve("org/m", first) == first
    assert [c.id for c in store.commits("org/m", "main")] == [second, first]


def test_store_resolve_unknown_raises(store: RepoStore) -> None:
    store.commit("org/m", {"a": b"1"})
    with pytest.raises(UnknownRevision):
        store.resolve("org/m", "nope")
    with pytest.raises(UnknownRevision):
        store.resolve("org/m", "0" * 40)
    with pytest.raises(UnknownRepo):
        store.resolve("org/other", "main")


def test_store_moving_main_keeps_old_commit_reachable(store: RepoStore) -> None:
    first = store.commit("org/m", {"a": b"1"})
    second = store.commit("org/m", {"a": b"2"})
    assert store.set_branch("org/m", "main", first) == first
    assert store.resolve("org/m", "main") == first
    assert store.tree("org/m", second)["a"].size == 1
    assert store.get_commit("org/m", second).date > store.get_commit("org/m", first).date


def test_store_legacy_and_namespaced_ids(store: RepoStore) -> None:
    store.commit("gpt2", {"config.json": b"{}"})
    store.commit("openai-community/gpt2", {"config.json": b"{}"})
    assert store.repos() == ["gpt2", "openai-community/gpt2"]
    assert store.exists("gpt2")
    assert not store.exists("../gpt2")
    with pytest.raises(ValueError, match="invalid repo id"):
        store.commit("a/b/c", {"x": b""})


def test_store_derives_card_config_and_parameters(store: RepoStore) -> None:
    sha = make_transformers_repo(store, "org/m", license="mit", datasets=["wikipedia"])
    commit = store.get_commit("org/m", sha)
    assert commit.card["license"] == "mit"
    assert commit.card["datasets"] == ["wikipedia"]
    assert commit.config == {"architectures": ["BertForMaskedLM"], "model_type": "bert"}
    assert commit.safetensors == {"parameters": {"F32": 32, "F16": 20}, "total": 52}


def test_store_sums_parameters_over_shards(store: RepoStore) -> None:
    shard = safetensors_bytes({"w": ("BF16", [3, 5])})
    sha = store.commit("org/m", {"a.safetensors": shard, "b.safetensors": shard})
    assert store.get_commit("org/m", sha).safetensors == {"parameters": {"BF16": 30}, "total": 30}


@pytest.mark.parametrize(
    "readme",
    [
        b"# no front matter\n",
        b"---\n: : bad: [yaml\n---\n",
        b"---\n- a list\n---\n",
        b"---\nx: 1\n",
    ],
)
def test_metadata_card_data_tolerates_bad_cards(readme: bytes) -> None:
    assert card_data(readme) == {}


def test_metadata_card_data_turns_dates_into_strings() -> None:
    assert card_data(b"---\nlicense: mit\nreleased: 2024-05-01\n---\nbody") == {
        "license": "mit",
        "released": "2024-05-01",
    }


def test_metadata_safetensors_parameters_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\xff" * 16)
    assert safetensors_parameters(bad) is None
    good = tmp_path / "good.safetensors"
    good.write_bytes(safetensors_bytes())
    assert safetensors_parameters(good) == {"F32": 32, "F16": 20}
