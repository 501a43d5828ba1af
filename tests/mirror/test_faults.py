"""Each fault switch observably does what it says, over real HTTP."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi, hf_hub_download

from ptmlock.mirror import HOSTILE_NAMES, Fault, MirrorServer, RepoStore
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, transformers_files

REPO = "org/tiny"
WEIGHTS = transformers_files()["model.safetensors"]
BIG = random.Random(3).randbytes(24 * 1024 * 1024)


@pytest.fixture
def sha(store: RepoStore) -> str:
    return make_transformers_repo(store, REPO)


@pytest.fixture
def big(store: RepoStore) -> str:
    """The repo plus a 24 MiB LFS file, for faults that need a long body."""
    return make_transformers_repo(store, REPO, extra={"big.safetensors": BIG})


@pytest.fixture
def client(mirror: MirrorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mirror.url, follow_redirects=True) as c:
        yield c


def _cdn_url(client: httpx.Client, filename: str) -> str:
    return client.head(f"/{REPO}/resolve/main/{filename}").url.raw_path.decode()


def test_fault_status_429_with_retry_after_then_normal(
    mirror: MirrorServer, client: httpx.Client, sha: str
) -> None:
    fault = mirror.faults.add(kind="status", status=429, retry_after=1, times=1)
    first = client.get(f"/api/models/{REPO}")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert client.get(f"/api/models/{REPO}").status_code == 200
    assert fault.fired == 1


def test_fault_status_burst_of_500s_then_success(
    mirror: MirrorServer, client: httpx.Client, sha: str
) -> None:
    mirror.faults.add(kind="status", status=500, times=3, match="/tree/")
    codes = [client.get(f"/api/models/{REPO}/tree/main").status_code for _ in range(4)]
    assert codes == [500, 500, 500, 200]
    assert client.get(f"/api/models/{REPO}").status_code == 200  # other paths never failed


def test_fault_status_then_real_client_retries(hf_env: HfEnv, sha: str) -> None:
    hf_env.mirror.faults.add(kind="status", status=503, times=1, methods=("HEAD",))
    path = hf_hub_download(REPO, "config.json", endpoint=hf_env.endpoint, cache_dir=hf_env.cache)
    assert Path(path).read_bytes() == transformers_files()["config.json"]
    assert hf_env.mirror.faults.fired("status") == 1


def test_fault_drop_closes_without_answer(
    mirror: MirrorServer, client: httpx.Client, sha: str
) -> None:
    mirror.faults.add(kind="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/api/models/{REPO}")
    assert client.get(f"/api/models/{REPO}").status_code == 200


def test_fault_corrupt_keeps_length_changes_sha256(
    mirror: MirrorServer, client: httpx.Client, sha: str
) -> None:
    mirror.faults.add(kind="corrupt", match="model.safetensors", times=1)
    bad = client.get(f"/{REPO}/resolve/main/model.safetensors").content
    good = client.get(f"/{REPO}/resolve/main/model.safetensors").content
    assert len(bad) == len(good) == len(WEIGHTS)
    assert good == WEIGHTS
    assert hashlib.sha256(bad).digest() != hashlib.sha256(WEIGHTS).digest()
    assert sum(a != b for a, b in zip(bad, WEIGHTS, strict=True)) == 1


def test_fault_corrupt_goes_unnoticed_by_the_client(hf_env: HfEnv, sha: str) -> None:
    hf_env.mirror.faults.add(kind="corrupt", match="model.safetensors")
    path = hf_hub_download(
        REPO, "model.safetensors", endpoint=hf_env.endpoint, cache_dir=hf_env.cache
    )
    content = Path(path).read_bytes()
    assert len(content) == len(WEIGHTS) and content != WEIGHTS  # why ptmlock verifies every byte


def test_fault_truncate_sends_less_than_content_length(
    mirror: MirrorServer, client: httpx.Client, big: str
) -> None:
    mirror.faults.add(kind="truncate", match="big.safetensors", after_bytes=1000, times=1)
    got = bytearray()
    with client.stream("GET", f"/{REPO}/resolve/main/big.safetensors") as response:
        assert response.headers["Content-Length"] == str(len(BIG))
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in response.iter_raw():
                got += chunk
    assert bytes(got) == BIG[:1000]


def test_fault_truncate_real_client_resumes_with_range(hf_env: HfEnv, big: str) -> None:
    mirror = hf_env.mirror
    mirror.faults.add(kind="truncate", match="big.safetensors", after_bytes=12 << 20, times=1)
    path = hf_hub_download(
        REPO, "big.safetensors", endpoint=hf_env.endpoint, cache_dir=hf_env.cache
    )
    assert hashlib.sha256(Path(path).read_bytes()).digest() == hashlib.sha256(BIG).digest()
    ranges = [r.range for r in mirror.requests.matching("big.safetensors", method="GET")]
    assert ranges == [None, f"bytes={10 << 20}-"]  # the client resumes at a 10 MiB boundary


def test_fault_ignore_range_answers_whole_body(
    mirror: MirrorServer, client: httpx.Client, sha: str
) -> None:
    mirror.faults.add(kind="ignore_range", match="model.safetensors")
    response = client.get(f"/{REPO}/resolve/main/model.safetensors", headers={"Range": "bytes=10-"})
    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert response.content == WEIGHTS


def test_fault_slow_latency_and_bandwidth(
    mirror: MirrorServer, client: httpx.Client, big: str
) -> None:
    url = _cdn_url(client, "big.safetensors")
    mirror.faults.add(kind="slow", match="/cdn/", latency=0.2, bytes_per_second=2_000_000)
    started = time.monotonic()
    response = client.get(url, headers={"Range": "bytes=0-399999"})  # 400 kB at 2 MB/s
    elapsed = time.monotonic() - started
    assert response.content == BIG[:400_000]
    assert elapsed >= 0.2 + 0.2 * 0.9


def test_fault_hostile_names_in_listings(mirror: MirrorServer, sha: str) -> None:
    mirror.faults.add(kind="hostile_names")
    api = HfApi(endpoint=mirror.url)
    siblings = api.model_info(REPO, files_metadata=True).siblings or []
    assert set(HOSTILE_NAMES) <= {s.rfilename for s in siblings}
    evil = next(s for s in siblings if s.rfilename == "../evil.bin")
    assert evil.size and evil.lfs is not None and len(evil.lfs.sha256) == 64
    tree = {e.path for e in api.list_repo_tree(REPO, recursive=True)}
    assert set(HOSTILE_NAMES) <= tree
    infos = {e.path for e in api.get_paths_info(REPO, ["config.json"])}
    assert infos == {"config.json", *HOSTILE_NAMES}


def test_fault_custom_hostile_names(mirror: MirrorServer, sha: str) -> None:
    mirror.faults.add(Fault(kind="hostile_names", names=("C:/Windows/x.dll",)))
    siblings = HfApi(endpoint=mirror.url).model_info(REPO).siblings or []
    assert "C:/Windows/x.dll" in {s.rfilename for s in siblings}


def test_fault_match_and_methods_filters(
    mirror: MirrorServer, client: httpx.Client, sha: str
) -> None:
    mirror.faults.add(kind="status", status=500, match="model.safetensors", methods=("GET",))
    assert client.head(f"/{REPO}/resolve/main/model.safetensors").status_code == 200
    assert client.get(f"/{REPO}/resolve/main/config.json").status_code == 200
    assert client.get(f"/{REPO}/resolve/main/model.safetensors").status_code == 500


def test_faults_clear_and_counters(mirror: MirrorServer, client: httpx.Client, sha: str) -> None:
    mirror.faults.add(kind="status", status=502)
    assert len(mirror.faults) == 1
    assert client.get(f"/api/models/{REPO}").status_code == 502
    mirror.faults.clear()
    assert client.get(f"/api/models/{REPO}").status_code == 200
    assert (mirror.faults.fired("status"), mirror.faults.fired(), len(mirror.faults)) == (1, 1, 0)
