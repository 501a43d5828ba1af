"""Installing from a registry that misbehaves: each fault is retried and resumed, or is one line
naming the model, the file and the registry, and nothing partial is visible in the cache."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ptmlock import errors
from ptmlock.cli import main
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import InstallReport, install
from ptmlock.lockfile import write_lock
from ptmlock.mirror import RepoStore
from ptmlock.models import Lock, LockedModel
from ptmlock.sources.oci import OciSource
from ptmlock.sources.oci_artifact import build_artifact
from ptmlock.sources.oci_client import Registry
from ptmlock.sources.oci_names import parse_location
from ptmlock.sources.oci_push import push
from ptmlock.verify import verify
from tests.conftest import HfEnv
from tests.sources.fault_proxy import FaultProxy
from tests.sources.helpers import BIG, FAST, lock_of, locked_model
from tests.sources.registry import RegistryServer, free_port

_namespaces = itertools.count()


@pytest.fixture
def pushed(store: RepoStore, hf_env: HfEnv, open_registry: RegistryServer) -> tuple[Lock, str]:
    """A lock with a 3 MB file, pushed to a namespace of its own; (lock, namespace)."""
    lock = lock_of(locked_model(store, big=True))
    namespace = f"faults{next(_namespaces)}"
    location = parse_location(open_registry.url(namespace))
    hub = HuggingFaceHub(policy=FAST)
    push(lock, location, hubs={"huggingface": hub}, insecure=True, policy=FAST)
    return lock, namespace


@pytest.fixture
def proxy(open_registry: RegistryServer) -> Iterator[FaultProxy]:
    with FaultProxy(open_registry.host) as running:
        yield running


def _install(url: str, lock: Lock, cache: Path, timeout: float = 5.0) -> InstallReport:
    with OciSource(parse_location(url), insecure=True, policy=FAST, timeout=timeout) as source:
        return install(
            lock, hubs={}, sources=[source], hub_fallback=False, cache_dir=cache, policy=FAST
        )


def _nothing_placed(cache: Path) -> bool:
    """No blob at a final path and no snapshot entry (a resumable .incomplete may stay)."""
    finals = [p for p in cache.rglob("blobs/*") if not p.name.endswith(".incomplete")]
    return not finals and not list(cache.rglob("snapshots/*/*"))


def test_a_connection_dropped_mid_blob_resumes_with_range(
    pushed: tuple[Lock, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    lock, namespace = pushed
    proxy.faults.cut_after, proxy.faults.cuts = 1024 * 1024, 1
    report = _install(proxy.url(namespace), lock, tmp_path / "cache")
    assert any(r.action == "fetched" for r in report.files)
    assert any(s.endswith(" bytes=1048576-") for s in proxy.faults.seen), proxy.faults.seen
    assert verify(lock, cache_dir=tmp_path / "cache", full=True).ok


def test_other_bytes_for_a_digest_never_reach_the_cache(
    pushed: tuple[Lock, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    lock, namespace = pushed
    proxy.faults.flip = True
    with pytest.raises(errors.IntegrityError) as caught:
        _install(proxy.url(namespace), lock, tmp_path / "cache")
    message = str(caught.value)
    assert "\n" not in message and "org/tiny@" in message and "sha256 mismatch" in message
    assert _nothing_placed(tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.incomplete"))  # wrong bytes are deleted


def test_bursts_of_429_and_5xx_are_retried(
    pushed: tuple[Lock, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    lock, namespace = pushed
    proxy.faults.statuses = [503, 429, 500, 502]
    _install(proxy.url(namespace), lock, tmp_path / "cache")
    assert proxy.faults.statuses == []
    assert verify(lock, cache_dir=tmp_path / "cache", full=True).ok


def test_a_stalled_registry_times_out_and_is_retried_or_named(
    pushed: tuple[Lock, str], proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, namespace = pushed
    monkeypatch.setattr("ptmlock.transfer.TIMEOUT", 0.3)
    proxy.faults.stall, proxy.faults.stalls = 1.0, 1
    _install(proxy.url(namespace), lock, tmp_path / "once")  # one stall: retried
    proxy.faults.stalls = 1000
    with pytest.raises(errors.TransientHubError) as caught:
        _install(proxy.url(namespace), lock, tmp_path / "always")
    message = str(caught.value)
    assert "org/tiny@" in message and "from oci://" in message and "timed out" in message
    assert _nothing_placed(tmp_path / "always")


def test_a_registry_that_is_down_is_one_line_naming_model_file_and_registry(
    pushed: tuple[Lock, str], tmp_path: Path
) -> None:
    lock, _ = pushed
    url = f"oci://127.0.0.1:{free_port()}/models"
    with pytest.raises(errors.HubError) as caught:
        _install(url, lock, tmp_path / "cache")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("org/tiny@")
    assert f"from {url}: cannot reach http://127.0.0.1:" in message
    assert _nothing_placed(tmp_path / "cache")


def _swap_first_two(model: LockedModel) -> LockedModel:
    """The same model with its first two files' contents exchanged (a stale or foreign push)."""
    one, two, *rest = model.files
    swapped = (
        replace(one, size=two.size, sha256=two.sha256),
        replace(two, size=one.size, sha256=one.sha256),
    )
    return replace(model, files=(*swapped, *rest))


def test_a_manifest_that_disagrees_with_the_lock_is_named_and_nothing_installed(
    pushed: tuple[Lock, str],
    open_registry: RegistryServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lock, namespace = pushed
    model = lock.models[0]
    wrong = build_artifact(_swap_first_two(model))
    registry = Registry(parse_location(open_registry.url(namespace)), insecure=True)
    registry.upload(f"{namespace}/org/tiny", wrong.config_digest, len(wrong.config), wrong.config,
                    lambda n: None)  # fmt: skip
    registry.put_manifest(f"{namespace}/org/tiny", model.revision, wrong.manifest)
    registry.close()
    lock_path = tmp_path / "ptm.lock"
    write_lock(lock, lock_path)
    cache = tmp_path / "cache"
    code = main(["install", "--lock", str(lock_path), "--from", open_registry.url(namespace),
                 "--insecure", "--cache-dir", str(cache)])  # fmt: skip
    assert code == 3
    err = capsys.readouterr().err.splitlines()[0]
    first = model.files[0]
    assert f"org/tiny@{model.revision[:12]}: " in err
    assert f"{first.path}: the manifest has sha256:" in err and f"pins sha256:{first.sha256}" in err
    assert _nothing_placed(cache)


def test_a_blob_missing_from_the_registry_is_named(
    pushed: tuple[Lock, str], open_registry: RegistryServer, tmp_path: Path
) -> None:
    lock, namespace = pushed
    big = next(f for f in lock.models[0].files if f.size == len(BIG))
    url = f"http://{open_registry.host}/v2/{namespace}/org/tiny/blobs/sha256:{big.sha256}"
    assert httpx.delete(url).status_code == 202
    with pytest.raises(errors.HubError) as caught:
        _install(open_registry.url(namespace), lock, tmp_path / "cache")
    message = str(caught.value)
    assert message.startswith(f"org/tiny@{lock.models[0].revision[:12]}: {big.path} from oci://")
    assert "the blob is not in the registry (HTTP 404)" in message
    assert not (tmp_path / "cache" / "models--org--tiny" / "blobs" / big.sha256).exists()


def test_a_push_whose_chunk_fails_resumes_from_what_the_registry_holds(
    store: RepoStore,
    hf_env: HfEnv,
    proxy: FaultProxy,
    open_registry: RegistryServer,
    tmp_path: Path,
) -> None:
    lock = lock_of(locked_model(store, big=True))
    proxy.faults.patch_statuses = [503, 0, 502]  # the first chunk, then the second
    hub = HuggingFaceHub(policy=FAST)
    location = parse_location(proxy.url("pushfaults"))
    push(lock, location, hubs={"huggingface": hub}, insecure=True, policy=FAST,
         chunk_size=1024 * 1024)  # fmt: skip
    assert proxy.faults.patch_statuses == []
    asked = [
        s for s in proxy.faults.seen if s.startswith("GET /v2/pushfaults/org/tiny/blobs/uploads/")
    ]
    assert len(asked) == 2  # the upload's offset, once after each failed chunk
    _install(open_registry.url("pushfaults"), lock, tmp_path / "cache")  # straight from it
    assert verify(lock, cache_dir=tmp_path / "cache", full=True).ok


def test_a_registry_failing_for_good_is_given_up_once_not_once_per_file(
    pushed: tuple[Lock, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    lock, namespace = pushed
    proxy.faults.always = 503
    with pytest.raises(errors.HubError) as caught:
        _install(proxy.url(namespace), lock, tmp_path / "cache")
    assert "HTTP 503" in str(caught.value) and str(caught.value).startswith("org/tiny@")
    manifests = [s for s in proxy.faults.seen if "/manifests/" in s]
    assert len(manifests) == FAST.attempts  # one file's tries; the other files fail at once
    assert len(lock.models[0].files) > 1
