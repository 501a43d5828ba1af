"""Errors come back exactly as the Hub sends them, so the real client raises the right class."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from ptmlock.mirror import MirrorServer, RepoStore
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo

REPO = "org/tiny"
TOKEN = "hf_allowed"


@pytest.fixture
def sha(store: RepoStore) -> str:
    return make_transformers_repo(store, REPO)


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("hf_anything", 404)])
def test_errors_unknown_repo(mirror: MirrorServer, token: str | None, status: int) -> None:
    with pytest.raises(RepositoryNotFoundError) as caught:
        HfApi(endpoint=mirror.url, token=token).model_info("org/missing")
    assert caught.value.response is not None
    assert caught.value.response.status_code == status
    assert caught.value.response.headers["X-Error-Code"] == "RepoNotFound"


def test_errors_unknown_repo_on_download(hf_env: HfEnv) -> None:
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(
            "org/missing", "config.json", endpoint=hf_env.endpoint, cache_dir=hf_env.cache
        )


def test_errors_unknown_revision(hf_env: HfEnv, sha: str) -> None:
    api = HfApi(endpoint=hf_env.endpoint)
    with pytest.raises(RevisionNotFoundError, match="Invalid rev id: nope"):
        api.model_info(REPO, revision="nope")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(
            REPO, "config.json", revision="nope", endpoint=hf_env.endpoint, cache_dir=hf_env.cache
        )
    with pytest.raises(RevisionNotFoundError):
        list(api.list_repo_tree(REPO, revision="0" * 40))


def test_errors_missing_file_names_commit(hf_env: HfEnv, sha: str) -> None:
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(REPO, "nope.bin", endpoint=hf_env.endpoint, cache_dir=hf_env.cache)
    # X-Repo-Commit on the 404 lets the client remember the absence for that commit
    assert (hf_env.cache / "models--org--tiny" / ".no_exist" / sha / "nope.bin").exists()


def test_errors_missing_tree_folder(mirror: MirrorServer, sha: str) -> None:
    with pytest.raises(RemoteEntryNotFoundError):
        list(HfApi(endpoint=mirror.url).list_repo_tree(REPO, path_in_repo="nope"))


def test_errors_gated_repo(hf_env: HfEnv, store: RepoStore, sha: str) -> None:
    store.set_gated(REPO, "manual", tokens=[TOKEN])
    info = HfApi(endpoint=hf_env.endpoint).model_info(REPO)  # metadata stays public
    assert info.gated == "manual"

    def download(token: str | None) -> str:
        return hf_hub_download(
            REPO, "model.safetensors", token=token, endpoint=hf_env.endpoint, cache_dir=hf_env.cache
        )

    with pytest.raises(GatedRepoError) as anonymous:
        download(None)
    with pytest.raises(GatedRepoError) as refused:
        download("hf_someone_else")
    assert anonymous.value.response is not None and anonymous.value.response.status_code == 401
    assert refused.value.response is not None and refused.value.response.status_code == 403
    assert sha in download(TOKEN)


def test_errors_gated_resolve_cache_needs_token_too(
    mirror: MirrorServer, store: RepoStore, sha: str
) -> None:
    store.set_gated(REPO, "auto", tokens=[TOKEN])
    with httpx.Client(base_url=mirror.url) as client:
        url = f"/api/resolve-cache/models/{REPO}/{sha}/config.json"
        assert client.get(url).status_code == 401
        allowed = client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200


def test_errors_read_only_and_unknown_paths(mirror: MirrorServer, sha: str) -> None:
    with httpx.Client(base_url=mirror.url) as client:
        assert client.put(f"/api/models/{REPO}", content=b"{}").status_code == 405
        assert client.delete(f"/api/models/{REPO}").status_code == 405
        assert client.post(f"/api/models/{REPO}/tree/main").status_code == 405
        assert client.get("/nothing/here").status_code == 404
        assert client.get("/api/agent-harnesses").json() == {"standardEnvVars": [], "harnesses": {}}


def test_errors_cdn_refuses_unsigned_urls(mirror: MirrorServer, sha: str) -> None:
    with httpx.Client(base_url=mirror.url) as client:
        signed = client.head(f"/{REPO}/resolve/main/model.safetensors").headers["Location"]
        assert client.get(signed).status_code == 200
        assert client.get(signed.replace("sig=", "sig=0")).status_code == 403
        assert client.get(signed.replace("path=model", "path=other")).status_code == 403


def test_errors_request_data_cannot_inject_headers(mirror: MirrorServer, sha: str) -> None:
    with httpx.Client(base_url=mirror.url) as client:
        response = client.get(f"/api/models/{REPO}/revision/x%0D%0ASet-Cookie:%20a=b")
    assert response.status_code == 404
    assert "set-cookie" not in response.headers
    assert response.headers["X-Error-Message"] == "Invalid rev id: x??Set-Cookie: a=b"
