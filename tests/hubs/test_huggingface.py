"""Resolving models against the project's own Hub-compatible server, over real HTTP."""

from __future__ import annotations

import hashlib

import pytest

from ptmlock import errors
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import ModelRequest
from ptmlock.retry import RetryPolicy
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, transformers_files

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)


def _hub(env: HfEnv, token: str | None = None) -> HuggingFaceHub:
    return HuggingFaceHub(token=token or "", policy=FAST)


def test_resolve_pins_commit_and_hashes_every_chosen_file(store: RepoStore, hf_env: HfEnv) -> None:
    commit = make_transformers_repo(store, "org/tiny-bert", license="mit")
    locked = _hub(hf_env).resolve(ModelRequest(hub="huggingface", id="org/tiny-bert"))
    assert locked.revision == commit
    assert locked.requested is None
    files = transformers_files(license="mit")
    assert [f.path for f in locked.files] == [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
    ]
    for file in locked.files:
        assert file.size == len(files[file.path])
        assert file.sha256 == hashlib.sha256(files[file.path]).hexdigest()
    assert locked.license is not None and locked.license.lower() == "mit"


def test_resolve_tag_locks_the_tagged_commit_not_main(store: RepoStore, hf_env: HfEnv) -> None:
    first = make_transformers_repo(store, "org/m")
    store.tag("org/m", "v1.0", first)
    second = make_transformers_repo(store, "org/m", extra={"extra.txt": b"new"})
    assert first != second
    locked = _hub(hf_env).resolve(ModelRequest(hub="huggingface", id="org/m", requested="v1.0"))
    assert (locked.revision, locked.requested) == (first, "v1.0")


def test_resolve_exact_file_locks_only_that_file(store: RepoStore, hf_env: HfEnv) -> None:
    make_transformers_repo(store, "org/m", extra={"model.Q4.gguf": b"GGUF" + b"\1" * 100})
    request = ModelRequest(
        hub="huggingface", id="org/m", libraries=("file",), files=("model.Q4.gguf",)
    )
    locked = _hub(hf_env).resolve(request)
    assert [f.path for f in locked.files] == ["model.Q4.gguf"]
    assert (locked.libraries, locked.patterns) == (("file",), ("model.Q4.gguf",))


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (ModelRequest(hub="huggingface", id="org/nope"), errors.ModelNotFoundError),
        (ModelRequest(hub="huggingface", id="org/m", requested="v9"), errors.RevisionNotFoundError),
        (
            ModelRequest(hub="huggingface", id="org/m", libraries=("file",), files=("x.bin",)),
            errors.EntryNotFoundError,
        ),
    ],
)
def test_resolve_errors_are_translated(
    store: RepoStore, hf_env: HfEnv, request_: ModelRequest, error: type[Exception]
) -> None:
    make_transformers_repo(store, "org/m")
    with pytest.raises(error) as info:
        _hub(hf_env).resolve(request_)
    assert request_.id in str(info.value)


def test_resolve_gated_needs_a_token_and_says_how(
    store: RepoStore, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_transformers_repo(store, "org/gated")
    store.set_gated("org/gated", "manual", tokens=["hf_secret_ok"])
    with pytest.raises(errors.GatedModelError) as info:
        _hub(hf_env).resolve(ModelRequest(hub="huggingface", id="org/gated"))
    assert info.value.hint is not None and "HF_TOKEN" in info.value.hint
    monkeypatch.setenv("HF_TOKEN", "hf_secret_ok")
    locked = HuggingFaceHub(policy=FAST).resolve(ModelRequest(hub="huggingface", id="org/gated"))
    assert locked.gated is True
    assert "hf_secret_ok" not in repr(locked)


def test_resolve_refuses_hostile_file_names(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    make_transformers_repo(store, "org/m")
    mirror.faults.add(kind="hostile_names")
    with pytest.raises(errors.UnsafePathError, match="unsafe file name"):
        _hub(hf_env).resolve(ModelRequest(hub="huggingface", id="org/m"))


def test_resolve_retries_rate_limits(store: RepoStore, hf_env: HfEnv, mirror: MirrorServer) -> None:
    make_transformers_repo(store, "org/m")
    fault = mirror.faults.add(
        kind="status", status=429, retry_after=0.01, times=2, match="/api/models"
    )
    locked = _hub(hf_env).resolve(ModelRequest(hub="huggingface", id="org/m"))
    assert fault.fired == 2 and locked.files


def test_resolve_unreachable_endpoint_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(errors.HubUnreachableError, match=r"http://127\.0\.0\.1:9"):
        HuggingFaceHub(policy=FAST).resolve(ModelRequest(hub="huggingface", id="org/m"))


def test_resolve_captures_card_facts(store: RepoStore, hf_env: HfEnv) -> None:
    make_transformers_repo(
        store,
        "org/tuned",
        license="apache-2.0",
        base_model="org/base",
        datasets=["imdb", "sst2"],
        pipeline_tag="text-classification",
    )
    locked = _hub(hf_env).resolve(ModelRequest(hub="huggingface", id="org/tuned"))
    readme = transformers_files(
        license="apache-2.0",
        base_model="org/base",
        datasets=["imdb", "sst2"],
        pipeline_tag="text-classification",
    )["README.md"]
    assert locked.license == "Apache-2.0"
    assert [(b.id, b.relation) for b in locked.base_models] == [("org/base", "finetune")]
    assert locked.datasets == ("imdb", "sst2")
    assert (locked.task, locked.library_name) == ("text-classification", "transformers")
    assert locked.card_sha256 == hashlib.sha256(readme).hexdigest()
    assert locked.parameters == 52  # from the safetensors header
    assert locked.architecture == "BertForMaskedLM"
    assert locked.last_modified is not None and locked.gated is False


def test_resolve_reads_a_license_file_when_the_card_has_none(
    store: RepoStore, hf_env: HfEnv
) -> None:
    files = transformers_files()
    files["README.md"] = b"# no front matter\n"
    files["LICENSE"] = b"      Apache License\n        Version 2.0, January 2004\n"
    store.commit("org/lic", files)
    store.commit(
        "org/none", {**files, "LICENSE": b"All rights reserved by nobody in particular.\n"}
    )
    hub = _hub(hf_env)
    assert hub.resolve(ModelRequest(hub="huggingface", id="org/lic")).license == "Apache-2.0"
    assert hub.resolve(ModelRequest(hub="huggingface", id="org/none")).license == "LicenseRef-file"


def test_resolve_reads_each_small_file_once(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    make_transformers_repo(store, "org/m")
    request = ModelRequest(hub="huggingface", id="org/m", libraries=("snapshot",))
    locked = _hub(hf_env).resolve(request)
    assert "README.md" in [f.path for f in locked.files] and locked.card_sha256 is not None
    # a download's first hop is /resolve/ (the Hub then redirects to /api/resolve-cache/)
    downloads = [
        r for r in mirror.requests if "/resolve/" in r.path and r.path.endswith("README.md")
    ]
    assert len(downloads) == 1  # hashed for the lock and parsed for the card from one download
